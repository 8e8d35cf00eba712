// Not lib/policy/glob.ts: ECR's tagPatternList has only the `*` wildcard, so `?` here is a literal character.
/**
 * `*` wildcard matching as ECR uses it for `tagPatternList` (and for repository filters): `*` matches any
 * sequence of characters, including none; every other character matches itself. No other metacharacters.
 *
 * Linear time, no backtracking: the pattern is split at `*`; the first and last segments are anchored,
 * the middle ones are found left to right with `indexOf` (taking the leftmost occurrence is always safe
 * for `*`-only patterns). Cost is O(text + pattern) per segment search and never exponential, so hostile
 * patterns such as `*a*a*a*a*` cannot stall the sweep.
 */

/** Number of `*` in a pattern (ECR allows at most 4 per tagPatternList entry). */
export function countWildcards(pattern: string): number {
  let count = 0;
  for (const ch of pattern) if (ch === '*') count += 1;
  return count;
}

/** A compiled pattern: matching many tags against one pattern does the split once. */
export interface WildcardMatcher {
  readonly pattern: string;
  test(text: string): boolean;
}

export function compileWildcard(pattern: string): WildcardMatcher {
  const segments = pattern.split('*');
  if (segments.length === 1) {
    return { pattern, test: (text) => text === pattern };
  }
  const head = segments[0] ?? '';
  const tail = segments[segments.length - 1] ?? '';
  const middle = segments.slice(1, -1).filter((s) => s.length > 0);
  const minLength = head.length + tail.length + middle.reduce((n, s) => n + s.length, 0);
  return {
    pattern,
    test(text: string): boolean {
      if (text.length < minLength) return false;
      if (!text.startsWith(head) || !text.endsWith(tail)) return false;
      let position = head.length;
      const end = text.length - tail.length;
      for (const segment of middle) {
        const found = text.indexOf(segment, position);
        if (found < 0 || found + segment.length > end) return false;
        position = found + segment.length;
      }
      return position <= end;
    },
  };
}

/** One-off match. Prefer `compileWildcard` in loops. */
export function matchWildcard(pattern: string, text: string): boolean {
  return compileWildcard(pattern).test(text);
}
