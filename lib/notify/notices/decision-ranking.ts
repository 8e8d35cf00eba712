/**
 * How a decision's violations and waivers are ordered in alerts: most severe first, then highest score.
 */
import { type Finding, SEVERITIES, type Severity, severityRank } from '../../findings/finding.ts';
import type { Violation, Waived } from '../../policy/decision.ts';
import { oneLine } from '../text.ts';
import type { WaiverCandidate } from '../waiver-snippet.ts';

export interface RankedViolation {
  readonly violation: Violation;
  readonly score: number | null;
  readonly url: string | null;
  readonly version: string | null;
  readonly fixedIn: string | null;
  readonly fixAvailable: boolean | null;
}

export function findingKey(id: string, pkg: string | null): string {
  return `${id}\u0000${pkg ?? ''}`;
}

/** Violations sorted by severity, then score (highest first), then finding id, package and rule. */
export function rankViolations(
  violations: readonly Violation[],
  findings: readonly Finding[],
): RankedViolation[] {
  const byKey = new Map<string, Finding>();
  const byId = new Map<string, Finding>();
  const better = (current: Finding | undefined, next: Finding) =>
    current === undefined || (next.score ?? -1) > (current.score ?? -1);
  for (const finding of findings) {
    const key = findingKey(finding.id, finding.package);
    if (better(byKey.get(key), finding)) byKey.set(key, finding);
    if (better(byId.get(finding.id), finding)) byId.set(finding.id, finding);
  }
  const ranked = violations.map((violation): RankedViolation => {
    const finding =
      violation.findingId === null
        ? undefined
        : (byKey.get(findingKey(violation.findingId, violation.package)) ?? byId.get(violation.findingId));
    return {
      violation,
      score: finding?.score ?? null,
      url: finding?.url ?? null,
      version: finding?.version ?? null,
      fixedIn: finding?.fixedIn ?? null,
      fixAvailable: finding?.fixAvailable == null ? null : finding.fixAvailable !== 'NO',
    };
  });
  const rank = (severity: Severity | null) =>
    severity === null ? SEVERITIES.length : severityRank(severity);
  return ranked.sort(
    (a, b) =>
      rank(a.violation.severity) - rank(b.violation.severity) ||
      (b.score ?? -1) - (a.score ?? -1) ||
      compare(a.violation.findingId ?? '', b.violation.findingId ?? '') ||
      compare(a.violation.package ?? '', b.violation.package ?? '') ||
      compare(a.violation.rule, b.violation.rule) ||
      compare(a.violation.message, b.violation.message),
  );
}

export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function sortWaived(waived: readonly Waived[]): Waived[] {
  return [...waived].sort(
    (a, b) =>
      compare(a.exception.expires, b.exception.expires) ||
      compare(a.findingId, b.findingId) ||
      compare(a.package ?? '', b.package ?? '') ||
      compare(a.exception.id, b.exception.id),
  );
}

export function ruleCounts(violations: readonly Violation[]): [string, number, Violation][] {
  const counts = new Map<string, [number, Violation]>();
  for (const violation of violations) {
    const entry = counts.get(violation.rule);
    if (entry) entry[0] += 1;
    else counts.set(violation.rule, [1, violation]);
  }
  return [...counts.entries()]
    .map(([rule, [count, sample]]): [string, number, Violation] => [rule, count, sample])
    .sort((a, b) => b[1] - a[1] || compare(a[0], b[0]));
}

export function waiverCandidates(entries: readonly RankedViolation[]): WaiverCandidate[] {
  return entries
    .filter((entry) => entry.violation.findingId !== null)
    .map((entry) => ({
      findingId: oneLine(entry.violation.findingId ?? '', 200),
      package: entry.violation.package === null ? null : oneLine(entry.violation.package, 200),
      fixAvailable: entry.fixAvailable,
    }));
}

export function highestViolationSeverity(violations: readonly Violation[]): Severity | 'NONE' {
  let best: Severity | 'NONE' = 'NONE';
  for (const violation of violations) {
    if (
      violation.severity !== null &&
      (best === 'NONE' || severityRank(violation.severity) < severityRank(best))
    ) {
      best = violation.severity;
    }
  }
  return best;
}
