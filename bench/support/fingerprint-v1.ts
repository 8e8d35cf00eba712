/**
 * The version-1 findings digest (`sha256:<hex>` of the JSON array of JSON field arrays, in JSON order) as the
 * gate computed it before version 2, kept only so bench/fingerprint.ts can time it beside the current one in the
 * same run. Not used by the gate.
 */
import { createHash } from 'node:crypto';
import type { Finding } from '../../lib/findings/finding.ts';

/**
 * One finding as the array of the fields that can change a decision or a message (absent → null); its JSON text
 * is the finding's canonical line.
 */
function canonicalFields(f: Finding): unknown[] {
  return [
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
    f.title ?? null,
    f.source ?? null,
  ];
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

function isSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdfff;
}

/**
 * Code-unit order of `JSON.stringify(a)` and `JSON.stringify(b)` without building either. Up to the first
 * differing position both encodings are the same; there, a character JSON escapes (control, quote, backslash)
 * is encoded starting with a backslash and the end of a string is its closing quote. When that does not decide
 * (both escaped, or a surrogate whose pairing, and so its encoding, depends on its neighbour) the encodings are
 * compared.
 */
function compareJsonStrings(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i += 1;
  const ca = i < a.length ? a.charCodeAt(i) : -1;
  const cb = i < b.length ? b.charCodeAt(i) : -1;
  if (!isSurrogate(ca) && !isSurrogate(cb)) {
    const ka = ca === -1 ? QUOTE : ca < 0x20 || ca === QUOTE || ca === BACKSLASH ? BACKSLASH : ca;
    const kb = cb === -1 ? QUOTE : cb < 0x20 || cb === QUOTE || cb === BACKSLASH ? BACKSLASH : cb;
    if (ka !== kb) return ka - kb;
  }
  return compareText(JSON.stringify(a), JSON.stringify(b));
}

/** JSON text of a number field (`JSON.stringify` writes non-finite numbers as null). */
function numberJson(n: number | null): string {
  return n !== null && Number.isFinite(n) ? String(n) : 'null';
}

/**
 * Code-unit order of two fields' JSON inside the line, each followed by `,`. A JSON string (starting `"`) sorts
 * before any other value; number, boolean and null texts contain no comma, and the character after a number that
 * is a prefix of another (a digit, `.` or `e`) sorts after the comma, so comparing the texts alone is exact.
 */
function compareStringField(a: string | null, b: string | null): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? 1 : -1;
  return compareJsonStrings(a, b);
}

function compareNumberField(a: number | null, b: number | null): number {
  return a === b ? 0 : compareText(numberJson(a), numberJson(b));
}

function compareBooleanField(a: boolean | null, b: boolean | null): number {
  return a === b ? 0 : compareText(String(a), String(b));
}

/** Line order of two findings with the same id: field by field, as the lines compare. */
function compareSameId(a: Finding, b: Finding): number {
  return (
    compareStringField(a.severity ?? null, b.severity ?? null) ||
    compareNumberField(a.score ?? null, b.score ?? null) ||
    compareNumberField(a.epss ?? null, b.epss ?? null) ||
    compareStringField(a.fixAvailable ?? null, b.fixAvailable ?? null) ||
    compareBooleanField(a.exploitAvailable ?? null, b.exploitAvailable ?? null) ||
    compareStringField(a.package ?? null, b.package ?? null) ||
    compareStringField(a.version ?? null, b.version ?? null) ||
    compareStringField(a.fixedIn ?? null, b.fixedIn ?? null) ||
    compareStringField(a.url ?? null, b.url ?? null) ||
    compareStringField(a.title ?? null, b.title ?? null) ||
    compareStringField(a.source ?? null, b.source ?? null)
  );
}

function isStringOrNull(v: unknown): boolean {
  return v === null || v === undefined || typeof v === 'string';
}

/** Every field has its declared type (absent counts as null), so {@link compareSameId} applies. */
function isWellTyped(f: Finding): boolean {
  return (
    typeof f.id === 'string' &&
    isStringOrNull(f.severity) &&
    (f.score === null || f.score === undefined || typeof f.score === 'number') &&
    (f.epss === null || f.epss === undefined || typeof f.epss === 'number') &&
    isStringOrNull(f.fixAvailable) &&
    (f.exploitAvailable === null ||
      f.exploitAvailable === undefined ||
      typeof f.exploitAvailable === 'boolean') &&
    isStringOrNull(f.package) &&
    isStringOrNull(f.version) &&
    isStringOrNull(f.fixedIn) &&
    isStringOrNull(f.url) &&
    isStringOrNull(f.title) &&
    isStringOrNull(f.source)
  );
}

/**
 * The distinct findings (the first of each distinct line) in code-unit order of their canonical lines, without
 * building the lines.
 *
 * Every line starts `[` + JSON(id) + `,`, and JSON strings are prefix-free (the closing quote is the only
 * unescaped one), so findings with different ids are in the order of their ids' JSON; findings sharing an id are
 * ordered field by field the same way, and equal lines are adjacent after a stable sort, the first one kept.
 * Grouping by id keeps map keys short. A finding that is not a valid Finding takes the plain path over built
 * lines: a non-string id the whole list, a field of another type than declared its id's group.
 */
function canonicalOrder(findings: readonly Finding[]): Finding[] {
  const byId = new Map<string, Finding[]>();
  for (const f of findings) {
    if (typeof f.id !== 'string') return byWholeLine(findings);
    const group = byId.get(f.id);
    if (group) group.push(f);
    else byId.set(f.id, [f]);
  }
  const out: Finding[] = [];
  for (const members of groupsInIdOrder(byId)) {
    if (members.length === 1) {
      out.push(members[0] as Finding);
      continue;
    }
    if (!members.every(isWellTyped)) {
      // Lines of one id share their beginning, so the whole lines order the group.
      for (const f of byWholeLine(members)) out.push(f);
      continue;
    }
    members.sort(compareSameId); // stable: of equal lines, the first read comes first
    let previous: Finding | null = null;
    for (const f of members) {
      if (previous === null || compareSameId(previous, f) !== 0) out.push(f);
      previous = f;
    }
  }
  return out;
}

/**
 * Whether an id has no character that JSON escapes (control, quote, backslash), that sorts below the closing
 * quote (space, "!") or that is a surrogate: such ids are in the same order raw as in JSON, so they can be sorted
 * natively.
 */
function isPlain(id: string): boolean {
  for (let i = 0; i < id.length; i += 1) {
    const c = id.charCodeAt(i);
    if (c <= QUOTE || c === BACKSLASH || isSurrogate(c)) return false;
  }
  return true;
}

/**
 * The groups in the order of their ids' JSON: a native string sort when every id is plain, as ids are, and no
 * sort when they already come in order (findings that went through {@link uniqueFindings} before).
 */
function groupsInIdOrder(byId: ReadonlyMap<string, Finding[]>): Finding[][] {
  const ids = [...byId.keys()];
  if (!ids.every(isPlain)) ids.sort(compareJsonStrings);
  else if (!isAscending(ids)) ids.sort();
  return ids.map((id) => byId.get(id) as Finding[]);
}

function isAscending(values: readonly string[]): boolean {
  for (let i = 1; i < values.length; i += 1)
    if ((values[i - 1] as string) > (values[i] as string)) return false;
  return true;
}

/** The plain form: the first finding of each distinct canonical line, in line order. */
function byWholeLine(findings: readonly Finding[]): Finding[] {
  const byLine = new Map<string, Finding>();
  for (const f of findings) {
    const line = JSON.stringify(canonicalFields(f));
    if (!byLine.has(line)) byLine.set(line, f);
  }
  return [...byLine.keys()].sort(compareText).map((line) => byLine.get(line) as Finding);
}

/**
 * Findings are serialised a slice at a time: the JSON of a slice of field arrays is the slice's lines joined by
 * commas inside brackets, at about half the cost of one `JSON.stringify` per line, and the whole list is never
 * one string.
 */
const HASH_SLICE = 1024;

/** `sha256:<hex>` of `[line,line,…]` for findings already distinct and in canonical order. */
function digestOfOrdered(ordered: readonly Finding[]): string {
  const hash = createHash('sha256');
  hash.update('[', 'utf8');
  for (let start = 0; start < ordered.length; start += HASH_SLICE) {
    const json = JSON.stringify(ordered.slice(start, start + HASH_SLICE).map(canonicalFields));
    hash.update(start === 0 ? json.slice(1, -1) : `,${json.slice(1, -1)}`, 'utf8');
  }
  hash.update(']', 'utf8');
  return `sha256:${hash.digest('hex')}`;
}

/** Sorted, de-duplicated findings (identical rows from several pages or children count once). */
export function uniqueFindings(findings: readonly Finding[]): Finding[] {
  return canonicalOrder(findings);
}

/**
 * `sha256:<hex>` of the canonical findings list.
 * @example findingsDigest([]) // 'sha256:4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945'
 */
export function findingsDigest(findings: readonly Finding[]): string {
  return digestOfOrdered(canonicalOrder(findings));
}

/**
 * {@link uniqueFindings} and {@link findingsDigest} of the same findings, ordered once: what a decision needs.
 * @example fingerprintFindings(findings).digest === findingsDigest(findings) // true
 */
export function fingerprintFindings(findings: readonly Finding[]): {
  readonly findings: Finding[];
  readonly digest: string;
} {
  const ordered = canonicalOrder(findings);
  return { findings: ordered, digest: digestOfOrdered(ordered) };
}
