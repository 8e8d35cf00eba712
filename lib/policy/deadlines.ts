/**
 * Fix deadlines (docs/policies.md, "Fix deadlines"): how long an image that was approved before may keep its
 * approval while it has violations. Pure: the verdict is a function of the decision, the findings, the policy's
 * `deadlines`, `now` and a {@link Timeline} the caller keeps.
 *
 * What the gate and the ledger provide (and how): per image digest, the first time each finding was seen on it
 * and the first time a fix was known for it, keyed by {@link findingKey}; whether the image is in use; whether it
 * carried an approval before this judgement. Record first-seen dates before judging (a finding without one, and
 * without the scanner's `firstObservedAt`, gets no grace); keep them while the finding stays (a finding that
 * disappears and comes back may restart its clock). Re-judge at the earliest `deadline` of the result
 * (`Decision.atRisk.deadline`) without waiting for an event: once it has passed the verdict is quarantined.
 * Escalating alerts read `atRisk.deadline` and `now`.
 */
import type { Finding } from '../findings/finding.ts';
import { parseDeadlineDays } from './check.ts';
import type { Decision, Violation } from './decision.ts';
import { InvalidInputError } from './errors.ts';
import { fixExists, kevDueEndsAt } from './evaluate.ts';
import type { DeadlinePolicy, PolicyDefinition } from './policy-set.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

/** First-seen dates per finding of one image, keyed by {@link findingKey}; ISO-8601 date-times. */
export interface FindingHistory {
  /** When the gate first saw the finding on the image. */
  readonly firstSeen?: Readonly<Record<string, string>>;
  /** When a fix for the finding was first known (the finding first came with a fix). */
  readonly firstFixable?: Readonly<Record<string, string>>;
  /**
   * The gate's own record of use, kept only when some policy sets `deadlines.inUse`: the latest ECR pull of the
   * image it counted as use (not one of its own reads), null when none. Not read by {@link applyDeadlines}: the
   * caller turns it into {@link Timeline.inUse}.
   */
  readonly lastUsedAt?: string | null;
}

/** What the gate knows about an image over time; every field optional (absent: no grace, no extension). */
export interface Timeline {
  readonly history?: FindingHistory;
  /** The image is in use (Inspector in-use data, a recent pull); extends deadlines only with `deadlines.inUse`. */
  readonly inUse?: boolean;
  /** The image carried an approval before this judgement; only such an image gets grace. */
  readonly previouslyApproved?: boolean;
}

/**
 * The key of a finding in {@link FindingHistory}: vulnerability id and package (NUL-separated, package empty when
 * unknown). Two findings of one vulnerability in two packages are tracked apart; a new version of the same
 * package keeps the key, so upgrading to a still-vulnerable version does not restart the clock.
 * @example findingKey({ id: 'CVE-2024-1', package: 'openssl', … }) // 'CVE-2024-1\u0000openssl'
 */
export function findingKey(finding: Pick<Finding, 'id' | 'package'>): string {
  return `${finding.id}\u0000${finding.package ?? ''}`;
}

/** True when a timeline was given at all: without one, judgements are exactly as without deadlines. */
export function hasTimeline(t: Timeline): boolean {
  return t.history !== undefined || t.inUse !== undefined || t.previouslyApproved !== undefined;
}

function instant(value: string | null | undefined, field: string): number | null {
  if (value === undefined || value === null) return null;
  const ms = typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value) ? Date.parse(value) : Number.NaN;
  if (!Number.isFinite(ms)) throw new InvalidInputError('history', field, 'must be an ISO-8601 date-time');
  return ms;
}

/** A covered violation's deadline: ms, or 'pending' when the clock has not started. */
type Due = number | 'pending';

function graceFor(d: DeadlinePolicy, v: Violation): string | undefined {
  if (v.rule === 'knownExploited' && d.knownExploited !== undefined) return d.knownExploited;
  return v.severity === null ? undefined : d[v.severity];
}

/**
 * The deadline of one violation for one finding, or null when the deadlines do not cover it (no grace).
 * `dateDue` reads the finding's CISA due date; a duration counts from the anchor `from` names.
 */
function dueFor(
  d: DeadlinePolicy,
  v: Violation,
  f: Finding,
  timeline: Timeline,
  extraMs: number,
): Due | null {
  const grace = graceFor(d, v);
  if (grace === undefined) return null;
  if (grace === 'dateDue') {
    const endsAt = kevDueEndsAt(f.kev?.dateDue ?? null);
    return endsAt === null ? null : endsAt + extraMs;
  }
  const days = parseDeadlineDays(grace);
  // The set was checked when loaded; a duration that no longer parses is a corrupted set.
  if (days === null) throw new TypeError(`deadline "${grace}" is not a duration`);
  const key = findingKey(f);
  const seen =
    instant(timeline.history?.firstSeen?.[key], `firstSeen[${JSON.stringify(key)}]`) ??
    instant(f.firstObservedAt, `firstObservedAt of ${f.id}`);
  let anchor = seen;
  if (d.from === 'fixAvailable') {
    const fixable = instant(timeline.history?.firstFixable?.[key], `firstFixable[${JSON.stringify(key)}]`);
    // A fix known now without a recorded date: count from first seen (never later than the real date).
    anchor = fixable ?? (fixExists(f) ? seen : null);
    if (anchor === null && !fixExists(f)) return 'pending';
  }
  return anchor === null ? null : anchor + days * DAY_MS + extraMs;
}

function strictestOf(a: Due | null, b: Due | null): Due | null {
  // Several findings share a key (one package at two versions): the strictest wins.
  if (a === null || b === null) return null;
  if (a === 'pending') return b;
  if (b === 'pending') return a;
  return Math.min(a, b);
}

/**
 * Applies a policy's fix deadlines to a decision made from findings. Without deadlines in the policy the decision
 * is returned unchanged. Otherwise each violation a deadline covers gets `deadline` and `deadlineExpired`; in
 * enforce mode, an image with `previouslyApproved` whose violations are all covered and unexpired is approved and
 * marked `atRisk` with the earliest deadline; any other image with violations is quarantined (never-approved
 * images get no grace). Audit mode keeps its verdict.
 * @example applyDeadlines(decision, policy, findings, { previouslyApproved: true, history }, now).atRisk?.deadline
 */
export function applyDeadlines(
  decision: Decision,
  policy: PolicyDefinition,
  findings: readonly Finding[],
  timeline: Timeline,
  now: Date,
): Decision {
  const d = policy.deadlines;
  if (d === undefined || decision.violations.length === 0) return decision;
  const nowMs = now.getTime();
  const extraMs = timeline.inUse === true && d.inUse ? d.inUse.extraDays * DAY_MS : 0;
  const byKey = new Map<string, Finding[]>();
  for (const f of findings) {
    const key = findingKey(f);
    const list = byKey.get(key);
    if (list) list.push(f);
    else byKey.set(key, [f]);
  }
  let covered = 0;
  let earliest: number | null = null;
  let anyExpired = false;
  const violations = decision.violations.map((v) => {
    if (v.findingId === null) return v;
    const matching = byKey.get(findingKey({ id: v.findingId, package: v.package })) ?? [];
    let due: Due | null = matching.length === 0 ? null : 'pending';
    for (const f of matching) due = strictestOf(due, dueFor(d, v, f, timeline, extraMs));
    if (due === null) return v;
    covered += 1;
    if (due === 'pending') return { ...v, deadline: null, deadlineExpired: false };
    const expired = nowMs >= due;
    if (expired) anyExpired = true;
    if (earliest === null || due < earliest) earliest = due;
    return { ...v, deadline: new Date(due).toISOString(), deadlineExpired: expired };
  });
  const enforce = decision.policy.mode === 'enforce';
  const graced =
    enforce && timeline.previouslyApproved === true && covered === violations.length && !anyExpired;
  const { atRisk: _previous, ...rest } = decision;
  const verdict = enforce ? (graced ? 'approved' : 'quarantined') : decision.verdict;
  const out: Decision = { ...rest, verdict, violations };
  if (!graced) return out;
  const deadline = earliest === null ? null : new Date(earliest).toISOString();
  return { ...out, atRisk: { deadline, violations: violations.length } };
}
