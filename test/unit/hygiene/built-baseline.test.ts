/**
 * The sweep's Lambda bundle accepts only the baseline the build validated: the exact document of
 * hygiene-baseline.json, by the sha256 the build recorded. Anything else is refused with a reason.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { baselineJsonSha256, builtBaselineProblems } from '../../../lib/hygiene/built-baseline.ts';

const DOC = parse(
  readFileSync(new URL('../../../policies/hygiene.yaml', import.meta.url), 'utf8'),
) as unknown;
const TEXT = `${JSON.stringify(DOC)}\n`;
const RECORDED = baselineJsonSha256(TEXT);

describe('builtBaselineProblems', () => {
  it('accepts the document the build wrote, read back from its text', () => {
    expect(builtBaselineProblems(JSON.parse(TEXT), 'hygiene-baseline.json', RECORDED)).toEqual([]);
  });

  it('refuses any other document, naming the file and both hashes', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (other) => {
        fc.pre(JSON.stringify(other) !== JSON.stringify(DOC));
        const problems = builtBaselineProblems(other, 'hygiene-baseline.json', RECORDED);
        expect(problems).toHaveLength(1);
        expect(problems[0]?.file).toBe('hygiene-baseline.json');
        expect(problems[0]?.message).toContain(`built ${RECORDED}`);
      }),
    );
  });

  it('refuses a changed setting of the shipped baseline', () => {
    const changed = structuredClone(DOC) as { defaults: { scanning?: unknown } };
    changed.defaults.scanning = { expect: 'ignore' };
    expect(builtBaselineProblems(changed, 'hygiene-baseline.json', RECORDED)[0]?.message).toMatch(
      /does not match the baseline the build validated/,
    );
  });

  it('refuses everything in a bundle built without a baseline', () => {
    expect(builtBaselineProblems(DOC, 'hygiene-baseline.json', undefined)[0]?.message).toMatch(
      /built without a hygiene baseline/,
    );
  });
});
