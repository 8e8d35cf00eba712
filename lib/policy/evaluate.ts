/**
 * Evaluation: findings + image (+ facts) + policy set + time → Decision. Pure and deterministic: no clock, no
 * I/O, no locale; the same inputs give a byte-identical `JSON.stringify` of the result.
 */
import { type Finding, SEVERITIES } from '../findings/finding.ts';
// The leaf module, not findings/index.ts: the Lambda runtime path must not pull in the scanner parsers.
import { severityCounts, summaryOfCounts } from '../findings/severity-counts.ts';
import {
  type CompiledDenied,
  type CompiledException,
  compilePolicySet,
  type ImageScope,
  selectCompiled,
} from './compiled.ts';
import type { Decision, ImageFacts, ImageUnderTest, Violation, Waived, WaiverRef } from './decision.ts';
import { InvalidInputError } from './errors.ts';
import { imageRules, imageViolation } from './image-rules.ts';
import {
  displayFile,
  type KnownExploitedRule,
  type PolicyDefinition,
  type PolicySet,
  SCAN_FAILURE_STATUSES,
  type ScanFailureStatus,
} from './policy-set.ts';
import {
  compareWaived,
  FindingViolations,
  type IdState,
  severityIndex,
  sortViolations,
} from './violation-order.ts';

/**
 * The policy that governs an image (see the precedence in docs: most specific repository pattern, then tag
 * pattern, then `priority`, then file and name; the default policy when nothing matches).
 * @example selectPolicy(set, { repository: 'payments/api', tags: ['1.4.0'], digest: null }).name // 'payments'
 */
export function selectPolicy(
  policySet: PolicySet,
  image: Pick<ImageUnderTest, 'repository' | 'tags'>,
): PolicyDefinition {
  return selectCompiled(compilePolicySet(policySet), image).definition;
}

function checkNow(now: Date): number {
  const ms = now instanceof Date ? now.getTime() : Number.NaN;
  if (!Number.isFinite(ms)) throw new InvalidInputError('now', null, 'is not a valid date');
  return ms;
}

/** Unknown fix data counts as fixable: a fixable-only rule exempts a finding only on evidence that no fix exists. */
function isFixable(f: Finding): boolean {
  return f.fixAvailable !== 'NO' || f.fixedIn !== null;
}

/** A fix exists (ends `until: fix-available` waivers): only on evidence. */
export function fixExists(f: Finding): boolean {
  return f.fixAvailable === 'YES' || f.fixAvailable === 'PARTIAL' || f.fixedIn !== null;
}

function waiverRef(set: PolicySet, e: CompiledException): WaiverRef {
  const d = e.definition;
  const ref: WaiverRef = {
    id: d.id,
    file: displayFile(set, d.file),
    reason: d.reason,
    owner: d.owner,
    expires: d.expires,
  };
  return d.ticket !== null ? { ...ref, ticket: d.ticket } : ref;
}

function num(n: number): string {
  return String(Math.round(n * 10000) / 10000);
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The first instant after a KEV due date (`YYYY-MM-DD`, inclusive, UTC), or null when there is no readable date.
 * @example kevDueEndsAt('2026-12-01') // Date.parse('2026-12-02T00:00:00Z')
 */
export function kevDueEndsAt(dateDue: string | null): number | null {
  if (dateDue === null || !/^\d{4}-\d{2}-\d{2}$/.test(dateDue)) return null;
  const ms = Date.parse(`${dateDue}T00:00:00Z`);
  return Number.isFinite(ms) ? ms + DAY_MS : null;
}

/** The `rules.knownExploited` violation message for one finding that is not waived, or null when it complies. */
function knownExploitedMessage(rule: KnownExploitedRule, f: Finding, nowMs: number): string | null {
  if (!f.kev) return null;
  const due = f.kev.dateDue;
  const dueText = due === null ? 'no CISA due date' : `CISA due date ${due}`;
  if (rule === 'deny') return `in CISA's Known Exploited Vulnerabilities catalogue (${dueText})`;
  const endsAt = kevDueEndsAt(due);
  // Fail closed: a deadline that cannot be read cannot be waited for.
  if (endsAt === null) {
    return `in CISA's Known Exploited Vulnerabilities catalogue with no readable due date (knownExploited.deadline: dateDue)`;
  }
  return nowMs >= endsAt
    ? `in CISA's Known Exploited Vulnerabilities catalogue: ${dueText} has passed`
    : null;
}

/** Violations of the deny entries that `version` of `pkg` stands against (judged once per package and version). */
function deniedPackage(
  entries: readonly CompiledDenied[],
  pkg: string,
  version: string | null,
  out: Violation[],
): void {
  for (const d of entries) {
    const { verdict, spec } = d.judge(version);
    if (verdict === 'no-match') continue;
    const what = version === null ? `package ${pkg} (version unknown)` : `package ${pkg} ${version}`;
    const rule = d.entry.versions ? `${d.entry.name} ${spec}` : d.entry.name;
    const why =
      verdict === 'unknown'
        ? ' (the version cannot be ordered exactly against the range: denied to be safe)'
        : '';
    const reason = d.entry.reason ? `: ${d.entry.reason}` : '';
    out.push({
      rule: 'deniedPackages',
      findingId: null,
      severity: null,
      package: pkg,
      message: `${what} is denied by "${rule}"${why}${reason}`,
    });
  }
}

/** Position of a severity in {@link SEVERITIES} (gravest first); -1 for a value that is none of them. */
interface PackageState {
  readonly entries: readonly CompiledDenied[];
  readonly versions: Set<string | null>;
}

const NOT_DENIED: PackageState = { entries: [], versions: new Set() };

/** An image scope within one evaluation: not yet looked at, covers the image, or does not. */
const UNSEEN = 0;
const COVERS = 1;
const DOES_NOT_COVER = 2;

function coversImage(scope: ImageScope, image: ImageUnderTest): boolean {
  if (scope.digest !== null && scope.digest !== image.digest) return false;
  if (scope.repositories && !scope.repositories.some((m) => m(image.repository))) return false;
  if (scope.tags && !scope.tags.some((m) => image.tags.some((t) => m(t)))) return false;
  return true;
}

/** The summary from the gravest severity per id: as `severityCounts` gives it (the six ECR severities always). */
function summaryOf(ids: ReadonlyMap<string, IdState>): Record<string, number> {
  const tally = new Array<number>(SEVERITIES.length).fill(0);
  for (const state of ids.values()) {
    if (state.gravest >= 0) tally[state.gravest] = (tally[state.gravest] as number) + 1;
  }
  return summaryOfCounts((_severity, i) => tally[i] as number);
}

/**
 * Decides one image from its findings. Every violated rule is listed (sorted: severity, finding id, package,
 * rule, message); every finding an active exception covers is listed in `waived` with that exception and is
 * not counted by the vulnerability rules (denied packages still apply). In `audit` mode the verdict is
 * `approved` and the violations are still recorded. `summary` counts all findings, waived ones included.
 * @example evaluate(findings, { repository: 'demo', tags: ['1.0.0'], digest: null }, null, set, new Date()).verdict
 */
export function evaluate(
  findings: readonly Finding[],
  image: ImageUnderTest,
  facts: ImageFacts | null,
  policySet: PolicySet,
  now: Date,
): Decision {
  const nowMs = checkNow(now);
  const compiled = compilePolicySet(policySet);
  const policy = selectCompiled(compiled, image);
  const rules = policy.definition.rules;
  // Vulnerability-rule violations (severity set) sort before the others (denied packages, image rules).
  const violations = new FindingViolations();
  const others: Violation[] = [];
  const waived = new Map<string, Waived>();
  // One pass over the findings, one map lookup per finding for its id and (with deny entries) one for its
  // package. Exceptions are reached through the set's index by finding id; each distinct image scope is checked
  // at most once per evaluation, and only when a finding names an exception that has it.
  const ids = new Map<string, IdState>();
  const scopeState = new Uint8Array(compiled.scopes.length);
  const packages = new Map<string, PackageState>();
  const checkDenied = policy.denied.length > 0;
  const limits = SEVERITIES.map((severity) => rules.maxSeverity[severity]);
  const limitCounts = new Array<number>(SEVERITIES.length).fill(0);
  const limitFindings: Finding[][] = SEVERITIES.map(() => []);
  const limitOwners: IdState[][] = SEVERITIES.map(() => []);
  const { score, exploitAvailable: exploit, epss } = rules;

  for (const f of findings) {
    const rank = severityIndex(f.severity);
    let state = ids.get(f.id);
    if (state === undefined) {
      state = {
        id: f.id,
        gravest: rank,
        candidates: compiled.exceptionsByFinding.get(f.id),
        counted: 0,
        ordinal: -1,
      };
      ids.set(f.id, state);
    } else if (rank < state.gravest) {
      state.gravest = rank;
    }

    if (checkDenied && f.package !== null) {
      let byName = packages.get(f.package);
      if (byName === undefined) {
        const entries = policy.deniedFor(f.package);
        byName = entries.length > 0 ? { entries, versions: new Set() } : NOT_DENIED;
        packages.set(f.package, byName);
      }
      if (byName !== NOT_DENIED && !byName.versions.has(f.version)) {
        byName.versions.add(f.version);
        deniedPackage(byName.entries, f.package, f.version, others);
      }
    }

    if (state.candidates !== undefined) {
      let e: CompiledException | undefined;
      for (const c of state.candidates) {
        if (nowMs >= c.endsAt) continue;
        let covers = scopeState[c.scope.index];
        if (covers === UNSEEN) {
          covers = coversImage(c.scope, image) ? COVERS : DOES_NOT_COVER;
          scopeState[c.scope.index] = covers;
        }
        if (covers !== COVERS) continue;
        if (c.packages !== null && (f.package === null || !c.packages.some((m) => m(f.package as string)))) {
          continue;
        }
        if (c.definition.until === 'fix-available' && fixExists(f)) continue;
        e = c;
        break;
      }
      if (e) {
        const key = `${f.id}\u0000${f.package ?? ''}\u0000${e.definition.id}`;
        if (!waived.has(key)) {
          waived.set(key, { findingId: f.id, package: f.package, exception: waiverRef(policySet, e) });
        }
        continue;
      }
    }

    const kev = rules.knownExploited ? knownExploitedMessage(rules.knownExploited, f, nowMs) : null;
    if (kev !== null) violations.add(state, 'knownExploited', f, kev);
    const fixable = isFixable(f);
    const limit = rank >= 0 ? limits[rank] : undefined;
    if (limit && (!limit.fixableOnly || fixable)) {
      const bit = 1 << rank;
      if ((state.counted & bit) === 0) {
        state.counted |= bit;
        limitCounts[rank] = (limitCounts[rank] as number) + 1;
      }
      (limitFindings[rank] as Finding[]).push(f);
      (limitOwners[rank] as IdState[]).push(state);
    }
    if (score && (!score.fixableOnly || fixable)) {
      if (f.score !== null) {
        if (f.score >= score.atLeast)
          violations.add(state, 'score', f, `score ${num(f.score)} >= ${num(score.atLeast)}`);
      } else if (score.whenUnknown === 'violate') {
        violations.add(state, 'score', f, 'no score is known (score.whenUnknown: violate)');
      }
    }
    if (exploit?.deny && (!exploit.fixableOnly || fixable)) {
      if (f.exploitAvailable === true)
        violations.add(state, 'exploitAvailable', f, 'a public exploit is known');
      else if (f.exploitAvailable === null && exploit.whenUnknown === 'violate') {
        violations.add(
          state,
          'exploitAvailable',
          f,
          'exploit status unknown (exploitAvailable.whenUnknown: violate)',
        );
      }
    }
    if (epss && (!epss.fixableOnly || fixable)) {
      if (f.epss !== null) {
        if (f.epss >= epss.atLeast)
          violations.add(state, 'epss', f, `EPSS ${num(f.epss)} >= ${num(epss.atLeast)}`);
      } else if (epss.whenUnknown === 'violate') {
        violations.add(state, 'epss', f, 'no EPSS score is known (epss.whenUnknown: violate)');
      }
    }
  }

  SEVERITIES.forEach((severity, rank) => {
    const limit = limits[rank];
    const count = limitCounts[rank] as number;
    if (!limit || count <= limit.max) return;
    const kind = limit.fixableOnly ? `${severity} vulnerabilities with a fix` : `${severity} vulnerabilities`;
    const message = `${count} ${kind}; at most ${limit.max} allowed`;
    const owners = limitOwners[rank] as IdState[];
    (limitFindings[rank] as Finding[]).forEach((f, i) => {
      violations.add(owners[i] as IdState, `maxSeverity.${severity}`, f, message);
    });
  });

  imageRules(policy, image, facts, others);
  const enforce = policy.definition.mode === 'enforce';
  return {
    verdict: enforce && violations.length + others.length > 0 ? 'quarantined' : 'approved',
    image: copyImage(image),
    policy: policyRef(policySet, policy.definition),
    summary: summaryOf(ids),
    // Every vulnerability-rule violation has a severity; the others have none and sort after them.
    violations: [...violations.sorted(ids), ...sortViolations(others)],
    waived: [...waived.values()].sort(compareWaived),
  };
}

function copyImage(image: ImageUnderTest): ImageUnderTest {
  return { repository: image.repository, tags: [...image.tags], digest: image.digest };
}

function policyRef(set: PolicySet, p: PolicyDefinition): Decision['policy'] {
  return { name: p.name, file: displayFile(set, p.file), version: set.version, mode: p.mode };
}

/**
 * Decides an image whose scan produced no findings to judge (DESIGN.md fail-closed table): FAILED,
 * UNSUPPORTED_IMAGE, FINDINGS_UNAVAILABLE, SCAN_ELIGIBILITY_EXPIRED and IMAGE_ARCHIVED quarantine unless the
 * selected policy opts in (`onScanFailure.<STATUS>: approve`). `audit` mode does not approve them: it relaxes
 * verdicts on findings, and here there are none. Any other status is not a policy outcome and always quarantines.
 * @example decideWithoutFindings('UNSUPPORTED_IMAGE', 'The operating system is not supported', image, set, now).verdict
 */
export function decideWithoutFindings(
  scanStatus: string,
  description: string | null,
  image: ImageUnderTest,
  policySet: PolicySet,
  now: Date,
): Decision {
  checkNow(now);
  const policy = selectCompiled(compilePolicySet(policySet), image).definition;
  const detail = description ? `: ${description}` : '';
  const base = {
    image: copyImage(image),
    policy: policyRef(policySet, policy),
    summary: severityCounts([]),
    waived: [] as Waived[],
  };
  const known = (SCAN_FAILURE_STATUSES as readonly string[]).includes(scanStatus);
  if (!known) {
    const message = `scan status ${JSON.stringify(scanStatus)} is not a known outcome without findings${detail}`;
    return {
      ...base,
      verdict: 'quarantined',
      violations: [imageViolation('scan.status', message)],
      reason: message,
    };
  }
  const status = scanStatus as ScanFailureStatus;
  const outcome = policy.onScanFailure[status];
  if (outcome === 'approve') {
    return {
      ...base,
      verdict: 'approved',
      violations: [],
      reason: `scan ${status}${detail}; approved because onScanFailure.${status} is approve`,
    };
  }
  const message = `no findings to judge: scan ${status}${detail}`;
  // Audit mode relaxes verdicts on findings, never on their absence: an unscanned image is not approved
  // unless the policy opts in explicitly (DESIGN.md fail-closed table).
  return {
    ...base,
    verdict: 'quarantined',
    violations: [imageViolation(`scan.${status}`, message)],
    reason:
      policy.mode === 'audit'
        ? `${message}; quarantined even in audit mode (opt in with onScanFailure.${status}: approve)`
        : message,
  };
}
