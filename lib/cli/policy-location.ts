/**
 * The policy engine names files by the policy set's own name (`policies/teams/payments.yaml`: stable in
 * decisions and versions wherever the checkout lives). On the command line a problem must point at a file
 * the user can open, so the set's root is replaced by the directory as the user typed it.
 */
import { basename, join, resolve } from 'node:path';
import { type PolicyProblem, PolicySetInvalidError } from '../policy/index.ts';

/** Maps `root/…` names of the set loaded from `dirArg` to paths under `dirArg` (others unchanged). */
export function policyFileLocator(cwd: string, dirArg: string): (file: string) => string {
  const prefix = `${basename(resolve(cwd, dirArg))}/`;
  const dir = dirArg.replace(/[\\/]+$/, '') || dirArg;
  return (file) => {
    if (!file.startsWith(prefix)) return file;
    const rest = file.slice(prefix.length);
    // A problem of the whole set (e.g. no default policy) names the directory itself.
    return rest === '' ? `${dir}/` : join(dir, rest);
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
