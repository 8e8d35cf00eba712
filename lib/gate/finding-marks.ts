/**
 * What an evaluation saw, finding by finding, so an Inspector2 Finding event is skipped only when the last
 * evaluation demonstrably saw its finding in the state the event announces. A mark is
 * `<10 hex of sha256(finding ARN)>@<epoch seconds of the finding's updatedAt>`.
 *
 * Only findings that carry an ARN can be matched with events (ECR enhanced scanning and Amazon Inspector). When
 * any finding lacks one, or there are more than MAX_FINDING_MARKS, the evaluation is recorded as unmatched
 * (null): every finding event about the image is then evaluated, never skipped.
 */
import { createHash } from 'node:crypto';
import type { Finding } from '../findings/finding.ts';

/** Marks kept per image (about 24 KB in the ledger record at most). */
export const MAX_FINDING_MARKS = 1000;

function arnHash(arn: string): string {
  return createHash('sha256').update(arn, 'utf8').digest('hex').slice(0, 10);
}

function epochSeconds(iso: string | null | undefined): number | null {
  if (!iso) return null;
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : null;
}

/**
 * The marks of the findings an evaluation read, sorted; null when they cannot be matched with events.
 * @example findingMarks([{ ...finding, arn: 'arn:aws:inspector2:…:finding/abc', updatedAt: '2026-01-01T00:00:00Z' }])
 */
export function findingMarks(findings: readonly Finding[]): string[] | null {
  const marks = new Set<string>();
  for (const finding of findings) {
    const at = epochSeconds(finding.updatedAt);
    if (!finding.arn || at === null) return null;
    marks.add(`${arnHash(finding.arn)}@${at}`);
    if (marks.size > MAX_FINDING_MARKS) return null;
  }
  return [...marks].sort();
}

/** The finding an Inspector2 Finding event is about, as the event states it. */
export interface AnnouncedFinding {
  readonly findingArn: string;
  /** ACTIVE, SUPPRESSED or CLOSED; null when the event does not say. */
  readonly status: string | null;
  readonly updatedAt: string | null;
}

/**
 * True when an evaluation that recorded `seen` demonstrably accounted for the finding in that state:
 * - ACTIVE: it read that finding with the same or a later update;
 * - CLOSED / SUPPRESSED: it did not count the finding at all (a verdict without it is unaffected by its closing).
 * Anything unknown (no marks, no update time, another status) is false: evaluate.
 */
export function sawFinding(seen: readonly string[] | null | undefined, finding: AnnouncedFinding): boolean {
  if (!seen) return false;
  const prefix = `${arnHash(finding.findingArn)}@`;
  const seenAt = seen.filter((m) => m.startsWith(prefix)).map((m) => Number(m.slice(prefix.length)));
  if (finding.status === 'CLOSED' || finding.status === 'SUPPRESSED') return seenAt.length === 0;
  if (finding.status !== 'ACTIVE' && finding.status !== null) return false;
  const at = epochSeconds(finding.updatedAt);
  return at !== null && seenAt.some((s) => s >= at);
}

/** True when the finding of an ACTIVE event is among the findings read (by ARN, whatever its update time). */
export function findingVisible(findings: readonly Finding[], findingArn: string): boolean {
  return findings.some((f) => f.arn === findingArn);
}
