import type { Finding, Severity } from './finding.ts';
import { SEVERITIES, severityRank } from './finding.ts';

/** The severities every summary shows, even at zero (ECR's FindingSeverity enum). */
export const SUMMARY_SEVERITIES = [
  'CRITICAL',
  'HIGH',
  'MEDIUM',
  'LOW',
  'INFORMATIONAL',
  'UNDEFINED',
] as const;

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
  const counts: Record<string, number> = {};
  for (const severity of SEVERITIES) {
    const n = tally.get(severity) ?? 0;
    if (n > 0 || (SUMMARY_SEVERITIES as readonly string[]).includes(severity)) counts[severity] = n;
  }
  return counts;
}
