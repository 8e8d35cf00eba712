import { describe, expect, it } from 'vitest';
import { parseFindings } from '../../../lib/findings/index.ts';
import { dig, loadFixture, TRIVY } from './fixtures.ts';

const DIGEST = 'sha256:0f3c2b1a9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b';

describe('Trivy JSON', () => {
  it('normalises every vulnerability of every result, skipping not_affected and secrets', () => {
    const report = parseFindings(loadFixture('scanners', TRIVY), 'trivy.json', 'auto');
    expect(report.input).toBe('trivy');
    expect(report.scan).toBeNull();
    expect(report.image).toEqual({ repository: 'payments/api', digest: DIGEST, tags: ['1.4.2', 'latest'] });
    expect(report.excluded).toEqual({ 'status not_affected': 1 });
    expect(
      report.findings.map((f) => [
        f.id,
        f.severity,
        f.score,
        f.fixAvailable,
        f.package,
        f.version,
        f.fixedIn,
      ]),
    ).toEqual([
      ['CVE-2011-3374', 'LOW', 3.7, 'NO', 'apt', '2.6.1', null],
      ['CVE-2023-4911', 'HIGH', 7.8, 'YES', 'libc-bin', '2.36-9+deb12u1', '2.36-9+deb12u3'],
      ['CVE-2023-4911', 'HIGH', 7.8, 'YES', 'libc6', '2.36-9+deb12u1', '2.36-9+deb12u3'],
      ['CVE-2023-45853', 'CRITICAL', 9.8, 'NO', 'zlib1g', '1:1.2.13.dfsg-1', null],
      ['TEMP-0841856-B18BAF', 'UNDEFINED', null, 'NO', 'bash', '5.2.15-2+b2', null],
      [
        'CVE-2022-24999',
        'HIGH',
        7.5,
        'YES',
        'qs',
        '6.5.2',
        '6.10.3, 6.9.7, 6.8.3, 6.7.3, 6.6.1, 6.5.3, 6.4.1, 6.3.3, 6.2.4',
      ],
      ['CVE-2024-29041', 'MEDIUM', 6.1, 'YES', 'express', '4.18.2', '4.19.2, 5.0.0-beta.3'],
    ]);
    expect(report.findings[0]).toMatchObject({
      url: 'https://avd.aquasec.com/nvd/cve-2011-3374',
      title: 'It was found that apt-key in apt, all versions, do not correctly valid ...',
      source: 'trivy',
      epss: null,
      exploitAvailable: null,
    });
  });

  it.each<[string, (v: Record<string, unknown>) => void, unknown]>([
    [
      'severity source first (redhat 5.9 over nvd 7.5)',
      (v) => {
        v.SeveritySource = 'redhat';
      },
      5.9,
    ],
    [
      'nvd when the severity source has no score',
      (v) => {
        v.SeveritySource = 'debian';
      },
      7.5,
    ],
    [
      'V2 when no source has V3',
      (v) => {
        v.CVSS = { nvd: { V2Score: 5 } };
      },
      5,
    ],
    [
      '0 means no score',
      (v) => {
        v.CVSS = { nvd: { V3Score: 0 } };
      },
      null,
    ],
    [
      'no CVSS at all',
      (v) => {
        delete v.CVSS;
      },
      null,
    ],
  ])('score: %s', (_name, edit, expected) => {
    const json = loadFixture('scanners', TRIVY);
    edit(dig(json, 'Results', 1, 'Vulnerabilities', 0));
    expect(parseFindings(json, 't.json', 'trivy').findings[5]?.score).toBe(expected);
  });

  it('without Status (older Trivy) a FixedVersion means a fix exists, none means unknown', () => {
    const json = loadFixture('scanners', TRIVY);
    const vulns = dig(json, 'Results', 0, 'Vulnerabilities');
    for (const v of vulns) delete v.Status;
    const fixes = parseFindings(json, 't.json', 'trivy')
      .findings.slice(0, 6)
      .map((f) => f.fixAvailable);
    expect(fixes).toEqual([null, 'YES', 'YES', null, null, null]);
  });

  it.each<[string, (j: Record<string, unknown>) => void, string]>([
    [
      'schema 1',
      (j) => {
        j.SchemaVersion = 1;
      },
      't.json: SchemaVersion: expected 2 (trivy image -f json, Trivy 0.20 or later; the array layout of earlier versions is also read), got 1',
    ],
    [
      'a bad severity',
      (j) => {
        dig(j, 'Results', 0, 'Vulnerabilities', 2).Severity = 'high';
      },
      't.json: Results[0].Vulnerabilities[2].Severity: expected one of CRITICAL, HIGH, MEDIUM, LOW, UNKNOWN, got "high"',
    ],
    [
      'a bad status',
      (j) => {
        dig(j, 'Results', 0, 'Vulnerabilities', 0).Status = 'patched';
      },
      't.json: Results[0].Vulnerabilities[0].Status: expected one of fixed, affected, will_not_fix, fix_deferred, end_of_life, under_investigation, unknown, not_affected, got "patched"',
    ],
    [
      'Vulnerabilities not an array',
      (j) => {
        dig(j, 'Results', 1).Vulnerabilities = {};
      },
      't.json: Results[1].Vulnerabilities: expected an array, got an object',
    ],
  ])('refuses %s', (_name, edit, message) => {
    const json = loadFixture('scanners', TRIVY);
    edit(json);
    expect(() => parseFindings(json, 't.json', 'auto')).toThrow(message);
  });

  it('refuses a filesystem scan: its findings are not about an image', () => {
    const json = loadFixture('scanners', TRIVY);
    json.ArtifactType = 'filesystem';
    json.ArtifactName = '.';
    expect(() => parseFindings(json, 't.json', 'auto')).toThrow(
      't.json: ArtifactType: "filesystem": the report is not about a container image, so its findings cannot approve one; scan the image (trivy image -f json)',
    );
  });
});
