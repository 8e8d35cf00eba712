/**
 * A findings file whose shape shows that findings are missing never yields findings to judge: it is refused,
 * naming the field. Real payloads cloned and edited (Prepare / Act / Assess).
 */
import { describe, expect, it } from 'vitest';
import { InvalidInputError, parseFindings } from '../../../lib/findings/index.ts';
import { BASIC, dig, ENHANCED_ACTIVE, INSPECTOR_LIST, loadFixture } from './fixtures.ts';

// biome-ignore lint/suspicious/noExplicitAny: edits to parsed JSON
type Edit = (json: any) => unknown;

function refusal(fixture: string, edit: Edit): string {
  const json = loadFixture('aws', fixture);
  const edited = edit(json) ?? json;
  try {
    parseFindings(edited, 'f.json', 'auto');
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    return (error as Error).message;
  }
  throw new Error('expected the file to be refused');
}

describe('ECR responses that show dropped findings', () => {
  it.each<[string, string, Edit, string]>([
    [
      'ACTIVE without the enhancedFindings key (a client older than enhanced scanning)',
      ENHANCED_ACTIVE,
      (j) => {
        delete j.imageScanFindings.enhancedFindings;
        j.imageScanFindings.findings = [];
      },
      'f.json: imageScanFindings.enhancedFindings: missing although the scan status is ACTIVE',
    ],
    [
      'ACTIVE without imageScanFindings at all',
      ENHANCED_ACTIVE,
      (j) => {
        delete j.imageScanFindings;
      },
      'f.json: imageScanFindings.enhancedFindings: missing although the scan status is ACTIVE',
    ],
    [
      'COMPLETE without imageScanFindings',
      BASIC,
      (j) => {
        delete j.imageScanFindings;
      },
      'f.json: imageScanFindings: missing although the scan status is COMPLETE: the file does not carry the findings',
    ],
    [
      'counts of findings the list does not have (a cut list)',
      BASIC,
      (j) => {
        j.imageScanFindings.findings = [];
      },
      'f.json: imageScanFindings.findingSeverityCounts: counts 1 findings (MEDIUM 1) but the response lists 0: findings were dropped',
    ],
    [
      'more counted than listed across severities',
      ENHANCED_ACTIVE,
      (j) => {
        j.imageScanFindings.findingSeverityCounts = { HIGH: 1, CRITICAL: 2 };
      },
      'f.json: imageScanFindings.findingSeverityCounts: counts 3 findings (HIGH 1, CRITICAL 2) but the response lists 1',
    ],
    [
      'a count that is not a whole number',
      BASIC,
      (j) => {
        j.imageScanFindings.findingSeverityCounts = { MEDIUM: 0.5 };
      },
      'f.json: imageScanFindings.findingSeverityCounts.MEDIUM: expected a whole number of findings, got 0.5',
    ],
    [
      'the last page still has a nextToken (one page of several)',
      BASIC,
      (j) => {
        j.nextToken = 'eyJ0b2tlbiI6Mn0=';
      },
      'f.json: nextToken: set on the last page: the response is one page of several',
    ],
    [
      'the AWS CLI NextToken of --max-items',
      BASIC,
      (j) => {
        j.NextToken = 'eyJ0b2tlbiI6Mn0=';
      },
      'f.json: NextToken: set on the last page',
    ],
    [
      'pages that disagree on the scan status',
      BASIC,
      (j) => {
        const second = structuredClone(j);
        second.imageScanStatus.status = 'IN_PROGRESS';
        j.nextToken = 'next';
        return [j, second];
      },
      'f.json: [1].imageScanStatus.status: IN_PROGRESS disagrees with COMPLETE on an earlier page',
    ],
    [
      'an empty COMPLETE result without counts or completion time (findings not visible yet)',
      BASIC,
      (j) => {
        j.imageScanFindings = { findings: [] };
      },
      'f.json: imageScanFindings: has no findings, no findingSeverityCounts and no imageScanCompletedAt although the scan status is COMPLETE',
    ],
    [
      'no scan status and no findings',
      BASIC,
      (j) => {
        delete j.imageScanStatus;
        j.imageScanFindings.findings = [];
        j.imageScanFindings.findingSeverityCounts = {};
      },
      'f.json: imageScanStatus: missing and the response lists no findings',
    ],
  ])('refuses %s', (_name, fixture, edit, message) => {
    expect(refusal(fixture, edit)).toContain(message);
  });

  it('still reads a clean COMPLETE result, every page of a paged one, and an ACTIVE one with an empty list', () => {
    // Prepare
    const clean = loadFixture('aws', BASIC);
    dig(clean, 'imageScanFindings').findings = [];
    dig(clean, 'imageScanFindings').findingSeverityCounts = {};
    const first = loadFixture('aws', BASIC);
    first.nextToken = 'next';
    const second = loadFixture('aws', BASIC);
    const activeClean = loadFixture('aws', ENHANCED_ACTIVE);
    dig(activeClean, 'imageScanFindings').enhancedFindings = [];
    dig(activeClean, 'imageScanFindings').findingSeverityCounts = {};

    // Act
    const reads = [clean, [first, second], activeClean].map((json) => parseFindings(json, 'f.json', 'ecr'));

    // Assess
    expect(reads.map((r) => [r.findings.length, r.scan?.status])).toEqual([
      [0, 'COMPLETE'],
      [1, 'COMPLETE'],
      [0, 'ACTIVE'],
    ]);
  });
});

describe('Inspector responses', () => {
  it('refuses a last ListFindings page with nextToken', () => {
    expect(
      refusal(INSPECTOR_LIST, (j) => {
        j.nextToken = 'AAAA';
      }),
    ).toBe(
      'f.json: nextToken: set on the last page: the response is one page of several and the findings of later pages are missing; fetch every page or give all pages as an array',
    );
  });

  it('refuses a file whose findings are all about Lambda functions, even CLOSED ones', () => {
    expect(
      refusal(INSPECTOR_LIST, (j) => {
        j.findings[0].resources[0].type = 'AWS_LAMBDA_FUNCTION';
        j.findings.push(structuredClone(j.findings[0]));
      }),
    ).toBe(
      'f.json: findings[0].resources: no finding is about an ECR container image (2 about AWS_LAMBDA_FUNCTION): findings about other resources cannot approve an image',
    );
  });

  it('reads KEV data of a finding merged with its details (cisaData), refusing an unreadable date', () => {
    const page = loadFixture('aws', INSPECTOR_LIST);
    const finding = dig(page, 'findings', 0);
    finding.status = 'ACTIVE';
    finding.cisaData = { action: 'Apply updates', dateAdded: 1702166400, dateDue: '2023-12-31T00:00:00Z' };
    const kev = parseFindings(page, 'f.json', 'inspector').findings.map((f) => f.kev);
    expect(kev[0]).toEqual({ dateAdded: '2023-12-10', dateDue: '2023-12-31', action: 'Apply updates' });
    finding.cisaData.dateDue = 'soon';
    expect(() => parseFindings(page, 'f.json', 'inspector')).toThrow(
      'f.json: findings[0].cisaData.dateDue: expected a date, got "soon"',
    );
  });
});

describe('findings about another image than the one named', () => {
  const digest = `sha256:${'ab'.repeat(32)}`;

  it('refuses another digest, for every input, naming where the file names its image', () => {
    expect(() => parseFindings(loadFixture('aws', BASIC), 'f.json', 'auto', { digest })).toThrow(
      `f.json: imageId.imageDigest: the findings are about image sha256:74b2c688c700ec95a93e478cdb959737c148df3fbf5ea706abe0318726e885e6, not ${digest}: findings of another image cannot decide it`,
    );
    expect(() =>
      parseFindings(loadFixture('scanners', 'trivy-image-debian12-ecr.json'), 't.json', 'auto', { digest }),
    ).toThrow('t.json: Metadata.RepoDigests: the findings are about image sha256:0f3c2b1a');
  });

  it('refuses another ECR repository, but lets a Trivy or Grype report be named for the repository it is pushed to', () => {
    expect(() =>
      parseFindings(loadFixture('aws', BASIC), 'f.json', 'auto', { repository: 'orders/api' }),
    ).toThrow('f.json: repositoryName: the findings are about repository sample-repo, not orders/api');
    const trivy = parseFindings(loadFixture('scanners', 'trivy-image-debian12-ecr.json'), 't.json', 'auto', {
      repository: 'orders/api',
    });
    expect(trivy.image.repository).toBe('payments/api');
  });
});
