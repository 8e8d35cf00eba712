import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../../lib/findings/finding.ts';
import { parseFindings } from '../../../lib/findings/index.ts';
import { findingsDigest, fingerprintFindings, uniqueFindings } from '../../../lib/gate/fingerprint.ts';
import {
  BASIC,
  ENHANCED_ACTIVE,
  ENHANCED_CENTOS8,
  GRYPE,
  INSPECTOR_EVENT,
  loadFixture,
  TRIVY,
} from '../findings/fixtures.ts';
import { referenceFindingsDigest, referenceUniqueFindings } from './fingerprint-reference.ts';

/** Asserts every form of the fingerprint equals the first implementation: same digest, same objects in order. */
function expectSameAsReference(findings: readonly Finding[]): void {
  const expectedUnique = referenceUniqueFindings(findings);
  const expectedDigest = referenceFindingsDigest(findings);
  const unique = uniqueFindings(findings);
  // The same objects (the first read of each row), not merely equal ones.
  expect(unique.length).toBe(expectedUnique.length);
  expect(unique.every((f, i) => f === expectedUnique[i])).toBe(true);
  expect(findingsDigest(findings)).toBe(expectedDigest);
  expect(findingsDigest(unique)).toBe(expectedDigest);
  const once = fingerprintFindings(findings);
  expect(once.digest).toBe(expectedDigest);
  expect(once.findings).toEqual(unique);
}

const FIXTURES: readonly [string, 'aws' | 'scanners', string][] = [
  ['ECR basic', 'aws', BASIC],
  ['ECR enhanced', 'aws', ENHANCED_ACTIVE],
  ['ECR enhanced, one CVE in four packages', 'aws', ENHANCED_CENTOS8],
  ['Inspector finding event', 'aws', INSPECTOR_EVENT],
  ['Trivy', 'scanners', TRIVY],
  ['Grype', 'scanners', GRYPE],
];

describe('findings fingerprint', () => {
  it('keeps the digest of the empty list', () => {
    expect(findingsDigest([])).toBe(
      'sha256:4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945',
    );
  });

  it.each(FIXTURES)('%s: same unique findings and digest as the first implementation', (_, dir, name) => {
    // Prepare: the fixture's findings, then the same rows reversed with duplicates, as overlapping pages give.
    const findings = parseFindings(loadFixture(dir, name), name, 'auto').findings;
    expect(findings.length).toBeGreaterThan(0);
    const reread = [...findings].reverse().concat(findings.map((f) => ({ ...f })));

    // Act + Assess
    expectSameAsReference(findings);
    expectSameAsReference(reread);
    expect(findingsDigest(reread)).toBe(findingsDigest(findings));
  });

  it('orders findings of one id by every field as the canonical lines do', () => {
    // Prepare: one id; lines that differ only late, in numbers that are prefixes of others, nulls and absent keys.
    const base: Finding = {
      id: 'CVE-2024-1',
      severity: 'HIGH',
      score: 7.5,
      epss: null,
      fixAvailable: 'YES',
      exploitAvailable: false,
      package: 'openssl',
      version: '3.0.1',
      fixedIn: null,
      url: null,
      title: null,
      source: 'trivy',
    };
    const findings: Finding[] = [
      base,
      { ...base, score: 7 },
      { ...base, score: 75 },
      { ...base, score: null },
      { ...base, score: -0 },
      { ...base, score: 0 },
      { ...base, epss: 1e-7 },
      { ...base, epss: 0.1 },
      { ...base, exploitAvailable: null },
      { ...base, exploitAvailable: true },
      { ...base, package: 'openssl-libs' },
      { ...base, package: 'openssl libs' },
      { ...base, package: 'openssl!' },
      { ...base, package: 'openssl"' },
      { ...base, package: 'openssl\\' },
      { ...base, package: 'openssl\n' },
      { ...base, package: 'openssl\u{1F600}' },
      { ...base, package: 'openssl\ud800' },
      { ...base, package: 'openssl\udc00' },
      { ...base, package: null },
      { ...base, source: 'grype' },
      { ...base, title: undefined as unknown as null },
      { ...base, version: '3.0.1' },
    ];
    expectSameAsReference(findings);
    expectSameAsReference([...findings].reverse());
  });

  it('takes the plain path when a field is not of its declared type, with the same result', () => {
    const odd = [
      { id: 7, severity: 'HIGH', score: null, source: 'trivy' },
      { id: '7', severity: 'HIGH', score: '7.5', source: 'trivy' },
      { id: '7', severity: 'HIGH', score: 7.5, source: 'trivy' },
    ] as unknown as Finding[];
    expectSameAsReference(odd);
    // Only the group of the odd finding's id takes the plain path when every id is a string.
    const oddField = [
      { id: '8', severity: 'HIGH', score: 7.5, source: 'trivy' },
      { id: '7', severity: 'HIGH', score: '75', source: 'trivy' },
      { id: '7', severity: 'HIGH', score: 7.5, source: 'trivy' },
      { id: '7', severity: 'HIGH', score: '75', source: 'trivy' },
      { id: '8', severity: 'LOW', score: [1], source: 'trivy' },
      { id: '9', severity: 'HIGH', exploitAvailable: 'yes', source: 'trivy' },
    ] as unknown as Finding[];
    expectSameAsReference(oddField);
    expectSameAsReference([...oddField].reverse());
  });

  it('equals the first implementation over random findings', () => {
    // Small pools make shared ids, equal fields and duplicate rows common; strings include every character class
    // that JSON escapes or that sorts around the closing quote (space, "!", controls, lone surrogates).
    const text = fc.oneof(
      fc.constantFrom('a', 'ab', 'a b', 'a!', 'a"', 'a\\', 'a\u0001', 'a\ud800', 'a\udc00', '\u{1F600}', ''),
      fc.string({ unit: 'binary', maxLength: 6 }),
    );
    const nullableText = fc.option(text, { nil: null });
    const number = fc.option(
      fc.oneof(
        fc.constantFrom(0, -0, 1, 10, 1.5, 1e21, 1e-7, Number.NaN, Number.POSITIVE_INFINITY),
        fc.double(),
      ),
      { nil: null },
    );
    const finding = fc.record({
      id: fc.oneof(fc.constantFrom('CVE-1', 'CVE-10', 'CVE-1 ', 'CVE-1!'), text),
      severity: fc.constantFrom(
        'CRITICAL',
        'HIGH',
        'MEDIUM',
        'LOW',
        'INFORMATIONAL',
        'UNDEFINED',
        'UNTRIAGED',
      ),
      score: number,
      epss: number,
      fixAvailable: fc.constantFrom('YES', 'NO', 'PARTIAL', null),
      exploitAvailable: fc.constantFrom(true, false, null),
      package: nullableText,
      version: nullableText,
      fixedIn: nullableText,
      url: nullableText,
      title: fc.option(text, { nil: undefined }),
      source: fc.constantFrom('ecr-basic', 'ecr-enhanced', 'inspector', 'trivy', 'grype'),
    }) as fc.Arbitrary<Finding>;
    const list = fc
      .tuple(fc.array(finding, { maxLength: 40 }), fc.array(fc.nat(), { maxLength: 20 }))
      .map(([rows, picks]) =>
        rows.length === 0
          ? rows
          : [...rows, ...picks.map((p) => ({ ...(rows[p % rows.length] as Finding) }))],
      );
    fc.assert(
      fc.property(list, (findings) => {
        expectSameAsReference(findings);
      }),
      { numRuns: 400 },
    );
  });
});
