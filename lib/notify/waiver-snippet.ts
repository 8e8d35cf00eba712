/**
 * The ready-to-paste exception (waiver) for an alert: a `kind: Exceptions` document for policies/exceptions/
 * using the policy engine's field names (id, finding, scope, expires, reason, owner, ticket, until). Values
 * from outside are written as double-quoted scalars (JSON strings are valid YAML), so nothing in a finding id or
 * package name can change the document's structure.
 */

export interface WaiverCandidate {
  readonly findingId: string;
  readonly package: string | null;
  /** False when the scanner says no fix exists: the snippet then suggests `until: fix-available`. */
  readonly fixAvailable: boolean | null;
}

export interface WaiverSnippetInput {
  readonly repository: string;
  readonly candidates: readonly WaiverCandidate[];
  /** Today; the suggested expiry is `now + expiresInDays` (UTC date). */
  readonly now: Date;
  readonly expiresInDays?: number;
  /** At most this many entries; the rest are counted in a comment. */
  readonly maxEntries?: number;
}

export const DEFAULT_WAIVER_DAYS = 30;
const DEFAULT_MAX_ENTRIES = 10;

/** Exception id: lowercase letters, digits and `-`, built from the finding id and the repository's last segment. */
export function exceptionId(findingId: string, repository: string): string {
  const slug = (text: string) =>
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '');
  const lastSegment = repository.split('/').pop() ?? repository;
  const id = [slug(findingId), slug(lastSegment)].filter((part) => part !== '').join('-');
  return (id === '' ? 'exception' : id).slice(0, 64).replace(/-+$/, '');
}

function isoDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/**
 * Renders the YAML document. Returns null when there is nothing to waive (no violation names a finding).
 * @example renderWaiverSnippet({ repository: 'team/app', candidates: [{ findingId: 'CVE-2024-1', package: 'openssl', fixAvailable: true }], now })
 */
export function renderWaiverSnippet(input: WaiverSnippetInput): string | null {
  const seen = new Set<string>();
  const unique: WaiverCandidate[] = [];
  for (const candidate of input.candidates) {
    const key = `${candidate.findingId}\u0000${candidate.package ?? ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    unique.push(candidate);
  }
  if (unique.length === 0) return null;
  const maxEntries = input.maxEntries ?? DEFAULT_MAX_ENTRIES;
  const days = input.expiresInDays ?? DEFAULT_WAIVER_DAYS;
  const expires = isoDate(new Date(input.now.getTime() + days * 24 * 60 * 60 * 1000));
  const q = (text: string) => JSON.stringify(text);
  const lines = [
    '# Save as policies/exceptions/<team>.yaml (or append the entries to an existing file), fill in the TODOs,',
    '# and open a pull request. Exceptions must expire; keep the date close.',
    'apiVersion: gatekeeper/v1',
    'kind: Exceptions',
    'exceptions:',
  ];
  const ids = new Map<string, number>();
  for (const candidate of unique.slice(0, maxEntries)) {
    let id = exceptionId(candidate.findingId, input.repository);
    const count = (ids.get(id) ?? 0) + 1;
    ids.set(id, count);
    if (count > 1) id = `${id}-${count}`;
    lines.push(`  - id: ${q(id)}`);
    lines.push(`    finding: ${q(candidate.findingId)}`);
    lines.push('    scope:');
    lines.push(`      repositories: [${q(input.repository)}]`);
    if (candidate.package !== null) lines.push(`      packages: [${q(candidate.package)}]`);
    lines.push(`    expires: ${q(expires)}`);
    lines.push(`    reason: ${q('TODO: why this risk is accepted')}`);
    lines.push(`    owner: ${q('TODO: owning team or person')}`);
    lines.push(`    ticket: ${q('TODO: tracking ticket')}`);
    if (candidate.fixAvailable === false) {
      lines.push('    until: fix-available');
    } else {
      lines.push('    # until: fix-available   # uncomment to end the exception as soon as a fix exists');
    }
  }
  if (unique.length > maxEntries) {
    lines.push(
      `# … and ${unique.length - maxEntries} more findings; waive them the same way or fix the image.`,
    );
  }
  return `${lines.join('\n')}\n`;
}
