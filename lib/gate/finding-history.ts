/**
 * The finding history the gate keeps per digest for fix deadlines (lib/policy/deadlines.ts, docs/gate.md
 * "Fix deadlines"): when each finding was first seen on the image and when a fix for it was first known, keyed
 * by `findingKey`. Merged from the ledger record and the findings just read, before the image is judged, and
 * written with the decision (or, when the decision is unchanged, with the evaluation's other marks).
 *
 * Merge: a recorded date is kept while its finding stays; a finding new to the image gets the scanner's
 * `firstObservedAt` (when it is a valid date not in the future) or `now`; a fix first seen now gets `now`;
 * keys of findings no longer present are dropped (a finding that disappears and comes back restarts its clock).
 *
 * Bound: only findings some policy's `deadlines` could cover are kept (their severity has a deadline, or they
 * are in CISA's KEV catalogue and a policy sets `deadlines.knownExploited`), and at most
 * {@link MAX_HISTORY_KEYS} of them, keys already recorded first, then new ones most severe first; first-fixable
 * dates only when some policy counts `from: fixAvailable` (when they start being kept, a finding already fixable
 * counts from its first-seen date: never later than the real date). A finding beyond the bound has no recorded date: it gets grace only from the scanner's own `firstObservedAt`, and
 * none without it (fail closed: the image is quarantined). No policy with deadlines: no history at all.
 *
 * Use (only when some policy sets `deadlines.inUse`): `lastUsedAt`, the latest ECR pull (`lastRecordedPullTime`
 * from the DescribeImages the gate reads anyway) counted as use. ECR records the gate's own manifest read
 * (BatchGetImage) as a pull too, so a pull counts only when it is more than {@link OWN_READ_MARGIN_MS} after the
 * gate's last recorded read of the digest (the ledger's `lastEvaluatedAt`), never without one, never in the
 * future; the latest counted pull is kept, as the gate's next read hides it from ECR. The image is in use while
 * `lastUsedAt` is within {@link IN_USE_WINDOW_DAYS} (the hygiene baseline's default window). Inspector's in-use
 * data is not read by the gate.
 */
import type { Finding } from '../findings/finding.ts';
import { severityRank } from '../findings/finding.ts';
import { fixExists } from '../policy/evaluate.ts';
import type { PolicySet } from '../policy/policy-set.ts';
import { type FindingHistory, findingKey } from '../policy/runtime.ts';

/**
 * At most this many findings per digest get dates: one entry is about 60 to 120 bytes of the record's JSON (key,
 * ISO date), so even both maps full keep the ledger item far below DynamoDB's 400 KB beside the rest of the record.
 */
export const MAX_HISTORY_KEYS = 500;

/** A pull within this many days makes the image in use for `deadlines.inUse`. */
export const IN_USE_WINDOW_DAYS = 30;

/**
 * A pull this close after the gate's recorded read may be that read itself (the manifest is read after the
 * evaluation's clock starts, within one Lambda invocation, 15 minutes at most): not counted as use.
 */
export const OWN_READ_MARGIN_MS = 15 * 60 * 1000;

const DAY_MS = 24 * 60 * 60 * 1000;

/** What the gate saw of the image's pulls at this evaluation. */
export interface PullObservation {
  /** ECR `lastRecordedPullTime` from DescribeImages (ISO-8601), null when never pulled or unknown. */
  readonly lastPulledAt: string | null;
  /** The gate's last recorded read of the digest (the ledger's `lastEvaluatedAt`), null when none. */
  readonly lastReadAt: string | null;
}

interface Coverage {
  /** Whether any policy's deadlines could cover the finding. */
  readonly covers: (f: Finding) => boolean;
  /** Whether any policy counts from `fixAvailable` (otherwise first-fixable dates are never read: not kept). */
  readonly fixable: boolean;
  /** Whether any policy extends deadlines for an image in use (otherwise use is never read: not kept). */
  readonly inUse: boolean;
}

/** What the policy set's deadlines read; null when no policy of the set has deadlines. */
export function deadlineCoverage(set: PolicySet): Coverage | null {
  const deadlines = set.policies.flatMap((p) => (p.deadlines ? [p.deadlines] : []));
  if (deadlines.length === 0) return null;
  return {
    covers: (f) =>
      deadlines.some(
        (d) => d[f.severity] !== undefined || (f.kev !== undefined && d.knownExploited !== undefined),
      ),
    fixable: deadlines.some((d) => d.from === 'fixAvailable'),
    inUse: deadlines.some((d) => d.inUse !== undefined),
  };
}

function scannerDate(f: Finding, nowMs: number): number | null {
  const value = f.firstObservedAt;
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T/.test(value)) return null;
  const ms = Date.parse(value);
  return Number.isFinite(ms) && ms <= nowMs ? ms : null;
}

function isoMs(value: string | null | undefined): number | null {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T/.test(value)) return null;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : null;
}

/** The pull to count as use (ms), or null: none, the gate's own read, no recorded read, or in the future. */
export function countedPull(pull: PullObservation, nowMs: number): number | null {
  const pulled = isoMs(pull.lastPulledAt);
  const read = isoMs(pull.lastReadAt);
  if (pulled === null || read === null || pulled > nowMs) return null;
  return pulled > read + OWN_READ_MARGIN_MS ? pulled : null;
}

/** Whether the image is in use at `now` by the recorded use (false when use is not kept). */
export function inUseAt(history: FindingHistory | null | undefined, now: Date): boolean {
  const used = isoMs(history?.lastUsedAt);
  return used !== null && used <= now.getTime() && now.getTime() - used <= IN_USE_WINDOW_DAYS * DAY_MS;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The history to judge with and record: `previous` merged with `findings` (see the module comment). Returns
 * null when no policy has deadlines or no finding is covered.
 */
export function mergeFindingHistory(
  set: PolicySet,
  previous: FindingHistory | null | undefined,
  findings: readonly Finding[],
  now: Date,
  pull: PullObservation | null = null,
): FindingHistory | null {
  const coverage = deadlineCoverage(set);
  if (coverage === null) return null;
  const nowMs = now.getTime();
  const nowIso = now.toISOString();
  // Per key: the strictest facts over the findings sharing it (one package at two versions).
  const present = new Map<string, { rank: number; seenMs: number | null; fixable: boolean }>();
  for (const f of findings) {
    if (!coverage.covers(f)) continue;
    const key = findingKey(f);
    const seen = scannerDate(f, nowMs);
    const entry = present.get(key);
    if (!entry) {
      present.set(key, { rank: severityRank(f.severity), seenMs: seen, fixable: fixExists(f) });
      continue;
    }
    entry.rank = Math.min(entry.rank, severityRank(f.severity));
    if (seen !== null && (entry.seenMs === null || seen < entry.seenMs)) entry.seenMs = seen;
    entry.fixable ||= fixExists(f);
  }
  if (present.size === 0) return null;
  const oldSeen = previous?.firstSeen ?? {};
  const oldFixable = previous?.firstFixable ?? {};
  // First-fixable dates were not kept before (no policy counted from fixAvailable, or a first evaluation).
  const trackedFixable = previous?.firstFixable !== undefined;
  const known = (key: string) => Object.hasOwn(oldSeen, key) || Object.hasOwn(oldFixable, key);
  const keys = [...present.keys()].sort((a, b) => {
    const ka = known(a);
    const kb = known(b);
    if (ka !== kb) return ka ? -1 : 1;
    return (present.get(a)?.rank ?? 0) - (present.get(b)?.rank ?? 0) || compareText(a, b);
  });
  const firstSeen: Record<string, string> = {};
  const firstFixable: Record<string, string> = {};
  for (const key of keys.slice(0, MAX_HISTORY_KEYS).sort(compareText)) {
    const entry = present.get(key);
    if (!entry) continue;
    firstSeen[key] = Object.hasOwn(oldSeen, key)
      ? (oldSeen[key] as string)
      : entry.seenMs === null
        ? nowIso
        : new Date(entry.seenMs).toISOString();
    if (!coverage.fixable) continue;
    if (Object.hasOwn(oldFixable, key)) firstFixable[key] = oldFixable[key] as string;
    else if (entry.fixable) firstFixable[key] = trackedFixable ? nowIso : firstSeen[key];
  }
  const history: FindingHistory = coverage.fixable ? { firstSeen, firstFixable } : { firstSeen };
  if (!coverage.inUse) return history;
  const kept = isoMs(previous?.lastUsedAt);
  const counted = pull === null ? null : countedPull(pull, nowMs);
  const latest = kept === null ? counted : counted === null ? kept : Math.max(kept, counted);
  return { ...history, lastUsedAt: latest === null ? null : new Date(latest).toISOString() };
}

/** Same keys and dates (key order aside). */
export function sameFindingHistory(
  a: FindingHistory | null | undefined,
  b: FindingHistory | null | undefined,
): boolean {
  return (
    sameMap(a?.firstSeen, b?.firstSeen) &&
    sameMap(a?.firstFixable, b?.firstFixable) &&
    a?.lastUsedAt === b?.lastUsedAt
  );
}

function sameMap(
  a: Readonly<Record<string, string>> = {},
  b: Readonly<Record<string, string>> = {},
): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => Object.hasOwn(b, k) && a[k] === b[k]);
}
