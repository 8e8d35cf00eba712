/**
 * The one pagination rule (lib/aws/paginate.ts), over HTTP with the local endpoints' page faults, for each
 * paginated read the gate and the sweep depend on: ECR DescribeImageScanFindings (250 enhanced findings, 100 a
 * page) and Inspector ListCoverage (5 images, 2 a page).
 *
 * - a repeated nextToken → the read fails, retryable (`RepeatedNextToken`), nothing partial is returned;
 * - a page without items but with a token → the listing goes on, nothing lost;
 * - a request refused mid-way (a bad token) → the read fails with the service's error, nothing partial returned.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { InspectorRejectedError, InspectorUnavailableError } from '../../../lib/inspector/errors.ts';
import { InspectorImageUsage } from '../../../lib/inspector/inspector-usage.ts';
import { EcrRegistry } from '../../../lib/registry/ecr-registry.ts';
import { RegistryRejectedError, RegistryUnavailableError } from '../../../lib/registry/errors.ts';
import { enhancedFindingsAbout } from '../../support/demo-images.ts';
import { enhancedFindings, type LocalAws, startLocalAws } from '../../support/local-aws.ts';
import { seedImage } from '../gate/local-gate.ts';

let aws: LocalAws;

beforeAll(async () => {
  aws = await startLocalAws();
});
afterAll(async () => {
  await aws?.stop();
});
beforeEach(() => {
  aws.faults.ecr.clear();
  aws.faults.inspector.clear();
  aws.resetCounts();
});

const BAD_TOKEN = { status: 400, code: 'InvalidParameterException', message: 'Invalid NextToken' } as const;

describe('DescribeImageScanFindings pages', () => {
  let n = 0;
  function scannedImage() {
    n += 1;
    const repository = `pagination/findings-${n}`;
    const { digest } = seedImage(aws, repository, ['1.0.0'], null);
    aws.ecr.seedScan(repository, digest, {
      status: 'ACTIVE',
      enhancedFindings: enhancedFindingsAbout(aws, repository, digest, enhancedFindings(250, 'LOW')),
      completedAt: new Date('2026-01-10T12:00:00Z'),
    });
    return { registryId: aws.accountId, region: aws.region, repository, digest };
  }
  const registry = () => new EcrRegistry({ client: aws.clients.ecr({ maxAttempts: 1 }) });

  it('a repeated nextToken fails the read as retryable, after the page that repeats it', async () => {
    const ref = scannedImage();
    aws.faults.ecr.failNext('DescribeImageScanFindings', 1, { page: 'repeat-token' });

    const read = registry().getScanResult(ref);

    await expect(read).rejects.toBeInstanceOf(RegistryUnavailableError);
    await expect(read).rejects.toMatchObject({ code: 'RepeatedNextToken', retryable: true });
    expect(aws.callStats().ecr.DescribeImageScanFindings?.attempts).toBe(2);
  });

  it('an empty page with a token is followed: all 250 findings, one request more', async () => {
    const ref = scannedImage();
    aws.faults.ecr.failNext('DescribeImageScanFindings', 1, { page: 'empty' }, { after: 1 });

    const result = await registry().getScanResult(ref);

    expect(result?.findings).toHaveLength(250);
    expect(aws.callStats().ecr.DescribeImageScanFindings?.attempts).toBe(4);
  });

  it('a token refused on page 2 fails the read, final, with no partial findings', async () => {
    const ref = scannedImage();
    aws.faults.ecr.failNext('DescribeImageScanFindings', 1, BAD_TOKEN, { after: 1 });

    const read = registry().getScanResult(ref);

    await expect(read).rejects.toBeInstanceOf(RegistryRejectedError);
    await expect(read).rejects.toMatchObject({ code: 'InvalidParameterException', retryable: false });
  });
});

describe('ListCoverage pages', () => {
  let n = 0;
  function coveredRepository(): string {
    n += 1;
    const repository = `pagination/coverage-${n}`;
    for (let i = 1; i <= 5; i += 1) {
      aws.inspector.seedImageCoverage({
        repository,
        digest: `sha256:${String(n * 10 + i).padStart(64, '0')}`,
        inUseCount: i,
      });
    }
    return repository;
  }
  const usage = () =>
    new InspectorImageUsage({ client: aws.clients.inspector({ maxAttempts: 1 }), pageSize: 2 });

  it('a repeated nextToken fails the read as retryable', async () => {
    const repository = coveredRepository();
    aws.faults.inspector.failNext('ListCoverage', 1, { page: 'repeat-token' });

    const read = usage().usage(repository, { sweepId: 'p-1' });

    await expect(read).rejects.toBeInstanceOf(InspectorUnavailableError);
    await expect(read).rejects.toMatchObject({ code: 'RepeatedNextToken', retryable: true });
  });

  it('an empty page with a token is followed: all 5 images', async () => {
    const repository = coveredRepository();
    aws.faults.inspector.failNext('ListCoverage', 1, { page: 'empty' }, { after: 1 });

    const map = await usage().usage(repository, { sweepId: 'p-2' });

    expect(map.size).toBe(5);
    expect(aws.faults.inspector.stats().ListCoverage?.attempts).toBe(4);
  });

  it('a token refused on page 2 fails the read, final', async () => {
    const repository = coveredRepository();
    aws.faults.inspector.failNext(
      'ListCoverage',
      1,
      { status: 400, code: 'ValidationException', message: 'Invalid nextToken' },
      { after: 1 },
    );

    const read = usage().usage(repository, { sweepId: 'p-3' });

    await expect(read).rejects.toBeInstanceOf(InspectorRejectedError);
    await expect(read).rejects.toMatchObject({ code: 'ValidationException', retryable: false });
  });
});
