import { describe, expect, it } from 'vitest';
import { matchVersionSpec, parseVersionSpec, type VersionSpec } from '../../../lib/policy/version-range.ts';

function spec(text: string): VersionSpec {
  const parsed = parseVersionSpec(text);
  if (typeof parsed === 'string') throw new Error(parsed);
  return parsed;
}

describe('matchVersionSpec', () => {
  it.each([
    ['<1.2.3', '1.2.2', 'match'],
    ['<1.2.3', '1.2.3', 'no-match'],
    ['<1.2.3', '1.10.0', 'no-match'],
    ['<=1.2', '1.2.0', 'match'],
    ['>1.2.3', 'v1.2.4', 'match'],
    ['>=2.0.0 <2.17.1', '2.14.1', 'match'],
    ['>=2.0.0 <2.17.1', '1.2.17', 'no-match'],
    ['>=2.0.0 <2.17.1', '2.17.1-r0', 'unknown'],
    ['<2.17.1', '2.17.0-r5', 'match'],
    ['<1.0.0 || >=2.0.0 <2.0.5', '2.0.4', 'match'],
    ['<1.0.0 || >=2.0.0 <2.0.5', '1.5.0', 'no-match'],
    ['<2.0', '1:1.2.13.dfsg-1', 'no-match'],
    ['<1:2.0', '1:1.2.13.dfsg-1', 'match'],
    ['=1.2.3', '1.2.3', 'match'],
    ['<1.2.3', 'latest', 'unknown'],
    ['<1.2.3', null, 'unknown'],
    ['2.14.1-r0', '2.14.1-r0', 'match'],
    ['2.14.1-r0', '2.14.1', 'no-match'],
  ] as const)('%s against %s → %s', (text, version, expected) => {
    expect(matchVersionSpec(spec(text), version)).toBe(expected);
  });

  it.each([
    ['', 'must not be empty'],
    ['<1.2.x', 'a range bound must be a numeric version'],
    ['< 1.2.3', '"<": a range bound must be a numeric version'],
    ['1.2.3 <2', '"1.2.3" needs a comparator'],
    ['1.2 3', 'must not contain spaces'],
    ['<1 ||', 'empty alternative'],
  ])('refuses %j', (text, fragment) => {
    const parsed = parseVersionSpec(text);
    expect(typeof parsed).toBe('string');
    expect(parsed as string).toContain(fragment);
  });

  it('takes a spec without a comparator as an exact version string', () => {
    expect(parseVersionSpec('~1.2')).toEqual({ kind: 'exact', version: '~1.2' });
  });
});
