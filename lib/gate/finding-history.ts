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

interface Coverage {
  /** Whether any policy's deadlines could cover the finding. */
  readonly covers: (f: Finding) => boolean;
  /** Whether any policy counts from `fixAvailable` (otherwise first-fixable dates are never read: not kept). */
  readonly fixable: boolean;
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
  };
}

function scannerDate(f: Finding, nowMs: number): number | null {
  const value = f.firstObservedAt;
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T/.test(value)) return null;
  const ms = Date.parse(value);
  return Number.isFinite(ms) && ms <= nowMs ? ms : null;
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
  return coverage.fixable ? { firstSeen, firstFixable } : { firstSeen };
}

/** Same keys and dates (key order aside). */
export function sameFindingHistory(
  a: FindingHistory | null | undefined,
  b: FindingHistory | null | undefined,
): boolean {
  return sameMap(a?.firstSeen, b?.firstSeen) && sameMap(a?.firstFixable, b?.firstFixable);
}

function sameMap(
  a: Readonly<Record<string, string>> = {},
  b: Readonly<Record<string, string>> = {},
): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => Object.hasOwn(b, k) && a[k] === b[k]);
}
