/**
 * The findings fingerprint as first written (canonical JSON built per finding with `JSON.stringify` of a field
 * array, sorted with a comparator, built again for the digest). Kept as the reference that lib/gate/fingerprint.ts
 * must stay byte-identical to: digests are stored in ledgers, so a changed digest would re-decide every image.
 */
import { createHash } from 'node:crypto';
import type { Finding } from '../../../lib/findings/finding.ts';

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

function canonicalFinding(finding: Finding): string {
  return JSON.stringify(FIELDS.map((field) => finding[field] ?? null));
}

export function referenceUniqueFindings(findings: readonly Finding[]): Finding[] {
  const byKey = new Map<string, Finding>();
  for (const finding of findings) {
    const key = canonicalFinding(finding);
    if (!byKey.has(key)) byKey.set(key, finding);
  }
  return [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, f]) => f);
}

export function referenceFindingsDigest(findings: readonly Finding[]): string {
  const lines = [...new Set(findings.map(canonicalFinding))].sort();
  return `sha256:${createHash('sha256')
    .update(`[${lines.join(',')}]`, 'utf8')
    .digest('hex')}`;
}
