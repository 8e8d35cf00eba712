import { describe, expect, it } from 'vitest';
import {
  mergeUsage,
  parseEcrImageResourceId,
  usageFromCoveredResource,
  usageFromFindingResource,
} from '../../../lib/inspector/image-usage.ts';
import ecrEnhanced from '../../fixtures/aws/ecr-describe-image-scan-findings-enhanced-active.json' with {
  type: 'json',
};
import inspectorEvent from '../../fixtures/aws/inspector2-finding-ecr-package-vulnerability.json' with {
  type: 'json',
};

// biome-ignore lint/suspicious/noExplicitAny: negative cases edit arbitrary paths of cloned real payloads.
type Editable = Record<string, any>;

const DIGEST = `sha256:${'ab'.repeat(32)}`;
const ID = `arn:aws:ecr:us-east-1:123456789012:repository/team/app/${DIGEST}`;

/** A ListCoverage entry as the SDK returns it (Dates). */
const COVERED = {
  resourceType: 'AWS_ECR_CONTAINER_IMAGE',
  resourceId: ID,
  accountId: '123456789012',
  scanType: 'PACKAGE',
  scanStatus: { statusCode: 'ACTIVE', reason: 'SUCCESSFUL' },
  resourceMetadata: {
    ecrRepository: { name: 'team/app', scanFrequency: 'CONTINUOUS_SCAN' },
    ecrImage: {
      tags: ['1.0.0', 'approved-1.0.0'],
      imagePulledAt: new Date('2026-01-08T10:00:00Z'),
      lastInUseAt: new Date('2026-01-09T12:00:00Z'),
      inUseCount: 3,
    },
  },
};

describe('parseEcrImageResourceId', () => {
  it.each([
    [
      ID,
      {
        partition: 'aws',
        region: 'us-east-1',
        accountId: '123456789012',
        repository: 'team/app',
        digest: DIGEST,
      },
    ],
    [
      `arn:aws-cn:ecr:cn-north-1:123456789012:repository/a.b-c/d_e/f/${DIGEST}`,
      {
        partition: 'aws-cn',
        region: 'cn-north-1',
        accountId: '123456789012',
        repository: 'a.b-c/d_e/f',
        digest: DIGEST,
      },
    ],
    // A repository-level id (AWS_ECR_REPOSITORY coverage) has no digest.
    ['arn:aws:ecr:us-east-1:123456789012:repository/team/app', null],
    [`arn:aws:ecr:us-east-1:1234:repository/team/app/${DIGEST}`, null],
    [`arn:aws:ecr:us-east-1:123456789012:repository/Team/app/${DIGEST}`, null],
    [`arn:aws:ecr:us-east-1:123456789012:repository/team/app/sha256:${'AB'.repeat(32)}`, null],
    ['i-0123456789abcdef0', null],
    [42, null],
  ])('%s', (id, expected) => {
    expect(parseEcrImageResourceId(id)).toEqual(expected);
  });
});

describe('usageFromCoveredResource', () => {
  it('maps an SDK coverage entry', () => {
    expect(usageFromCoveredResource(COVERED)).toMatchObject({
      repository: 'team/app',
      digest: DIGEST,
      accountId: '123456789012',
      usage: { lastInUseAt: Date.parse('2026-01-09T12:00:00Z'), inUseCount: 3 },
    });
  });

  it('reads the wire and CLI timestamp forms the same way', () => {
    const ms = Date.parse('2026-01-09T12:00:00Z');
    for (const lastInUseAt of [ms / 1000, '2026-01-09T12:00:00+00:00', '2026-01-09T13:00:00.000+01:00']) {
      const entry = structuredClone(COVERED) as { resourceMetadata: { ecrImage: Record<string, unknown> } };
      entry.resourceMetadata.ecrImage.lastInUseAt = lastInUseAt;
      expect(usageFromCoveredResource(entry)?.usage.lastInUseAt, String(lastInUseAt)).toBe(ms);
    }
  });

  it.each([
    [
      'no in-use data at all',
      (e: Editable) => delete e.resourceMetadata.ecrImage,
      { lastInUseAt: null, inUseCount: null },
    ],
    ['no metadata', (e: Editable) => delete e.resourceMetadata, { lastInUseAt: null, inUseCount: null }],
    [
      'unreadable time',
      (e: Editable) => (e.resourceMetadata.ecrImage.lastInUseAt = 'yesterday'),
      { lastInUseAt: null, inUseCount: 3 },
    ],
    ['negative count', (e: Editable) => (e.resourceMetadata.ecrImage.inUseCount = -1), { inUseCount: null }],
    [
      'fractional count',
      (e: Editable) => (e.resourceMetadata.ecrImage.inUseCount = 1.5),
      { inUseCount: null },
    ],
    ['zero count', (e: Editable) => (e.resourceMetadata.ecrImage.inUseCount = 0), { inUseCount: 0 }],
  ])('%s', (_name, edit, expected) => {
    const entry = structuredClone(COVERED) as Editable;
    edit(entry);
    expect(usageFromCoveredResource(entry)?.usage).toMatchObject(expected);
  });

  it.each([
    ['another resource type', (e: Editable) => (e.resourceType = 'AWS_LAMBDA_FUNCTION')],
    [
      'a repository-level id',
      (e: Editable) => (e.resourceId = 'arn:aws:ecr:us-east-1:123456789012:repository/team/app'),
    ],
    ['no id', (e: Editable) => delete e.resourceId],
  ])('rejects %s', (_name, edit) => {
    const entry = structuredClone(COVERED) as Editable;
    edit(entry);
    expect(usageFromCoveredResource(entry)).toBeNull();
  });

  it('rejects what is not an object', () => {
    for (const value of [null, 'x', [COVERED]]) expect(usageFromCoveredResource(value)).toBeNull();
  });
});

describe('usageFromFindingResource', () => {
  it('reads the ECR enhanced finding fixture (ISO strings as the CLI prints them)', () => {
    const resource = ecrEnhanced.imageScanFindings.enhancedFindings[0]?.resources[0];
    expect(usageFromFindingResource(resource)).toEqual({
      partition: 'aws',
      region: 'us-west-2',
      accountId: '123456789012',
      repository: 'sample-repo',
      digest: 'sha256:74b2c688c700ec95a93e478cdb959737c148df3fbf5ea706abe0318726e885e6',
      usage: { lastInUseAt: Date.parse('2025-06-09T04:43:20.427Z'), inUseCount: 1 },
    });
  });

  it("reads the Inspector2 Finding event fixture (Inspector's free-form UTC dates); its EXAMPLE digest is refused", () => {
    const resource = (inspectorEvent as { detail: { resources: Editable[] } }).detail.resources[0];
    // The published sample's digest ends in "EXAMPLE" (not hex): never trusted as an image id.
    expect(usageFromFindingResource(resource)).toBeNull();
    const repaired = structuredClone(resource) as Editable;
    repaired.id = `arn:aws:ecr:us-east-2:123456789012:repository/amazon/amazon-ecs-sample/${DIGEST}`;
    repaired.details.awsEcrContainerImage.imageHash = DIGEST;
    const record = usageFromFindingResource(repaired);
    expect(record?.repository).toBe('amazon/amazon-ecs-sample');
    expect(record?.usage).toEqual({ lastInUseAt: Date.parse('2021-12-03T18:02:13Z'), inUseCount: 1 });
  });

  it.each([
    [
      'a digest that disagrees with the id',
      (r: Editable) => (r.details.awsEcrContainerImage.imageHash = DIGEST),
    ],
    [
      'a repository that disagrees with the id',
      (r: Editable) => (r.details.awsEcrContainerImage.repositoryName = 'other'),
    ],
    ['another resource type', (r: Editable) => (r.type = 'AWS_EC2_INSTANCE')],
  ])('rejects %s', (_name, edit) => {
    const resource = structuredClone(
      ecrEnhanced.imageScanFindings.enhancedFindings[0]?.resources[0],
    ) as Editable;
    edit(resource);
    expect(usageFromFindingResource(resource)).toBeNull();
  });
});

describe('mergeUsage', () => {
  it.each([
    [
      { lastInUseAt: 5, inUseCount: 0 },
      { lastInUseAt: 9, inUseCount: null },
      { lastInUseAt: 9, inUseCount: 0 },
    ],
    [
      { lastInUseAt: null, inUseCount: 4 },
      { lastInUseAt: 1, inUseCount: 2 },
      { lastInUseAt: 1, inUseCount: 4 },
    ],
    [undefined, { lastInUseAt: 1, inUseCount: 2 }, { lastInUseAt: 1, inUseCount: 2 }],
  ])('%j + %j → %j', (a, b, expected) => {
    expect(mergeUsage(a, b)).toEqual(expected);
  });
});
