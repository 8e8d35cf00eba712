/**
 * Loading a policies/ directory: every *.yaml / *.yml file → parseSafeYaml → the validator generated from its
 * JSON Schema → the semantic checks (check.ts). All problems of all files are collected. This file (and its yaml
 * import) is for the CLI, CI and the build; Lambda reads the bundled JSON through runtime.ts.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import policyTestSchema from '../../policies/schema/policy-test.schema.json' with { type: 'json' };
import { InvalidInputError } from '../errors/gatekeeper-error.ts';
import { isRecord } from '../findings/json-reader.ts';
import { byFileThen, policySetVersion } from './canonical.ts';
import { checkExceptionsDocument, checkPolicy } from './check.ts';
import { Checker } from './checker.ts';
import { type PolicyProblem, PolicySetInvalidError } from './errors.ts';
import { validatePolicyTest } from './generated/policy-validators.js';
import {
  type ExceptionDefinition,
  exceptionEndsAt,
  POLICY_SET_FORMAT,
  type PolicyDefinition,
  type PolicySet,
} from './policy-set.ts';
import { MAX_YAML_BYTES, parseSafeYaml } from './safe-yaml.ts';
import { schemaProblems } from './schema-problems.ts';
import { checkSetLevel } from './set-level.ts';

/** Where the published schemas live (policies/schema of this package, whatever directory is loaded). */
export const SCHEMA_DIR = fileURLToPath(new URL('../../policies/schema/', import.meta.url));
export const SCHEMA_FILES = {
  Policy: 'policy.schema.json',
  Exceptions: 'exceptions.schema.json',
  PolicyTest: 'policy-test.schema.json',
} as const;
export type PolicyFileKind = keyof typeof SCHEMA_FILES;
/** Kinds that live in policies/ but belong to other loaders. */
const FOREIGN_KINDS = new Set(['HygieneBaseline']);
const MAX_FILES = 2000;
const EXPIRY_WARNING_DAYS = 14;
const DAY_MS = 24 * 60 * 60 * 1000;

interface ParsedFile {
  readonly rel: string;
  readonly display: string;
  readonly kind: string | null;
  readonly doc: unknown;
}

async function listYaml(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (current: string): Promise<void> => {
    const entries = await readdir(current, { withFileTypes: true });
    for (const entry of entries) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      const full = join(current, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile() && /\.ya?ml$/.test(entry.name)) out.push(full);
      if (out.length > MAX_FILES) throw new InvalidInputError(dir, null, `more than ${MAX_FILES} YAML files`);
    }
  };
  await walk(dir);
  return out.map((f) => relative(dir, f).split(sep).join('/')).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Problem text of an InvalidInputError without its `source: path: ` prefix. */
function bareMessage(error: InvalidInputError): string {
  const prefix = error.path ? `${error.source}: ${error.path}: ` : `${error.source}: `;
  return error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
}

async function parseFiles(
  dir: string,
  problems: PolicyProblem[],
): Promise<{ root: string; files: ParsedFile[] }> {
  const absolute = resolve(dir);
  const info = await stat(absolute).catch((error: unknown) => {
    throw new InvalidInputError(
      dir,
      null,
      `cannot read the policies directory (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
      {
        cause: error,
      },
    );
  });
  if (!info.isDirectory()) throw new InvalidInputError(dir, null, 'is not a directory');
  const root = basename(absolute);
  const files: ParsedFile[] = [];
  for (const rel of await listYaml(absolute)) {
    const display = `${root}/${rel}`;
    const full = join(absolute, rel);
    const size = (await stat(full)).size;
    if (size > MAX_YAML_BYTES) {
      problems.push({
        file: display,
        path: '',
        message: `file is ${size} bytes; the limit is ${MAX_YAML_BYTES} (1 MiB)`,
        level: 'error',
      });
      continue;
    }
    let doc: unknown;
    try {
      doc = parseSafeYaml(display, await readFile(full, 'utf8'));
    } catch (error) {
      if (!(error instanceof InvalidInputError)) throw error;
      problems.push({ file: display, path: error.path ?? '', message: bareMessage(error), level: 'error' });
      continue;
    }
    const kind =
      isRecord(doc) && typeof doc.kind === 'string' && Object.hasOwn(doc, 'kind') ? doc.kind : null;
    if (kind === null) {
      problems.push({
        file: display,
        path: 'kind',
        message: `is required (one of ${[...Object.keys(SCHEMA_FILES), ...FOREIGN_KINDS].join(', ')})`,
        level: 'error',
      });
      continue;
    }
    if (!Object.hasOwn(SCHEMA_FILES, kind) && !FOREIGN_KINDS.has(kind)) {
      problems.push({
        file: display,
        path: 'kind',
        message: `unknown kind "${kind}" (expected one of ${[...Object.keys(SCHEMA_FILES), ...FOREIGN_KINDS].join(', ')})`,
        level: 'error',
      });
      continue;
    }
    files.push({ rel, display, kind, doc });
  }
  return { root, files };
}

export interface LoadedPolicySet {
  readonly set: PolicySet | null;
  readonly files: readonly string[];
  readonly problems: readonly PolicyProblem[];
  /** Where each exception was written, for expiry problems. */
  readonly exceptionPaths: ReadonlyMap<ExceptionDefinition, { file: string; path: string }>;
  readonly testFiles: readonly { readonly rel: string; readonly display: string; readonly doc: unknown }[];
}

/** Loads and checks everything; never throws for problems in the files (they are returned). */
export async function loadPolicyDir(dir: string): Promise<LoadedPolicySet> {
  const problems: PolicyProblem[] = [];
  const { root, files } = await parseFiles(dir, problems);
  const policies: PolicyDefinition[] = [];
  const exceptions: ExceptionDefinition[] = [];
  const policyFiles = new Map<PolicyDefinition, string>();
  const exceptionPaths = new Map<ExceptionDefinition, { file: string; path: string }>();
  const testFiles: { rel: string; display: string; doc: unknown }[] = [];
  for (const f of files) {
    if (f.kind === null || FOREIGN_KINDS.has(f.kind)) continue;
    const kind = f.kind as PolicyFileKind;
    const c = new Checker(f.display, problems);
    if (kind === 'Policy') {
      const p = checkPolicy(c, f.doc, f.rel);
      if (p) {
        policies.push(p);
        policyFiles.set(p, f.display);
      }
    } else if (kind === 'Exceptions') {
      for (const { definition, index } of checkExceptionsDocument(c, f.doc, f.rel)) {
        exceptions.push(definition);
        exceptionPaths.set(definition, { file: f.display, path: `exceptions[${index}]` });
      }
    } else {
      if (!validatePolicyTest(f.doc)) {
        for (const p of schemaProblems(validatePolicyTest.errors ?? [], f.doc, policyTestSchema))
          c.error(p.path, p.message);
      }
      testFiles.push({ rel: f.rel, display: f.display, doc: f.doc });
    }
  }
  const hadErrors = problems.some((p) => p.level === 'error');
  const before = problems.length;
  checkSetLevel(
    problems,
    policies,
    exceptions,
    {
      policy: (p) => ({ file: policyFiles.get(p) ?? p.file, path: '' }),
      exception: (e) => exceptionPaths.get(e) ?? { file: e.file, path: '' },
    },
    `${root}/`,
  );
  if (hadErrors) {
    // "No default policy" says nothing new when a policy file already failed to load.
    for (let i = problems.length - 1; i >= before; i -= 1)
      if (problems[i]?.file === `${root}/`) problems.splice(i, 1);
  }
  // A broken test case must not stop the policies from loading (Lambda build); validatePolicyDir reports it.
  const testDisplays = new Set(testFiles.map((t) => t.display));
  const ok = !problems.some(
    (p) => p.level === 'error' && !testDisplays.has(p.file) && !p.file.startsWith(`${root}/tests/`),
  );
  const set: PolicySet | null = ok
    ? {
        format: POLICY_SET_FORMAT,
        root,
        version: policySetVersion(policies, exceptions),
        policies: [...policies].sort(byFileThen((p) => p.name)),
        exceptions: [...exceptions].sort(byFileThen((e) => e.id)),
      }
    : null;
  return { set, files: files.map((f) => f.display), problems, exceptionPaths, testFiles };
}

/**
 * Loads a policies directory into a PolicySet (Policy and Exceptions files; PolicyTest files are checked by
 * `runPolicyTests`, HygieneBaseline by the hygiene module).
 * @example const set = await loadPolicySet('policies'); set.version // 'sha256:…'
 * @throws PolicySetInvalidError with every problem when any file has an error
 */
export async function loadPolicySet(dir: string): Promise<PolicySet> {
  const loaded = await loadPolicyDir(dir);
  if (!loaded.set) throw new PolicySetInvalidError(dir, loaded.problems);
  return loaded.set;
}

export interface ValidationReport {
  readonly files: string[];
  readonly problems: { file: string; path: string; message: string; level: 'error' | 'warning' }[];
}

/**
 * Everything `gatekeeper policy validate` reports: YAML, schema and semantic problems of every file, plus
 * expired exceptions (error) and exceptions expiring within 14 days (warning) relative to `now`.
 * Problems are sorted by file, then path. Valid when no problem has level `error`.
 * @example (await validatePolicyDir('policies', new Date())).problems.filter((p) => p.level === 'error')
 */
export async function validatePolicyDir(dir: string, now: Date): Promise<ValidationReport> {
  const nowMs = now.getTime();
  if (!Number.isFinite(nowMs)) throw new InvalidInputError('now', null, 'is not a valid date');
  const loaded = await loadPolicyDir(dir);
  const problems: PolicyProblem[] = [...loaded.problems];
  for (const [e, where] of loaded.exceptionPaths) {
    const ends = exceptionEndsAt(e.expires);
    const path = `${where.path}.expires`;
    if (nowMs >= ends) {
      problems.push({
        file: where.file,
        path,
        level: 'error',
        message: `exception "${e.id}" expired on ${e.expires} and no longer waives ${e.finding}: renew it with a new date and reason, or remove it`,
      });
    } else if (ends - nowMs <= EXPIRY_WARNING_DAYS * DAY_MS) {
      const days = Math.floor((ends - nowMs) / DAY_MS);
      const left = days < 1 ? 'last day' : `${days} more day${days === 1 ? '' : 's'}`;
      problems.push({
        file: where.file,
        path,
        level: 'warning',
        message: `exception "${e.id}" expires on ${e.expires} (${left}): renew or fix before it stops applying`,
      });
    }
  }
  problems.sort(
    (a, b) =>
      (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0),
  );
  return { files: [...loaded.files], problems: problems.map((p) => ({ ...p })) };
}
