import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ImageFacts } from '../../../lib/policy/decision.ts';
import { indexFacts } from '../../../lib/policy/index-facts.ts';

const facts: fc.Arbitrary<ImageFacts> = fc.record(
  {
    sizeBytes: fc.nat(10_000_000),
    user: fc.constantFrom('', 'root', 'app', '1000'),
    labels: fc.dictionary(fc.constantFrom('a', 'b', 'c'), fc.constantFrom('x', 'y')),
  },
  { requiredKeys: [] },
);

describe('indexFacts: a multi-arch image is judged by its least favourable child', () => {
  it('no children → no facts', () => {
    expect(indexFacts([])).toEqual({});
  });

  it('the largest size, the shared user or root, only the labels every child agrees on', () => {
    // Prepare
    const children: ImageFacts[] = [
      { sizeBytes: 10, user: 'app', labels: { team: 'a', tier: 'web' } },
      { sizeBytes: 30, user: 'root', labels: { team: 'a', tier: 'api' } },
    ];

    // Act
    const result = indexFacts(children);

    // Assess
    expect(result).toEqual({ sizeBytes: 30, user: '', labels: { team: 'a' } });
  });

  it('never judges the index better than any child (property)', () => {
    fc.assert(
      fc.property(fc.array(facts, { minLength: 1, maxLength: 6 }), (children) => {
        const result = indexFacts(children);
        for (const child of children) {
          // Size: at least every child's, and unknown when one child's is unknown.
          if (result.sizeBytes !== undefined)
            expect(result.sizeBytes).toBeGreaterThanOrEqual(child.sizeBytes ?? 0);
          if (child.sizeBytes === undefined) expect(result.sizeBytes).toBeUndefined();
          // User: a non-root user only when every child runs as it.
          if (result.user !== '') expect(child.user).toBe(result.user);
          // Labels: only what this child carries with the same value.
          for (const [key, value] of Object.entries(result.labels ?? {}))
            expect(child.labels?.[key]).toBe(value);
        }
        if (children.every((c) => c.sizeBytes !== undefined))
          expect(result.sizeBytes).toBe(Math.max(...children.map((c) => c.sizeBytes as number)));
      }),
    );
  });
});
