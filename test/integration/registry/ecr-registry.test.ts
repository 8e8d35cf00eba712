/**
 * EcrRegistry over HTTP: the real AWS SDK v3 ECRClient against the local ECR endpoint (test/support), so
 * pagination, exact-bytes retagging, ECR's error shapes, throttling and the SDK's retry behaviour are the
 * real ones. Call counts come from the endpoint, not from mocks.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ImageRef } from '../../../lib/events/image-ref.ts';
import { createEcrClient } from '../../../lib/registry/ecr-client.ts';
import { EcrRegistry } from '../../../lib/registry/ecr-registry.ts';
import { RegistryRejectedError, RegistryUnavailableError } from '../../../lib/registry/errors.ts';
import { childManifests } from '../../../lib/registry/manifest.ts';
import type { RepositorySummary } from '../../../lib/registry/registry.ts';
import {
  buildImage,
  buildIndex,
  enhancedFindings,
  fixtureJson,
  fixtureText,
  imageConfig,
  type LocalAws,
  startLocalAws,
} from '../../support/local-aws.ts';

let aws: LocalAws;
let registry: EcrRegistry;
let repoCounter = 0;

beforeAll(async () => {
  aws = await startLocalAws({ dynamodb: false, now: '2026-01-10T12:00:00Z' });
  registry = new EcrRegistry({ client: aws.clients.ecr() });
});
afterAll(async () => {
  await aws.stop();
});
afterEach(() => {
  aws.faults.ecr.clear();
  aws.resetCounts();
});

/** A fresh repository per test, so tests do not see each other's images. */
function repository(seed: Parameters<LocalAws['ecr']['seedRepository']>[1] = {}): string {
  const name = `it/registry-${++repoCounter}`;
  aws.ecr.seedRepository(name, seed);
  return name;
}

function ref(repositoryName: string, digest: string): ImageRef {
  return { registryId: aws.accountId, region: aws.region, repository: repositoryName, digest };
}

/** The byte-exact Docker Hub manifest from the fixtures (sha256:888206c7…). */
const DOCKERHUB = fixtureText('manifest-docker-v2s2-dockerhub-real.json');
const DOCKERHUB_DIGEST = 'sha256:888206c77cd2811ec47e752ba291e5b7734e3ef137dfd222daadaca39a9f17bc';

/** Enhanced findings about THIS image (the fixture's resources name `sample-repo`, as the AWS sample does). */
function enhancedFindingsFor(
  repositoryName: string,
  digest: string,
  count: number,
  severity?: string,
): unknown[] {
  return enhancedFindings(count, severity).map((finding) => {
    const f = finding as {
      resources: { id: string; details: { awsEcrContainerImage: Record<string, unknown> } }[];
    };
    for (const resource of f.resources) {
      resource.id = `arn:aws:ecr:${aws.region}:${aws.accountId}:repository/${repositoryName}/${digest}`;
      Object.assign(resource.details.awsEcrContainerImage, {
        repositoryName,
        imageHash: digest,
        registry: aws.accountId,
      });
    }
    return f;
  });
}

/** A production-configured client (createEcrClient defaults) pointed at the local endpoint. */
function productionRegistry(): { registry: EcrRegistry; destroy(): void } {
  const client = createEcrClient({
    region: aws.region,
    endpoint: aws.endpoints.ecr,
    credentials: {
      accessKeyId: aws.env.AWS_ACCESS_KEY_ID as string,
      secretAccessKey: aws.env.AWS_SECRET_ACCESS_KEY as string,
    },
  });
  return { registry: new EcrRegistry({ client }), destroy: () => client.destroy() };
}

describe('findings', () => {
  it('reads more than 100 enhanced findings across pages until nextToken is absent', async () => {
    const repo = repository();
    const { digest } = aws.ecr.seedImage(repo, { manifest: DOCKERHUB, tags: ['1.0.0'] });
    aws.ecr.seedScan(repo, digest, {
      status: 'ACTIVE',
      enhancedFindings: enhancedFindingsFor(repo, digest, 250, 'HIGH'),
    });

    const result = await registry.getScanResult(ref(repo, digest));

    expect(result?.status).toBe('ACTIVE');
    expect(result?.enhanced).toBe(true);
    expect(new Set(result?.findings.map((f) => f.id)).size).toBe(250);
    expect(aws.callCounts().ecr.DescribeImageScanFindings).toBe(3);
  });

  it('reports COMPLETE without findings or counts right after an enhanced scan-on-push (not a clean result)', async () => {
    const repo = repository();
    const { digest } = aws.ecr.seedImage(repo, { manifest: DOCKERHUB });
    aws.ecr.seedScanCompleteWithoutFindingsYet(repo, digest);
    expect(await registry.getScanResult(ref(repo, digest))).toMatchObject({
      status: 'COMPLETE',
      findings: [],
      severityCounts: null,
    });
  });

  it('returns null for a deleted image and PENDING/scanNotFound for an image never scanned', async () => {
    const repo = repository();
    const { digest } = aws.ecr.seedImage(repo, { manifest: DOCKERHUB });
    expect(await registry.getScanResult(ref(repo, `sha256:${'0'.repeat(64)}`))).toBeNull();
    expect(await registry.getScanResult(ref('it/never-created', digest))).toBeNull();
    expect(await registry.getScanResult(ref(repo, digest))).toMatchObject({
      status: 'PENDING',
      scanNotFound: true,
      findings: [],
      severityCounts: null,
    });
  });

  it('recovers from two 5xx answers on DescribeImageScanFindings through the SDK retries', async () => {
    const repo = repository();
    const { digest } = aws.ecr.seedImage(repo, { manifest: DOCKERHUB });
    aws.ecr.seedScan(repo, digest, {
      status: 'ACTIVE',
      enhancedFindings: enhancedFindingsFor(repo, digest, 3),
    });
    aws.faults.ecr.failNext('DescribeImageScanFindings', 2, 'server-error');
    expect((await registry.getScanResult(ref(repo, digest)))?.findings).toHaveLength(3);
  });
});

describe('retag with the exact bytes', () => {
  it('BatchGetImage + PutImage keeps the digest of the byte-exact manifest and adds the tag', async () => {
    const repo = repository();
    aws.ecr.seedImage(repo, { manifest: DOCKERHUB, tags: ['1.0.0'] });
    const image = ref(repo, DOCKERHUB_DIGEST);

    const stored = await registry.getManifest(image);
    expect(stored?.manifest).toBe(DOCKERHUB);
    const outcome = await registry.putTag(image, stored!, 'approved-1.0.0');

    expect(outcome).toBe('tagged');
    expect(aws.ecr.tagsOf(repo, DOCKERHUB_DIGEST)?.slice().sort()).toEqual(['1.0.0', 'approved-1.0.0']);
    expect(aws.ecr.image(repo, 'approved-1.0.0')?.manifest).toBe(DOCKERHUB);
    expect(aws.callCounts().ecr).toMatchObject({ BatchGetImage: 1, PutImage: 1 });
  });

  it('ImageAlreadyExists (same tag again) is success, one PutImage per attempt, no error escapes', async () => {
    const repo = repository();
    aws.ecr.seedImage(repo, { manifest: DOCKERHUB, tags: ['v1'] });
    const image = ref(repo, DOCKERHUB_DIGEST);
    const stored = (await registry.getManifest(image))!;
    expect(await registry.putTag(image, stored, 'approved-v1')).toBe('tagged');
    expect(await registry.putTag(image, stored, 'approved-v1')).toBe('tagged');
    expect(aws.callCounts().ecr.PutImage).toBe(2);
  });

  it('tags a multi-arch image at the index digest and exposes its children', async () => {
    const repo = repository();
    const amd = buildImage(imageConfig('amd', { user: 'app' }));
    const arm = buildImage(imageConfig('arm', { user: 'app' }));
    aws.ecr.seedImage(repo, { manifest: amd.manifest, config: amd.config });
    aws.ecr.seedImage(repo, { manifest: arm.manifest, config: arm.config });
    const index = buildIndex([
      { ...amd, arch: 'amd64' },
      { ...arm, arch: 'arm64' },
    ]);
    aws.ecr.seedImage(repo, { manifest: index.manifest, tags: ['2.0.0'] });
    const image = ref(repo, index.digest);

    const stored = (await registry.getManifest(image))!;
    expect(stored.mediaType).toBe('application/vnd.docker.distribution.manifest.list.v2+json');
    expect(childManifests(stored).map((c) => c.digest)).toEqual([amd.digest, arm.digest]);
    expect(await registry.putTag(image, stored, 'approved-2.0.0')).toBe('tagged');
    expect(aws.ecr.image(repo, 'approved-2.0.0')?.digest).toBe(index.digest);
    expect(aws.ecr.images(repo)).toHaveLength(3);
  });

  it('immutable repository: a tag held by another digest → immutable; already ours → tagged; excluded prefix → moves', async () => {
    const repo = repository({ tagMutability: 'IMMUTABLE' });
    const other = buildImage(imageConfig('other'));
    aws.ecr.seedImage(repo, { manifest: other.manifest, tags: ['approved-v1'] });
    aws.ecr.seedImage(repo, { manifest: DOCKERHUB, tags: ['v1', 'approved-v2'] });
    const image = ref(repo, DOCKERHUB_DIGEST);
    const stored = (await registry.getManifest(image))!;

    expect(await registry.putTag(image, stored, 'approved-v1')).toBe('immutable');
    expect(await registry.putTag(image, stored, 'approved-v2')).toBe('tagged');
    expect(aws.ecr.image(repo, 'approved-v1')?.digest).toBe(other.digest);

    const excluded = repository({ tagMutability: 'IMMUTABLE_WITH_EXCLUSION', exclusions: ['approved-*'] });
    aws.ecr.seedImage(excluded, { manifest: other.manifest, tags: ['approved-v1'] });
    aws.ecr.seedImage(excluded, { manifest: DOCKERHUB, tags: ['v1'] });
    expect(await registry.putTag(ref(excluded, DOCKERHUB_DIGEST), stored, 'approved-v1')).toBe('tagged');
    expect(aws.ecr.image(excluded, 'approved-v1')?.digest).toBe(DOCKERHUB_DIGEST);
  });

  it('never sends bytes that do not hash to the digest (PutImage doc sample with a trailing newline)', async () => {
    const repo = repository();
    const batch = fixtureJson<{ images: { imageManifest: string; imageId: { imageDigest: string } }[] }>(
      'ecr-batch-get-image-amazonlinux.json',
    );
    const request = fixtureJson<{ imageManifest: string }>('ecr-put-image-request-amazonlinux.json');
    const digest = batch.images[0]!.imageId.imageDigest;
    aws.ecr.seedImage(repo, { manifest: batch.images[0]!.imageManifest, tags: ['latest'] });
    const bad = {
      digest,
      manifest: request.imageManifest,
      mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    };
    await expect(registry.putTag(ref(repo, digest), bad, '2016.09')).rejects.toMatchObject({
      code: 'ManifestDigestMismatch',
    });
    expect(aws.callCounts().ecr.PutImage ?? 0).toBe(0);
    expect(aws.ecr.tagsOf(repo, digest)).toEqual(['latest']);
  });

  it('PutImage throttled (10/s) is retried by the SDK and converges', async () => {
    const repo = repository();
    aws.ecr.seedImage(repo, { manifest: DOCKERHUB, tags: ['v0'] });
    const image = ref(repo, DOCKERHUB_DIGEST);
    const stored = (await registry.getManifest(image))!;
    aws.faults.ecr.rateLimit('PutImage', { perSecond: 10 });
    const tags = Array.from({ length: 25 }, (_, i) => `approved-v${i}`);
    // Enough attempts for a 2.5 s burst with the test client's short backoff (production: 5 attempts, adaptive).
    const patient = new EcrRegistry({ client: aws.clients.ecr({ maxAttempts: 20 }) });

    const outcomes = await Promise.all(tags.map((tag) => patient.putTag(image, stored, tag)));

    expect(outcomes).toEqual(tags.map(() => 'tagged'));
    expect(aws.ecr.tagsOf(repo, DOCKERHUB_DIGEST)).toHaveLength(26);
    expect(aws.callStats().ecr.PutImage?.throttled ?? 0).toBeGreaterThan(0);
  });

  it('a production-configured client retries a throttled PutImage too', async () => {
    const repo = repository();
    aws.ecr.seedImage(repo, { manifest: DOCKERHUB, tags: ['v0'] });
    const image = ref(repo, DOCKERHUB_DIGEST);
    const prod = productionRegistry();
    try {
      const stored = (await prod.registry.getManifest(image))!;
      aws.faults.ecr.failNext('PutImage', 1, 'throttle');
      expect(await prod.registry.putTag(image, stored, 'approved-v0')).toBe('tagged');
      expect(aws.callStats().ecr.PutImage).toMatchObject({ attempts: 2 });
    } finally {
      prod.destroy();
    }
  });

  it('a dropped connection on BatchGetImage is retried', async () => {
    const repo = repository();
    aws.ecr.seedImage(repo, { manifest: DOCKERHUB });
    aws.faults.ecr.failNext('BatchGetImage', 1, 'drop');
    expect((await registry.getManifest(ref(repo, DOCKERHUB_DIGEST)))?.digest).toBe(DOCKERHUB_DIGEST);
  });

  it('persistent 5xx surfaces as RegistryUnavailableError (retryable) after the SDK gives up', async () => {
    const repo = repository();
    aws.ecr.seedImage(repo, { manifest: DOCKERHUB });
    aws.faults.ecr.failNext('BatchGetImage', 50, 'unavailable');
    await expect(registry.getManifest(ref(repo, DOCKERHUB_DIGEST))).rejects.toBeInstanceOf(
      RegistryUnavailableError,
    );
  });
});

describe('client timeouts', () => {
  it('a response slower than requestTimeoutMs fails as retryable TimeoutError (throwOnRequestTimeout is on)', async () => {
    const repo = repository();
    aws.ecr.seedImage(repo, { manifest: DOCKERHUB });
    const client = createEcrClient({
      region: aws.region,
      endpoint: aws.endpoints.ecr,
      maxAttempts: 2,
      requestTimeoutMs: 100,
      credentials: {
        accessKeyId: 'AKIDLOCALTESTONLY000',
        secretAccessKey: 'local-test-secret-not-a-real-key',
      },
    });
    try {
      aws.faults.ecr.latency('DescribeImages', 400);
      const slow = new EcrRegistry({ client });
      await expect(slow.describeImage(ref(repo, DOCKERHUB_DIGEST))).rejects.toMatchObject({
        code: 'TimeoutError',
        retryable: true,
      });
      expect(aws.callStats().ecr.DescribeImages?.attempts).toBe(2);
    } finally {
      client.destroy();
    }
  });
});

describe('removeTags', () => {
  it('removes only the named tags, by tag; the image and its other tags stay', async () => {
    const repo = repository();
    aws.ecr.seedImage(repo, { manifest: DOCKERHUB, tags: ['v1', 'approved-v1', 'quarantined-v1'] });
    await registry.removeTags(ref(repo, DOCKERHUB_DIGEST), ['quarantined-v1', 'never-there']);
    expect(aws.ecr.tagsOf(repo, DOCKERHUB_DIGEST)?.slice().sort()).toEqual(['approved-v1', 'v1']);
    expect(aws.callCounts().ecr.BatchDeleteImage).toBe(1);
  });

  it('leaves a tag that meanwhile moved to another image alone', async () => {
    const repo = repository();
    const other = buildImage(imageConfig('other'));
    aws.ecr.seedImage(repo, { manifest: DOCKERHUB, tags: ['v1'] });
    aws.ecr.seedImage(repo, { manifest: other.manifest, tags: ['approved-v1'] });
    await registry.removeTags(ref(repo, DOCKERHUB_DIGEST), ['approved-v1']);
    expect(aws.ecr.image(repo, 'approved-v1')?.digest).toBe(other.digest);
    expect(aws.callCounts().ecr.BatchDeleteImage ?? 0).toBe(0);
  });

  it('refuses to remove the last tag, which would delete the image', async () => {
    const repo = repository();
    aws.ecr.seedImage(repo, { manifest: DOCKERHUB, tags: ['approved-v1'] });
    await expect(registry.removeTags(ref(repo, DOCKERHUB_DIGEST), ['approved-v1'])).rejects.toBeInstanceOf(
      RegistryRejectedError,
    );
    expect(aws.ecr.tagsOf(repo, DOCKERHUB_DIGEST)).toEqual(['approved-v1']);
  });
});

describe('gone images', () => {
  it('every Registry method treats a deleted image or repository as a value, not an error', async () => {
    const repo = repository();
    const gone = ref(repo, `sha256:${'1'.repeat(64)}`);
    const stored = {
      digest: DOCKERHUB_DIGEST,
      manifest: DOCKERHUB,
      mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    };
    expect(await registry.getManifest(gone)).toBeNull();
    expect(await registry.describeImage(gone)).toBeNull();
    expect(await registry.startScan(gone)).toBe('gone');
    expect(await registry.setStorageClass(gone, 'ARCHIVE')).toBe('gone');
    await expect(registry.removeTags(gone, ['a'])).resolves.toBeUndefined();
    expect(await registry.putTag(ref('it/deleted-repository', DOCKERHUB_DIGEST), stored, 'approved-x')).toBe(
      'gone',
    );
  });
});

describe('scans', () => {
  it('StartImageScan LimitExceeded (1 scan per image per 24 h) is final and sent once, with production retry settings', async () => {
    const repo = repository();
    aws.ecr.seedImage(repo, { manifest: DOCKERHUB });
    const prod = productionRegistry();
    try {
      expect(await prod.registry.startScan(ref(repo, DOCKERHUB_DIGEST))).toBe('started');
      aws.resetCounts();
      expect(await prod.registry.startScan(ref(repo, DOCKERHUB_DIGEST))).toBe('limit-exceeded');
      expect(aws.callStats().ecr.StartImageScan).toMatchObject({ attempts: 1 });
    } finally {
      prod.destroy();
    }
  });

  it('LimitExceeded is not retried by the test client either (short-circuit is per command)', async () => {
    const repo = repository();
    aws.ecr.seedImage(repo, { manifest: DOCKERHUB });
    expect(await registry.startScan(ref(repo, DOCKERHUB_DIGEST))).toBe('started');
    aws.resetCounts();
    expect(await registry.startScan(ref(repo, DOCKERHUB_DIGEST))).toBe('limit-exceeded');
    expect(aws.callStats().ecr.StartImageScan).toMatchObject({ attempts: 1 });
    aws.clock.advance(24 * 60 * 60 * 1000 + 1000);
    expect(await registry.startScan(ref(repo, DOCKERHUB_DIGEST))).toBe('started');
  });

  it('a throttled StartImageScan (429/Throttling) is still retried', async () => {
    const repo = repository();
    aws.ecr.seedImage(repo, { manifest: DOCKERHUB });
    aws.faults.ecr.failNext('StartImageScan', 1, 'throttle');
    expect(await registry.startScan(ref(repo, DOCKERHUB_DIGEST))).toBe('started');
    expect(aws.callStats().ecr.StartImageScan).toMatchObject({ attempts: 2 });
  });

  it('getRepositoryScanning follows the registry rules, and repository scanOnPush for basic', async () => {
    const onPush = repository({ scanOnPush: true });
    const manual = repository();
    aws.ecr.setRegistryScanning('BASIC', []);
    expect(await registry.getRepositoryScanning(onPush)).toEqual({
      scanType: 'BASIC',
      frequency: 'SCAN_ON_PUSH',
    });
    expect(await registry.getRepositoryScanning(manual)).toEqual({ scanType: 'BASIC', frequency: 'MANUAL' });
    aws.ecr.setRegistryScanning('ENHANCED', [
      { scanFrequency: 'CONTINUOUS_SCAN', repositoryFilters: [{ filter: 'it/*', filterType: 'WILDCARD' }] },
      { scanFrequency: 'SCAN_ON_PUSH', repositoryFilters: [{ filter: '*', filterType: 'WILDCARD' }] },
    ]);
    expect(await registry.getRepositoryScanning(manual)).toEqual({
      scanType: 'ENHANCED',
      frequency: 'CONTINUOUS_SCAN',
    });
    aws.ecr.setRegistryScanning('BASIC', []);
  });
});

describe('image facts and storage class', () => {
  it('reads size from the manifest and user/labels from the config blob via GetDownloadUrlForLayer', async () => {
    const repo = repository();
    const built = buildImage(imageConfig('facts', { user: '1000:1000', labels: { team: 'payments' } }), {
      layers: 3,
    });
    aws.ecr.seedImage(repo, { manifest: built.manifest, config: built.config, tags: ['1.0.0'] });
    const image = ref(repo, built.digest);
    const stored = (await registry.getManifest(image))!;
    const facts = await registry.getImageFacts(image, stored);
    expect(facts).toEqual({
      sizeBytes: Buffer.byteLength(built.config) + 1000 + 2000 + 3000,
      user: '1000:1000',
      labels: { team: 'payments' },
    });
    expect(aws.callCounts().ecr.GetDownloadUrlForLayer).toBe(1);
  });

  it('an index gets its children facts (largest size, root when any child runs as root)', async () => {
    const repo = repository();
    const amd = buildImage(imageConfig('amd', { user: 'app', labels: { team: 'x' } }), { layers: 1 });
    const arm = buildImage(imageConfig('arm', { user: '', labels: { team: 'x' } }), { layers: 4 });
    aws.ecr.seedImage(repo, { manifest: amd.manifest, config: amd.config });
    aws.ecr.seedImage(repo, { manifest: arm.manifest, config: arm.config });
    const index = buildIndex([
      { ...amd, arch: 'amd64' },
      { ...arm, arch: 'arm64' },
    ]);
    aws.ecr.seedImage(repo, { manifest: index.manifest, tags: ['multi'] });
    const image = ref(repo, index.digest);
    const facts = await registry.getImageFacts(image, (await registry.getManifest(image))!);
    expect(facts).toEqual({
      sizeBytes: Buffer.byteLength(arm.config) + 1000 + 2000 + 3000 + 4000,
      user: '',
      labels: { team: 'x' },
    });
  });

  it('archives and restores; an archived image cannot be read for retagging (retryable)', async () => {
    const repo = repository();
    aws.ecr.seedImage(repo, { manifest: DOCKERHUB, tags: ['v1'] });
    const image = ref(repo, DOCKERHUB_DIGEST);
    expect(await registry.setStorageClass(image, 'ARCHIVE')).toBe('done');
    expect((await registry.describeImage(image))?.storageClass).toBe('ARCHIVE');
    await expect(registry.getManifest(image)).rejects.toMatchObject({
      code: 'ImageInaccessible',
      retryable: true,
    });
    expect(await registry.setStorageClass(image, 'STANDARD')).toBe('done');
    expect((await registry.describeImage(image))?.storageClass).toBe('STANDARD');
    expect((await registry.getManifest(image))?.manifest).toBe(DOCKERHUB);
  });
});

describe('RegistryAdmin', () => {
  it('lists more than 1,000 images across pages, archived ones included', async () => {
    const repo = repository();
    for (let i = 0; i < 1_005; i++) {
      aws.ecr.seedImage(repo, {
        manifest: buildImage(imageConfig(`bulk-${i}`), { layers: 1 }).manifest,
        tags: [`b${i}`],
      });
    }
    const first = aws.ecr.images(repo)[0]!;
    await registry.setStorageClass(ref(repo, first.digest), 'ARCHIVE');
    aws.resetCounts();
    const images = [];
    for await (const image of registry.listImages(repo)) images.push(image);
    expect(images).toHaveLength(1_005);
    expect(images.filter((i) => i.storageClass === 'ARCHIVE')).toHaveLength(1);
    expect(aws.callCounts().ecr.DescribeImages).toBe(2);
  });

  it('lists repositories and reads/writes lifecycle policy, mutability and scan on push', async () => {
    const repo = repository();
    const names: string[] = [];
    for await (const summary of registry.listRepositories()) names.push(summary.name);
    expect(names).toContain(repo);
    expect(await registry.getLifecyclePolicy(repo)).toBeNull();
    const policy = JSON.stringify(fixtureJson('ecr-lifecycle-policy-multiple-rules-example-a.json'));
    await registry.putLifecyclePolicy(repo, policy);
    expect(JSON.parse((await registry.getLifecyclePolicy(repo))!)).toEqual(JSON.parse(policy));
    await registry.putTagMutability(repo, 'IMMUTABLE_WITH_EXCLUSION', ['approved-*', 'quarantined-*']);
    await registry.putScanOnPush(repo, true);
    let summary: RepositorySummary | undefined;
    for await (const s of registry.listRepositories()) if (s.name === repo) summary = s;
    expect(summary).toMatchObject({
      tagMutability: 'IMMUTABLE_WITH_EXCLUSION',
      tagMutabilityExclusions: ['approved-*', 'quarantined-*'],
      scanOnPush: true,
    });
  });
});
