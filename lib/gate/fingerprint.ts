/**
 * Findings digest: sha256 of the canonical findings list. Two reads of the same findings (any page order, any
 * duplicate rows from overlapping pages or several children of a multi-arch index) give the same digest, so a
 * re-evaluation whose digest and policy version equal the recorded ones is known to change nothing.
 */
import { createHash } from 'node:crypto';
import type { Finding } from '../findings/finding.ts';

const FIELDS = [
  'id',
  'severity',
  'score',
  'epss',
  'fixAvailable',
  'exploitAvailable',
  'package',
  'version',
  'fixedIn',
  'url',
  'title',
  'source',
] as const;

/** One finding as a canonical JSON array of the fields that can change a decision or a message. */
function canonicalFinding(finding: Finding): string {
  return JSON.stringify(FIELDS.map((field) => finding[field] ?? null));
}

/** Sorted, de-duplicated findings (identical rows from several pages or children count once). */
export function uniqueFindings(findings: readonly Finding[]): Finding[] {
  const byKey = new Map<string, Finding>();
  for (const finding of findings) {
    const key = canonicalFinding(finding);
    if (!byKey.has(key)) byKey.set(key, finding);
  }
  return [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, f]) => f);
}

/**
 * `sha256:<hex>` of the canonical findings list.
 * @example findingsDigest([]) // 'sha256:4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945'
 */
export function findingsDigest(findings: readonly Finding[]): string {
  const lines = [...new Set(findings.map(canonicalFinding))].sort();
  return `sha256:${createHash('sha256')
    .update(`[${lines.join(',')}]`, 'utf8')
    .digest('hex')}`;
}
