import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../../lib/findings/finding.ts';
import type { ImageFacts } from '../../../lib/policy/decision.ts';
import { evaluate } from '../../../lib/policy/evaluate.ts';
import { referenceEvaluate } from './evaluate-reference.ts';
import { DEFAULT_POLICY, finding as findingOf, NOW, policySet } from './support.ts';

// Small pools, so that ids, packages and versions repeat across findings, exceptions and deny entries.
const IDS = ['CVE-2024-0001', 'CVE-2024-0002', 'CVE-2024-0003', 'GHSA-abcd-efgh-ijkl', 'CVE-2023-9999'];
const PACKAGES = ['openssl', 'openssl-libs', 'libssl3', 'zlib', 'log4j-core'];
const VERSIONS = ['1.0.0', '1.2.3', '1.2.3-rc1', '2.0.0-r0', '3.0.11', '1:2.3.4', 'v1.5', 'abc'];
const DIGEST = `sha256:${'a'.repeat(64)}`;
const OTHER_DIGEST = `sha256:${'b'.repeat(64)}`;
const SEVERITY = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL', 'UNDEFINED', 'UNTRIAGED'] as const;

const finding: fc.Arbitrary<Finding> = fc.record({
  id: fc.constantFrom(...IDS),
  severity: fc.constantFrom(...SEVERITY),
  score: fc.option(
    fc.integer({ min: 0, max: 100 }).map((n) => n / 10),
    { nil: null },
  ),
  epss: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: null }),
  fixAvailable: fc.constantFrom('YES', 'NO', 'PARTIAL', null),
  exploitAvailable: fc.constantFrom(true, false, null),
  package: fc.option(fc.constantFrom(...PACKAGES), { nil: null, freq: 6 }),
  version: fc.option(fc.constantFrom(...VERSIONS), { nil: null, freq: 6 }),
  fixedIn: fc.option(fc.constant('9.9.9'), { nil: null }),
  url: fc.constant(null),
  title: fc.constant(null),
  source: fc.constantFrom('ecr-enhanced', 'inspector', 'trivy'),
});

const fixableOnly = fc.option(fc.boolean(), { nil: undefined });
const whenUnknown = fc.option(fc.constantFrom('ignore', 'violate'), { nil: undefined });

/** Drops the keys whose value is undefined (a policy document never holds them). */
function defined<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

const rules = fc
  .record({
    fixableOnly,
    maxSeverity: fc.dictionary(
      fc.constantFrom(...SEVERITY),
      fc.oneof(
        fc.integer({ min: 0, max: 3 }),
        fc.record({ max: fc.integer({ min: 0, max: 3 }), fixableOnly }).map(defined),
      ),
      { maxKeys: 4 },
    ),
    score: fc.option(
      fc.record({ atLeast: fc.integer({ min: 0, max: 10 }), fixableOnly, whenUnknown }).map(defined),
      { nil: undefined },
    ),
    exploitAvailable: fc.option(fc.record({ deny: fc.boolean(), fixableOnly, whenUnknown }).map(defined), {
      nil: undefined,
    }),
    epss: fc.option(
      fc.record({ atLeast: fc.constantFrom(0, 0.1, 0.5, 1), fixableOnly, whenUnknown }).map(defined),
      { nil: undefined },
    ),
    deniedPackages: fc.array(
      fc
        .record({
          name: fc.constantFrom('openssl*', 'zlib', '*ssl*', 'log4j-*'),
          versions: fc.option(
            fc.uniqueArray(fc.constantFrom('>=1.0.0 <2.0.0', '2.0.0-r0', '<1.2.3 || >=3.0.0', '=1.2.3'), {
              minLength: 1,
              maxLength: 2,
            }),
            { nil: undefined },
          ),
          reason: fc.option(fc.constant('use the patched build'), { nil: undefined }),
        })
        .map(defined),
      { maxLength: 3 },
    ),
  })
  .map(defined);

const exception = fc
  .record({
    finding: fc.constantFrom(...IDS),
    // 2026-11-22 has ended at NOW; 2026-11-23 is NOW's own day, still applying.
    expires: fc.constantFrom('2026-11-22', '2026-11-23', '2099-01-01'),
    until: fc.option(fc.constant('fix-available'), { nil: undefined }),
    ticket: fc.option(fc.constant('SEC-1'), { nil: undefined }),
    scope: fc.option(
      fc
        .record({
          repositories: fc.option(
            fc.uniqueArray(fc.constantFrom('orders/*', 'payments/*', 'orders/api', 'other'), {
              minLength: 1,
              maxLength: 2,
            }),
            { nil: undefined },
          ),
          tags: fc.option(
            fc.uniqueArray(fc.constantFrom('1.*', 'latest', '2.0.0'), { minLength: 1, maxLength: 2 }),
            { nil: undefined },
          ),
          digest: fc.option(fc.constantFrom(DIGEST, OTHER_DIGEST), { nil: undefined }),
          packages: fc.option(
            fc.uniqueArray(fc.constantFrom('openssl*', 'zlib', 'lib*'), { minLength: 1, maxLength: 2 }),
            { nil: undefined },
          ),
        })
        .map(defined),
      { nil: undefined },
    ),
  })
  .map(defined);

const image = fc.record({
  repository: fc.constantFrom('orders/api', 'payments/web', 'other'),
  tags: fc.uniqueArray(fc.constantFrom('1.0.0', 'latest', '2.0.0'), { maxLength: 3 }),
  digest: fc.constantFrom(DIGEST, OTHER_DIGEST, null),
});

const facts: fc.Arbitrary<ImageFacts | null> = fc.option(
  fc.record({
    user: fc.constantFrom('root', 'app', ''),
    sizeBytes: fc.integer({ min: 0, max: 2_000 }),
    labels: fc.constantFrom<Record<string, string>>({}, { team: 'a' }),
  }),
  { nil: null },
);

const mode = fc.constantFrom('enforce', 'audit');

// NOW, and the first and last instants around the end of an exception expiring 2026-11-23.
const now = fc.constantFrom(NOW, new Date('2026-11-23T23:59:59.999Z'), new Date('2026-11-24T00:00:00Z'));

describe('evaluate agrees with the straightforward reference', () => {
  it('on random findings, exceptions, policies and images (the same decision, byte for byte)', () => {
    fc.assert(
      fc.property(
        rules,
        mode,
        fc.array(exception, { maxLength: 8 }),
        fc.array(finding, { maxLength: 30 }),
        image,
        facts,
        now,
        (policyRules, policyMode, exceptions, findings, img, imageFacts, at) => {
          // Prepare: a checked set (image rules on, so facts matter too) and exception ids unique across the set.
          const set = policySet(
            {
              'default.yaml': {
                ...DEFAULT_POLICY,
                mode: policyMode,
                rules: { ...policyRules, image: { runsAsRoot: 'deny', maxSizeBytes: 1_000 } },
              },
            },
            {
              'exceptions/a.yaml': exceptions.map((e, i) => ({
                id: `waiver-${i}`,
                reason: 'accepted',
                owner: 'team@example.com',
                ...e,
              })),
            },
          );

          // Act
          const optimised = evaluate(findings, img, imageFacts, set, at);
          const reference = referenceEvaluate(findings, img, imageFacts, set, at);

          // Assess: byte-identical JSON (key order included), and evaluating again gives the same.
          expect(JSON.stringify(optimised)).toBe(JSON.stringify(reference));
          expect(JSON.stringify(evaluate(findings, img, imageFacts, set, at))).toBe(
            JSON.stringify(optimised),
          );
        },
      ),
      { numRuns: 400 },
    );
  });

  it('exercises waivers, every rule kind and both verdicts (the generators reach the interesting cases)', () => {
    // Prepare: count what the random cases above cover, so the property cannot pass by never reaching them.
    const seen = {
      waived: 0,
      denied: 0,
      maxSeverity: 0,
      score: 0,
      exploit: 0,
      epss: 0,
      approved: 0,
      quarantined: 0,
    };
    fc.assert(
      fc.property(
        rules,
        fc.array(exception, { maxLength: 8 }),
        fc.array(finding, { maxLength: 30 }),
        image,
        (policyRules, exceptions, findings, img) => {
          const set = policySet(
            { 'default.yaml': { ...DEFAULT_POLICY, rules: policyRules } },
            {
              'exceptions/a.yaml': exceptions.map((e, i) => ({
                id: `waiver-${i}`,
                reason: 'accepted',
                owner: 'team@example.com',
                ...e,
              })),
            },
          );
          const d = evaluate(findings, img, null, set, NOW);
          if (d.waived.length > 0) seen.waived += 1;
          if (d.violations.some((v) => v.rule === 'deniedPackages')) seen.denied += 1;
          if (d.violations.some((v) => v.rule.startsWith('maxSeverity.'))) seen.maxSeverity += 1;
          if (d.violations.some((v) => v.rule === 'score')) seen.score += 1;
          if (d.violations.some((v) => v.rule === 'exploitAvailable')) seen.exploit += 1;
          if (d.violations.some((v) => v.rule === 'epss')) seen.epss += 1;
          seen[d.verdict] += 1;
        },
      ),
      { numRuns: 300, seed: 11 },
    );
    // Assess
    for (const [what, count] of Object.entries(seen)) expect(count, what).toBeGreaterThan(10);
  });
});

describe('evaluate on one id in many packages', () => {
  it('orders the violations of one id and severity as the reference, however many', () => {
    // Prepare: one id and severity in 40 packages (in shuffled order), each violating two rules.
    const set = policySet({
      'default.yaml': { ...DEFAULT_POLICY, rules: { maxSeverity: { HIGH: 0 }, score: { atLeast: 5 } } },
    });
    const findings = Array.from({ length: 40 }, (_, i) =>
      findingOf({ id: 'CVE-7', severity: 'HIGH', package: `pkg-${(i * 17) % 40}`, version: `1.${i % 3}` }),
    );
    const img = { repository: 'orders/api', tags: [], digest: null };

    // Act
    const decision = evaluate(findings, img, null, set, NOW);

    // Assess
    expect(decision.violations).toHaveLength(80);
    expect(JSON.stringify(decision)).toBe(JSON.stringify(referenceEvaluate(findings, img, null, set, NOW)));
  });
});

describe('evaluate with more package names and versions than the compiled set remembers', () => {
  it('decides the same once the remembered denied-package answers have been dropped', () => {
    // Prepare: 20,010 distinct package names and 20,010 versions of one package (the memo keeps 20,000 each).
    const set = policySet({
      'default.yaml': {
        ...DEFAULT_POLICY,
        rules: {
          deniedPackages: [
            { name: 'lib*', versions: ['>=1.0.0 <1.5.0'] },
            { name: 'openssl', versions: ['<1.0.5000'] },
          ],
        },
      },
    });
    const names = Array.from({ length: 20_010 }, (_, i) =>
      findingOf({ id: `CVE-${i % 7}`, package: `lib${i}`, version: `1.${i % 9}.0` }),
    );
    const versions = Array.from({ length: 20_010 }, (_, i) =>
      findingOf({ id: 'CVE-9', package: 'openssl', version: `1.0.${i}` }),
    );
    const img = { repository: 'orders/api', tags: [], digest: null };

    for (const findings of [names, versions]) {
      // Act: twice, so the second evaluation runs after the memo was cleared part-way through the first.
      const first = evaluate(findings, img, null, set, NOW);
      const second = evaluate(findings, img, null, set, NOW);

      // Assess
      const expected = JSON.stringify(referenceEvaluate(findings, img, null, set, NOW));
      expect(first.violations.length).toBeGreaterThanOrEqual(5_000);
      expect(JSON.stringify(first)).toBe(expected);
      expect(JSON.stringify(second)).toBe(expected);
    }
  });
});

describe('evaluate on findings that no parser produces', () => {
  it('keeps every violation of a finding whose severity is none of the known ones', () => {
    // Prepare: a severity outside SEVERITIES (a hand-built finding), beside a normal one; both violate `score`.
    const set = policySet({ 'default.yaml': { ...DEFAULT_POLICY, rules: { score: { atLeast: 5 } } } });
    const odd = { ...findingOf({ id: 'CVE-2', severity: 'HIGH' }), severity: 'SEVERE' } as unknown as Finding;
    const findings = [findingOf({ id: 'CVE-1', severity: 'LOW' }), odd];

    // Act
    const decision = evaluate(findings, { repository: 'orders/api', tags: [], digest: null }, null, set, NOW);

    // Assess
    expect(decision.verdict).toBe('quarantined');
    expect(decision.violations.map((v) => v.findingId).sort()).toEqual(['CVE-1', 'CVE-2']);
  });
});
