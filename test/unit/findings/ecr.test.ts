/** ECR basic scanning quirks: attributes as key/value strings, CVSS2 vs CVSS3 scores, UNDEFINED. */
import { describe, expect, it } from 'vitest';
import { parseFindings } from '../../../lib/findings/index.ts';
import { BASIC, dig, loadFixture } from './fixtures.ts';

function basicWith(attributes: unknown, edit: (f: Record<string, unknown>) => void = () => {}) {
  const page = loadFixture('aws', BASIC);
  const finding = dig(page, 'imageScanFindings', 'findings', 0);
  finding.attributes = attributes;
  edit(finding);
  return parseFindings(page, 'basic.json', 'ecr').findings[0];
}

describe('basic scanning attributes', () => {
  it.each<[string, { key: string; value?: string }[], number | null]>([
    ['CVSS2_SCORE string', [{ key: 'CVSS2_SCORE', value: '4.6' }], 4.6],
    [
      'CVSS3_SCORE preferred over CVSS2_SCORE',
      [
        { key: 'CVSS2_SCORE', value: '4.6' },
        { key: 'CVSS3_SCORE', value: '5.5' },
      ],
      5.5,
    ],
    ['no score attributes', [{ key: 'package_name', value: 'e2fsprogs' }], null],
    ['attribute without value', [{ key: 'CVSS2_SCORE' }], null],
    [
      'first of a repeated key wins',
      [
        { key: 'CVSS2_SCORE', value: '1.0' },
        { key: 'CVSS2_SCORE', value: '9.0' },
      ],
      1,
    ],
  ])('%s', (_name, attributes, score) => {
    expect(basicWith(attributes)?.score).toBe(score);
  });

  it('a finding without attributes has no package', () => {
    const f = basicWith(undefined);
    expect([f?.package, f?.version, f?.score]).toEqual([null, null, null]);
  });

  it('refuses a score attribute that is not a number', () => {
    expect(() => basicWith([{ key: 'CVSS2_SCORE', value: 'high' }])).toThrow(
      'basic.json: imageScanFindings.findings[0].attributes[0].value: expected a number from 0 to 10, got "high"',
    );
  });

  it('maps the severities of the ECR enum and reads an absent severity as UNDEFINED', () => {
    for (const s of ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL', 'UNDEFINED']) {
      expect(
        basicWith([], (f) => {
          f.severity = s;
        })?.severity,
      ).toBe(s);
    }
    expect(
      basicWith([], (f) => {
        delete f.severity;
      })?.severity,
    ).toBe('UNDEFINED');
  });

  it('takes the tag from imageId.imageTag when the response has it', () => {
    const page = loadFixture('aws', BASIC);
    dig(page, 'imageId').imageTag = 'v1.2.3';
    expect(parseFindings(page, 'b.json', 'ecr').image.tags).toEqual(['v1.2.3']);
  });

  it('reads a status-only page (scan FAILED) with no findings', () => {
    const report = parseFindings(
      {
        imageScanStatus: {
          status: 'FAILED',
          description: 'UnsupportedImageError: The operating system is not supported',
        },
      },
      'failed.json',
      'auto',
    );
    expect([report.findings, report.scan]).toEqual([
      [],
      { status: 'FAILED', description: 'UnsupportedImageError: The operating system is not supported' },
    ]);
  });
});
