/**
 * Findings digest: `v2:sha256:<hex>` of the canonical findings list. Two reads of the same findings (any page
 * order, any duplicate rows from overlapping pages or several children of a multi-arch index) give the same
 * digest, so a re-evaluation whose digest and policy version equal the recorded ones is known to change nothing.
 *
 * Version 2. The first format (`sha256:<hex>` of one JSON array of every finding's field array, in JSON order,
 * title included) is no longer produced. A ledger record carrying it never equals a version-2 digest (the
 * prefixes differ), so the gate treats such a record as "findings may have changed" and decides the image again,
 * once, on its next event: a state change still alerts, an unchanged verdict does not.
 *
 * The canonical text: the distinct canonical lines (below), ordered by id (code-unit order), then by line
 * (code-unit order), concatenated, as UTF-8. Its bytes are stored in ledgers through the digest:
 * test/unit/gate/fingerprint.test.ts pins them against a plain restatement of this paragraph.
 */
import { createHash } from 'node:crypto';
import type { Finding } from '../findings/finding.ts';

/** The format's prefix: a digest without it is of another format and never equal to one of ours. */
export const FINDINGS_DIGEST_PREFIX = 'v2:sha256:';

/**
 * One finding's canonical line: the JSON array of every field evaluation or a message reads (absent → null).
 * The title is not among them (nothing downstream reads it); the KEV dates are (evaluation and alerts do). A
 * JSON array is self-delimiting and `JSON.stringify` escapes lone surrogates, so the UTF-8 of concatenated lines
 * is never the same for two different lists of lines.
 */
function canonicalLine(f: Finding): string {
  const kev = f.kev;
  return JSON.stringify([
    f.id ?? null,
    f.severity ?? null,
    f.score ?? null,
    f.epss ?? null,
    f.fixAvailable ?? null,
    f.exploitAvailable ?? null,
    f.package ?? null,
    f.version ?? null,
    f.fixedIn ?? null,
    f.url ?? null,
    f.source ?? null,
    kev === undefined || kev === null ? null : [kev.dateAdded ?? null, kev.dateDue ?? null],
  ]);
}

/** A group of findings sharing an id: one finding (the common case) or several. */
type Group = Finding | Finding[];

/** The id a finding is grouped and ordered by: its own when a string, else a text no string id equals. */
function groupKey(f: Finding): string {
  return typeof f.id === 'string' ? f.id : `\u0000${String(JSON.stringify(f.id))}`;
}

/** Lines are hashed in chunks of about this many characters: few hash calls, never one big string. */
const HASH_CHUNK = 1 << 16;

/**
 * The distinct findings (the first read of each distinct line) in canonical order and the digest of their
 * lines, in one pass. Grouping by id keeps map keys short and the sort on short ids; only findings that share
 * an id get their lines compared, and a line is built once and handed to the hash straight away.
 */
function fingerprint(findings: readonly Finding[]): { findings: Finding[]; digest: string } {
  const byId = new Map<string, Group>();
  for (const f of findings) {
    const key = groupKey(f);
    const group = byId.get(key);
    if (group === undefined) byId.set(key, f);
    else if (Array.isArray(group)) group.push(f);
    else byId.set(key, [group, f]);
  }
  const ids = [...byId.keys()];
  if (!isAscending(ids)) ids.sort();
  const hash = createHash('sha256');
  const ordered: Finding[] = [];
  let chunk = '';
  const add = (line: string): void => {
    chunk += line;
    if (chunk.length >= HASH_CHUNK) {
      hash.update(chunk, 'utf8');
      chunk = '';
    }
  };
  for (const id of ids) {
    const group = byId.get(id) as Group;
    if (!Array.isArray(group)) {
      ordered.push(group);
      add(canonicalLine(group));
      continue;
    }
    const byLine = new Map<string, Finding>();
    for (const f of group) {
      const line = canonicalLine(f);
      if (!byLine.has(line)) byLine.set(line, f); // the first read of equal rows is kept
    }
    for (const line of [...byLine.keys()].sort()) {
      ordered.push(byLine.get(line) as Finding);
      add(line);
    }
  }
  hash.update(chunk, 'utf8');
  return { findings: ordered, digest: `${FINDINGS_DIGEST_PREFIX}${hash.digest('hex')}` };
}

function isAscending(values: readonly string[]): boolean {
  for (let i = 1; i < values.length; i += 1)
    if ((values[i - 1] as string) > (values[i] as string)) return false;
  return true;
}

/** Whether a recorded findings digest is of the current format (an older one never equals a new digest). */
export function isCurrentFindingsDigest(digest: string): boolean {
  return digest.startsWith(FINDINGS_DIGEST_PREFIX);
}

/** Sorted, de-duplicated findings (identical rows from several pages or children count once). */
export function uniqueFindings(findings: readonly Finding[]): Finding[] {
  return fingerprint(findings).findings;
}

/**
 * `v2:sha256:<hex>` of the canonical findings list.
 * @example findingsDigest([]) // 'v2:sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'
 */
export function findingsDigest(findings: readonly Finding[]): string {
  return fingerprint(findings).digest;
}

/**
 * {@link uniqueFindings} and {@link findingsDigest} of the same findings in one pass: what a decision needs.
 * @example fingerprintFindings(findings).digest === findingsDigest(findings) // true
 */
export function fingerprintFindings(findings: readonly Finding[]): {
  readonly findings: Finding[];
  readonly digest: string;
} {
  return fingerprint(findings);
}
