// The one `*`/`?` glob of the project (policies and GATEKEEPER_REPOSITORY_SCOPE); lib/hygiene/wildcard.ts stays apart because ECR's tagPatternList knows only `*`.
/**
 * Glob patterns for repositories, tags and packages, matched without regular expressions.
 *
 * Syntax: `*` matches any run of characters (including `/`, none included), `?` exactly one character;
 * every other character is literal and matching is case-sensitive. There are no character classes, braces,
 * extglobs or escapes: such syntax is refused at load (see {@link checkGlob}) instead of being half-supported.
 *
 * Matching splits the pattern at `*` into literal segments and places them greedily from the left; for
 * star-separated segments the leftmost placement is always a correct one, so nothing is ever retried. The cost
 * is at most O(subject length × pattern length) with pattern length capped at {@link MAX_GLOB_LENGTH}: no
 * input can make it backtrack catastrophically.
 */

export type GlobKind = 'repository' | 'tag' | 'package';

export const MAX_GLOB_LENGTH = 256;
export const MAX_GLOB_WILDCARDS = 8;

/** Characters a pattern of each kind may contain besides `*` and `?` (what ECR allows in names and tags). */
const ALLOWED: Record<GlobKind, { test: (c: string) => boolean; describe: string }> = {
  repository: {
    test: (c) =>
      (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c === '.' || c === '_' || c === '-' || c === '/',
    describe: 'lower-case letters, digits, ".", "_", "-", "/"',
  },
  tag: {
    test: (c) =>
      (c >= 'a' && c <= 'z') ||
      (c >= 'A' && c <= 'Z') ||
      (c >= '0' && c <= '9') ||
      c === '.' ||
      c === '_' ||
      c === '-',
    describe: 'letters, digits, ".", "_", "-"',
  },
  package: {
    // Package names carry `+`, `@`, `:`, `/` (libstdc++, @scope/name, group:artifact); syntax characters are refused.
    test: (c) => c > ' ' && c !== '\u007f' && !'()[]{}|\\!,'.includes(c),
    describe: 'printable characters except ( ) [ ] { } | \\ ! , and spaces',
  },
};

/**
 * Problems with a pattern, as messages (empty when it is usable). Refuses empty or over-long patterns, too many
 * wildcards, `**` runs, and syntax this matcher does not implement (classes, braces, extglobs, escapes).
 */
export function checkGlob(pattern: unknown, kind: GlobKind): string[] {
  if (typeof pattern !== 'string') return ['must be a string'];
  if (pattern.length === 0) return ['must not be empty'];
  if (pattern.length > MAX_GLOB_LENGTH)
    return [`pattern is ${pattern.length} characters; the limit is ${MAX_GLOB_LENGTH}`];
  const problems: string[] = [];
  let wildcards = 0;
  for (let i = 0; i < pattern.length; i += 1) {
    const c = pattern[i] as string;
    if (c === '*' || c === '?') {
      wildcards += 1;
      if (c === '*' && pattern[i + 1] === '*') {
        problems.push('"**" is not supported: one "*" already matches any characters, "/" included');
        break;
      }
      if (pattern[i + 1] === '(') {
        problems.push(`extglob syntax "${c}(" is not supported`);
        break;
      }
    } else if (!ALLOWED[kind].test(c)) {
      problems.push(
        `character ${JSON.stringify(c)} is not allowed in a ${kind} pattern (use ${ALLOWED[kind].describe}, "*" and "?")`,
      );
      break;
    }
  }
  if (wildcards > MAX_GLOB_WILDCARDS) {
    problems.push(`pattern has ${wildcards} wildcards; the limit is ${MAX_GLOB_WILDCARDS}`);
  }
  return problems;
}

export type GlobMatcher = (subject: string) => boolean;

/** Compiles a pattern once; the returned function is cheap to call many times. */
export function compileGlob(pattern: string): GlobMatcher {
  if (pattern === '*') return () => true;
  if (!pattern.includes('*') && !pattern.includes('?')) return (s) => s === pattern;
  const segments = pattern.split('*');
  if (segments.length === 1) {
    return (s) => s.length === pattern.length && segmentAt(s, pattern, 0);
  }
  const first = segments[0] as string;
  const last = segments[segments.length - 1] as string;
  const middle = segments.slice(1, -1).filter((seg) => seg.length > 0);
  const minLength = segments.reduce((n, seg) => n + seg.length, 0);
  return (s) => {
    if (s.length < minLength) return false;
    if (!segmentAt(s, first, 0)) return false;
    const end = s.length - last.length;
    if (!segmentAt(s, last, end)) return false;
    let from = first.length;
    for (const seg of middle) {
      const at = findSegment(s, seg, from, end);
      if (at < 0) return false;
      from = at + seg.length;
    }
    return true;
  };
}

/** Whether `subject` matches `pattern` (compiles on each call: use {@link compileGlob} in loops). */
export function globMatches(pattern: string, subject: string): boolean {
  return compileGlob(pattern)(subject);
}

/** True when `seg` (which may contain `?`) matches `s` at `at`. */
function segmentAt(s: string, seg: string, at: number): boolean {
  if (at < 0 || at + seg.length > s.length) return false;
  for (let i = 0; i < seg.length; i += 1) {
    const p = seg.charCodeAt(i);
    if (p !== 63 /* ? */ && p !== s.charCodeAt(at + i)) return false;
  }
  return true;
}

/** Leftmost index >= from where `seg` fits entirely before `limit`, or -1. */
function findSegment(s: string, seg: string, from: number, limit: number): number {
  if (!seg.includes('?')) {
    const at = s.indexOf(seg, from);
    return at >= 0 && at + seg.length <= limit ? at : -1;
  }
  for (let at = from; at + seg.length <= limit; at += 1) {
    if (segmentAt(s, seg, at)) return at;
  }
  return -1;
}

/**
 * How specific a pattern is, for policy selection: compare with {@link compareSpecificity}. An exact pattern beats
 * any pattern with wildcards; then the longer literal prefix wins (`payments/ap?` over `payments/*` over `pay*`);
 * then more literal characters; then fewer stars; then fewer `?`. A lone star is the least specific of all.
 */
export interface GlobSpecificity {
  readonly exact: boolean;
  readonly literalPrefix: number;
  readonly literals: number;
  readonly stars: number;
  readonly questions: number;
}

export function globSpecificity(pattern: string): GlobSpecificity {
  let stars = 0;
  let questions = 0;
  let literalPrefix = -1;
  for (let i = 0; i < pattern.length; i += 1) {
    const c = pattern[i];
    if (c === '*' || c === '?') {
      if (c === '*') stars += 1;
      else questions += 1;
      if (literalPrefix < 0) literalPrefix = i;
    }
  }
  return {
    exact: stars + questions === 0,
    literalPrefix: literalPrefix < 0 ? pattern.length : literalPrefix,
    literals: pattern.length - stars - questions,
    stars,
    questions,
  };
}

/** Positive when `a` is more specific than `b`, negative when less, 0 when equal. */
export function compareSpecificity(a: GlobSpecificity, b: GlobSpecificity): number {
  if (a.exact !== b.exact) return a.exact ? 1 : -1;
  if (a.literalPrefix !== b.literalPrefix) return a.literalPrefix - b.literalPrefix;
  if (a.literals !== b.literals) return a.literals - b.literals;
  if (a.stars !== b.stars) return b.stars - a.stars;
  return b.questions - a.questions;
}
