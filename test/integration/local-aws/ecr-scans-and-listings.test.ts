import {
  BatchGetRepositoryScanningConfigurationCommand,
  DeleteLifecyclePolicyCommand,
  DescribeImageScanFindingsCommand,
  type DescribeImageScanFindingsCommandOutput,
  DescribeImagesCommand,
  type ECRClient,
  GetDownloadUrlForLayerCommand,
  GetLifecyclePolicyCommand,
  GetRegistryScanningConfigurationCommand,
  ListImagesCommand,
  PutImageCommand,
  PutLifecyclePolicyCommand,
  PutRegistryScanningConfigurationCommand,
  StartImageScanCommand,
  UpdateImageStorageClassCommand,
} from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  basicFindings,
  buildImage,
  buildIndex,
  enhancedFindings,
  fixtureText,
  imageConfig,
  type LocalAws,
  startLocalAws,
} from '../../support/local-aws.ts';

const T0 = '2026-03-01T10:00:00.000Z';
let aws: LocalAws;
let ecr: ECRClient;
let n = 0;
const newRepo = () => aws.ecr.seedRepository(`scans/repo-${++n}`).name;
const seedOne = (repository: string, name: string, tags: string[] = ['1.0']) =>
  aws.ecr.seedImage(repository, { manifest: buildImage(imageConfig(name)).manifest, tags }).digest;
const errorOf = (p: Promise<unknown>) =>
  p.then(() => null).catch((e: Error & { $metadata?: { attempts?: number } }) => e);

async function allFindingPages(repositoryName: string, imageDigest: string, maxResults?: number) {
  const pages: DescribeImageScanFindingsCommandOutput[] = [];
  let nextToken: string | undefined;
  do {
    const page = await ecr.send(
      new DescribeImageScanFindingsCommand({
        repositoryName,
        imageId: { imageDigest },
        nextToken,
        ...(maxResults ? { maxResults } : {}),
      }),
    );
    pages.push(page);
    nextToken = page.nextToken;
  } while (nextToken);
  return pages;
}

beforeAll(async () => {
  aws = await startLocalAws({ dynamodb: false, now: T0 });
  ecr = aws.clients.ecr({ maxAttempts: 1 });
});
afterAll(() => aws.stop());
beforeEach(() => aws.clock.set(T0));

describe('DescribeImageScanFindings', () => {
  it('ScanNotFoundException when the image was never scanned; ImageNotFoundException when it does not exist', async () => {
    const repositoryName = newRepo();
    const digest = seedOne(repositoryName, 'never-scanned');
    expect(
      (
        await errorOf(
          ecr.send(
            new DescribeImageScanFindingsCommand({ repositoryName, imageId: { imageDigest: digest } }),
          ),
        )
      )?.name,
    ).toBe('ScanNotFoundException');
    expect(
      (
        await errorOf(
          ecr.send(new DescribeImageScanFindingsCommand({ repositoryName, imageId: { imageTag: 'nope' } })),
        )
      )?.name,
    ).toBe('ImageNotFoundException');
  });

  it('pages basic findings by maxResults (250 findings → 100 + 100 + 50) with counts and epoch timestamps as Dates', async () => {
    const repositoryName = newRepo();
    const digest = seedOne(repositoryName, 'basic-250');
    aws.ecr.seedScan(repositoryName, digest, { status: 'COMPLETE', findings: basicFindings(250, 'HIGH') });
    const pages = await allFindingPages(repositoryName, digest);
    expect(pages.map((p) => p.imageScanFindings?.findings?.length)).toEqual([100, 100, 50]);
    const ids = pages.flatMap((p) => p.imageScanFindings?.findings?.map((f) => f.name) ?? []);
    expect(new Set(ids).size).toBe(250);
    expect(pages[0]?.imageScanFindings?.findingSeverityCounts).toEqual({ HIGH: 250 });
    expect(pages[0]?.imageScanFindings?.imageScanCompletedAt?.toISOString()).toBe(T0);
    expect(pages[0]?.imageScanStatus?.status).toBe('COMPLETE');
    const small = await allFindingPages(repositoryName, digest, 120);
    expect(small.map((p) => p.imageScanFindings?.findings?.length)).toEqual([120, 120, 10]);
  });

  it('returns enhanced findings 100 per page whatever maxResults says (230 → 100 + 100 + 30)', async () => {
    const repositoryName = newRepo();
    const digest = seedOne(repositoryName, 'enhanced-230');
    aws.ecr.seedScan(repositoryName, digest, { status: 'ACTIVE', enhancedFindings: enhancedFindings(230) });
    const pages = await allFindingPages(repositoryName, digest, 10);
    expect(pages.map((p) => p.imageScanFindings?.enhancedFindings?.length)).toEqual([100, 100, 30]);
    expect(pages[0]?.imageScanFindings?.findings).toBeUndefined();
    const first = pages[0]?.imageScanFindings?.enhancedFindings?.[0];
    expect(first?.packageVulnerabilityDetails?.vulnerabilityId).toBe('CVE-2099-00001');
    expect(first?.firstObservedAt).toEqual(new Date('2025-05-27T17:54:07.765Z'));
    expect(first?.resources?.[0]?.details?.awsEcrContainerImage?.pushedAt).toBeInstanceOf(Date);
  });

  it('refuses a token from another image', async () => {
    const repositoryName = newRepo();
    const a = seedOne(repositoryName, 'token-a', ['a']);
    const b = seedOne(repositoryName, 'token-b', ['b']);
    aws.ecr.seedScan(repositoryName, a, { status: 'COMPLETE', findings: basicFindings(150) });
    aws.ecr.seedScan(repositoryName, b, { status: 'COMPLETE', findings: basicFindings(150) });
    const first = await ecr.send(
      new DescribeImageScanFindingsCommand({ repositoryName, imageId: { imageDigest: a } }),
    );
    const err = await errorOf(
      ecr.send(
        new DescribeImageScanFindingsCommand({
          repositoryName,
          imageId: { imageDigest: b },
          nextToken: first.nextToken,
        }),
      ),
    );
    expect(err?.name).toBe('InvalidParameterException');
  });

  it('shows "complete, no findings yet" as COMPLETE with findings [] and no severity counts', async () => {
    const repositoryName = newRepo();
    const digest = seedOne(repositoryName, 'not-yet');
    aws.ecr.seedScanCompleteWithoutFindingsYet(repositoryName, digest);
    const out = await ecr.send(
      new DescribeImageScanFindingsCommand({ repositoryName, imageId: { imageDigest: digest } }),
    );
    expect(out.imageScanStatus?.status).toBe('COMPLETE');
    expect(out.imageScanFindings?.findings).toEqual([]);
    expect(out.imageScanFindings?.findingSeverityCounts).toBeUndefined();
    expect(out.imageScanFindings?.enhancedFindings).toBeUndefined();
  });

  it.each([
    'FAILED',
    'UNSUPPORTED_IMAGE',
    'FINDINGS_UNAVAILABLE',
    'SCAN_ELIGIBILITY_EXPIRED',
    'IN_PROGRESS',
    'PENDING',
  ])('reports status %s with its description and no findings', async (status) => {
    const repositoryName = newRepo();
    const digest = seedOne(repositoryName, `status-${status}`);
    aws.ecr.seedScan(repositoryName, digest, { status, description: `described ${status}` });
    const out = await ecr.send(
      new DescribeImageScanFindingsCommand({ repositoryName, imageId: { imageDigest: digest } }),
    );
    expect(out.imageScanStatus).toEqual({ status, description: `described ${status}` });
    expect(out.imageScanFindings).toBeUndefined();
  });

  it('says IMAGE_ARCHIVED while the image is archived', async () => {
    const repositoryName = newRepo();
    const digest = seedOne(repositoryName, 'archived-scan');
    aws.ecr.seedScan(repositoryName, digest, { status: 'COMPLETE', findings: basicFindings(3) });
    await ecr.send(
      new UpdateImageStorageClassCommand({
        repositoryName,
        imageId: { imageDigest: digest },
        targetStorageClass: 'ARCHIVE',
      }),
    );
    const out = await ecr.send(
      new DescribeImageScanFindingsCommand({ repositoryName, imageId: { imageDigest: digest } }),
    );
    expect(out.imageScanStatus?.status).toBe('IMAGE_ARCHIVED');
  });
});

describe('StartImageScan', () => {
  it('allows one scan per image per 24 hours (scan on push included); the SDK retries LimitExceeded as throttling', async () => {
    const repositoryName = aws.ecr.seedRepository('scans/on-push', { scanOnPush: true }).name;
    const image = buildImage(imageConfig('scan-limit'));
    await ecr.send(new PutImageCommand({ repositoryName, imageManifest: image.manifest, imageTag: '1.0' }));
    expect(aws.ecr.image(repositoryName, image.digest)?.scanStatus).toBe('IN_PROGRESS');

    const retrying = aws.clients.ecr({ maxAttempts: 3, backoffMs: () => 1 });
    aws.resetCounts();
    aws.clock.advance(23 * 60 * 60 * 1000);
    const err = await errorOf(
      retrying.send(new StartImageScanCommand({ repositoryName, imageId: { imageDigest: image.digest } })),
    );
    expect(err?.name).toBe('LimitExceededException');
    expect(err?.$metadata?.attempts).toBe(3);
    expect(aws.callCounts().ecr.StartImageScan).toBe(3);

    aws.clock.advance(60 * 60 * 1000 + 1);
    const ok = await ecr.send(new StartImageScanCommand({ repositoryName, imageId: { imageTag: '1.0' } }));
    expect(ok.imageScanStatus?.status).toBe('IN_PROGRESS');
    expect(ok.imageId).toEqual({ imageDigest: image.digest, imageTag: '1.0' });
  });

  it('lets a scan hook finish scans, and refuses indexes and archived images', async () => {
    const repositoryName = newRepo();
    const child = buildImage(imageConfig('hook-child'));
    aws.ecr.seedImage(repositoryName, { manifest: child.manifest, tags: ['child'] });
    const index = buildIndex([{ ...child, arch: 'amd64' }]);
    aws.ecr.seedImage(repositoryName, { manifest: index.manifest, tags: ['multi'] });
    aws.ecr.onScan(({ trigger }) =>
      trigger === 'start-image-scan' ? { status: 'COMPLETE', findings: basicFindings(2, 'LOW') } : undefined,
    );
    try {
      const started = await ecr.send(
        new StartImageScanCommand({ repositoryName, imageId: { imageTag: 'child' } }),
      );
      expect(started.imageScanStatus?.status).toBe('COMPLETE');
      const findings = await ecr.send(
        new DescribeImageScanFindingsCommand({ repositoryName, imageId: { imageTag: 'child' } }),
      );
      expect(findings.imageScanFindings?.findingSeverityCounts).toEqual({ LOW: 2 });
    } finally {
      aws.ecr.onScan(null);
    }
    expect(
      (await errorOf(ecr.send(new StartImageScanCommand({ repositoryName, imageId: { imageTag: 'multi' } }))))
        ?.name,
    ).toBe('UnsupportedImageTypeException');
    const archived = seedOne(repositoryName, 'to-archive', ['arch']);
    await ecr.send(
      new UpdateImageStorageClassCommand({
        repositoryName,
        imageId: { imageDigest: archived },
        targetStorageClass: 'ARCHIVE',
      }),
    );
    expect(
      (
        await errorOf(
          ecr.send(new StartImageScanCommand({ repositoryName, imageId: { imageDigest: archived } })),
        )
      )?.name,
    ).toBe('ImageArchivedException');
  });
});

describe('registry scanning configuration', () => {
  it('stores rules and resolves them per repository', async () => {
    const local = await startLocalAws({ dynamodb: false });
    try {
      const client = local.clients.ecr({ maxAttempts: 1 });
      local.ecr.seedRepository('prod/api');
      local.ecr.seedRepository('dev/api');
      await client.send(
        new PutRegistryScanningConfigurationCommand({
          scanType: 'ENHANCED',
          rules: [
            {
              scanFrequency: 'CONTINUOUS_SCAN',
              repositoryFilters: [{ filter: 'prod/*', filterType: 'WILDCARD' }],
            },
            { scanFrequency: 'SCAN_ON_PUSH', repositoryFilters: [{ filter: '*', filterType: 'WILDCARD' }] },
          ],
        }),
      );
      const got = await client.send(new GetRegistryScanningConfigurationCommand({}));
      expect(got.scanningConfiguration?.scanType).toBe('ENHANCED');
      expect(got.scanningConfiguration?.rules).toHaveLength(2);
      const per = await client.send(
        new BatchGetRepositoryScanningConfigurationCommand({
          repositoryNames: ['prod/api', 'dev/api', 'gone/x'],
        }),
      );
      expect(per.scanningConfigurations?.map((c) => [c.repositoryName, c.scanFrequency])).toEqual([
        ['prod/api', 'CONTINUOUS_SCAN'],
        ['dev/api', 'SCAN_ON_PUSH'],
      ]);
      expect(per.failures?.[0]?.failureCode).toBe('REPOSITORY_NOT_FOUND');
      const image = buildImage(imageConfig('registry-rule'));
      await client.send(
        new PutImageCommand({ repositoryName: 'dev/api', imageManifest: image.manifest, imageTag: 'x' }),
      );
      expect(local.ecr.image('dev/api', 'x')?.scanStatus).toBe('IN_PROGRESS');
    } finally {
      await local.stop();
    }
  });
});

describe('DescribeImages and ListImages', () => {
  it('paginate, filter by tag status, and describe sizes, push times and storage class', async () => {
    const repositoryName = newRepo();
    for (let i = 0; i < 130; i++) {
      aws.ecr.seedImage(repositoryName, {
        manifest: buildImage(imageConfig(`list-${i}`)).manifest,
        tags: i % 3 === 0 ? [] : [`t${i}`],
        pushedAt: new Date(Date.parse(T0) - i * 60_000),
      });
    }
    const seen: string[] = [];
    let nextToken: string | undefined;
    let pages = 0;
    do {
      const page = await ecr.send(new DescribeImagesCommand({ repositoryName, nextToken, maxResults: 50 }));
      seen.push(...(page.imageDetails ?? []).map((d) => d.imageDigest ?? ''));
      nextToken = page.nextToken;
      pages += 1;
    } while (nextToken);
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(130);

    const untagged = await ecr.send(
      new DescribeImagesCommand({ repositoryName, filter: { tagStatus: 'UNTAGGED' }, maxResults: 1000 }),
    );
    expect(untagged.imageDetails).toHaveLength(44);
    const detail = untagged.imageDetails?.[1];
    expect(detail?.imagePushedAt).toEqual(new Date(Date.parse(T0) - 3 * 60_000));
    expect(detail?.imageSizeInBytes).toBeGreaterThan(3000);
    expect(detail?.imageStatus).toBe('ACTIVE');

    const listed = await ecr.send(new ListImagesCommand({ repositoryName, filter: { tagStatus: 'TAGGED' } }));
    expect(listed.imageIds).toHaveLength(86);
    expect(listed.nextToken).toBeUndefined();
    const firstPage = await ecr.send(new ListImagesCommand({ repositoryName, maxResults: 100 }));
    expect(firstPage.imageIds).toHaveLength(100);
    const secondPage = await ecr.send(
      new ListImagesCommand({ repositoryName, nextToken: firstPage.nextToken }),
    );
    expect(secondPage.imageIds).toHaveLength(30);
  });

  it('by imageIds: ImageNotFoundException for a missing one; archived images only with the ARCHIVED filter', async () => {
    const repositoryName = newRepo();
    const digest = seedOne(repositoryName, 'describe-ids', ['a', 'b']);
    const both = await ecr.send(
      new DescribeImagesCommand({ repositoryName, imageIds: [{ imageTag: 'a' }, { imageTag: 'b' }] }),
    );
    expect(both.imageDetails).toHaveLength(1);
    expect(both.imageDetails?.[0]?.imageTags).toEqual(['a', 'b']);
    expect(
      (
        await errorOf(
          ecr.send(new DescribeImagesCommand({ repositoryName, imageIds: [{ imageTag: 'zzz' }] })),
        )
      )?.name,
    ).toBe('ImageNotFoundException');
    await ecr.send(
      new UpdateImageStorageClassCommand({
        repositoryName,
        imageId: { imageDigest: digest },
        targetStorageClass: 'ARCHIVE',
      }),
    );
    expect((await ecr.send(new DescribeImagesCommand({ repositoryName }))).imageDetails).toEqual([]);
    const archived = await ecr.send(
      new DescribeImagesCommand({ repositoryName, filter: { imageStatus: 'ARCHIVED' } }),
    );
    expect(archived.imageDetails?.[0]?.lastArchivedAt).toEqual(new Date(T0));
  });
});

describe('lifecycle policies and layers', () => {
  it('puts, gets and deletes a lifecycle policy; LifecyclePolicyNotFoundException otherwise', async () => {
    const repositoryName = newRepo();
    const text = fixtureText('ecr-lifecycle-policy-multiple-rules-example-a.json');
    expect((await errorOf(ecr.send(new GetLifecyclePolicyCommand({ repositoryName }))))?.name).toBe(
      'LifecyclePolicyNotFoundException',
    );
    await ecr.send(new PutLifecyclePolicyCommand({ repositoryName, lifecyclePolicyText: text }));
    expect((await ecr.send(new GetLifecyclePolicyCommand({ repositoryName }))).lifecyclePolicyText).toBe(
      text,
    );
    await ecr.send(new DeleteLifecyclePolicyCommand({ repositoryName }));
    expect((await errorOf(ecr.send(new DeleteLifecyclePolicyCommand({ repositoryName }))))?.name).toBe(
      'LifecyclePolicyNotFoundException',
    );
    const invalid = JSON.stringify({
      rules: [
        {
          rulePriority: 1,
          selection: {
            tagStatus: 'untagged',
            countType: 'imageCountMoreThan',
            countNumber: 1,
            tagPrefixList: ['x'],
          },
          action: { type: 'expire' },
        },
      ],
    });
    expect(
      (
        await errorOf(
          ecr.send(new PutLifecyclePolicyCommand({ repositoryName, lifecyclePolicyText: invalid })),
        )
      )?.name,
    ).toBe('InvalidParameterException');
  });

  it('serves the config blob through GetDownloadUrlForLayer', async () => {
    const repositoryName = newRepo();
    const image = buildImage(imageConfig('with-config', { user: 'root', labels: { team: 'a' } }));
    aws.ecr.seedImage(repositoryName, {
      manifest: image.manifest,
      config: JSON.parse(image.config),
      tags: ['1'],
    });
    const url = await ecr.send(
      new GetDownloadUrlForLayerCommand({ repositoryName, layerDigest: image.configDigest }),
    );
    const res = await fetch(url.downloadUrl ?? '');
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(image.config);
    expect(aws.callCounts().ecr.GetDownloadUrlForLayer).toBeGreaterThan(0);
    const missing = await errorOf(
      ecr.send(
        new GetDownloadUrlForLayerCommand({ repositoryName, layerDigest: `sha256:${'0'.repeat(64)}` }),
      ),
    );
    expect(missing?.name).toBe('LayersNotFoundException');
  });
});
