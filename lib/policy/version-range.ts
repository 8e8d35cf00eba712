/**
 * Version specs for denied packages. A spec is either an exact version string (`2.14.1-r0`, compared as a
 * string) or a range: comparators `<`, `<=`, `>`, `>=`, `=` on numeric versions (`[epoch:]N(.N)*`), separated
 * by spaces (all must hold) and `||` (any group may hold): `>=2.0.0 <2.17.1 || <1.2.3`.
 *
 * Only what can be ordered exactly across ecosystems is ordered: the optional numeric epoch (`1:` as in rpm/dpkg,
 * 0 when absent) and then the dotted numeric release, compared number by number (`1.2` equals `1.2.0`). A
 * package version whose numbers equal a bound's but that carries a suffix (`2.17.1-r0`, `2.17.1-rc1`,
 * `2.17.1+deb11u1`) cannot be ordered against it exactly (a suffix is a revision in one ecosystem and a
 * pre-release in another), nor can a version that does not start with a number: such comparisons are
 * `unknown`, and a deny entry counts an unknown as a match (fail closed) and says so.
 */

export type Comparator = '<' | '<=' | '>' | '>=' | '=';

interface Bound {
  readonly op: Comparator;
  readonly epoch: number;
  readonly release: readonly number[];
  readonly text: string;
}

export type VersionSpec =
  | { readonly kind: 'exact'; readonly version: string }
  | { readonly kind: 'range'; readonly groups: readonly (readonly Bound[])[] };

/** Result of matching: `unknown` when the version cannot be ordered exactly against the spec. */
export type SpecMatch = 'match' | 'no-match' | 'unknown';

const MAX_SPEC_LENGTH = 200;
const OPERATORS: readonly Comparator[] = ['<=', '>=', '<', '>', '='];

/** Parses a spec, or returns a problem message. */
export function parseVersionSpec(text: unknown): VersionSpec | string {
  if (typeof text !== 'string') return 'must be a string';
  const trimmed = text.trim();
  if (trimmed.length === 0) return 'must not be empty';
  if (trimmed.length > MAX_SPEC_LENGTH) return `is longer than ${MAX_SPEC_LENGTH} characters`;
  if (!/[<>=|]/.test(trimmed)) {
    if (/\s/.test(trimmed)) return 'an exact version must not contain spaces';
    return { kind: 'exact', version: trimmed };
  }
  const groups: Bound[][] = [];
  for (const alternative of trimmed.split('||')) {
    const words = alternative
      .trim()
      .split(/\s+/)
      .filter((w) => w.length > 0);
    if (words.length === 0) return 'has an empty alternative around "||"';
    const group: Bound[] = [];
    for (const word of words) {
      const op = OPERATORS.find((o) => word.startsWith(o));
      if (!op) return `"${word}" needs a comparator (<, <=, >, >=, =)`;
      const parsed = parseNumericVersion(word.slice(op.length));
      if (parsed?.suffix !== '') {
        return `"${word}": a range bound must be a numeric version such as 1.2.3 or 1:2.3 (epoch:release)`;
      }
      if (!parsed) continue; // unreachable: a null parse has no suffix ''
      group.push({ op, epoch: parsed.epoch, release: parsed.release, text: word });
    }
    groups.push(group);
  }
  return { kind: 'range', groups };
}

interface NumericVersion {
  readonly epoch: number;
  readonly release: readonly number[];
  readonly suffix: string;
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/** `[epoch:][v]N(.N)*suffix`; null when it does not start with a number. Linear: each character read once. */
function parseNumericVersion(text: string): NumericVersion | null {
  let i = 0;
  let epoch = 0;
  // Epoch: up to 9 digits followed by ':' at the very start.
  let e = 0;
  while (e < text.length && e < 10 && isDigit(text.charCodeAt(e))) e += 1;
  if (e > 0 && e <= 9 && text.charCodeAt(e) === 58 /* : */) {
    epoch = Number(text.slice(0, e));
    i = e + 1;
  }
  if (text[i] === 'v' || text[i] === 'V') i += 1;
  const release: number[] = [];
  while (i < text.length) {
    const start = i;
    while (i < text.length && isDigit(text.charCodeAt(i))) i += 1;
    if (i === start) break;
    if (i - start > 15) return null; // beyond exact double precision
    release.push(Number(text.slice(start, i)));
    if (text.charCodeAt(i) === 46 /* . */ && isDigit(text.charCodeAt(i + 1))) {
      i += 1;
      continue;
    }
    break;
  }
  if (release.length === 0) return null;
  return { epoch, release, suffix: i < text.length ? text.slice(i) : '' };
}

function compareRelease(a: readonly number[], b: readonly number[]): number {
  const n = Math.max(a.length, b.length);
  for (let k = 0; k < n; k += 1) {
    const d = (a[k] ?? 0) - (b[k] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

function holds(op: Comparator, cmp: number): boolean {
  switch (op) {
    case '<':
      return cmp < 0;
    case '<=':
      return cmp <= 0;
    case '>':
      return cmp > 0;
    case '>=':
      return cmp >= 0;
    case '=':
      return cmp === 0;
  }
}

/** A package version read once, to be matched against many specs. */
export interface ParsedVersion {
  readonly text: string | null;
  readonly numeric: NumericVersion | null;
}

export function parseVersion(version: string | null): ParsedVersion {
  return { text: version, numeric: version === null ? null : parseNumericVersion(version.trim()) };
}

/** Whether `version` (as the scanner reports it; null when unknown) satisfies `spec`. */
export function matchVersionSpec(spec: VersionSpec, version: string | null | ParsedVersion): SpecMatch {
  const v = version !== null && typeof version === 'object' ? version : parseVersion(version);
  if (spec.kind === 'exact')
    return v.text === null ? 'unknown' : v.text === spec.version ? 'match' : 'no-match';
  const parsed = v.numeric;
  if (!parsed) return 'unknown';
  let sawUnknown = false;
  for (const group of spec.groups) {
    let result: SpecMatch = 'match';
    for (const bound of group) {
      let cmp = parsed.epoch - bound.epoch;
      if (cmp === 0) cmp = compareRelease(parsed.release, bound.release);
      if (cmp === 0 && parsed.suffix !== '') {
        result = 'unknown';
        continue;
      }
      if (!holds(bound.op, cmp)) {
        result = 'no-match';
        break;
      }
    }
    if (result === 'match') return 'match';
    if (result === 'unknown') sawUnknown = true;
  }
  return sawUnknown ? 'unknown' : 'no-match';
}
