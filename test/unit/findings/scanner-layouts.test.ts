/**
 * Every report layout in test/fixtures/scanners, read in full or refused by name. Expected values were read
 * by hand from each file (see the fixtures' README for where each file comes from and which version wrote it).
 */
import { describe, expect, it } from 'vitest';
import { type Finding, InvalidInputError, readFindingsFile } from '../../../lib/findings/index.ts';
import { fixturePath } from './fixtures.ts';

/** [id, severity, score, fixAvailable, fixedIn, package, version] */
type Row = [string, string, number | null, string | null, string | null, string, string | null];

interface Layout {
  readonly file: string;
  readonly input: 'trivy' | 'grype';
  readonly image: { repository: string | null; digest: string | null; tags: string[] };
  readonly rows: readonly Row[];
  readonly excluded?: Record<string, number>;
  /** EPSS per finding, in order, where the layout has it. */
  readonly epss?: readonly (number | null)[];
}

const NO_IMAGE = { repository: null, digest: null, tags: [] };
const OPENSSL_ALPINE310 = (v2only: boolean): Row[] => {
  // Before Trivy added NVD v3 scores to its test DB, the redhat v3 score was the only v3 one.
  const s1549 = v2only ? 4.8 : 5.3;
  const rows: Row[] = [];
  for (const pkg of ['libcrypto1.1', 'libssl1.1']) {
    rows.push(['CVE-2019-1549', 'MEDIUM', s1549, 'YES', '1.1.1d-r0', pkg, '1.1.1c-r0']);
    rows.push(['CVE-2019-1551', 'MEDIUM', s1549, 'YES', '1.1.1d-r2', pkg, '1.1.1c-r0']);
    if (v2only) {
      rows.push(['CVE-2019-1563', 'MEDIUM', 3.7, 'YES', '1.1.1d-r0', pkg, '1.1.1c-r0']);
      rows.push(['CVE-2019-1547', 'LOW', 5.5, 'YES', '1.1.1d-r0', pkg, '1.1.1c-r0']);
    }
  }
  return rows;
};

const LAYOUTS: readonly Layout[] = [
  {
    file: 'trivy-0.1.6-array-alpine310.json',
    input: 'trivy',
    image: NO_IMAGE,
    rows: [
      ['CVE-2019-1549', 'MEDIUM', null, 'YES', '1.1.1d-r1', 'openssl', '1.1.1c-r0'],
      ['CVE-2019-1563', 'MEDIUM', null, 'YES', '1.1.1d-r1', 'openssl', '1.1.1c-r0'],
      ['CVE-2019-1547', 'LOW', null, 'YES', '1.1.1d-r1', 'openssl', '1.1.1c-r0'],
    ],
  },
  {
    file: 'trivy-0.14.0-array-cvss-alpine310.json',
    input: 'trivy',
    image: NO_IMAGE,
    rows: OPENSSL_ALPINE310(true),
  },
  {
    file: 'trivy-0.19.2-archive-alpine310.json',
    input: 'trivy',
    image: NO_IMAGE,
    rows: OPENSSL_ALPINE310(true),
  },
  {
    file: 'trivy-0.48.2-archive-status-alpine310.json',
    input: 'trivy',
    image: NO_IMAGE,
    rows: OPENSSL_ALPINE310(false),
  },
  {
    file: 'trivy-0.68.1-archive-repotags-alpine310.json',
    input: 'trivy',
    image: { repository: 'aquasecurity/trivy-test-images', digest: null, tags: ['alpine-310'] },
    rows: OPENSSL_ALPINE310(false),
  },
  {
    file: 'trivy-dd-scheme2-teamdojo.json',
    input: 'trivy',
    image: { repository: 'teamdojo', digest: null, tags: ['latest'] },
    rows: [
      ['CVE-2020-15999', 'MEDIUM', 6.5, 'YES', '2.9.1-r3', 'freetype', '2.9.1-r2'],
      // No nvd entry: the redhat v3 score.
      ['CVE-2020-28196', 'HIGH', 7.5, 'YES', '1.15.5-r1', 'krb5-libs', '1.15.5-r0'],
      // CVSS null in the file.
      ['CVE-2019-12900', 'CRITICAL', null, 'YES', '1.0.6-r7', 'libbz2', '1.0.6-r6'],
      ['CVE-2018-11771', 'MEDIUM', 5.5, 'YES', '1.18', 'org.apache.commons:commons-compress', '1.14'],
      ['CVE-2018-1324', 'MEDIUM', 5.5, 'YES', '1.16', 'org.apache.commons:commons-compress', '1.14'],
    ],
  },
  {
    file: 'trivy-dd-all-statuses.json',
    input: 'trivy',
    image: NO_IMAGE,
    excluded: { 'status not_affected': 1 },
    rows: [
      ['CVE-2011-3374', 'LOW', 3.7, null, null, 'apt', '1.8.2.3'],
      ['TEMP-0841856-B18BAF', 'LOW', null, 'NO', null, 'bash', '5.0-4'],
      ['CVE-2018-1000876', 'LOW', 7.8, 'YES', null, 'binutils', '2.31.1-16'],
      ['CVE-2018-12697', 'LOW', 7.5, 'NO', null, 'binutils', '2.31.1-16'],
      ['CVE-2018-12698', 'LOW', 7.5, 'NO', null, 'binutils', '2.31.1-16'],
      ['CVE-2018-12699', 'LOW', 9.8, 'NO', null, 'binutils', '2.31.1-16'],
      ['CVE-2018-12934', 'LOW', 7.5, 'NO', null, 'binutils', '2.31.1-16'],
    ],
  },
  {
    file: 'trivy-dd-legacy-debian-trimmed.json',
    input: 'trivy',
    image: NO_IMAGE,
    rows: [
      ['CVE-2011-3374', 'LOW', 3.7, null, null, 'apt', '1.8.2.2'],
      ['CVE-2019-18276', 'LOW', 7.8, null, null, 'bash', '5.0-4'],
      ['TEMP-0841856-B18BAF', 'LOW', null, null, null, 'bash', '5.0-4'],
      ['CVE-2016-2781', 'LOW', 6.5, null, null, 'coreutils', '8.30-3'],
      ['CVE-2017-18018', 'LOW', 4.7, null, null, 'coreutils', '8.30-3'],
    ],
  },
  {
    file: 'grype-0.7.0-defectdojo-django-trimmed.json',
    input: 'grype',
    image: { repository: 'defectdojo/defectdojo-django', digest: null, tags: ['1.13.1'] },
    rows: [
      ['CVE-2019-18276', 'INFORMATIONAL', 7.2, null, null, 'bash', '5.0-4'],
      ['CVE-2020-35523', 'UNDEFINED', null, null, null, 'libtiff5', '4.1.0+git191117-2~deb10u1'],
      // cvssV3 wins over cvssV2 (6.5).
      ['CVE-2015-5237', 'HIGH', 8.8, null, null, 'protobuf', '3.15.3'],
      ['CVE-2021-24031', 'UNDEFINED', null, 'YES', '1.3.8+dfsg-3+deb10u1', 'libzstd1', '1.3.8+dfsg-3'],
    ],
  },
  {
    file: 'grype-2021-05-snapshot-cvss-fixedinversion.json',
    input: 'grype',
    image: { repository: 'user-input', digest: null, tags: [] },
    rows: [
      ['CVE-1999-0001', 'LOW', 4, 'YES', 'the-next-version', 'package-1', '1.1.1'],
      ['CVE-1999-0002', 'CRITICAL', 1, null, null, 'package-1', '1.1.1'],
      ['CVE-1999-0003', 'HIGH', null, 'YES', 'the-other-next-version', 'package-1', '1.1.1'],
    ],
  },
  {
    file: 'grype-0.28.0-check-all-fields-trimmed.json',
    input: 'grype',
    image: { repository: 'vulnerable-image', digest: null, tags: ['latest'] },
    rows: [
      // The score comes from the related NVD record.
      ['CVE-2004-0971', 'INFORMATIONAL', 2.1, 'NO', null, 'libgssapi-krb5-2', '1.17-3+deb10u3'],
      ['CVE-2021-32626', 'HIGH', 8.8, 'NO', 'fix_1', 'redis', '4.0.2'],
      ['CVE-2021-33574', 'CRITICAL', 9.8, 'NO', null, 'libc-bin', '2.28-10'],
    ],
  },
  {
    file: 'grype-0.75.0-fix-available.json',
    input: 'grype',
    // userInput and repoDigests are "REDACTED": not image references.
    image: NO_IMAGE,
    rows: [['CVE-2009-3882', 'HIGH', 7.5, 'YES', '1.2.3', 'java', '17.0.10+7\u0000-J-ms8m']],
  },
  {
    file: 'grype-0.94.0-epss-busybox-trimmed.json',
    input: 'grype',
    image: {
      repository: 'busybox',
      digest: 'sha256:ae39a6f5c07297d7ab64dbd4f82c77c874cc6a94cea29fdec309d0992574b4f7',
      tags: ['1.32.1'],
    },
    rows: [
      ['CVE-2022-28391', 'HIGH', 8.8, null, null, 'busybox', '1.32.1'],
      ['CVE-2021-28831', 'HIGH', 7.5, null, null, 'busybox', '1.32.1'],
      ['CVE-2022-48174', 'CRITICAL', 9.8, null, null, 'busybox', '1.32.1'],
      ['CVE-2021-42380', 'HIGH', 7.2, null, null, 'busybox', '1.32.1'],
    ],
    epss: [0.0719, 0.00878, 0.00451, 0.00277],
  },
  {
    file: 'grype-2026-03-snapshot-kev.json',
    input: 'grype',
    image: { repository: 'user-input', digest: null, tags: [] },
    rows: [
      ['CVE-1999-0001', 'LOW', 8.2, 'YES', '1.2.1', 'package-1', '1.1.1'],
      ['CVE-1999-0002', 'CRITICAL', 8.5, null, null, 'package-2', '2.2.2'],
    ],
    epss: [0.03, 0.08],
  },
];

const row = (f: Finding): Row => [
  f.id,
  f.severity,
  f.score,
  f.fixAvailable,
  f.fixedIn,
  f.package ?? '',
  f.version,
];

describe('scanner report layouts', () => {
  it.each(LAYOUTS.map((l) => [l.file, l] as const))('reads %s in full', async (file, layout) => {
    const report = await readFindingsFile(fixturePath('scanners', file), 'auto', file);
    expect(report.input).toBe(layout.input);
    expect(report.image).toEqual(layout.image);
    expect(report.findings.map(row)).toEqual(layout.rows);
    expect(report.excluded ?? {}).toEqual(layout.excluded ?? {});
    if (layout.epss) expect(report.findings.map((f) => f.epss)).toEqual(layout.epss);
    // The explicit --input reads the same.
    const explicit = await readFindingsFile(fixturePath('scanners', file), layout.input, file);
    expect(explicit.findings).toEqual(report.findings);
  });

  it('carries CISA KEV from Grype knownExploited: exploitAvailable and kev, only where listed', async () => {
    const file = 'grype-2026-03-snapshot-kev.json';
    const report = await readFindingsFile(fixturePath('scanners', file), 'grype', file);
    expect(report.findings.map((f) => [f.id, f.exploitAvailable, f.kev])).toEqual([
      ['CVE-1999-0001', null, undefined],
      ['CVE-1999-0002', true, { dateAdded: null, dateDue: null, action: null }],
    ]);
    const constructed = await readFindingsFile(
      fixturePath('scanners', 'grype-image-debian12-ecr.json'),
      'grype',
    );
    expect(constructed.findings[0]?.kev).toEqual({
      dateAdded: '2023-11-21',
      dateDue: '2023-12-12',
      action:
        'Apply mitigations per vendor instructions or discontinue use of the product if mitigations are unavailable.',
    });
  });

  it.each([
    [
      'trivy-dd-legacy-null.json',
      'got null (Trivy before 0.20 writes null when it finds nothing; such a report names no image and no result: scan again with Trivy 0.20 or later)',
    ],
    [
      'trivy-dd-legacy-mix.json',
      'trivy-dd-legacy-mix.json: [0].Vulnerabilities[0].VulnerabilityID: expected a string, got nothing',
    ],
    [
      'trivy-dd-cvssv4-filesystem.json',
      'trivy-dd-cvssv4-filesystem.json: ArtifactType: "filesystem": the report is not about a container image, so its findings cannot approve one; scan the image (trivy image -f json)',
    ],
    [
      'trivy-dd-kubernetes-trimmed.json',
      'trivy-dd-kubernetes-trimmed.json: ClusterName: a Trivy Kubernetes report (trivy k8s) covers a whole cluster, not one image: scan the image with trivy image -f json',
    ],
    [
      'grype-0.24.0-directory.json',
      'grype-0.24.0-directory.json: source.type: "directory": the report is not about a container image, so its findings cannot approve one; scan the image (grype IMAGE -o json)',
    ],
    [
      'inspector2-finding-lambda-package-vulnerability.json',
      'inspector2-finding-lambda-package-vulnerability.json: detail.resources: no finding is about an ECR container image (1 about AWS_LAMBDA_FUNCTION): findings about other resources cannot approve an image',
    ],
    [
      'ecr-describe-image-scan-findings-active-old-cli.json',
      'ecr-describe-image-scan-findings-active-old-cli.json: imageScanFindings.enhancedFindings: missing although the scan status is ACTIVE, which only enhanced scanning reports: the client that wrote this file dropped the enhanced findings (AWS CLI before 2.4.3 does); fetch the findings again with a current AWS CLI or SDK',
    ],
    [
      'ecr-describe-image-scan-findings-complete-not-visible-yet.json',
      'ecr-describe-image-scan-findings-complete-not-visible-yet.json: imageScanFindings: has no findings, no findingSeverityCounts and no imageScanCompletedAt although the scan status is COMPLETE: ECR answers this way right after an enhanced scan, before its findings are visible; fetch the findings again in a minute',
    ],
  ])('refuses %s, naming the field', async (file, message) => {
    const read = readFindingsFile(fixturePath('scanners', file), 'auto', file);
    await expect(read).rejects.toBeInstanceOf(InvalidInputError);
    await expect(read).rejects.toThrow(message);
  });
});
