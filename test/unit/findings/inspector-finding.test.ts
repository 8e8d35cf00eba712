/** Quirks of Inspector-shaped findings (ECR enhanced, Inspector ListFindings), on cloned real payloads. */
import { describe, expect, it } from 'vitest';
import { parseFindings } from '../../../lib/findings/index.ts';
import { dig, ENHANCED_ACTIVE, ENHANCED_CENTOS8, INSPECTOR_LIST, loadFixture } from './fixtures.ts';

// biome-ignore lint/suspicious/noExplicitAny: edits to parsed JSON
type Edit = (finding: any) => void;

function enhanced(edit: Edit, fixture = ENHANCED_ACTIVE) {
  const page = loadFixture('aws', fixture);
  edit(dig(page, 'imageScanFindings', 'enhancedFindings', 0));
  return parseFindings(page, 'findings.json', 'auto');
}

function listed(edit: Edit) {
  const page = loadFixture('aws', INSPECTOR_LIST);
  const finding = dig(page, 'findings', 0);
  finding.status = 'ACTIVE';
  edit(finding);
  return parseFindings(page, 'list.json', 'auto');
}

describe('score: score vs inspectorScore vs details vs the CVSS list', () => {
  it.each<[string, Edit, number | null]>([
    ['ECR score', () => {}, 8.1],
    [
      'scoreDetails.cvss.score when score is absent',
      (f) => {
        delete f.score;
        f.scoreDetails.cvss.score = 7.9;
      },
      7.9,
    ],
    [
      'CVSS list v3 when no score at all',
      (f) => {
        delete f.score;
        delete f.scoreDetails;
      },
      8.1,
    ],
    [
      'CVSS v2 when the list has only v2',
      (f) => {
        delete f.score;
        delete f.scoreDetails;
        f.packageVulnerabilityDetails.cvss = [{ baseScore: 4.9, version: '2.0', source: 'NVD' }];
      },
      4.9,
    ],
    [
      'null when nothing scores it',
      (f) => {
        delete f.score;
        delete f.scoreDetails;
        f.packageVulnerabilityDetails.cvss = [];
      },
      null,
    ],
    [
      'numeric string score',
      (f) => {
        f.score = '8.3';
      },
      8.3,
    ],
  ])('%s', (_name, edit, expected) => {
    expect(enhanced(edit).findings[0]?.score).toBe(expected);
  });

  it('prefers v3 over v2 in the CVSS list, whatever the order (CentOS 8 has v2 first)', () => {
    const report = enhanced((f) => {
      delete f.score;
      delete f.scoreDetails;
    }, ENHANCED_CENTOS8);
    expect(report.findings[0]?.score).toBe(5.5);
  });

  it.each<[string, Edit, number]>([
    ['inspectorScore', () => {}, 5.3],
    [
      'inspectorScoreDetails.adjustedCvss.score',
      (f) => {
        delete f.inspectorScore;
        f.inspectorScoreDetails.adjustedCvss.score = 4.4;
      },
      4.4,
    ],
    [
      'inspectorScore wins over score',
      (f) => {
        f.score = 9.9;
      },
      5.3,
    ],
  ])('Inspector %s', (_name, edit, expected) => {
    expect(listed(edit).findings[0]?.score).toBe(expected);
  });

  it('refuses a score outside 0–10, naming the field', () => {
    expect(() =>
      enhanced((f) => {
        f.score = 11;
      }),
    ).toThrow(
      'findings.json: imageScanFindings.enhancedFindings[0].score: expected a number from 0 to 10, got 11',
    );
  });
});

describe('severity', () => {
  it.each(['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL', 'UNTRIAGED', 'UNDEFINED'])(
    '%s is kept',
    (s) => {
      expect(
        enhanced((f) => {
          f.severity = s;
        }).findings[0]?.severity,
      ).toBe(s);
    },
  );

  it('an absent severity is UNTRIAGED (Inspector has not rated it)', () => {
    expect(
      enhanced((f) => {
        delete f.severity;
      }).findings[0]?.severity,
    ).toBe('UNTRIAGED');
  });

  it('an unknown severity is refused with the field and the allowed values', () => {
    const page = loadFixture('aws', ENHANCED_ACTIVE);
    const list = dig(page, 'imageScanFindings', 'enhancedFindings');
    for (let i = 0; i < 3; i++) list.push(structuredClone(list[0]));
    list[3].severity = 'SEVERE';
    expect(() => parseFindings(page, 'findings.json', 'auto')).toThrow(
      'findings.json: imageScanFindings.enhancedFindings[3].severity: expected one of CRITICAL, HIGH, MEDIUM, LOW, INFORMATIONAL, UNTRIAGED, UNDEFINED, got "SEVERE"',
    );
  });
});

describe('fix availability and fixed-in version', () => {
  it.each<[string, string | undefined, string | undefined, string | null, string | null]>([
    // [case, finding fixAvailable, package fixedInVersion, expected fixAvailable, expected fixedIn]
    ['NO + NotAvailable', 'NO', 'NotAvailable', 'NO', null],
    ['YES + version', 'YES', '2.9.14+dfsg-1.3~deb12u2', 'YES', '2.9.14+dfsg-1.3~deb12u2'],
    [
      'PARTIAL + version for this package',
      'PARTIAL',
      '2.9.14+dfsg-1.3~deb12u2',
      'YES',
      '2.9.14+dfsg-1.3~deb12u2',
    ],
    ['PARTIAL + NotAvailable for this package', 'PARTIAL', 'NotAvailable', 'NO', null],
    ['PARTIAL + no fixedInVersion field', 'PARTIAL', undefined, 'PARTIAL', null],
    ['absent + version', undefined, '1.0', 'YES', '1.0'],
    ['absent + nothing', undefined, undefined, null, null],
    ['absent + empty string', undefined, '', null, null],
  ])('%s', (_name, findingLevel, fixedInVersion, fix, fixedIn) => {
    const report = enhanced((f) => {
      if (findingLevel === undefined) delete f.fixAvailable;
      else f.fixAvailable = findingLevel;
      const pkg = f.packageVulnerabilityDetails.vulnerablePackages[0];
      if (fixedInVersion === undefined) delete pkg.fixedInVersion;
      else pkg.fixedInVersion = fixedInVersion;
    });
    expect([report.findings[0]?.fixAvailable, report.findings[0]?.fixedIn]).toEqual([fix, fixedIn]);
  });

  it('refuses an unknown fixAvailable value', () => {
    expect(() =>
      enhanced((f) => {
        f.fixAvailable = 'MAYBE';
      }),
    ).toThrow(
      'imageScanFindings.enhancedFindings[0].fixAvailable: expected one of YES, NO, PARTIAL, got "MAYBE"',
    );
  });
});

describe('exploitAvailable and EPSS', () => {
  it.each<[unknown, boolean | null]>([
    ['YES', true],
    ['NO', false],
    [undefined, null],
  ])('exploitAvailable %s → %s', (value, expected) => {
    const report = listed((f) => {
      if (value === undefined) delete f.exploitAvailable;
      else f.exploitAvailable = value;
    });
    expect(report.findings[0]?.exploitAvailable).toBe(expected);
  });

  it('reads epss.score from Inspector', () => {
    expect(
      listed((f) => {
        f.epss = { score: 0.00142 };
      }).findings[0]?.epss,
    ).toBe(0.00142);
  });

  it('refuses an EPSS outside 0–1', () => {
    expect(() =>
      listed((f) => {
        f.epss = { score: 3 };
      }),
    ).toThrow('list.json: findings[0].epss.score: expected a number from 0 to 1, got 3');
  });
});

describe('which Inspector findings count', () => {
  it.each<[string, Edit, Record<string, number>]>([
    [
      'CLOSED',
      (f) => {
        f.status = 'CLOSED';
      },
      { 'status CLOSED': 1 },
    ],
    [
      'SUPPRESSED',
      (f) => {
        f.status = 'SUPPRESSED';
      },
      { 'status SUPPRESSED': 1 },
    ],
    [
      'a network reachability finding',
      (f) => {
        f.type = 'NETWORK_REACHABILITY';
      },
      { 'type NETWORK_REACHABILITY': 1 },
    ],
  ])('%s is excluded and counted', (_name, edit, excluded) => {
    const report = listed(edit);
    expect(report.findings).toEqual([]);
    expect(report.excluded).toEqual(excluded);
  });

  it.each<[string, Edit, string]>([
    [
      'an EC2 instance finding',
      (f) => {
        f.resources[0].type = 'AWS_EC2_INSTANCE';
      },
      'list.json: findings[0].resources: no finding is about an ECR container image (1 about AWS_EC2_INSTANCE): findings about other resources cannot approve an image',
    ],
    [
      'a finding without resources',
      (f) => {
        delete f.resources;
      },
      'list.json: findings[0].resources: no finding is about an ECR container image (1 about missing): findings about other resources cannot approve an image',
    ],
  ])('a file whose only finding is not about an image (%s) is refused', (_name, edit, message) => {
    expect(() => listed(edit)).toThrow(message);
  });

  it('beside image findings, findings about a Lambda function or an EC2 instance are excluded and counted', () => {
    const page = loadFixture('aws', INSPECTOR_LIST);
    const image = dig(page, 'findings', 0);
    image.status = 'ACTIVE';
    const lambda = structuredClone(image);
    lambda.resources[0].type = 'AWS_LAMBDA_FUNCTION';
    const ec2 = structuredClone(image);
    ec2.resources[0].type = 'AWS_EC2_INSTANCE';
    dig(page, 'findings').push(lambda, ec2);
    const report = parseFindings(page, 'list.json', 'auto');
    expect([report.findings.length, report.excluded]).toEqual([
      2,
      { 'resource type AWS_EC2_INSTANCE': 1, 'resource type AWS_LAMBDA_FUNCTION': 1 },
    ]);
  });

  it('a CLOSED enhanced finding in an ECR response is excluded too', () => {
    const report = enhanced((f) => {
      f.status = 'CLOSED';
    });
    expect([report.findings.length, report.excluded]).toEqual([0, { 'status CLOSED': 1 }]);
  });

  it('a finding with no vulnerable packages is kept, unattributed, never lost', () => {
    const report = enhanced((f) => {
      f.packageVulnerabilityDetails.vulnerablePackages = [];
    });
    expect(report.findings.map((f) => [f.id, f.package, f.version])).toEqual([
      ['CVE-2022-49043', null, null],
    ]);
  });

  it('a package epoch is part of the version', () => {
    const report = enhanced((f) => {
      f.packageVulnerabilityDetails.vulnerablePackages[0].epoch = 1;
    });
    expect(report.findings[0]?.version).toBe('1:2.9.14+dfsg-1.3~deb12u1');
  });

  it('falls back to referenceUrls when sourceUrl is absent', () => {
    const report = enhanced((f) => {
      delete f.packageVulnerabilityDetails.sourceUrl;
    });
    expect(report.findings[0]?.url).toBe('https://bugs.debian.org/cgi-bin/bugreport.cgi?bug=1094238');
  });

  it('refuses a package vulnerability without its id', () => {
    expect(() =>
      enhanced((f) => {
        delete f.packageVulnerabilityDetails.vulnerabilityId;
      }),
    ).toThrow(
      'findings.json: imageScanFindings.enhancedFindings[0].packageVulnerabilityDetails.vulnerabilityId: expected a string, got nothing',
    );
  });
});
