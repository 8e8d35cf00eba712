import type { Finding, Severity } from './finding.ts';
import { SEVERITIES, SUMMARY_SEVERITIES, severityRank } from './finding.ts';

/**
 * Distinct vulnerability ids per severity. An id reported in several packages counts once, at the gravest
 * severity it was reported with, so the counts add up to the number of distinct ids. The six ECR
 * severities are always present (in gravity order); UNTRIAGED only when some finding has it.
 * @example severityCounts([{ id: 'CVE-1', severity: 'HIGH', … }]) // { CRITICAL: 0, HIGH: 1, MEDIUM: 0, … }
 */
export function severityCounts(findings: readonly Finding[]): Record<string, number> {
  const gravest = new Map<string, Severity>();
  for (const f of findings) {
    const seen = gravest.get(f.id);
    if (seen === undefined || severityRank(f.severity) < severityRank(seen)) gravest.set(f.id, f.severity);
  }
  const tally = new Map<Severity, number>();
  for (const severity of gravest.values()) tally.set(severity, (tally.get(severity) ?? 0) + 1);
  return summaryOfCounts((severity) => tally.get(severity) ?? 0);
}

/**
 * The summary record of per-severity counts, in gravity order: the six ECR severities always, UNTRIAGED only
 * when its count is not zero. `count` is asked once per severity, with its index in {@link SEVERITIES}.
 * @example summaryOfCounts((s) => (s === 'HIGH' ? 2 : 0)) // { CRITICAL: 0, HIGH: 2, MEDIUM: 0, LOW: 0, INFORMATIONAL: 0, UNDEFINED: 0 }
 */
export function summaryOfCounts(
  count: (severity: Severity, index: number) => number,
): Record<string, number> {
  const counts: Record<string, number> = {};
  SEVERITIES.forEach((severity, index) => {
    const n = count(severity, index);
    if (n > 0 || (SUMMARY_SEVERITIES as readonly string[]).includes(severity)) counts[severity] = n;
  });
  return counts;
}
