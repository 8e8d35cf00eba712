/**
 * `gatekeeper policy test`: the PolicyTest files kept beside the policies (policies/tests/*.yaml), each case a
 * findings file (or a scan without findings) for an image, evaluated with the real engine and compared with the
 * expected verdict, selected policy, mode, violated rules and waived findings.
 */
import { dirname, join, posix, resolve } from 'node:path';
import { InvalidInputError } from '../errors/gatekeeper-error.ts';
import type { Finding } from '../findings/finding.ts';
import { readFindingsFile } from '../findings/index.ts';
import { isRecord } from '../findings/json-reader.ts';
import { Checker, joinPath } from './checker.ts';
import { findingKey, type Timeline } from './deadlines.ts';
import type { Decision, ImageFacts, ImageUnderTest } from './decision.ts';
import { type PolicyProblem, PolicySetInvalidError } from './errors.ts';
import { judgeImage, type ScanOutcome } from './judge.ts';
import { loadPolicyDir } from './load.ts';

export interface PolicyTestExpectation {
  readonly verdict: 'approved' | 'quarantined';
  readonly policy?: string;
  readonly mode?: 'enforce' | 'audit';
  readonly violations?: readonly string[];
  readonly waived?: readonly string[];
  /** `false`: not at risk; `true`: at risk (any deadline); an ISO date-time: at risk with that earliest deadline. */
  readonly atRisk?: boolean | string;
}

export interface PolicyTestOutcome {
  readonly verdict: 'approved' | 'quarantined';
  readonly policy: string;
  readonly mode: 'enforce' | 'audit';
  /** Distinct violated rule ids, sorted. */
  readonly violations: readonly string[];
  /** Distinct waived finding ids, sorted. */
  readonly waived: readonly string[];
  /** The earliest deadline when the image is at risk (null: no clock started yet); false when not at risk. */
  readonly atRisk: string | null | false;
}

export interface PolicyTestCaseResult {
  readonly name: string;
  /** The test file, e.g. `policies/tests/default.yaml`, and the case's place in it. */
  readonly file: string;
  readonly path: string;
  readonly expected: PolicyTestExpectation | null;
  readonly actual: PolicyTestOutcome | null;
  readonly passed: boolean;
  /** Why it failed (mismatches, or an input problem such as a missing findings file); null when passed. */
  readonly failure: string | null;
}

export interface PolicyTestReport {
  readonly policyVersion: string;
  readonly cases: readonly PolicyTestCaseResult[];
  readonly passed: number;
  readonly failed: number;
  /** Problems in the PolicyTest files themselves (each also fails its case when it has one). */
  readonly problems: readonly PolicyProblem[];
}

const SCAN_STATUS = /^[A-Z_]{1,64}$/;

function sortedUnique(values: readonly string[]): string[] {
  return [...new Set(values)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

function outcomeOf(decision: Decision): PolicyTestOutcome {
  return {
    verdict: decision.verdict,
    policy: decision.policy.name,
    mode: decision.policy.mode,
    violations: sortedUnique(decision.violations.map((v) => v.rule)),
    waived: sortedUnique(decision.waived.map((w) => w.findingId)),
    atRisk: decision.atRisk ? decision.atRisk.deadline : false,
  };
}

function atRiskText(value: boolean | string | null): string {
  if (value === false) return 'not at risk';
  if (value === true) return 'at risk';
  return value === null ? 'at risk with no deadline yet' : `at risk until ${value}`;
}

function list(values: readonly string[]): string {
  return `[${values.join(', ')}]`;
}

function compare(expected: PolicyTestExpectation, actual: PolicyTestOutcome): string | null {
  const out: string[] = [];
  if (expected.verdict !== actual.verdict)
    out.push(`expected verdict ${expected.verdict}, got ${actual.verdict}`);
  if (expected.policy !== undefined && expected.policy !== actual.policy) {
    out.push(`expected policy ${expected.policy}, got ${actual.policy}`);
  }
  if (expected.mode !== undefined && expected.mode !== actual.mode)
    out.push(`expected mode ${expected.mode}, got ${actual.mode}`);
  if (expected.violations !== undefined) {
    const want = sortedUnique(expected.violations);
    if (list(want) !== list(actual.violations)) {
      out.push(`expected violations ${list(want)}, got ${list(actual.violations)}`);
    }
  }
  if (expected.waived !== undefined) {
    const want = sortedUnique(expected.waived);
    if (list(want) !== list(actual.waived))
      out.push(`expected waived ${list(want)}, got ${list(actual.waived)}`);
  }
  if (expected.atRisk !== undefined) {
    const ok =
      expected.atRisk === true
        ? actual.atRisk !== false
        : expected.atRisk === false
          ? actual.atRisk === false
          : actual.atRisk !== false &&
            actual.atRisk !== null &&
            Date.parse(actual.atRisk) === Date.parse(expected.atRisk);
    if (!ok) out.push(`expected ${atRiskText(expected.atRisk)}, got ${atRiskText(actual.atRisk)}`);
  }
  return out.length > 0 ? out.join('; ') : null;
}

function strings(c: Checker, value: unknown, path: string): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    c.error(path, 'must be a list of strings');
    return undefined;
  }
  return value as string[];
}

interface ParsedCase {
  readonly name: string;
  readonly now: Date;
  readonly findings: string | null;
  readonly input: 'auto' | 'ecr' | 'inspector' | 'trivy' | 'grype';
  readonly scan: { status: string; description: string | null } | null;
  readonly image: ImageUnderTest;
  readonly facts: ImageFacts | null;
  readonly timeline: CaseTimeline | null;
  readonly expect: PolicyTestExpectation;
}

/** A case's timeline; history keys are `<finding id>` (any package) or `<finding id> <package>`. */
interface CaseTimeline {
  readonly previouslyApproved?: boolean;
  readonly inUse?: boolean;
  readonly firstSeen: Readonly<Record<string, string>>;
  readonly firstFixable: Readonly<Record<string, string>>;
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

function dates(c: Checker, value: unknown, path: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!isRecord(value)) {
    c.error(path, 'must be a mapping of finding ids to ISO-8601 date-times');
    return {};
  }
  const out: Record<string, string> = {};
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== 'string' || !ISO_TIME.test(v) || !Number.isFinite(Date.parse(v))) {
      c.error(joinPath(path, key), 'must be an ISO-8601 date-time such as 2026-11-23T00:00:00Z');
    } else out[key] = v;
  }
  return out;
}

function parseTimeline(c: Checker, value: unknown, path: string): CaseTimeline | null {
  const t = c.record(value, path, ['previouslyApproved', 'inUse', 'firstSeen', 'firstFixable']);
  if (!t) return null;
  const flag = (key: string) => (c.present(t, key) ? { [key]: c.boolean(t, key, path, false) } : {});
  return {
    ...flag('previouslyApproved'),
    ...flag('inUse'),
    firstSeen: dates(c, t.firstSeen, joinPath(path, 'firstSeen')),
    firstFixable: dates(c, t.firstFixable, joinPath(path, 'firstFixable')),
  };
}

/** The judgement timeline for these findings: a `<id> <package>` entry wins over an `<id>` entry. */
function timelineFor(t: CaseTimeline, findings: readonly Finding[]): Timeline {
  const history = (dated: Readonly<Record<string, string>>) => {
    const out: Record<string, string> = {};
    for (const f of findings) {
      const date = dated[`${f.id} ${f.package ?? ''}`] ?? dated[f.id];
      if (date !== undefined) out[findingKey(f)] = date;
    }
    return out;
  };
  return {
    history: { firstSeen: history(t.firstSeen), firstFixable: history(t.firstFixable) },
    ...(t.previouslyApproved !== undefined ? { previouslyApproved: t.previouslyApproved } : {}),
    ...(t.inUse !== undefined ? { inUse: t.inUse } : {}),
  };
}

/** Reads one case defensively (the file was schema-checked, but a case is only run when fully understood). */
function parseCase(c: Checker, raw: unknown, path: string, fallbackNow: Date): ParsedCase | null {
  const before = c.problems.length;
  const r = c.record(raw, path, [
    'name',
    'now',
    'findings',
    'input',
    'scan',
    'image',
    'facts',
    'timeline',
    'expect',
  ]);
  if (!r) return null;
  const name = c.string(r, 'name', path, { required: true }) ?? '';
  let now = fallbackNow;
  const nowText = c.string(r, 'now', path);
  if (nowText !== null) {
    now = new Date(nowText);
    if (!/^\d{4}-\d{2}-\d{2}T/.test(nowText) || !Number.isFinite(now.getTime())) {
      c.error(joinPath(path, 'now'), 'must be an ISO-8601 date-time such as 2026-11-23T00:00:00Z');
    }
  }
  const findings = c.string(r, 'findings', path);
  const input = c.oneOf(r, 'input', path, ['auto', 'ecr', 'inspector', 'trivy', 'grype'] as const, 'auto');
  let scan: ParsedCase['scan'] = null;
  if (c.present(r, 'scan')) {
    const s = c.record(r.scan, joinPath(path, 'scan'), ['status', 'description']);
    if (s) {
      const status = c.string(s, 'status', joinPath(path, 'scan'), { required: true, pattern: SCAN_STATUS });
      if (status !== null) scan = { status, description: c.string(s, 'description', joinPath(path, 'scan')) };
    }
    if (findings !== null) c.error(joinPath(path, 'scan'), 'give either findings or scan, not both');
  }
  let image: ImageUnderTest | null = null;
  const ip = joinPath(path, 'image');
  const i = c.record(r.image, ip, ['repository', 'tags', 'digest']);
  if (i) {
    const repository = c.string(i, 'repository', ip, { required: true });
    const tags = strings(c, i.tags, joinPath(ip, 'tags')) ?? [];
    const digest = c.string(i, 'digest', ip, { pattern: /^sha256:[0-9a-f]{64}$/ });
    if (repository !== null) image = { repository, tags, digest };
  }
  let facts: ImageFacts | null = null;
  if (c.present(r, 'facts')) {
    const fp = joinPath(path, 'facts');
    const f = c.record(r.facts, fp, ['sizeBytes', 'user', 'labels']);
    if (f) {
      const out: { sizeBytes?: number; user?: string; labels?: Record<string, string> } = {};
      if (f.sizeBytes !== undefined) {
        const size = c.number(f.sizeBytes, joinPath(fp, 'sizeBytes'), { min: 0, integer: true });
        if (size !== null) out.sizeBytes = size;
      }
      const user = c.string(f, 'user', fp);
      if (user !== null) out.user = user;
      if (f.labels !== undefined) {
        if (!isRecord(f.labels) || Object.values(f.labels).some((v) => typeof v !== 'string')) {
          c.error(joinPath(fp, 'labels'), 'must be a mapping of label names to strings');
        } else out.labels = { ...(f.labels as Record<string, string>) };
      }
      facts = out;
    }
  }
  const timeline = c.present(r, 'timeline') ? parseTimeline(c, r.timeline, joinPath(path, 'timeline')) : null;
  const ep = joinPath(path, 'expect');
  const e = c.record(r.expect, ep, ['verdict', 'policy', 'mode', 'violations', 'waived', 'atRisk']);
  let expect: PolicyTestExpectation | null = null;
  if (e) {
    if (!c.present(e, 'verdict')) c.error(joinPath(ep, 'verdict'), 'is required');
    const verdict = c.oneOf(e, 'verdict', ep, ['approved', 'quarantined'] as const, 'quarantined');
    const policy = c.string(e, 'policy', ep);
    const mode = c.present(e, 'mode')
      ? c.oneOf(e, 'mode', ep, ['enforce', 'audit'] as const, 'enforce')
      : undefined;
    const violations = strings(c, e.violations, joinPath(ep, 'violations'));
    const waived = strings(c, e.waived, joinPath(ep, 'waived'));
    let atRisk: boolean | string | undefined;
    if (e.atRisk !== undefined) {
      if (typeof e.atRisk === 'boolean') atRisk = e.atRisk;
      else if (
        typeof e.atRisk === 'string' &&
        ISO_TIME.test(e.atRisk) &&
        Number.isFinite(Date.parse(e.atRisk))
      )
        atRisk = e.atRisk;
      else
        c.error(
          joinPath(ep, 'atRisk'),
          'must be true, false or the earliest deadline as an ISO-8601 date-time',
        );
    }
    expect = {
      verdict,
      ...(policy !== null ? { policy } : {}),
      ...(mode !== undefined ? { mode } : {}),
      ...(violations !== undefined ? { violations } : {}),
      ...(waived !== undefined ? { waived } : {}),
      ...(atRisk !== undefined ? { atRisk } : {}),
    };
  }
  if (c.problems.length > before || image === null || expect === null) return null;
  return { name, now, findings, input, scan, image, facts, timeline, expect };
}

/**
 * Runs every PolicyTest case under `dir` against the policy set in `dir`. Cases may pin `now`; otherwise `now`
 * (default: the current time) is used. A case passes when the verdict and every expectation it states match.
 * @example const report = await runPolicyTests('policies', new Date('2026-11-23T00:00:00Z')); report.failed // 0
 * @throws PolicySetInvalidError when the policy set itself does not load (nothing can be tested)
 */
export async function runPolicyTests(dir: string, now: Date = new Date()): Promise<PolicyTestReport> {
  if (!Number.isFinite(now.getTime())) throw new InvalidInputError('now', null, 'is not a valid date');
  const loaded = await loadPolicyDir(dir);
  if (!loaded.set) throw new PolicySetInvalidError(dir, loaded.problems);
  const set = loaded.set;
  const problems: PolicyProblem[] = [];
  const cases: PolicyTestCaseResult[] = [];
  const base = resolve(dir);
  for (const test of loaded.testFiles) {
    const raw = isRecord(test.doc) && Array.isArray(test.doc.cases) ? (test.doc.cases as unknown[]) : [];
    for (let k = 0; k < raw.length; k += 1) {
      const path = `cases[${k}]`;
      const own: PolicyProblem[] = [];
      const c = new Checker(test.display, own);
      const parsed = parseCase(c, raw[k], path, now);
      const rawName =
        isRecord(raw[k]) && typeof (raw[k] as { name?: unknown }).name === 'string'
          ? String((raw[k] as { name: string }).name)
          : path;
      problems.push(...own);
      if (!parsed) {
        const first = own.find((p) => p.level === 'error');
        cases.push({
          name: rawName,
          file: test.display,
          path,
          expected: null,
          actual: null,
          passed: false,
          failure: first ? `${first.path}: ${first.message}` : 'the case could not be read',
        });
        continue;
      }
      let decision: Decision;
      try {
        const scan: ScanOutcome = parsed.scan
          ? { kind: 'no-findings', status: parsed.scan.status, description: parsed.scan.description }
          : {
              kind: 'findings',
              findings: parsed.findings
                ? (
                    await readFindingsFile(
                      join(dirname(join(base, test.rel)), parsed.findings),
                      parsed.input,
                      // Named like every other file of the set (`policies/tests/findings/x.json`), not by its absolute path.
                      posix.join(posix.dirname(test.display), parsed.findings),
                    )
                  ).findings
                : [],
            };
        decision = judgeImage({
          image: parsed.image,
          policySet: set,
          now: parsed.now,
          scan,
          facts: parsed.facts,
          factsProblem: null,
          ...(parsed.timeline
            ? timelineFor(parsed.timeline, scan.kind === 'findings' ? scan.findings : [])
            : {}),
        });
      } catch (error) {
        if (!(error instanceof InvalidInputError)) throw error;
        cases.push({
          name: parsed.name,
          file: test.display,
          path,
          expected: parsed.expect,
          actual: null,
          passed: false,
          failure: error.message,
        });
        continue;
      }
      const actual = outcomeOf(decision);
      const failure = compare(parsed.expect, actual);
      cases.push({
        name: parsed.name,
        file: test.display,
        path,
        expected: parsed.expect,
        actual,
        passed: failure === null,
        failure,
      });
    }
  }
  const passed = cases.filter((r) => r.passed).length;
  return { policyVersion: set.version, cases, passed, failed: cases.length - passed, problems };
}
