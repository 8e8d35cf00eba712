import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../../lib/findings/finding.ts';
import { parseFindings } from '../../../lib/findings/index.ts';
import {
  findingsDigest,
  fingerprintFindings,
  isCurrentFindingsDigest,
  uniqueFindings,
} from '../../../lib/gate/fingerprint.ts';
import {
  BASIC,
  ENHANCED_ACTIVE,
  ENHANCED_CENTOS8,
  GRYPE,
  INSPECTOR_EVENT,
  loadFixture,
  TRIVY,
} from '../findings/fixtures.ts';
import { referenceFindingsDigest } from './fingerprint-reference.ts';

/**
 * The version-2 canonical list restated plainly, as the format is documented: each finding's line is the JSON
 * array of its read fields; distinct lines, ordered by id then line (code units), concatenated, sha256 of the
 * UTF-8. Digests are stored in ledgers: this pins the bytes.
 */
function specLine(f: Finding): string {
  return JSON.stringify([
    f.id ?? null,
    f.severity ?? null,
    f.score ?? null,
    f.epss ?? null,
    f.fixAvailable ?? null,
    f.exploitAvailable ?? null,
    f.package ?? null,
    f.version ?? null,
    f.fixedIn ?? null,
    f.url ?? null,
    f.source ?? null,
    f.kev ? [f.kev.dateAdded ?? null, f.kev.dateDue ?? null] : null,
  ]);
}

function specUnique(findings: readonly Finding[]): Finding[] {
  const byLine = new Map<string, Finding>();
  for (const f of findings) if (!byLine.has(specLine(f))) byLine.set(specLine(f), f);
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return [...byLine.entries()].sort(([la, a], [lb, b]) => cmp(a.id, b.id) || cmp(la, lb)).map(([, f]) => f);
}

function specDigest(findings: readonly Finding[]): string {
  const text = specUnique(findings).map(specLine).join('');
  return `v2:sha256:${createHash('sha256').update(text, 'utf8').digest('hex')}`;
}

/** Asserts every form of the fingerprint equals the plain statement: same digest, same objects in order. */
function expectSameAsSpec(findings: readonly Finding[]): void {
  const expectedUnique = specUnique(findings);
  const expectedDigest = specDigest(findings);
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

// Small pools make shared ids, equal fields and duplicate rows common; strings include every character class
// that JSON escapes or that sorts around the closing quote (space, "!", controls, lone surrogates).
const text = fc.oneof(
  fc.constantFrom(
    'a',
    'ab',
    'a b',
    'a!',
    'a"',
    'a\\',
    'a\u0001',
    'a\ud800',
    'a\udc00',
    '\ufffd',
    '\u{1F600}',
    '',
  ),
  fc.string({ unit: 'binary', maxLength: 6 }),
);
const nullableText = fc.option(text, { nil: null });
const number = fc.option(
  fc.oneof(
    fc.constantFrom(0, 1, 10, 1.5, 1e21, 1e-7, 7.5, 75),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
  ),
  { nil: null },
);
const finding = fc.record(
  {
    id: fc.oneof(fc.constantFrom('CVE-1', 'CVE-10', 'CVE-1 ', 'CVE-1!'), text),
    severity: fc.constantFrom('CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL', 'UNDEFINED', 'UNTRIAGED'),
    score: number,
    epss: number,
    fixAvailable: fc.constantFrom('YES', 'NO', 'PARTIAL', null),
    exploitAvailable: fc.constantFrom(true, false, null),
    package: nullableText,
    version: nullableText,
    fixedIn: nullableText,
    url: nullableText,
    title: fc.option(text, { nil: null }),
    source: fc.constantFrom('ecr-basic', 'ecr-enhanced', 'inspector', 'trivy', 'grype'),
    kev: fc.record({
      dateAdded: fc.constantFrom('2024-01-02', '2024-01-03', null),
      dateDue: fc.constantFrom('2024-02-02', '2024-02-03', null),
    }),
  },
  {
    requiredKeys: [
      'id',
      'severity',
      'score',
      'epss',
      'fixAvailable',
      'exploitAvailable',
      'package',
      'version',
      'fixedIn',
      'url',
      'title',
      'source',
    ],
  },
) as fc.Arbitrary<Finding>;
const list = fc
  .tuple(fc.array(finding, { maxLength: 40 }), fc.array(fc.nat(), { maxLength: 20 }))
  .map(([rows, picks]) =>
    rows.length === 0 ? rows : [...rows, ...picks.map((p) => ({ ...(rows[p % rows.length] as Finding) }))],
  );

/** Every field evaluation or a message reads, each with a way to change it to a value it does not have. */
const READ_FIELDS: readonly [string, (f: Finding) => Finding][] = [
  ['id', (f) => ({ ...f, id: `${f.id}x` })],
  ['severity', (f) => ({ ...f, severity: f.severity === 'LOW' ? 'HIGH' : 'LOW' })],
  ['score', (f) => ({ ...f, score: f.score === 9.8 ? 9.9 : 9.8 })],
  ['epss', (f) => ({ ...f, epss: f.epss === 0.5 ? 0.25 : 0.5 })],
  ['fixAvailable', (f) => ({ ...f, fixAvailable: f.fixAvailable === 'YES' ? 'NO' : 'YES' })],
  ['exploitAvailable', (f) => ({ ...f, exploitAvailable: f.exploitAvailable !== true })],
  ['package', (f) => ({ ...f, package: `${f.package ?? ''}x` })],
  ['version', (f) => ({ ...f, version: `${f.version ?? ''}x` })],
  ['fixedIn', (f) => ({ ...f, fixedIn: `${f.fixedIn ?? ''}x` })],
  ['url', (f) => ({ ...f, url: `${f.url ?? ''}x` })],
  ['source', (f) => ({ ...f, source: f.source === 'trivy' ? 'grype' : 'trivy' })],
  [
    'kev.dateAdded',
    (f) => ({ ...f, kev: { dateAdded: `${f.kev?.dateAdded ?? ''}x`, dateDue: f.kev?.dateDue ?? null } }),
  ],
  [
    'kev.dateDue',
    (f) => ({ ...f, kev: { dateAdded: f.kev?.dateAdded ?? null, dateDue: `${f.kev?.dateDue ?? ''}x` } }),
  ],
];

function sameElements(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  return a.size === b.size && [...a].every((x) => b.has(x));
}

describe('findings fingerprint (version 2)', () => {
  it('digest of the empty list: sha256 of the empty text, with the version prefix', () => {
    expect(findingsDigest([])).toBe(
      'v2:sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
  });

  it.each(FIXTURES)(
    '%s: same unique findings and digest as the plain statement of the format',
    (_, dir, name) => {
      // Prepare: the fixture's findings, then the same rows reversed with duplicates, as overlapping pages give.
      const findings = parseFindings(loadFixture(dir, name), name, 'auto').findings;
      expect(findings.length).toBeGreaterThan(0);
      const reread = [...findings].reverse().concat(findings.map((f) => ({ ...f })));

      // Act + Assess
      expectSameAsSpec(findings);
      expectSameAsSpec(reread);
      expect(findingsDigest(reread)).toBe(findingsDigest(findings));
    },
  );

  it('equals the plain statement of the format over random findings', () => {
    fc.assert(
      fc.property(list, (findings) => {
        expectSameAsSpec(findings);
      }),
      { numRuns: 400 },
    );
  });

  it('is a function of the set of distinct findings: any order, any duplicate rows', () => {
    fc.assert(
      fc.property(
        list,
        fc.array(fc.nat(), { maxLength: 30 }),
        fc.array(fc.integer(), { minLength: 100, maxLength: 100 }),
        (findings, extra, keys) => {
          const copies =
            findings.length === 0
              ? []
              : extra.map((p) => ({ ...(findings[p % findings.length] as Finding) }));
          const rows = [...findings, ...copies];
          const order = rows
            .map((_, i) => i)
            .sort((x, y) => (keys[x % 100] as number) - (keys[y % 100] as number) || y - x);
          const shuffled = order.map((i) => rows[i] as Finding);
          expect(findingsDigest(shuffled)).toBe(findingsDigest(findings));
          expect(uniqueFindings(shuffled).map(specLine)).toEqual(uniqueFindings(findings).map(specLine));
        },
      ),
      { numRuns: 200 },
    );
  });

  it.each(READ_FIELDS)(
    'changes when %s of one finding changes (exactly when the set of findings does)',
    (_, change) => {
      let changedSets = 0;
      fc.assert(
        fc.property(list, fc.nat(), (findings, pick) => {
          fc.pre(findings.length > 0);
          const i = pick % findings.length;
          const changed = findings.map((f, k) => (k === i ? change(f) : f));
          expect(specLine(changed[i] as Finding)).not.toBe(specLine(findings[i] as Finding));
          const sameSet = sameElements(new Set(findings.map(specLine)), new Set(changed.map(specLine)));
          if (!sameSet) changedSets += 1;
          expect(findingsDigest(changed) === findingsDigest(findings)).toBe(sameSet);
        }),
        { numRuns: 100 },
      );
      expect(changedSets).toBeGreaterThan(50);
    },
  );

  it('does not change with the title, which nothing downstream reads', () => {
    fc.assert(
      fc.property(list, (findings) => {
        const retitled = findings.map((f) => ({ ...f, title: `${f.title ?? ''} (edited)` }));
        expect(findingsDigest(retitled)).toBe(findingsDigest(findings));
      }),
      { numRuns: 100 },
    );
  });

  it('never equals a version-1 digest of the same findings, so such a record is decided again', () => {
    fc.assert(
      fc.property(list, (findings) => {
        const old = referenceFindingsDigest(findings);
        expect(findingsDigest(findings)).not.toBe(old);
        expect(isCurrentFindingsDigest(old)).toBe(false);
        expect(isCurrentFindingsDigest(findingsDigest(findings))).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it('keeps malformed findings apart from well-typed ones and orders them the same in any read order', () => {
    const odd = [
      { id: 7, severity: 'HIGH', score: null, source: 'trivy' },
      { id: '7', severity: 'HIGH', score: '7.5', source: 'trivy' },
      { id: '7', severity: 'HIGH', score: 7.5, source: 'trivy' },
      { id: '7', severity: 'HIGH', score: 7.5, source: 'trivy' },
    ] as unknown as Finding[];
    const once = fingerprintFindings(odd);
    expect(once.findings).toHaveLength(3);
    expect(fingerprintFindings([...odd].reverse()).digest).toBe(once.digest);
    expect(findingsDigest(odd.slice(1))).not.toBe(once.digest);
  });
});
