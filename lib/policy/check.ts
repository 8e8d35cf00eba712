/**
 * Checking one Policy or Exceptions document (or one entry of a bundled policy set): first the validator generated
 * from its JSON Schema (lib/policy/generated, by scripts/generate-validators.mjs), the one definition of the
 * format; then, on a document the schema accepts, the checks a schema cannot express (glob syntax, version ranges,
 * calendar dates, deadline ranges, blank text) and the normalisation into a definition with every default filled
 * in. Every problem is collected with its file and path instead of stopping at the first.
 */
import exceptionsSchema from '../../policies/schema/exceptions.schema.json' with { type: 'json' };
import policySchema from '../../policies/schema/policy.schema.json' with { type: 'json' };
import { SEVERITIES, type Severity } from '../findings/finding.ts';
import { isRecord } from '../findings/json-reader.ts';
import { Checker } from './checker.ts';
import type { PolicyMode } from './decision.ts';
import type { PolicyProblem } from './errors.ts';
import {
  type GeneratedValidator,
  validateExceptions,
  validatePolicy,
} from './generated/policy-validators.js';
import { checkGlob, type GlobKind } from './glob.ts';
import {
  API_VERSION,
  DEADLINE_RULE_KEYS,
  type DeadlineFrom,
  type DeadlinePolicy,
  type DeniedPackage,
  type ExceptionDefinition,
  type ImageRules,
  type KnownExploitedRule,
  type PolicyDefinition,
  type PolicyRules,
  SCAN_FAILURE_STATUSES,
  type ScanFailureOutcome,
  type ScanFailureStatus,
  type SeverityLimit,
  TAG_FORMATS,
  type ThresholdRule,
  type WhenUnknown,
} from './policy-set.ts';
import { DAYS, policyWording } from './policy-wording.ts';
import { describeValue, joinPath, schemaProblems } from './schema-problems.ts';
import { parseVersionSpec } from './version-range.ts';

export { joinPath } from './schema-problems.ts';

/**
 * Runs a generated validator and the semantic checks of the same document, reporting to `c`: every semantic
 * problem, and every schema problem not already explained by a semantic error on the same, an enclosing or an
 * enclosed path (a glob the schema's pattern refuses gets the glob checker's more precise reason). Returns the
 * semantic result when the document passed both.
 */
function checkDocument<T>(
  c: Checker,
  validate: GeneratedValidator,
  schema: Readonly<Record<string, unknown>>,
  doc: unknown,
  rebase: (path: string) => string,
  semantic: (s: Checker) => T | null,
): T | null {
  const valid = validate(doc);
  const fromSchema = valid ? [] : schemaProblems(validate.errors ?? [], doc, schema, policyWording());
  const found: PolicyProblem[] = [];
  const result = isRecord(doc) ? semantic(new Checker(c.file, found)) : null;
  const errors = found.filter((p) => p.level === 'error').map((p) => p.path);
  const covered = (path: string) =>
    errors.some(
      (s) =>
        s === path ||
        path.startsWith(`${s}.`) ||
        path.startsWith(`${s}[`) ||
        s.startsWith(`${path}.`) ||
        s.startsWith(`${path}[`),
    );
  c.problems.push(...found);
  for (const p of fromSchema) {
    const path = rebase(p.path);
    if (!covered(path)) c.error(path, p.message);
  }
  return valid && errors.length === 0 ? result : null;
}

const rec = (value: unknown): Readonly<Record<string, unknown>> | undefined =>
  isRecord(value) ? value : undefined;
const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** A Policy document as its schema guarantees it. */
interface PolicyDocument {
  readonly name: string;
  readonly description?: string;
  readonly default?: boolean;
  readonly priority?: number;
  readonly mode?: PolicyMode;
  readonly match?: { readonly repositories: string[]; readonly tags?: string[] };
  readonly rules?: RulesDocument;
  readonly onScanFailure?: Partial<Record<ScanFailureStatus, ScanFailureOutcome>>;
  readonly actions?: { readonly removeSourceTags?: boolean; readonly archiveQuarantined?: boolean };
  readonly deadlines?: DeadlinesDocument;
}

interface ThresholdDocument {
  readonly atLeast: number;
  readonly fixableOnly?: boolean;
  readonly whenUnknown?: WhenUnknown;
}

interface RulesDocument {
  readonly fixableOnly?: boolean;
  readonly maxSeverity?: Partial<Record<Severity, number | { max: number; fixableOnly?: boolean }>>;
  readonly score?: ThresholdDocument;
  readonly epss?: ThresholdDocument;
  readonly exploitAvailable?: { deny: boolean; fixableOnly?: boolean; whenUnknown?: WhenUnknown };
  readonly deniedPackages?: readonly { name: string; versions?: string[]; reason?: string }[];
  readonly image?: {
    readonly runsAsRoot?: 'deny' | 'allow';
    readonly requiredLabels?: string[];
    readonly maxSizeBytes?: number;
    readonly tagNaming?: string[];
    readonly latestAlone?: 'deny' | 'allow';
  };
  readonly knownExploited?: KnownExploitedRule;
}

type DeadlinesDocument = { readonly from?: DeadlineFrom; readonly inUse?: { extraDays: number } } & Readonly<
  Record<string, unknown>
>;

/** Distinct valid globs; reports bad syntax (errors) and repeats (warnings). Null when any is invalid. */
function globs(c: Checker, items: unknown, path: string, kind: GlobKind): string[] | null {
  if (!Array.isArray(items)) return null;
  const out: string[] = [];
  let ok = true;
  items.forEach((item: unknown, i) => {
    if (typeof item !== 'string') return;
    const problems = checkGlob(item, kind);
    for (const message of problems) c.error(joinPath(path, i), message);
    if (problems.length > 0) ok = false;
    else if (out.includes(item)) c.warn(joinPath(path, i), `duplicate pattern ${describeValue(item)}`);
    else out.push(item);
  });
  return ok ? out : null;
}

/**
 * Checks one Policy document (as parsed from YAML, or one `policies[]` entry of a bundled set without its `file`).
 * Returns the normalised definition, or null when there were errors (reported to `c`).
 */
export function checkPolicy(c: Checker, doc: unknown, file: string): PolicyDefinition | null {
  return checkDocument(
    c,
    validatePolicy,
    policySchema,
    doc,
    (p) => p,
    (s) => policyDefinition(s, doc, file),
  );
}

/** The semantic checks of a Policy document; the definition is used only when the schema accepted it. */
function policyDefinition(c: Checker, doc: unknown, file: string): PolicyDefinition {
  const d = doc as PolicyDocument;
  const isDefault = d.default ?? false;
  let match: PolicyDefinition['match'] = null;
  const m = rec(d.match);
  if (m) {
    const repositories = globs(c, m.repositories, 'match.repositories', 'repository');
    const tags = globs(c, m.tags, 'match.tags', 'tag');
    if (repositories) match = { repositories, tags };
  }
  if (d.rules === undefined) c.warn('rules', 'no rules: every image this policy selects is approved');
  const r = rec(d.rules);
  const rules = r ? checkRules(c, r as RulesDocument, 'rules') : emptyRules();
  const onScanFailure = Object.fromEntries(
    SCAN_FAILURE_STATUSES.map((s) => [s, rec(d.onScanFailure)?.[s] ?? 'quarantine']),
  ) as Record<ScanFailureStatus, ScanFailureOutcome>;
  const dl = rec(d.deadlines);
  const deadlines = dl ? checkDeadlines(c, dl as DeadlinesDocument, 'deadlines') : null;
  const definition: PolicyDefinition = {
    file,
    apiVersion: API_VERSION,
    kind: 'Policy',
    name: d.name,
    description: d.description ?? null,
    default: isDefault,
    priority: d.priority ?? 0,
    mode: d.mode ?? 'enforce',
    match,
    rules,
    onScanFailure,
    actions: {
      removeSourceTags: rec(d.actions)?.removeSourceTags === true,
      archiveQuarantined: rec(d.actions)?.archiveQuarantined === true,
    },
  };
  // Absent, not null, when unset: older policy sets keep their version.
  return deadlines ? { ...definition, deadlines } : definition;
}

/** Longest deadline or extension, in days (ten years): a typo such as 3000d is caught, real grace fits. */
export const MAX_DEADLINE_DAYS = 3650;
const DURATION_PATTERN = /^(0|[1-9]\d{0,3})d$/;

/** Days of a `<days>d` duration, or null when it is not one (or exceeds {@link MAX_DEADLINE_DAYS}). */
export function parseDeadlineDays(text: string): number | null {
  const m = DURATION_PATTERN.exec(text);
  if (!m) return null;
  const days = Number(text.slice(0, -1));
  return days <= MAX_DEADLINE_DAYS ? days : null;
}

function checkDeadlines(c: Checker, d: DeadlinesDocument, path: string): DeadlinePolicy {
  const out: Record<string, unknown> = { from: d.from ?? 'firstSeen' };
  let durations = 0;
  for (const key of [...SEVERITIES, ...DEADLINE_RULE_KEYS]) {
    const v = d[key];
    if (typeof v !== 'string') continue;
    // The schema allows up to 9999d; the limit is a range, which a pattern cannot say clearly.
    if (parseDeadlineDays(v) !== null || (key === 'knownExploited' && v === 'dateDue')) {
      out[key] = v;
      durations += 1;
    } else {
      c.error(
        joinPath(path, key),
        `must be ${DAYS}${key === 'knownExploited' ? ' or dateDue' : ''}, not ${describeValue(v)}`,
      );
    }
  }
  if (d.inUse !== undefined) out.inUse = { extraDays: rec(d.inUse)?.extraDays };
  if (durations === 0)
    c.warn(path, 'no deadline is set (a severity or knownExploited): violations quarantine at once');
  return out as unknown as DeadlinePolicy;
}

function emptyRules(): PolicyRules {
  return {
    fixableOnly: false,
    maxSeverity: {},
    score: null,
    exploitAvailable: null,
    epss: null,
    deniedPackages: [],
    image: {
      runsAsRoot: 'allow',
      requiredLabels: [],
      maxSizeBytes: null,
      tagNaming: null,
      latestAlone: 'allow',
    },
  };
}

function checkRules(c: Checker, r: RulesDocument, path: string): PolicyRules {
  const fixableOnly = r.fixableOnly ?? false;
  const maxSeverity: Partial<Record<Severity, SeverityLimit>> = {};
  for (const severity of SEVERITIES) {
    const v = rec(r.maxSeverity)?.[severity] as number | { max: number; fixableOnly?: boolean } | undefined;
    if (v === undefined || v === null) continue;
    maxSeverity[severity] =
      typeof v === 'number'
        ? { max: v, fixableOnly }
        : { max: v.max, fixableOnly: v.fixableOnly ?? fixableOnly };
  }
  const threshold = (t: ThresholdDocument | undefined): ThresholdRule | null =>
    !isRecord(t)
      ? null
      : {
          atLeast: t.atLeast,
          fixableOnly: t.fixableOnly ?? fixableOnly,
          whenUnknown: t.whenUnknown ?? 'ignore',
        };
  const e = rec(r.exploitAvailable) as RulesDocument['exploitAvailable'];
  const deniedPackages: DeniedPackage[] = [];
  (Array.isArray(r.deniedPackages) ? r.deniedPackages : []).forEach((item: unknown, i) => {
    const entry = rec(item) as { name: string; versions?: unknown; reason?: string } | undefined;
    if (!entry) return;
    const ip = joinPath(joinPath(path, 'deniedPackages'), i);
    if (typeof entry.name === 'string')
      for (const message of checkGlob(entry.name, 'package')) c.error(joinPath(ip, 'name'), message);
    let versions: string[] | null = null;
    if (Array.isArray(entry.versions)) {
      versions = [];
      entry.versions.forEach((spec: unknown, k) => {
        if (typeof spec !== 'string') return;
        const parsed = parseVersionSpec(spec);
        if (typeof parsed === 'string') c.error(joinPath(joinPath(ip, 'versions'), k), parsed);
        else versions?.push(spec.trim());
      });
    }
    deniedPackages.push({ name: entry.name, versions, reason: entry.reason ?? null });
  });
  const rules: PolicyRules = {
    fixableOnly,
    maxSeverity,
    score: threshold(r.score),
    exploitAvailable: e
      ? { deny: e.deny, fixableOnly: e.fixableOnly ?? fixableOnly, whenUnknown: e.whenUnknown ?? 'ignore' }
      : null,
    epss: threshold(r.epss),
    deniedPackages,
    image: isRecord(r.image) ? checkImageRules(c, r.image, joinPath(path, 'image')) : emptyRules().image,
  };
  return r.knownExploited === undefined ? rules : { ...rules, knownExploited: r.knownExploited };
}

function checkImageRules(c: Checker, im: NonNullable<RulesDocument['image']>, path: string): ImageRules {
  const labels: string[] = [];
  (Array.isArray(im.requiredLabels) ? im.requiredLabels : []).forEach((label: unknown, i) => {
    if (typeof label !== 'string') return;
    if (labels.includes(label))
      c.warn(joinPath(joinPath(path, 'requiredLabels'), i), `duplicate label ${describeValue(label)}`);
    else labels.push(label);
  });
  let tagNaming: string[] | null = null;
  if (Array.isArray(im.tagNaming)) {
    const np = joinPath(path, 'tagNaming');
    tagNaming = [];
    im.tagNaming.forEach((entry: unknown, i) => {
      if (typeof entry !== 'string') return;
      if ((TAG_FORMATS as readonly string[]).includes(entry)) {
        tagNaming?.push(entry);
        return;
      }
      const problems = checkGlob(entry, 'tag');
      for (const message of problems)
        c.error(joinPath(np, i), `${message} (named formats: ${TAG_FORMATS.join(', ')})`);
      if (problems.length === 0) tagNaming?.push(entry);
    });
  }
  return {
    runsAsRoot: im.runsAsRoot ?? 'allow',
    requiredLabels: labels,
    maxSizeBytes: im.maxSizeBytes ?? null,
    tagNaming,
    latestAlone: im.latestAlone ?? 'allow',
  };
}

/** One exception entry as its schema guarantees it. */
interface ExceptionDocument {
  readonly id: string;
  readonly finding: string;
  readonly reason: string;
  readonly owner: string;
  readonly expires: string;
  readonly ticket?: string;
  readonly until?: 'fix-available';
  readonly scope?: {
    readonly repositories?: string[];
    readonly tags?: string[];
    readonly digest?: string;
    readonly packages?: string[];
  };
}

/** The semantic checks of one exception entry; `path` is its place (e.g. `exceptions[3]`). */
function exceptionDefinition(c: Checker, value: unknown, path: string, file: string): ExceptionDefinition {
  const e = (rec(value) ?? {}) as unknown as ExceptionDocument;
  for (const key of ['reason', 'owner'] as const) {
    const value = text(e[key]);
    if (value !== undefined && value.length > 0 && value.trim().length === 0)
      c.error(joinPath(path, key), 'must not be empty');
  }
  const expires = text(e.expires);
  if (expires !== undefined && DATE_PATTERN.test(expires) && !isCalendarDate(expires))
    c.error(joinPath(path, 'expires'), `${expires} is not a calendar date`);
  const sp = joinPath(path, 'scope');
  const scope = rec(e.scope);
  const definitionScope: ExceptionDefinition['scope'] = {
    repositories: globs(c, scope?.repositories, joinPath(sp, 'repositories'), 'repository'),
    tags: globs(c, scope?.tags, joinPath(sp, 'tags'), 'tag'),
    digest: text(scope?.digest) ?? null,
    packages: globs(c, scope?.packages, joinPath(sp, 'packages'), 'package'),
  };
  return {
    file,
    id: e.id,
    finding: e.finding,
    reason: e.reason,
    owner: e.owner,
    expires: e.expires,
    ticket: e.ticket ?? null,
    until: e.until ?? null,
    scope: definitionScope,
  };
}

/**
 * Checks one exception entry on its own (an `exceptions[]` entry of a bundled set without its `file`); `path` is
 * its place in the document (e.g. `exceptions[3]`).
 */
export function checkException(
  c: Checker,
  value: unknown,
  path: string,
  file: string,
): ExceptionDefinition | null {
  // The schema defines a whole Exceptions document: check the entry as the only one of such a document.
  const doc = { apiVersion: API_VERSION, kind: 'Exceptions', exceptions: [value] };
  const rebase = (p: string) =>
    p.startsWith('exceptions[0]') ? `${path}${p.slice('exceptions[0]'.length)}` : p;
  return checkDocument(c, validateExceptions, exceptionsSchema, doc, rebase, (s) =>
    exceptionDefinition(s, value, path, file),
  );
}

/** Checks a whole Exceptions document; each valid entry comes with its index in `exceptions`. */
export function checkExceptionsDocument(
  c: Checker,
  doc: unknown,
  file: string,
): { definition: ExceptionDefinition; index: number }[] {
  const before = c.problems.length;
  const definitions =
    checkDocument(
      c,
      validateExceptions,
      exceptionsSchema,
      doc,
      (p) => p,
      (s) => {
        const entries = rec(doc)?.exceptions;
        return Array.isArray(entries)
          ? entries.map((entry, index) => exceptionDefinition(s, entry, joinPath('exceptions', index), file))
          : [];
      },
    ) ?? [];
  if (definitions.length > 0) return definitions.map((definition, index) => ({ definition, index }));
  // Some entry (or the document) is invalid: the entries without an error still count (expiry reports).
  const entries = rec(doc)?.exceptions;
  if (!Array.isArray(entries)) return [];
  const problems = c.problems.slice(before).filter((p) => p.level === 'error');
  const broken = (index: number) => {
    const at = joinPath('exceptions', index);
    return problems.some((p) => p.path === '' || p.path === at || p.path.startsWith(`${at}.`));
  };
  const quiet = new Checker(c.file, []);
  return entries.flatMap((entry, index) =>
    broken(index)
      ? []
      : [{ definition: exceptionDefinition(quiet, entry, joinPath('exceptions', index), file), index }],
  );
}

const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

function isCalendarDate(text: string): boolean {
  const m = DATE_PATTERN.exec(text);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
}
