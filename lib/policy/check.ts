/**
 * The semantic checker: turns one parsed Policy or Exceptions document (or one entry of a bundled policy set)
 * into a normalised definition, collecting every problem with its file and path instead of stopping at the
 * first. It reads untrusted values defensively (own properties only, every type checked), so it is also what
 * guards `policySetFromJson` at runtime, where neither YAML nor the JSON Schema validator is loaded.
 */
import { SEVERITIES, type Severity } from '../findings/finding.ts';
import { isRecord, type JsonRecord, own } from '../findings/json-reader.ts';
import type { PolicyMode } from './decision.ts';
import type { PolicyProblem } from './errors.ts';
import { checkGlob, type GlobKind } from './glob.ts';
import {
  API_VERSION,
  DEADLINE_RULE_KEYS,
  type DeadlineFrom,
  type DeadlinePolicy,
  type DeniedPackage,
  type ExceptionDefinition,
  type ExploitRule,
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
import { parseVersionSpec } from './version-range.ts';

export const NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;
export const EXCEPTION_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
export const FINDING_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:+/-]{0,127}$/;
const DIGEST_PATTERN = /^sha256:[0-9a-f]{64}$/;
const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;
const MAX_LIST = 1000;
const MAX_TEXT = 2000;

export function joinPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  return parent ? `${parent}.${key}` : key;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'object') return 'a mapping';
  return String(value);
}

/** Collects problems for one file. */
export class Checker {
  readonly file: string;
  readonly problems: PolicyProblem[];

  constructor(file: string, problems: PolicyProblem[]) {
    this.file = file;
    this.problems = problems;
  }

  error(path: string, message: string): void {
    this.problems.push({ file: this.file, path, message, level: 'error' });
  }

  warn(path: string, message: string): void {
    this.problems.push({ file: this.file, path, message, level: 'warning' });
  }

  /** A mapping with only the allowed keys; null (after reporting) when it is not a mapping. */
  record(value: unknown, path: string, allowed: readonly string[]): JsonRecord | null {
    if (!isRecord(value)) {
      this.error(path, `must be a mapping, not ${describe(value)}`);
      return null;
    }
    for (const key of Object.keys(value)) {
      if (!allowed.includes(key))
        this.error(joinPath(path, key), `unknown key (expected one of ${allowed.join(', ')})`);
    }
    return value;
  }

  present(record: JsonRecord, key: string): boolean {
    const v = own(record, key);
    return v !== undefined && v !== null;
  }

  string(
    record: JsonRecord,
    key: string,
    path: string,
    options: { required?: boolean; pattern?: RegExp; patternText?: string; max?: number } = {},
  ): string | null {
    const p = joinPath(path, key);
    const v = own(record, key);
    if (v === undefined || v === null) {
      if (options.required) this.error(p, 'is required');
      return null;
    }
    if (typeof v !== 'string') {
      this.error(p, `must be a string, not ${describe(v)}`);
      return null;
    }
    if (options.required && v.trim().length === 0) {
      this.error(p, 'must not be empty');
      return null;
    }
    if (v.length > (options.max ?? MAX_TEXT)) {
      this.error(p, `must be at most ${options.max ?? MAX_TEXT} characters`);
      return null;
    }
    if (options.pattern && !options.pattern.test(v)) {
      this.error(p, `${describe(v)} must match ${options.patternText ?? options.pattern.source}`);
      return null;
    }
    return v;
  }

  boolean(record: JsonRecord, key: string, path: string, fallback: boolean): boolean {
    const v = own(record, key);
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'boolean') {
      this.error(joinPath(path, key), `must be true or false, not ${describe(v)}`);
      return fallback;
    }
    return v;
  }

  number(
    value: unknown,
    path: string,
    options: { min: number; max?: number; integer?: boolean; exclusiveMin?: boolean },
  ): number | null {
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      this.error(path, `must be a number, not ${describe(value)}`);
      return null;
    }
    if (options.integer && !Number.isInteger(value)) {
      this.error(path, 'must be a whole number');
      return null;
    }
    if (options.exclusiveMin ? value <= options.min : value < options.min) {
      this.error(path, `must be ${options.exclusiveMin ? '>' : '>='} ${options.min}`);
      return null;
    }
    if (options.max !== undefined && value > options.max) {
      this.error(path, `must be <= ${options.max}`);
      return null;
    }
    return value;
  }

  oneOf<T extends string>(
    record: JsonRecord,
    key: string,
    path: string,
    values: readonly T[],
    fallback: T,
  ): T {
    const v = own(record, key);
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) {
      this.error(joinPath(path, key), `must be one of ${values.join(', ')}, not ${describe(v)}`);
      return fallback;
    }
    return v as T;
  }

  list(record: JsonRecord, key: string, path: string, required: boolean): readonly unknown[] | null {
    const p = joinPath(path, key);
    const v = own(record, key);
    if (v === undefined || v === null) {
      if (required) this.error(p, 'is required');
      return null;
    }
    if (!Array.isArray(v)) {
      this.error(p, `must be a list, not ${describe(v)}`);
      return null;
    }
    if (v.length > MAX_LIST) {
      this.error(p, `has ${v.length} entries; the limit is ${MAX_LIST}`);
      return null;
    }
    return v;
  }

  /** A non-empty list of valid, distinct glob patterns; null when absent (or, after reporting, invalid). */
  globs(record: JsonRecord, key: string, path: string, kind: GlobKind, required = false): string[] | null {
    const items = this.list(record, key, path, required);
    if (items === null) return null;
    const p = joinPath(path, key);
    if (items.length === 0) {
      this.error(p, 'must list at least one pattern (omit the key to match everything)');
      return null;
    }
    const out: string[] = [];
    let ok = true;
    items.forEach((item, i) => {
      const problems = checkGlob(item, kind);
      for (const message of problems) this.error(joinPath(p, i), message);
      if (problems.length > 0) ok = false;
      else if (out.includes(item as string)) this.warn(joinPath(p, i), `duplicate pattern ${describe(item)}`);
      else out.push(item as string);
    });
    return ok ? out : null;
  }
}

const POLICY_KEYS = [
  'apiVersion',
  'kind',
  'name',
  'description',
  'default',
  'priority',
  'mode',
  'match',
  'rules',
  'onScanFailure',
  'actions',
  'deadlines',
];
const RULE_KEYS = [
  'fixableOnly',
  'maxSeverity',
  'score',
  'exploitAvailable',
  'epss',
  'deniedPackages',
  'image',
  'knownExploited',
];
const IMAGE_KEYS = ['runsAsRoot', 'requiredLabels', 'maxSizeBytes', 'tagNaming', 'latestAlone'];
const WHEN_UNKNOWN: readonly WhenUnknown[] = ['ignore', 'violate'];
const MODES: readonly PolicyMode[] = ['enforce', 'audit'];
const OUTCOMES: readonly ScanFailureOutcome[] = ['quarantine', 'approve'];

function checkHeader(c: Checker, doc: JsonRecord, kind: string): void {
  const apiVersion = own(doc, 'apiVersion');
  if (apiVersion !== API_VERSION) {
    c.error(
      'apiVersion',
      apiVersion === undefined ? 'is required' : `must be ${API_VERSION}, not ${describe(apiVersion)}`,
    );
  }
  const k = own(doc, 'kind');
  if (k !== kind) c.error('kind', `must be ${kind}, not ${describe(k)}`);
}

/**
 * Checks one Policy document (as parsed from YAML, or one `policies[]` entry of a bundled set without its `file`).
 * Returns the normalised definition, or null when there were errors (reported to `c`).
 */
export function checkPolicy(c: Checker, doc: unknown, file: string): PolicyDefinition | null {
  const before = c.problems.filter((p) => p.level === 'error').length;
  const d = c.record(doc, '', POLICY_KEYS);
  if (!d) return null;
  checkHeader(c, d, 'Policy');
  const name = c.string(d, 'name', '', {
    required: true,
    pattern: NAME_PATTERN,
    patternText: 'lower-case letters, digits and "-" (at most 63)',
  });
  const description = c.string(d, 'description', '');
  const isDefault = c.boolean(d, 'default', '', false);
  let priority = 0;
  if (c.present(d, 'priority')) {
    priority = c.number(own(d, 'priority'), 'priority', { min: -1000, max: 1000, integer: true }) ?? 0;
  }
  const mode = c.oneOf(d, 'mode', '', MODES, 'enforce');

  let match: PolicyDefinition['match'] = null;
  if (c.present(d, 'match')) {
    const m = c.record(own(d, 'match'), 'match', ['repositories', 'tags']);
    if (m) {
      const repositories = c.globs(m, 'repositories', 'match', 'repository', true);
      const tags = c.globs(m, 'tags', 'match', 'tag');
      if (repositories) match = { repositories, tags };
    }
    if (isDefault)
      c.error('match', 'the default policy applies to every image nothing else matches: remove match');
  } else if (!isDefault) {
    c.error('match', 'is required unless the policy is the default (default: true)');
  }

  const rules = c.present(d, 'rules') ? checkRules(c, own(d, 'rules'), 'rules') : emptyRules();
  if (!c.present(d, 'rules')) c.warn('rules', 'no rules: every image this policy selects is approved');

  const onScanFailure = Object.fromEntries(SCAN_FAILURE_STATUSES.map((s) => [s, 'quarantine'])) as Record<
    ScanFailureStatus,
    ScanFailureOutcome
  >;
  if (c.present(d, 'onScanFailure')) {
    const f = c.record(own(d, 'onScanFailure'), 'onScanFailure', SCAN_FAILURE_STATUSES);
    if (f)
      for (const status of SCAN_FAILURE_STATUSES)
        onScanFailure[status] = c.oneOf(f, status, 'onScanFailure', OUTCOMES, 'quarantine');
  }
  let actions = { removeSourceTags: false, archiveQuarantined: false };
  if (c.present(d, 'actions')) {
    const a = c.record(own(d, 'actions'), 'actions', ['removeSourceTags', 'archiveQuarantined']);
    if (a) {
      actions = {
        removeSourceTags: c.boolean(a, 'removeSourceTags', 'actions', false),
        archiveQuarantined: c.boolean(a, 'archiveQuarantined', 'actions', false),
      };
    }
  }
  const deadlines = c.present(d, 'deadlines') ? checkDeadlines(c, own(d, 'deadlines'), 'deadlines') : null;
  const after = c.problems.filter((p) => p.level === 'error').length;
  if (after > before || name === null || rules === null) return null;
  const definition: PolicyDefinition = {
    file,
    apiVersion: API_VERSION,
    kind: 'Policy',
    name,
    description,
    default: isDefault,
    priority,
    mode,
    match,
    rules,
    onScanFailure,
    actions,
  };
  // Absent, not null, when unset: older policy sets keep their version.
  return deadlines ? { ...definition, deadlines } : definition;
}

/** Longest deadline or extension, in days (ten years): a typo such as 3000d is caught, real grace fits. */
export const MAX_DEADLINE_DAYS = 3650;
const DURATION_PATTERN = /^(0|[1-9]\d{0,3})d$/;
const DEADLINE_FROM: readonly DeadlineFrom[] = ['firstSeen', 'fixAvailable'];
const DEADLINE_KEYS = ['from', 'inUse', ...SEVERITIES, ...DEADLINE_RULE_KEYS];

/** Days of a `<days>d` duration, or null when it is not one (or exceeds {@link MAX_DEADLINE_DAYS}). */
export function parseDeadlineDays(text: string): number | null {
  const m = DURATION_PATTERN.exec(text);
  if (!m) return null;
  const days = Number(text.slice(0, -1));
  return days <= MAX_DEADLINE_DAYS ? days : null;
}

function checkDeadlines(c: Checker, value: unknown, path: string): DeadlinePolicy | null {
  const d = c.record(value, path, DEADLINE_KEYS);
  if (!d) return null;
  const out: Record<string, unknown> = { from: c.oneOf(d, 'from', path, DEADLINE_FROM, 'firstSeen') };
  let durations = 0;
  for (const key of [...SEVERITIES, ...DEADLINE_RULE_KEYS]) {
    const v = own(d, key);
    if (v === undefined || v === null) continue;
    const p = joinPath(path, key);
    const allowDue = key === 'knownExploited';
    if (typeof v === 'string' && (parseDeadlineDays(v) !== null || (allowDue && v === 'dateDue'))) {
      out[key] = v;
      durations += 1;
    } else {
      c.error(
        p,
        `must be a number of days such as 3d (0d to ${MAX_DEADLINE_DAYS}d)${allowDue ? ' or dateDue' : ''}, not ${describe(v)}`,
      );
    }
  }
  if (c.present(d, 'inUse')) {
    const p = joinPath(path, 'inUse');
    const u = c.record(own(d, 'inUse'), p, ['extraDays']);
    if (u) {
      if (!c.present(u, 'extraDays')) c.error(joinPath(p, 'extraDays'), 'is required');
      else {
        const extraDays = c.number(own(u, 'extraDays'), joinPath(p, 'extraDays'), {
          min: 0,
          max: MAX_DEADLINE_DAYS,
          integer: true,
        });
        if (extraDays !== null) out.inUse = { extraDays };
      }
    }
  }
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

function checkRules(c: Checker, value: unknown, path: string): PolicyRules | null {
  const r = c.record(value, path, RULE_KEYS);
  if (!r) return null;
  const fixableOnly = c.boolean(r, 'fixableOnly', path, false);

  const maxSeverity: Partial<Record<Severity, SeverityLimit>> = {};
  if (c.present(r, 'maxSeverity')) {
    const p = joinPath(path, 'maxSeverity');
    const m = own(r, 'maxSeverity');
    if (!isRecord(m)) c.error(p, `must be a mapping of severity to count, not ${describe(m)}`);
    else {
      for (const key of Object.keys(m)) {
        if (!(SEVERITIES as readonly string[]).includes(key)) {
          c.error(joinPath(p, key), `unknown severity (expected one of ${SEVERITIES.join(', ')})`);
        }
      }
      for (const severity of SEVERITIES) {
        const v = own(m, severity);
        if (v === undefined || v === null) continue;
        const sp = joinPath(p, severity);
        if (isRecord(v)) {
          const limit = c.record(v, sp, ['max', 'fixableOnly']);
          if (!limit) continue;
          if (!c.present(limit, 'max')) {
            c.error(joinPath(sp, 'max'), 'is required');
            continue;
          }
          const max = c.number(own(limit, 'max'), joinPath(sp, 'max'), { min: 0, integer: true });
          if (max !== null)
            maxSeverity[severity] = { max, fixableOnly: c.boolean(limit, 'fixableOnly', sp, fixableOnly) };
        } else {
          const max = c.number(v, sp, { min: 0, integer: true });
          if (max !== null) maxSeverity[severity] = { max, fixableOnly };
        }
      }
    }
  }

  const threshold = (key: 'score' | 'epss', max: number): ThresholdRule | null => {
    if (!c.present(r, key)) return null;
    const p = joinPath(path, key);
    const t = c.record(own(r, key), p, ['atLeast', 'fixableOnly', 'whenUnknown']);
    if (!t) return null;
    if (!c.present(t, 'atLeast')) {
      c.error(joinPath(p, 'atLeast'), 'is required');
      return null;
    }
    const atLeast = c.number(own(t, 'atLeast'), joinPath(p, 'atLeast'), { min: 0, max });
    const whenUnknown = c.oneOf(t, 'whenUnknown', p, WHEN_UNKNOWN, 'ignore');
    if (atLeast === null) return null;
    return { atLeast, fixableOnly: c.boolean(t, 'fixableOnly', p, fixableOnly), whenUnknown };
  };
  const score = threshold('score', 10);
  const epss = threshold('epss', 1);

  let exploitAvailable: ExploitRule | null = null;
  if (c.present(r, 'exploitAvailable')) {
    const p = joinPath(path, 'exploitAvailable');
    const e = c.record(own(r, 'exploitAvailable'), p, ['deny', 'fixableOnly', 'whenUnknown']);
    if (e) {
      if (!c.present(e, 'deny')) c.error(joinPath(p, 'deny'), 'is required');
      exploitAvailable = {
        deny: c.boolean(e, 'deny', p, false),
        fixableOnly: c.boolean(e, 'fixableOnly', p, fixableOnly),
        whenUnknown: c.oneOf(e, 'whenUnknown', p, WHEN_UNKNOWN, 'ignore'),
      };
    }
  }

  const deniedPackages: DeniedPackage[] = [];
  const denied = c.list(r, 'deniedPackages', path, false);
  if (denied) {
    const p = joinPath(path, 'deniedPackages');
    denied.forEach((item, i) => {
      const ip = joinPath(p, i);
      const e = c.record(item, ip, ['name', 'versions', 'reason']);
      if (!e) return;
      const name = own(e, 'name');
      if (name === undefined || name === null) c.error(joinPath(ip, 'name'), 'is required');
      else for (const message of checkGlob(name, 'package')) c.error(joinPath(ip, 'name'), message);
      let versions: string[] | null = null;
      const list = c.list(e, 'versions', ip, false);
      if (list) {
        if (list.length === 0)
          c.error(joinPath(ip, 'versions'), 'must list at least one version (omit it to deny all)');
        versions = [];
        list.forEach((spec, k) => {
          const parsed = parseVersionSpec(spec);
          if (typeof parsed === 'string') c.error(joinPath(joinPath(ip, 'versions'), k), parsed);
          else versions?.push((spec as string).trim());
        });
      }
      const reason = c.string(e, 'reason', ip);
      if (typeof name === 'string') deniedPackages.push({ name, versions, reason });
    });
  }

  let image: ImageRules = emptyRules().image;
  if (c.present(r, 'image')) {
    const p = joinPath(path, 'image');
    const im = c.record(own(r, 'image'), p, IMAGE_KEYS);
    if (im) {
      const labels: string[] = [];
      const labelList = c.list(im, 'requiredLabels', p, false);
      labelList?.forEach((label, i) => {
        const lp = joinPath(joinPath(p, 'requiredLabels'), i);
        if (typeof label !== 'string' || label.length === 0 || label.length > 256) {
          c.error(lp, 'must be a label name (1 to 256 characters)');
        } else if (labels.includes(label)) c.warn(lp, `duplicate label ${describe(label)}`);
        else labels.push(label);
      });
      let maxSizeBytes: number | null = null;
      if (c.present(im, 'maxSizeBytes')) {
        maxSizeBytes = c.number(own(im, 'maxSizeBytes'), joinPath(p, 'maxSizeBytes'), {
          min: 0,
          integer: true,
          exclusiveMin: true,
        });
      }
      let tagNaming: string[] | null = null;
      const naming = c.list(im, 'tagNaming', p, false);
      if (naming) {
        const np = joinPath(p, 'tagNaming');
        if (naming.length === 0)
          c.error(np, 'must list at least one format or pattern (omit it to allow any tag)');
        tagNaming = [];
        naming.forEach((entry, i) => {
          if (typeof entry === 'string' && (TAG_FORMATS as readonly string[]).includes(entry))
            tagNaming?.push(entry);
          else {
            const problems = checkGlob(entry, 'tag');
            for (const message of problems) {
              c.error(joinPath(np, i), `${message} (named formats: ${TAG_FORMATS.join(', ')})`);
            }
            if (problems.length === 0) tagNaming?.push(entry as string);
          }
        });
      }
      image = {
        runsAsRoot: c.oneOf(im, 'runsAsRoot', p, ['deny', 'allow'] as const, 'allow'),
        requiredLabels: labels,
        maxSizeBytes,
        tagNaming,
        latestAlone: c.oneOf(im, 'latestAlone', p, ['deny', 'allow'] as const, 'allow'),
      };
    }
  }
  const rules: PolicyRules = {
    fixableOnly,
    maxSeverity,
    score,
    exploitAvailable,
    epss,
    deniedPackages,
    image,
  };
  if (!c.present(r, 'knownExploited')) return rules;
  const knownExploited = checkKnownExploited(c, own(r, 'knownExploited'), joinPath(path, 'knownExploited'));
  return knownExploited ? { ...rules, knownExploited } : rules;
}

function checkKnownExploited(c: Checker, value: unknown, path: string): KnownExploitedRule | null {
  if (value === 'deny') return 'deny';
  if (isRecord(value)) {
    const k = c.record(value, path, ['deadline']);
    if (!k) return null;
    if (own(k, 'deadline') === 'dateDue') return { deadline: 'dateDue' };
    c.error(joinPath(path, 'deadline'), `must be dateDue, not ${describe(own(k, 'deadline'))}`);
    return null;
  }
  c.error(path, `must be deny or { deadline: dateDue }, not ${describe(value)}`);
  return null;
}

const EXCEPTION_KEYS = ['id', 'finding', 'reason', 'owner', 'expires', 'ticket', 'until', 'scope'];

/** Checks one exception entry; `path` is its place in the file (e.g. `exceptions[3]`). */
export function checkException(
  c: Checker,
  value: unknown,
  path: string,
  file: string,
): ExceptionDefinition | null {
  const before = c.problems.filter((p) => p.level === 'error').length;
  const e = c.record(value, path, EXCEPTION_KEYS);
  if (!e) return null;
  const id = c.string(e, 'id', path, {
    required: true,
    pattern: EXCEPTION_ID_PATTERN,
    patternText: 'letters, digits, ".", "_", "-" (at most 128)',
  });
  const finding = c.string(e, 'finding', path, {
    required: true,
    pattern: FINDING_ID_PATTERN,
    patternText: 'a vulnerability id such as CVE-2024-1234 or GHSA-xxxx-xxxx-xxxx',
  });
  const reason = c.string(e, 'reason', path, { required: true });
  const owner = c.string(e, 'owner', path, { required: true, max: 256 });
  const expires = c.string(e, 'expires', path, {
    required: true,
    pattern: DATE_PATTERN,
    patternText: 'YYYY-MM-DD',
  });
  if (expires !== null && !isCalendarDate(expires))
    c.error(joinPath(path, 'expires'), `${expires} is not a calendar date`);
  const ticket = c.string(e, 'ticket', path, { max: 256 });
  const until = own(e, 'until');
  if (until !== undefined && until !== null && until !== 'fix-available') {
    c.error(joinPath(path, 'until'), `must be fix-available, not ${describe(until)}`);
  }
  let scope: ExceptionDefinition['scope'] = { repositories: null, tags: null, digest: null, packages: null };
  if (c.present(e, 'scope')) {
    const sp = joinPath(path, 'scope');
    const s = c.record(own(e, 'scope'), sp, ['repositories', 'tags', 'digest', 'packages']);
    if (s) {
      scope = {
        repositories: c.globs(s, 'repositories', sp, 'repository'),
        tags: c.globs(s, 'tags', sp, 'tag'),
        digest: c.string(s, 'digest', sp, {
          pattern: DIGEST_PATTERN,
          patternText: 'sha256:<64 lower-case hex>',
        }),
        packages: c.globs(s, 'packages', sp, 'package'),
      };
    }
  }
  const after = c.problems.filter((p) => p.level === 'error').length;
  if (
    after > before ||
    id === null ||
    finding === null ||
    reason === null ||
    owner === null ||
    expires === null
  ) {
    return null;
  }
  return {
    file,
    id,
    finding,
    reason,
    owner,
    expires,
    ticket,
    until: until === 'fix-available' ? 'fix-available' : null,
    scope,
  };
}

/** Checks a whole Exceptions document; each valid entry comes with its index in `exceptions`. */
export function checkExceptionsDocument(
  c: Checker,
  doc: unknown,
  file: string,
): { definition: ExceptionDefinition; index: number }[] {
  const d = c.record(doc, '', ['apiVersion', 'kind', 'exceptions']);
  if (!d) return [];
  checkHeader(c, d, 'Exceptions');
  const list = c.list(d, 'exceptions', '', true);
  if (!list) return [];
  const out: { definition: ExceptionDefinition; index: number }[] = [];
  list.forEach((item, index) => {
    const definition = checkException(c, item, joinPath('exceptions', index), file);
    if (definition) out.push({ definition, index });
  });
  return out;
}

function isCalendarDate(text: string): boolean {
  const m = DATE_PATTERN.exec(text);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
}

/**
 * Checks that only make sense across files: unique policy names, exactly one default policy, unique exception
 * ids. `where` gives the file and path to report for an item.
 */
export function checkSetLevel(
  problems: PolicyProblem[],
  policies: readonly PolicyDefinition[],
  exceptions: readonly ExceptionDefinition[],
  where: {
    policy: (p: PolicyDefinition) => { file: string; path: string };
    exception: (e: ExceptionDefinition) => { file: string; path: string };
  },
  emptySource: string,
): void {
  const names = new Map<string, PolicyDefinition>();
  for (const p of policies) {
    const seen = names.get(p.name);
    if (seen) {
      const w = where.policy(p);
      problems.push({
        file: w.file,
        path: joinPath(w.path, 'name'),
        message: `duplicate policy name "${p.name}" (also in ${where.policy(seen).file})`,
        level: 'error',
      });
    } else names.set(p.name, p);
  }
  const defaults = policies.filter((p) => p.default);
  if (defaults.length === 0 && policies.length > 0) {
    problems.push({
      file: emptySource,
      path: '',
      message: 'no default policy: mark exactly one Policy with default: true',
      level: 'error',
    });
  }
  for (const extra of defaults.slice(1)) {
    const w = where.policy(extra);
    problems.push({
      file: w.file,
      path: joinPath(w.path, 'default'),
      message: `only one policy may be the default (already: "${(defaults[0] as PolicyDefinition).name}" in ${where.policy(defaults[0] as PolicyDefinition).file})`,
      level: 'error',
    });
  }
  if (policies.length === 0) {
    problems.push({
      file: emptySource,
      path: '',
      message: 'no Policy found (a default policy is required)',
      level: 'error',
    });
  }
  const ids = new Map<string, ExceptionDefinition>();
  for (const e of exceptions) {
    const seen = ids.get(e.id);
    if (seen) {
      const w = where.exception(e);
      problems.push({
        file: w.file,
        path: joinPath(w.path, 'id'),
        message: `duplicate exception id "${e.id}" (also in ${where.exception(seen).file})`,
        level: 'error',
      });
    } else ids.set(e.id, e);
  }
}
