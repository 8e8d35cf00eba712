import { describe, expect, it } from 'vitest';
import { checkGlob, compareSpecificity, compileGlob, globSpecificity } from '../../../lib/policy/glob.ts';

describe('compileGlob', () => {
  it.each([
    ['*', 'anything/at/all', true],
    ['*', '', true],
    ['payments', 'payments', true],
    ['payments', 'payments/api', false],
    ['payments/*', 'payments/api', true],
    ['payments/*', 'payments/api/v2', true],
    ['payments/*', 'payments', false],
    ['*/api', 'orders/api', true],
    ['*/api', 'orders/apix', false],
    ['a*b*c', 'abc', true],
    ['a*b*c', 'aXbYc', true],
    ['a*b*c', 'acb', false],
    ['a*a', 'a', false],
    ['a*a', 'aa', true],
    ['ab*ba', 'aba', false],
    ['v?.*', 'v1.2.3', true],
    ['v?.*', 'v10.2', false],
    ['release-?', 'release-7', true],
    ['*-?', 'x-', false],
    ['lib*++', 'libstdc++', true],
    ['@types/*', '@types/node', true],
    ['*.*.*', '1.2.3', true],
    ['*.*.*', '1.2', false],
  ])('%s matches %s: %s', (pattern, subject, expected) => {
    expect(compileGlob(pattern)(subject)).toBe(expected);
  });
});

describe('checkGlob', () => {
  it.each([
    ['payments/*', 'repository', []],
    ['', 'repository', ['must not be empty']],
    ['Payments', 'repository', ['character "P" is not allowed in a repository pattern']],
    ['a**', 'repository', ['"**" is not supported']],
    ['+(a|b)', 'package', ['character "(" is not allowed']],
    ['*(a|b)', 'package', ['extglob syntax "*(" is not supported']],
    ['@(a|b)', 'tag', ['character "@" is not allowed']],
    ['[abc]', 'tag', ['character "[" is not allowed']],
    ['{a,b}', 'package', ['character "{" is not allowed']],
    ['a\\*', 'package', ['is not allowed in a package pattern']],
    [`${'a'.repeat(257)}`, 'tag', ['the limit is 256']],
    ['*a*a*a*a*a*a*a*a*a', 'tag', ['9 wildcards; the limit is 8']],
    [42, 'tag', ['must be a string']],
  ])('%j as %s', (pattern, kind, expected) => {
    const problems = checkGlob(pattern, kind as 'repository' | 'tag' | 'package');
    expect(problems.length).toBe(expected.length);
    expected.forEach((fragment, i) => {
      expect(problems[i]).toContain(fragment);
    });
  });
});

describe('ReDoS corpus: matching stays fast on long hostile subjects', () => {
  const long = 'a'.repeat(100_000);
  const corpus: [string, string, boolean][] = [
    ['*a*a*a*a*a*a*a*b', long, false],
    ['a*a*a*a*a*a*a*a', long, true],
    ['?*?*?*?*?*?*?*b', long, false],
    ['(a+)+$', long, false],
    ['*(a|aa)*', `${long}(a|aa)`, true],
    ['*ab*ab*ab*ab*c', 'ab'.repeat(50_000), false],
    ['*????????', long, true],
  ];
  it.each(corpus)('%s', (pattern, subject, expected) => {
    const matches = compileGlob(pattern);
    const started = process.hrtime.bigint();
    expect(matches(subject)).toBe(expected);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    // A backtracking matcher takes minutes on these; ours is linear-ish. Loose bound, not a benchmark.
    expect(ms).toBeLessThan(1000);
  });

  it('refuses the corpus patterns that use syntax it does not implement, at load', () => {
    expect(checkGlob('(a+)+$', 'package')).not.toEqual([]);
    expect(checkGlob('*(a|aa)*', 'package')).not.toEqual([]);
    expect(checkGlob('a'.repeat(10) + '*'.repeat(20), 'tag')).not.toEqual([]);
    // Nested extglobs (the patterns that backtrack worst in extglob engines).
    for (const nested of ['+(a|*(a|b))*', '@(x|!(y|*(z)))', '*(*(a))b']) {
      expect(checkGlob(nested, 'package'), nested).not.toEqual([]);
    }
  });
});

describe('specificity', () => {
  it('orders exact > longer literal prefix > more literals > fewer * > fewer ?', () => {
    const ordered = ['payments/api', 'payments/ap?', 'payments/*', 'pay*', 'p*/*', '*/api', '?', '*'];
    for (let i = 0; i + 1 < ordered.length; i += 1) {
      const a = globSpecificity(ordered[i] as string);
      const b = globSpecificity(ordered[i + 1] as string);
      expect(compareSpecificity(a, b), `${ordered[i]} > ${ordered[i + 1]}`).toBeGreaterThan(0);
    }
    expect(compareSpecificity(globSpecificity('*/api-v2'), globSpecificity('*/api'))).toBeGreaterThan(0);
  });
});
