import { describe, expect, it } from 'vitest';
import { parseFindings } from '../../../lib/findings/index.ts';
import { dig, GRYPE, loadFixture } from './fixtures.ts';

describe('Grype JSON', () => {
  it('normalises matches with the documented severity and fix-state mapping', () => {
    const report = parseFindings(loadFixture('scanners', GRYPE), 'grype.json', 'auto');
    expect(report.input).toBe('grype');
    expect(report.image).toEqual({
      repository: 'payments/api',
      digest: 'sha256:0f3c2b1a9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b',
      tags: ['1.4.2'],
    });
    expect(report.excluded).toBeUndefined();
    expect(
      report.findings.map((f) => [
        f.id,
        f.severity,
        f.score,
        f.epss,
        f.fixAvailable,
        f.exploitAvailable,
        f.package,
        f.fixedIn,
      ]),
    ).toEqual([
      ['CVE-2023-4911', 'HIGH', 7.8, 0.7321, 'YES', true, 'libc6', '2.36-9+deb12u3'],
      ['GHSA-hrpp-h998-j3pp', 'HIGH', 7.5, null, 'YES', null, 'qs', '6.5.3'],
      ['CVE-2023-45853', 'CRITICAL', 9.8, 0.0129, 'NO', null, 'zlib1g', null],
      ['CVE-2011-3374', 'INFORMATIONAL', 4.3, null, 'NO', null, 'apt', null],
      ['CVE-2024-26458', 'UNDEFINED', null, null, null, null, 'libkrb5-3', null],
    ]);
    expect(report.findings[0]).toMatchObject({
      version: '2.36-9+deb12u1',
      url: 'https://security-tracker.debian.org/tracker/CVE-2023-4911',
      source: 'grype',
    });
  });

  it.each<[string, (m: Record<string, unknown>) => void, string]>([
    [
      'a bad severity',
      (m) => {
        dig(m, 'vulnerability').severity = 'CRITICAL';
      },
      'g.json: matches[0].vulnerability.severity: expected one of Critical, High, Medium, Low, Negligible, Unknown, got "CRITICAL"',
    ],
    [
      'a missing vulnerability',
      (m) => {
        delete m.vulnerability;
      },
      'g.json: matches[0].vulnerability: expected an object, got nothing',
    ],
    [
      'a bad fix state',
      (m) => {
        dig(m, 'vulnerability', 'fix').state = 'soon';
      },
      'g.json: matches[0].vulnerability.fix.state: expected one of fixed, not-fixed, wont-fix, unknown, , got "soon"',
    ],
    [
      'an EPSS over 1',
      (m) => {
        dig(m, 'vulnerability', 'epss', 0).epss = 73.21;
      },
      'g.json: matches[0].vulnerability.epss[0].epss: expected a number from 0 to 1, got 73.21',
    ],
  ])('refuses %s', (_name, edit, message) => {
    const json = loadFixture('scanners', GRYPE);
    edit(dig(json, 'matches', 0));
    expect(() => parseFindings(json, 'g.json', 'grype')).toThrow(message);
  });

  it('refuses a directory scan: its findings are not about an image', () => {
    const json = loadFixture('scanners', GRYPE);
    json.source = { type: 'directory', target: '/src' };
    expect(() => parseFindings(json, 'g.json', 'auto')).toThrow(
      'g.json: source.type: "directory": the report is not about a container image, so its findings cannot approve one; scan the image (grype IMAGE -o json)',
    );
  });
});

describe('Grype image names', () => {
  it('refuses a tag or digest reference that is not a string, naming its index', () => {
    const json = loadFixture('scanners', GRYPE);
    dig(json, 'source', 'target').tags = ['app:1.0', 7];
    expect(() => parseFindings(json, 'g.json', 'grype')).toThrow(
      'g.json: source.target.tags[1]: expected a string, got 7',
    );
    const other = loadFixture('scanners', GRYPE);
    dig(other, 'source', 'target').repoDigests = [null];
    expect(() => parseFindings(other, 'g.json', 'grype')).toThrow(
      'g.json: source.target.repoDigests[0]: expected a string, got null',
    );
  });
});

describe('Grype layouts and related records', () => {
  it('takes EPSS and KEV from the related NVD record when the GHSA record has none', () => {
    const json = loadFixture('scanners', GRYPE);
    const match = dig(json, 'matches', 1);
    delete match.vulnerability.epss;
    delete match.vulnerability.knownExploited;
    match.relatedVulnerabilities[0].epss = [{ cve: 'CVE-2022-24999', epss: 0.25 }];
    match.relatedVulnerabilities[0].knownExploited = [
      { cve: 'CVE-2022-24999', dateAdded: '2024-01-02', dueDate: '2024-01-23', requiredAction: 'Patch.' },
    ];
    const f = parseFindings(json, 'g.json', 'grype').findings[1];
    expect([f?.epss, f?.exploitAvailable, f?.kev]).toEqual([
      0.25,
      true,
      { dateAdded: '2024-01-02', dateDue: '2024-01-23', action: 'Patch.' },
    ]);
  });

  it('refuses a KEV date it cannot read and a KEV entry that is not an object', () => {
    const json = loadFixture('scanners', GRYPE);
    dig(json, 'matches', 0, 'vulnerability').knownExploited = [{ dueDate: 'next week' }];
    expect(() => parseFindings(json, 'g.json', 'grype')).toThrow(
      'g.json: matches[0].vulnerability.knownExploited[0].dueDate: expected a date YYYY-MM-DD, got "next week"',
    );
    dig(json, 'matches', 0, 'vulnerability').knownExploited = ['2026-08-01'];
    expect(() => parseFindings(json, 'g.json', 'grype')).toThrow(
      'g.json: matches[0].vulnerability.knownExploited[0]: expected an object, got "2026-08-01"',
    );
  });

  it('reads an archive scan: the image from source.target.tags, not from the file name', () => {
    const json = loadFixture('scanners', GRYPE);
    const target = dig(json, 'source', 'target');
    target.userInput = 'docker-archive:/tmp/payments-api.tar';
    target.repoDigests = [];
    expect(parseFindings(json, 'g.json', 'grype').image).toEqual({
      repository: 'payments/api',
      digest: null,
      tags: ['1.4.2'],
    });
    target.tags = [];
    expect(parseFindings(json, 'g.json', 'grype').image).toEqual({
      repository: null,
      digest: null,
      tags: [],
    });
  });

  it('refuses a score written as a non-decimal string (blank, hex, Infinity)', () => {
    for (const bad of [' ', '0x9', 'Infinity']) {
      const json = loadFixture('scanners', GRYPE);
      dig(json, 'matches', 2, 'vulnerability', 'cvss', 0, 'metrics').baseScore = bad;
      expect(() => parseFindings(json, 'g.json', 'grype')).toThrow(
        'g.json: matches[2].vulnerability.cvss[0].metrics.baseScore: expected a number from 0 to 10',
      );
    }
  });
});
