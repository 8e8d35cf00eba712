import { describe, expect, it } from 'vitest';
import { preferredCvssScore } from '../../../lib/findings/cvss.ts';
import { InvalidInputError } from '../../../lib/findings/errors.ts';
import { JsonReader } from '../../../lib/findings/json-reader.ts';

const read = (r: JsonReader) => (entry: Readonly<Record<string, unknown>>, entryPath: string) => {
  const score = r.optionalNumber(entry.baseScore, 0, 10, entryPath, 'baseScore');
  return score === null ? null : { score, version: String(entry.version ?? '') };
};

describe('preferredCvssScore', () => {
  it.each([
    { name: 'absent list', list: undefined, expected: null },
    { name: 'empty list', list: [], expected: null },
    {
      name: 'v3 wins over v4 and v2',
      list: [
        { version: '2.0', baseScore: 5 },
        { version: '4.0', baseScore: 8 },
        { version: '3.1', baseScore: 7.5 },
      ],
      expected: 7.5,
    },
    {
      name: 'the first v3 wins',
      list: [
        { version: '3.0', baseScore: 6 },
        { version: '3.1', baseScore: 9 },
      ],
      expected: 6,
    },
    {
      name: 'v4 without v3',
      list: [
        { version: '2.0', baseScore: 5 },
        { version: '4.0', baseScore: 8 },
      ],
      expected: 8,
    },
    { name: 'v2 only', list: [{ version: '2.0', baseScore: 5 }], expected: 5 },
    {
      name: 'unknown versions ignored',
      list: [{ version: '5.0', baseScore: 1 }, { baseScore: 2 }],
      expected: null,
    },
    {
      name: 'entries without a score skipped',
      list: [{ version: '3.1' }, { version: '3.1', baseScore: 4 }],
      expected: 4,
    },
  ])('$name → $expected', ({ list, expected }) => {
    // Prepare
    const r = new JsonReader('cvss.json');
    // Act
    const score = preferredCvssScore(r, list, 'cvss', read(r));
    // Assess
    expect(score).toBe(expected);
  });

  it('an entry that is not an object is an error naming its path', () => {
    const r = new JsonReader('cvss.json');
    expect(() => preferredCvssScore(r, [{ version: '3.1', baseScore: 4 }, 'x'], 'cvss', read(r))).toThrow(
      InvalidInputError,
    );
    expect(() => preferredCvssScore(r, ['x'], 'cvss', read(r))).toThrow(/cvss\[0\]/);
  });
});
