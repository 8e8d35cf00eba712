/**
 * Which policy set a command uses, and how its files are shown.
 *
 * The policy engine names files by the policy set's own name (`policies/teams/payments.yaml`: stable in
 * decisions and versions wherever the checkout lives). On the command line a problem must point at a file
 * the user can open, so the set's root is replaced by the directory as the user typed it.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, isAbsolute, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidInputError } from '../errors/gatekeeper-error.ts';
import { type PolicyProblem, PolicySetInvalidError } from '../policy/index.ts';
import type { CliIo } from './io.ts';

/**
 * The default policy set that ships with the command: `policies/` two levels above this module, which is the
 * repository's `policies/` from lib/cli/ in a checkout, and the package's `policies/` from the bundles
 * (dist/cli/gatekeeper.mjs in the npm package, action/dist/index.mjs in the GitHub Action).
 */
export const SHIPPED_POLICY_DIR = fileURLToPath(new URL('../../policies/', import.meta.url));

/** The environment variable naming a team's own policy directory (the `--policies` option wins over it). */
export const POLICIES_ENV = 'GATEKEEPER_POLICIES';

/** A policy directory chosen for a command: `dir` to load, `shown` as the user typed it (or a short path). */
export interface PolicyDirChoice {
  readonly dir: string;
  readonly shown: string;
}

/**
 * The policy set to decide with: `--policies DIR`, else `$GATEKEEPER_POLICIES`, else the shipped default set
 * (so `evaluate` works with no configuration in any directory, whatever folders it holds).
 * @example choosePolicyDir(single(parsed, 'policies'), io).dir
 */
export function choosePolicyDir(option: string | undefined, io: Pick<CliIo, 'cwd' | 'env'>): PolicyDirChoice {
  const typed = option ?? nonEmpty(io.env[POLICIES_ENV]);
  if (typed !== undefined) return { dir: resolve(io.cwd, typed), shown: typed };
  return { dir: SHIPPED_POLICY_DIR, shown: shortPath(io.cwd, SHIPPED_POLICY_DIR) };
}

/**
 * The policy set to validate or test (`policy validate|test [DIR]`): DIR, else `$GATEKEEPER_POLICIES`, else
 * `./policies` when the working directory has one (the set being authored), else the shipped default set.
 */
export function choosePolicyDirToCheck(
  positional: string | undefined,
  io: Pick<CliIo, 'cwd' | 'env'>,
): PolicyDirChoice {
  const typed = positional ?? nonEmpty(io.env[POLICIES_ENV]);
  if (typed !== undefined) return { dir: resolve(io.cwd, typed), shown: typed };
  const local = resolve(io.cwd, 'policies');
  if (existsSync(local) && statSync(local).isDirectory()) return { dir: local, shown: 'policies' };
  return { dir: SHIPPED_POLICY_DIR, shown: shortPath(io.cwd, SHIPPED_POLICY_DIR) };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

/** `dir` relative to the working directory when it lies below it, else absolute; no trailing separator. */
function shortPath(cwd: string, dir: string): string {
  const rel = relative(cwd, dir);
  const shown = rel === '' ? '.' : rel.startsWith('..') || isAbsolute(rel) ? dir : rel;
  return shown.replace(/[\\/]+$/, '') || shown;
}

/**
 * Maps `root/…` names of the set loaded from `dirArg` to paths under `dirArg` exactly as typed (`./team/` gives
 * `./team/default.yaml`); other text is unchanged. Also applied to messages that start with such a name.
 */
export function policyFileLocator(cwd: string, dirArg: string): (file: string) => string {
  const prefix = `${basename(resolve(cwd, dirArg))}/`;
  const trimmed = dirArg.replace(/[\\/]+$/, '');
  // `/` typed alone stays `/`; otherwise one separator joins the typed directory and the rest.
  const dir = trimmed === '' ? dirArg.slice(0, 1) : trimmed;
  return (file) => {
    if (!file.startsWith(prefix)) return file;
    const rest = file.slice(prefix.length);
    // A problem of the whole set (e.g. no default policy) names the directory itself.
    if (rest === '') return `${dir}/`;
    return dir.endsWith('/') || dir.endsWith(sep) ? `${dir}${rest}` : `${dir}/${rest}`;
  };
}

/** The same problems, each naming the file as a path the user can open. */
export function locateProblems<P extends PolicyProblem>(
  problems: readonly P[],
  locate: (file: string) => string,
): P[] {
  return problems.map((p) => ({ ...p, file: locate(p.file) }));
}

/** A PolicySetInvalidError whose problems name openable paths (the message follows). */
export function locatePolicySetError(
  error: PolicySetInvalidError,
  locate: (file: string) => string,
): PolicySetInvalidError {
  return new PolicySetInvalidError(locate(''), locateProblems(error.problems, locate), { cause: error });
}

/**
 * Runs a load of the chosen policy directory; its errors name files as the user typed the directory (an invalid
 * set through {@link locatePolicySetError}, an unreadable directory by the typed path, not the absolute one).
 * @example const set = await showingPolicyDir(io.cwd, choice, loadPolicySet(choice.dir))
 */
export async function showingPolicyDir<T>(
  cwd: string,
  choice: PolicyDirChoice,
  load: Promise<T>,
): Promise<T> {
  try {
    return await load;
  } catch (error) {
    if (error instanceof PolicySetInvalidError)
      throw locatePolicySetError(error, policyFileLocator(cwd, choice.shown));
    if (
      error instanceof InvalidInputError &&
      (error.source === choice.dir || resolve(error.source) === resolve(choice.dir))
    ) {
      const prefix = `${error.source}: ${error.path === null ? '' : `${error.path}: `}`;
      const problem = error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
      throw new InvalidInputError(choice.shown, error.path, problem, { cause: error });
    }
    throw error;
  }
}
