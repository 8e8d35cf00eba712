import { describe, expect, it } from 'vitest';
import {
  type Finding,
  findingsFromEcrResponse,
  InvalidInputError,
  parseFindings,
  readFindingsFile,
  UnsupportedFindingsFormatError,
} from '../../../lib/findings/index.ts';
import {
  BASIC,
  dig,
  ENHANCED_ACTIVE,
  ENHANCED_CENTOS8,
  fixturePath,
  GRYPE,
  INSPECTOR_EVENT,
  INSPECTOR_LIST,
  loadFixture,
  TRIVY,
} from './fixtures.ts';

/** Each finding's description, exactly as the fixture has it (kept for reports; never read by evaluation). */
const DESCRIPTIONS = {
  basic:
    'A code execution vulnerability exists in the directory rehashing functionality of E2fsprogs e2fsck 1.45.4. A specially crafted ext4 directory can cause an out-of-bounds write on the stack, resulting in code execution. An attacker can corrupt a partition to trigger this vulnerability.',
  enhanced: 'xmlXIncludeAddNode in xinclude.c in libxml2 before 2.11.0 has a use-after-free.',
  list: "When curl is instructed to get content using the metalink feature, and a user name and password are used to download the metalink XML file, those same credentials are then subsequently passed on to each of the servers from which curl will download or try to download the contents from. Often contrary to the user's expectations and intentions and without telling the user it happened.",
  event:
    'In libssh2 v1.9.0 and earlier versions, the SSH_MSG_DISCONNECT logic in packet.c has an integer overflow in a bounds check, enabling an attacker to specify an arbitrary (out-of-bounds) offset for a subsequent memory read. A crafted SSH server may be able to disclose sensitive information or cause a denial of service condition on the client system when a user connects to the server.',
};

const DIGEST_74 = 'sha256:74b2c688c700ec95a93e478cdb959737c148df3fbf5ea706abe0318726e885e6';

describe('readFindingsFile on every findings-bearing AWS fixture', () => {
  it('reads the basic scan response', async () => {
    const report = await readFindingsFile(fixturePath('aws', BASIC), 'auto');
    expect(report).toEqual({
      input: 'ecr',
      scan: { status: 'COMPLETE', description: 'The scan was completed successfully.' },
      image: { repository: 'sample-repo', digest: DIGEST_74, tags: [] },
      findings: [
        {
          id: 'CVE-2019-5188',
          severity: 'MEDIUM',
          score: 4.6,
          epss: null,
          fixAvailable: null,
          exploitAvailable: null,
          package: 'e2fsprogs',
          version: '1.44.1-1ubuntu1.1',
          fixedIn: null,
          url: 'http://people.ubuntu.com/~ubuntu-security/cve/CVE-2019-5188',
          title: null,
          description: DESCRIPTIONS.basic,
          source: 'ecr-basic',
          firstObservedAt: null,
        },
      ],
    });
  });

  it('reads the enhanced ACTIVE response (NotAvailable fix, fixAvailable NO, exploitAvailable NO)', async () => {
    const report = await readFindingsFile(fixturePath('aws', ENHANCED_ACTIVE), 'auto');
    expect(report).toEqual({
      input: 'ecr',
      scan: { status: 'ACTIVE', description: 'Continuous scan is selected for image.' },
      image: { repository: 'sample-repo', digest: DIGEST_74, tags: ['latest'] },
      findings: [
        {
          id: 'CVE-2022-49043',
          severity: 'HIGH',
          score: 8.1,
          epss: null,
          fixAvailable: 'NO',
          exploitAvailable: false,
          package: 'libxml2',
          version: '2.9.14+dfsg-1.3~deb12u1',
          fixedIn: null,
          url: 'https://security-tracker.debian.org/tracker/CVE-2022-49043',
          title: 'CVE-2022-49043 - libxml2',
          description: DESCRIPTIONS.enhanced,
          source: 'ecr-enhanced',
          firstObservedAt: '2025-05-27T17:54:07.765Z',
          arn: 'arn:aws:inspector2:us-west-2:123456789012:finding/123456789012123456789012',
          updatedAt: '2025-06-09T07:08:40.144Z',
        },
      ],
    });
  });

  it('splits the CentOS 8 finding with four vulnerable packages into four findings sharing the id', async () => {
    const report = await readFindingsFile(fixturePath('aws', ENHANCED_CENTOS8), 'auto');
    expect(report.scan).toBeNull();
    expect(report.image).toEqual({
      repository: 'image-scanning-workload-blueprint-imagescanningrepository754c6116-arh0wk3afnkw',
      digest: 'sha256:a1801b843b1bfaf77c501e7a6d3f709401a1e0c83863037fa3aab063a7fdb9dc',
      tags: ['latest'],
    });
    expect(report.findings.map((f) => [f.id, f.package, f.version, f.score, f.fixAvailable])).toEqual([
      ['CVE-2021-33910', 'systemd-pam', '239-45.el8', 5.5, null],
      ['CVE-2021-33910', 'systemd', '239-45.el8', 5.5, null],
      ['CVE-2021-33910', 'systemd-libs', '239-45.el8', 5.5, null],
      ['CVE-2021-33910', 'systemd-udev', '239-45.el8', 5.5, null],
    ]);
    // -05:00 offset read correctly into UTC.
    expect(report.findings[0]?.firstObservedAt).toBe('2023-04-17T22:40:39.940Z');
  });

  it('excludes the CLOSED finding of the Inspector ListFindings response and still names the image', async () => {
    const report = await readFindingsFile(fixturePath('aws', INSPECTOR_LIST), 'auto');
    expect(report).toEqual({
      input: 'inspector',
      scan: null,
      findings: [],
      excluded: { 'status CLOSED': 1 },
      image: {
        repository: 'cdk-hnb659fds-container-assets-123456789012-us-east-1',
        digest: 'sha256:65a4aad1156d8a0679537cb78519a17eb7142e05a968b26a5361153006224fdc',
        tags: ['latest'],
      },
    });
  });

  it('reads the ListFindings finding when ACTIVE: inspectorScore, fixedInVersion with epoch, two packages', () => {
    const json = loadFixture('aws', INSPECTOR_LIST);
    dig(json, 'findings', 0).status = 'ACTIVE';
    const report = parseFindings(json, 'list.json', 'auto');
    expect(report.findings).toEqual([
      {
        id: 'CVE-2021-22923',
        severity: 'MEDIUM',
        score: 5.3,
        epss: null,
        fixAvailable: 'YES',
        exploitAvailable: false,
        package: 'curl',
        version: '7.61.1-18.el8',
        fixedIn: '0:7.61.1-18.el8_4.1',
        url: 'https://nvd.nist.gov/vuln/detail/CVE-2021-22923',
        title: 'CVE-2021-22923 - curl, libcurl-minimal',
        description: DESCRIPTIONS.list,
        source: 'inspector',
        firstObservedAt: '2023-04-15T02:03:02.932Z',
        arn: 'arn:aws:inspector2:us-east-1:123456789012:finding/006e8eac196bf27417099413ce74eb1a',
        updatedAt: '2023-04-17T18:36:44.258Z',
      },
      {
        id: 'CVE-2021-22923',
        severity: 'MEDIUM',
        score: 5.3,
        epss: null,
        fixAvailable: 'YES',
        exploitAvailable: false,
        package: 'libcurl-minimal',
        version: '7.61.1-18.el8',
        fixedIn: '0:7.61.1-18.el8_4.1',
        url: 'https://nvd.nist.gov/vuln/detail/CVE-2021-22923',
        title: 'CVE-2021-22923 - curl, libcurl-minimal',
        description: DESCRIPTIONS.list,
        source: 'inspector',
        firstObservedAt: '2023-04-15T02:03:02.932Z',
        arn: 'arn:aws:inspector2:us-east-1:123456789012:finding/006e8eac196bf27417099413ce74eb1a',
        updatedAt: '2023-04-17T18:36:44.258Z',
      },
    ]);
    expect(report.excluded).toBeUndefined();
  });

  it('reads the Inspector2 Finding event detail with its free-form dates', async () => {
    const report = await readFindingsFile(fixturePath('aws', INSPECTOR_EVENT), 'auto');
    expect(report.input).toBe('inspector');
    expect(report.image).toEqual({
      repository: 'amazon/amazon-ecs-sample',
      digest: 'sha256:36c7b282abd0186e01419f2e58743e1bf635808231049bbc9d77e5EXAMPLE',
      tags: ['latest'],
    });
    expect(report.findings).toEqual([
      {
        id: 'CVE-2019-17498',
        severity: 'MEDIUM',
        score: 6.5,
        epss: null,
        fixAvailable: null,
        exploitAvailable: null,
        package: 'libssh2',
        version: '1.4.3-12.amzn2.2',
        fixedIn: null,
        url: 'https://access.redhat.com/security/cve/CVE-2019-17498',
        title: 'CVE-2019-17498 - libssh2',
        description: DESCRIPTIONS.event,
        source: 'inspector',
        firstObservedAt: '2021-12-03T18:02:30.000Z',
        arn: 'arn:aws:inspector2:us-east-2:123456789012:finding/be674aaddd0f75ac632055EXAMPLE',
        updatedAt: '2021-12-03T18:02:30.000Z',
      },
    ]);
  });

  it('reads a bare Inspector finding (the event detail) the same way', () => {
    const detail = dig(loadFixture('aws', INSPECTOR_EVENT), 'detail');
    const report = parseFindings(detail, 'detail.json', 'inspector');
    expect(report.findings.map((f) => [f.id, f.package])).toEqual([['CVE-2019-17498', 'libssh2']]);
  });
});

describe('multi-page input', () => {
  it('reads an array of ECR pages of one image, dedupes repeats and keeps order', () => {
    const page1 = loadFixture('aws', ENHANCED_CENTOS8);
    const page2 = loadFixture('aws', ENHANCED_CENTOS8);
    // Page 2 repeats systemd-pam (a retried page) and adds one more finding.
    const extra = structuredClone(dig(page2, 'imageScanFindings', 'enhancedFindings', 0));
    extra.packageVulnerabilityDetails.vulnerabilityId = 'CVE-2022-2526';
    extra.packageVulnerabilityDetails.vulnerablePackages = [
      extra.packageVulnerabilityDetails.vulnerablePackages[1],
    ];
    extra.severity = 'HIGH';
    dig(page2, 'imageScanFindings').enhancedFindings.push(extra);
    dig(
      page2,
      'imageScanFindings',
      'enhancedFindings',
      0,
    ).packageVulnerabilityDetails.vulnerablePackages.length = 1;

    const report = parseFindings([page1, page2], 'pages.json', 'auto');
    expect(report.findings.map((f) => `${f.id} ${f.package} ${f.severity}`)).toEqual([
      'CVE-2021-33910 systemd-pam MEDIUM',
      'CVE-2021-33910 systemd MEDIUM',
      'CVE-2021-33910 systemd-libs MEDIUM',
      'CVE-2021-33910 systemd-udev MEDIUM',
      'CVE-2022-2526 systemd HIGH',
    ]);
  });

  it('keeps the graver severity when a duplicate differs', () => {
    const page1 = loadFixture('aws', BASIC);
    const page2 = loadFixture('aws', BASIC);
    dig(page2, 'imageScanFindings', 'findings', 0).severity = 'HIGH';
    const report = parseFindings([page1, page2], 'pages.json', 'ecr');
    expect(report.findings.map((f) => f.severity)).toEqual(['HIGH']);
  });

  it('refuses pages of two different images, naming both digests', () => {
    const page1 = loadFixture('aws', BASIC);
    const page2 = loadFixture('aws', BASIC);
    dig(page2, 'imageId').imageDigest = `sha256:${'1'.repeat(64)}`;
    expect(() => parseFindings([page1, page2], 'pages.json', 'auto')).toThrow(
      `pages.json: [1].imageId.imageDigest: pages must all be about one image: [0].imageId.imageDigest is ${DIGEST_74}, this is sha256:${'1'.repeat(64)}`,
    );
  });

  it('refuses pages of two repositories', () => {
    const page2 = loadFixture('aws', BASIC);
    page2.repositoryName = 'other';
    expect(() => parseFindings([loadFixture('aws', BASIC), page2], 'p.json', 'ecr')).toThrow(
      'p.json: [1].repositoryName: pages must all be about one image: repository sample-repo, then other',
    );
  });

  it('reads Inspector ListFindings pages and refuses findings about two images', () => {
    const a = loadFixture('aws', INSPECTOR_LIST);
    dig(a, 'findings', 0).status = 'ACTIVE';
    const b = structuredClone(a);
    dig(b, 'findings', 0).packageVulnerabilityDetails.vulnerabilityId = 'CVE-2021-22924';
    expect(parseFindings([a, b], 'l.json', 'auto').findings.map((f) => `${f.id}/${f.package}`)).toEqual([
      'CVE-2021-22923/curl',
      'CVE-2021-22923/libcurl-minimal',
      'CVE-2021-22924/curl',
      'CVE-2021-22924/libcurl-minimal',
    ]);
    dig(b, 'findings', 0, 'resources', 0, 'details', 'awsEcrContainerImage').imageHash =
      `sha256:${'2'.repeat(64)}`;
    expect(() => parseFindings([a, b], 'l.json', 'auto')).toThrow(
      /^l\.json: \[1\]\.findings\[0\]\.resources\[0\]\.details\.awsEcrContainerImage\.imageHash: findings must all be about one image/,
    );
  });

  it('refuses an empty array and arrays of Trivy reports', () => {
    expect(() => parseFindings([], 'e.json', 'auto')).toThrow(
      'e.json: expected an ECR DescribeImageScanFindings',
    );
    expect(() => parseFindings([loadFixture('scanners', TRIVY)], 't.json', 'auto')).toThrow(
      't.json: an array of pages is supported for ECR and Inspector responses, not for trivy reports',
    );
  });
});

describe('auto-detection and explicit --input', () => {
  it.each([
    [BASIC, 'aws', 'ecr'],
    [ENHANCED_ACTIVE, 'aws', 'ecr'],
    [ENHANCED_CENTOS8, 'aws', 'ecr'],
    [INSPECTOR_LIST, 'aws', 'inspector'],
    [INSPECTOR_EVENT, 'aws', 'inspector'],
    [TRIVY, 'scanners', 'trivy'],
    [GRYPE, 'scanners', 'grype'],
  ] as const)('%s is detected as %s', (name, dir, kind) => {
    expect(parseFindings(loadFixture(dir, name), name, 'auto').input).toBe(kind);
    expect(parseFindings(loadFixture(dir, name), name, kind).input).toBe(kind);
  });

  it('refuses a document of another kind than --input says', () => {
    const act = () => parseFindings(loadFixture('scanners', GRYPE), 'g.json', 'trivy');
    expect(act).toThrow(UnsupportedFindingsFormatError);
    expect(act).toThrow(
      'g.json: expected Trivy JSON (trivy image -f json: SchemaVersion 2, Results[]; or the results array of Trivy before 0.20), got Grype JSON (grype -o json: matches[])',
    );
  });

  it.each([
    [{ foo: 1, bar: [] }, 'x.json: expected an ECR', 'got an object with keys "foo", "bar"'],
    [{}, 'x.json: expected an ECR', 'got an empty object'],
    [42, 'x.json: expected an ECR', 'got 42'],
    [null, 'x.json: expected an ECR', 'got null'],
    ['findings', 'x.json: expected an ECR', 'got "findings"'],
    [[7], 'x.json: [0]: expected an ECR', 'got 7'],
  ])('refuses unknown input %j naming the file and what was expected', (json, start, end) => {
    const act = () => parseFindings(json, 'x.json', 'auto');
    expect(act).toThrow(InvalidInputError);
    expect(act).toThrow(start);
    expect(act).toThrow(end);
  });
});

describe('readFindingsFile errors', () => {
  it.each([['missing.json', 'missing.json: cannot read the file (ENOENT)']])(
    '%s → %s',
    async (name, message) => {
      await expect(readFindingsFile(name, 'auto')).rejects.toThrow(message);
    },
  );

  it('names the file for invalid JSON and for an empty file', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const dir = mkdtempSync('/tmp/gk-findings-');
    writeFileSync(`${dir}/bad.json`, '{"imageScanFindings": ');
    writeFileSync(`${dir}/empty.json`, '  \n');
    writeFileSync(`${dir}/bom.json`, `\ufeff${JSON.stringify(loadFixture('aws', BASIC))}`);
    await expect(readFindingsFile(`${dir}/bad.json`, 'auto')).rejects.toThrow(
      `${dir}/bad.json: not valid JSON (`,
    );
    await expect(readFindingsFile(`${dir}/empty.json`, 'auto')).rejects.toThrow(
      `${dir}/empty.json: the file is empty`,
    );
    expect((await readFindingsFile(`${dir}/bom.json`, 'auto')).findings).toHaveLength(1);
    await expect(readFindingsFile(dir, 'auto')).rejects.toThrow(`${dir}: not a regular file`);
  });
});

describe('findingsFromEcrResponse (ECR adapter, one page)', () => {
  it('accepts AWS SDK v3 output: Date timestamps and $metadata', () => {
    const page = loadFixture('aws', ENHANCED_ACTIVE);
    const isf = dig(page, 'imageScanFindings');
    isf.imageScanCompletedAt = new Date('2025-06-09T07:08:40.144Z');
    isf.vulnerabilitySourceUpdatedAt = new Date('2025-06-09T07:08:40.144Z');
    const f0 = dig(isf, 'enhancedFindings', 0);
    f0.firstObservedAt = new Date('2025-05-27T17:54:07.765Z');
    f0.lastObservedAt = new Date('2025-06-09T07:08:40.144Z');
    f0.updatedAt = new Date('2025-06-09T07:08:40.144Z');
    f0.resources[0].details.awsEcrContainerImage.pushedAt = new Date('2025-05-27T17:53:50.554Z');
    page.$metadata = { httpStatusCode: 200, requestId: 'abc', attempts: 1, totalRetryDelay: 0 };
    const findings: Finding[] = findingsFromEcrResponse(page, 'ecr:sample-repo');
    expect(findings.map((f) => [f.id, f.package, f.firstObservedAt])).toEqual([
      ['CVE-2022-49043', 'libxml2', '2025-05-27T17:54:07.765Z'],
    ]);
  });

  it('withoutReportText leaves out title and description only (what the gate keeps of each finding)', () => {
    const page = loadFixture('aws', ENHANCED_ACTIVE);
    const full = findingsFromEcrResponse(page, 'ecr:sample-repo');
    const lean = findingsFromEcrResponse(page, 'ecr:sample-repo', { withoutReportText: true });
    expect(full.some((f) => f.title !== null && f.description !== undefined)).toBe(true);
    expect(lean.every((f) => f.title === null && f.description === undefined)).toBe(true);
    // Everything evaluation, deadlines, finding events and alerts read is kept as it was.
    expect(lean).toEqual(full.map((f) => ({ ...f, title: null, description: undefined })));
  });

  it('accepts a page with no findings (first page right after a scan-on-push)', () => {
    expect(
      findingsFromEcrResponse(
        { imageScanStatus: { status: 'COMPLETE' }, imageScanFindings: { findings: [] } },
        'ecr:sample-repo',
      ),
    ).toEqual([]);
  });

  it('refuses something that is not a page', () => {
    expect(() => findingsFromEcrResponse({ nextToken: 'x' }, 'ecr:repo')).toThrow(
      'ecr:repo: expected a DescribeImageScanFindings response (imageScanFindings or imageScanStatus)',
    );
  });
});

describe('descriptions (display text for reports)', () => {
  it.each([
    [
      'Trivy',
      TRIVY,
      (j: Record<string, unknown>) => dig(j, 'Results', 0, 'Vulnerabilities', 1),
      'Description',
    ],
    ['Grype', GRYPE, (j: Record<string, unknown>) => dig(j, 'matches', 0, 'vulnerability'), 'description'],
    [
      'ECR basic',
      BASIC,
      (j: Record<string, unknown>) => dig(j, 'imageScanFindings', 'findings', 0),
      'description',
    ],
  ] as const)(
    '%s: kept as given; a non-string or blank one is dropped, not an error',
    (_name, file, at, key) => {
      // Prepare: the same fixture with a known description, then with a number and with spaces.
      const dir = file === BASIC ? 'aws' : 'scanners';
      const json = loadFixture(dir, file);
      at(json)[key] = 'Heap overflow in the dynamic loader.';
      const numeric = loadFixture(dir, file);
      at(numeric)[key] = 42;
      const blank = loadFixture(dir, file);
      at(blank)[key] = '   ';

      // Act
      const described = parseFindings(json, file, 'auto').findings;
      const others = [numeric, blank].map((j) => parseFindings(j, file, 'auto').findings);

      // Assess
      expect(described.filter((f) => f.description === 'Heap overflow in the dynamic loader.')).toHaveLength(
        1,
      );
      for (const findings of others) {
        expect(findings.map((f) => f.description ?? null)).toEqual(
          described.map((f) =>
            f.description === 'Heap overflow in the dynamic loader.' ? null : (f.description ?? null),
          ),
        );
      }
    },
  );
});
