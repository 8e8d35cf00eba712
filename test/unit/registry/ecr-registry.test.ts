import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ImageRef } from '../../../lib/events/image-ref.ts';
import { EcrRegistry } from '../../../lib/registry/ecr-registry.ts';
import {
  ImageFactsUnavailableError,
  ManifestDigestMismatchError,
  RegistryRejectedError,
  RegistryUnavailableError,
} from '../../../lib/registry/errors.ts';
import {
  ACCEPTED_MANIFEST_MEDIA_TYPES,
  MEDIA_TYPES,
  manifestDigest,
} from '../../../lib/registry/manifest.ts';
import type { StoredManifest } from '../../../lib/registry/registry.ts';
import { awsError, StubEcr } from './stub-ecr.ts';

// biome-ignore lint/suspicious/noExplicitAny: fixtures are edited freely in tests
type Json = Record<string, any>;
const FIXTURES = join(import.meta.dirname, '../../fixtures/aws');
const fixture = (name: string): Json => JSON.parse(readFileSync(join(FIXTURES, name), 'utf8'));

const AMAZONLINUX = fixture('ecr-batch-get-image-amazonlinux.json');
const AL_MANIFEST: string = AMAZONLINUX.images[0].imageManifest;
const AL_DIGEST: string = AMAZONLINUX.images[0].imageId.imageDigest;
const REF: ImageRef = {
  registryId: '012345678910',
  region: 'us-east-1',
  repository: 'amazonlinux',
  digest: AL_DIGEST,
};
/** What every DescribeImageScanFindings page about REF says it is about (pages about another image are refused). */
const ABOUT_REF = {
  registryId: REF.registryId,
  repositoryName: REF.repository,
  imageId: { imageDigest: REF.digest },
};
const STORED: StoredManifest = { digest: AL_DIGEST, manifest: AL_MANIFEST, mediaType: MEDIA_TYPES.dockerV2 };

function registry(
  stub: StubEcr,
  extra: Partial<ConstructorParameters<typeof EcrRegistry>[0]> = {},
): EcrRegistry {
  return new EcrRegistry({ client: stub.client, ...extra });
}

/** A basic-scan page with `count` distinct findings, cloned from the AWS documentation sample. */
function basicPage(first: number, count: number, nextToken?: string): Json {
  const page = fixture('ecr-describe-image-scan-findings-basic.json');
  const template = page.imageScanFindings.findings[0];
  page.imageScanFindings.findings = Array.from({ length: count }, (_, i) => ({
    ...structuredClone(template),
    name: `CVE-2024-${String(first + i).padStart(5, '0')}`,
  }));
  if (nextToken) page.nextToken = nextToken;
  return { ...page, ...structuredClone(ABOUT_REF) };
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

describe('getScanResult', () => {
  it('follows nextToken until it is absent and normalises every page', async () => {
    // Prepare
    const pages: Record<string, Json> = {
      '': basicPage(0, 100, 't1'),
      t1: basicPage(100, 100, 't2'),
      t2: basicPage(200, 7),
    };
    const stub = new StubEcr().on(
      'DescribeImageScanFindings',
      (input) => pages[(input.nextToken as string) ?? ''],
    );
    // Act
    const result = await registry(stub).getScanResult(REF);
    // Assess
    expect(result?.findings).toHaveLength(207);
    expect(new Set(result?.findings.map((f) => f.id)).size).toBe(207);
    expect(result).toMatchObject({
      status: 'COMPLETE',
      description: 'The scan was completed successfully.',
      severityCounts: { MEDIUM: 1 },
      enhanced: false,
    });
    expect(result?.completedAt).toMatch(/^20\d\d-/);
    const calls = stub.callsTo('DescribeImageScanFindings');
    expect(calls.map((c) => c.nextToken)).toEqual([undefined, 't1', 't2']);
    expect(calls[0]).toMatchObject({
      registryId: REF.registryId,
      repositoryName: 'amazonlinux',
      imageId: { imageDigest: AL_DIGEST },
      maxResults: 1000,
    });
  });

  it('reads the enhanced shape and marks the result enhanced', async () => {
    const page = fixture('ecr-describe-image-scan-findings-enhanced-active.json');
    const stub = new StubEcr().on('DescribeImageScanFindings', () => page);
    const result = await registry(stub).getScanResult({
      registryId: page.registryId,
      region: 'us-east-1',
      repository: page.repositoryName,
      digest: page.imageId.imageDigest,
    });
    expect(result).toMatchObject({ status: 'ACTIVE', enhanced: true, severityCounts: { HIGH: 1 } });
    expect(result?.findings.length).toBeGreaterThan(0);
    expect(result?.findings[0]?.source).toBe('ecr-enhanced');
    // Report-only text is not kept for a decision; what a decision reads is.
    expect(result?.findings.every((f) => f.title === null && f.description === undefined)).toBe(true);
    expect(result?.findings[0]?.url).toMatch(/^https:/);
    expect(result?.findings[0]?.arn).toMatch(/^arn:aws:inspector2:/);
  });

  it('returns an empty COMPLETE result right after an enhanced scan-on-push with severityCounts null', async () => {
    const stub = new StubEcr().on('DescribeImageScanFindings', () => ({
      ...ABOUT_REF,
      imageScanStatus: { status: 'COMPLETE' },
      imageScanFindings: { findings: [] },
    }));
    expect(await registry(stub).getScanResult(REF)).toEqual({
      status: 'COMPLETE',
      description: null,
      findings: [],
      severityCounts: null,
      enhanced: false,
      completedAt: null,
    });
  });

  it('returns IN_PROGRESS without findings', async () => {
    const stub = new StubEcr().on('DescribeImageScanFindings', () => ({
      ...ABOUT_REF,
      imageScanStatus: { status: 'IN_PROGRESS' },
    }));
    expect(await registry(stub).getScanResult(REF)).toMatchObject({ status: 'IN_PROGRESS', findings: [] });
  });

  it.each(['ImageNotFoundException', 'RepositoryNotFoundException'])(
    '%s → null (image gone)',
    async (name) => {
      const stub = new StubEcr().on('DescribeImageScanFindings', () => {
        throw awsError(name);
      });
      expect(await registry(stub).getScanResult(REF)).toBeNull();
    },
  );

  it('ScanNotFoundException → PENDING with scanNotFound (not ready)', async () => {
    const stub = new StubEcr().on('DescribeImageScanFindings', () => {
      throw awsError('ScanNotFoundException');
    });
    expect(await registry(stub).getScanResult(REF)).toMatchObject({
      status: 'PENDING',
      scanNotFound: true,
      findings: [],
      description: expect.stringMatching(/^ScanNotFound/),
    });
  });

  it('an unknown scan status is a final error, never a verdict', async () => {
    const stub = new StubEcr().on('DescribeImageScanFindings', () => ({
      ...ABOUT_REF,
      imageScanStatus: { status: 'SOMETHING_NEW' },
    }));
    await expect(registry(stub).getScanResult(REF)).rejects.toThrow(RegistryRejectedError);
  });

  it('a repeated nextToken stops with a retryable error instead of looping', async () => {
    const stub = new StubEcr().on('DescribeImageScanFindings', () => basicPage(0, 1, 'same'));
    await expect(registry(stub).getScanResult(REF)).rejects.toMatchObject({
      code: 'RepeatedNextToken',
      retryable: true,
    });
    expect(stub.callsTo('DescribeImageScanFindings')).toHaveLength(2);
  });

  it.each<[string, (page: Json) => void, RegExp]>([
    [
      'about another digest',
      (p) => (p.imageId.imageDigest = `sha256:${'e'.repeat(64)}`),
      /page 2 is about digest "sha256:e{64}"/,
    ],
    ['without an imageId', (p) => delete p.imageId, /page 2 is about digest null/],
    ['about another repository', (p) => (p.repositoryName = 'other'), /page 2 is about repository "other"/],
    [
      'about another registry',
      (p) => (p.registryId = '999999999999'),
      /page 2 is about registry "999999999999"/,
    ],
    [
      'with another scan status',
      (p) => (p.imageScanStatus.status = 'FAILED'),
      /page 2 has scan status "FAILED", page 1 had "COMPLETE"/,
    ],
    [
      'of a scan completed at another time',
      (p) => (p.imageScanFindings.imageScanCompletedAt += 3600),
      /page 2 is of a scan completed at .+, page 1 at .+/,
    ],
  ])('a page %s makes the read unusable: retryable, nothing merged', async (_name, edit, message) => {
    // Prepare
    const second = basicPage(100, 5);
    edit(second);
    const stub = new StubEcr().on('DescribeImageScanFindings', (input) =>
      input.nextToken === 't1' ? second : basicPage(0, 100, 't1'),
    );
    // Act
    const read = registry(stub).getScanResult(REF);
    // Assess
    await expect(read).rejects.toBeInstanceOf(RegistryUnavailableError);
    await expect(read).rejects.toMatchObject({ code: 'InconsistentFindingsPages', retryable: true, message });
    expect(stub.callsTo('DescribeImageScanFindings')).toHaveLength(2);
  });

  it('a first page about another image is refused before anything is read from it', async () => {
    const page = basicPage(0, 3);
    page.imageId.imageDigest = `sha256:${'0'.repeat(64)}`;
    const stub = new StubEcr().on('DescribeImageScanFindings', () => page);
    await expect(registry(stub).getScanResult(REF)).rejects.toMatchObject({
      code: 'InconsistentFindingsPages',
      message: expect.stringMatching(/page 1 is about digest/),
    });
  });

  it('pages agreeing on digest, status and completion time are merged (a page without the time is fine)', async () => {
    const last = basicPage(100, 5);
    delete last.imageScanFindings.imageScanCompletedAt;
    const stub = new StubEcr().on('DescribeImageScanFindings', (input) =>
      input.nextToken === 't1' ? last : basicPage(0, 100, 't1'),
    );
    const result = await registry(stub).getScanResult(REF);
    expect(result?.findings).toHaveLength(105);
  });

  it('throttling that outlived the SDK retries is RegistryUnavailableError', async () => {
    const stub = new StubEcr().on('DescribeImageScanFindings', () => {
      throw awsError('ThrottlingException');
    });
    await expect(registry(stub).getScanResult(REF)).rejects.toBeInstanceOf(RegistryUnavailableError);
  });

  it('a malformed page is a final error naming the image', async () => {
    const stub = new StubEcr().on('DescribeImageScanFindings', () => ({
      ...ABOUT_REF,
      imageScanStatus: { status: 'COMPLETE' },
      imageScanFindings: { findings: 'nope' },
    }));
    await expect(registry(stub).getScanResult(REF)).rejects.toMatchObject({
      code: 'InvalidResponse',
      retryable: false,
    });
  });
});

describe('getManifest', () => {
  it('returns the exact bytes by digest, asking for every manifest type ECR stores', async () => {
    const stub = new StubEcr().on('BatchGetImage', () => AMAZONLINUX);
    const stored = await registry(stub).getManifest(REF);
    expect(stored).toEqual({ digest: AL_DIGEST, manifest: AL_MANIFEST, mediaType: MEDIA_TYPES.dockerV2 });
    const [input] = stub.callsTo('BatchGetImage');
    expect(input).toMatchObject({ imageIds: [{ imageDigest: AL_DIGEST }], repositoryName: 'amazonlinux' });
    expect(input?.imageIds).toEqual([{ imageDigest: AL_DIGEST }]);
    expect(input?.acceptedMediaTypes).toEqual(
      expect.arrayContaining([
        MEDIA_TYPES.dockerList,
        MEDIA_TYPES.ociIndex,
        MEDIA_TYPES.ociManifest,
        MEDIA_TYPES.dockerV2,
      ]),
    );
    expect(ACCEPTED_MANIFEST_MEDIA_TYPES.length).toBeLessThanOrEqual(100);
  });

  it('refuses bytes that do not hash to the digest (ManifestDigestMismatchError)', async () => {
    const tampered = structuredClone(AMAZONLINUX);
    tampered.images[0].imageManifest = `${AL_MANIFEST}\n`;
    const stub = new StubEcr().on('BatchGetImage', () => tampered);
    await expect(registry(stub).getManifest(REF)).rejects.toBeInstanceOf(ManifestDigestMismatchError);
  });

  it.each([
    [
      'failures[] ImageNotFound',
      () => ({
        images: [],
        failures: [
          {
            imageId: { imageDigest: AL_DIGEST },
            failureCode: 'ImageNotFound',
            failureReason: 'Requested image not found',
          },
        ],
      }),
    ],
    [
      'RepositoryNotFoundException',
      () => {
        throw awsError('RepositoryNotFoundException');
      },
    ],
  ])('%s → null', async (_name, handler) => {
    const stub = new StubEcr().on('BatchGetImage', handler);
    expect(await registry(stub).getManifest(REF)).toBeNull();
  });

  it.each([
    ['ImageInaccessible (archived)', 'ImageInaccessible', true],
    ['KmsError', 'KmsError', true],
    ['InvalidImageDigest', 'InvalidImageDigest', false],
  ])('failures[] %s → retryable %s', async (_name, failureCode, retryable) => {
    const stub = new StubEcr().on('BatchGetImage', () => ({
      images: [],
      failures: [{ imageId: { imageDigest: AL_DIGEST }, failureCode, failureReason: 'x' }],
    }));
    await expect(registry(stub).getManifest(REF)).rejects.toMatchObject({ code: failureCode, retryable });
  });
});

describe('putTag', () => {
  it('sends the exact bytes with imageManifestMediaType and imageDigest', async () => {
    const stub = new StubEcr().on('PutImage', (input) => ({
      image: {
        imageId: { imageDigest: manifestDigest(input.imageManifest as string), imageTag: input.imageTag },
      },
    }));
    expect(await registry(stub).putTag(REF, STORED, 'approved-latest')).toBe('tagged');
    expect(stub.callsTo('PutImage')).toEqual([
      {
        registryId: REF.registryId,
        repositoryName: 'amazonlinux',
        imageManifest: AL_MANIFEST,
        imageManifestMediaType: MEDIA_TYPES.dockerV2,
        imageDigest: AL_DIGEST,
        imageTag: 'approved-latest',
      },
    ]);
  });

  it.each<[string, string, string | null, string]>([
    ['ImageAlreadyExists is success', 'ImageAlreadyExistsException', null, 'tagged'],
    [
      'ImageTagAlreadyExists with the tag on another digest is immutable',
      'ImageTagAlreadyExistsException',
      `sha256:${'b'.repeat(64)}`,
      'immutable',
    ],
    [
      'ImageTagAlreadyExists with the tag already on this digest is tagged',
      'ImageTagAlreadyExistsException',
      AL_DIGEST,
      'tagged',
    ],
    ['a deleted repository is gone', 'RepositoryNotFoundException', null, 'gone'],
  ])('%s', async (_name, error, tagDigest, outcome) => {
    const stub = new StubEcr()
      .on('PutImage', () => {
        throw awsError(error);
      })
      .on('DescribeImages', () => ({
        imageDetails: [{ imageDigest: tagDigest, imageTags: ['approved-latest'] }],
      }));
    expect(await registry(stub).putTag(REF, STORED, 'approved-latest')).toBe(outcome);
    expect(stub.callsTo('PutImage')).toHaveLength(1);
  });

  it('never pushes bytes that do not hash to the digest (the PutImage doc sample with its trailing newline)', async () => {
    const request = fixture('ecr-put-image-request-amazonlinux.json');
    const stub = new StubEcr().on('PutImage', () => ({}));
    const bad: StoredManifest = { ...STORED, manifest: request.imageManifest };
    await expect(registry(stub).putTag(REF, bad, '2016.09')).rejects.toBeInstanceOf(
      ManifestDigestMismatchError,
    );
    await expect(
      registry(stub).putTag(REF, { ...STORED, digest: `sha256:${'c'.repeat(64)}` }, 'x'),
    ).rejects.toBeInstanceOf(ManifestDigestMismatchError);
    expect(stub.calls).toHaveLength(0);
  });

  it('refuses an invalid tag without calling ECR', async () => {
    const stub = new StubEcr().on('PutImage', () => ({}));
    await expect(registry(stub).putTag(REF, STORED, 'has space')).rejects.toMatchObject({
      code: 'InvalidTag',
    });
    expect(stub.calls).toHaveLength(0);
  });

  it.each([
    'LayersNotFoundException',
    'ReferencedImagesNotFoundException',
    'KmsException',
    'ImageDigestDoesNotMatchException',
  ])('%s is final', async (name) => {
    const stub = new StubEcr().on('PutImage', () => {
      throw awsError(name);
    });
    await expect(registry(stub).putTag(REF, STORED, 't')).rejects.toMatchObject({
      code: name,
      retryable: false,
    });
  });
});

describe('removeTags', () => {
  function withTags(tags: string[]) {
    return new StubEcr()
      .on('DescribeImages', () => ({ imageDetails: [{ imageDigest: AL_DIGEST, imageTags: tags }] }))
      .on('BatchDeleteImage', (input) => ({
        imageIds: (input.imageIds as Json[]).map((id) => ({ imageDigest: AL_DIGEST, imageTag: id.imageTag })),
        failures: [],
      }));
  }

  it('deletes by imageTag only, and only tags that are on this digest', async () => {
    const stub = withTags(['v1', 'approved-v1', 'quarantined-v1']);
    await registry(stub).removeTags(REF, ['approved-v1', 'moved-elsewhere', 'approved-v1']);
    expect(stub.callsTo('BatchDeleteImage')).toEqual([
      { registryId: REF.registryId, repositoryName: 'amazonlinux', imageIds: [{ imageTag: 'approved-v1' }] },
    ]);
  });

  it('sends at most 100 image ids per call', async () => {
    const tags = Array.from({ length: 250 }, (_, i) => `t${i}`);
    const stub = withTags([...tags, 'keep']);
    await registry(stub).removeTags(REF, tags);
    expect(stub.callsTo('BatchDeleteImage').map((c) => (c.imageIds as unknown[]).length)).toEqual([
      100, 100, 50,
    ]);
    for (const call of stub.callsTo('BatchDeleteImage')) {
      for (const id of call.imageIds as Json[]) expect(Object.keys(id)).toEqual(['imageTag']);
    }
  });

  it('refuses to remove the last tag (ECR would delete the image)', async () => {
    const stub = withTags(['approved-v1']);
    await expect(registry(stub).removeTags(REF, ['approved-v1'])).rejects.toMatchObject({
      code: 'WouldDeleteImage',
    });
    expect(stub.callsTo('BatchDeleteImage')).toHaveLength(0);
  });

  it('does nothing when the image is gone or no tag is on it', async () => {
    const gone = new StubEcr().on('DescribeImages', () => {
      throw awsError('ImageNotFoundException');
    });
    await registry(gone).removeTags(REF, ['a']);
    const none = withTags(['b', 'c']);
    await registry(none).removeTags(REF, ['a']);
    expect([...gone.callsTo('BatchDeleteImage'), ...none.callsTo('BatchDeleteImage')]).toHaveLength(0);
  });

  it('accepts per-item ImageNotFound (tag removed meanwhile) and fails on other per-item failures', async () => {
    const stub = withTags(['a', 'b', 'keep']).on('BatchDeleteImage', () => ({
      imageIds: [],
      failures: [
        { imageId: { imageTag: 'a' }, failureCode: 'ImageNotFound', failureReason: 'gone' },
        { imageId: { imageTag: 'b' }, failureCode: 'KmsError', failureReason: 'kms' },
      ],
    }));
    await expect(registry(stub).removeTags(REF, ['a', 'b'])).rejects.toMatchObject({
      code: 'KmsError',
      retryable: true,
    });
    const ok = withTags(['a', 'keep']).on('BatchDeleteImage', () => ({
      imageIds: [],
      failures: [{ imageId: { imageTag: 'a' }, failureCode: 'ImageNotFound', failureReason: 'gone' }],
    }));
    await expect(registry(ok).removeTags(REF, ['a'])).resolves.toBeUndefined();
    const bad = withTags(['a', 'keep']).on('BatchDeleteImage', () => ({
      imageIds: [],
      failures: [{ imageId: { imageTag: 'a' }, failureCode: 'InvalidImageTag', failureReason: 'bad' }],
    }));
    await expect(registry(bad).removeTags(REF, ['a'])).rejects.toBeInstanceOf(RegistryRejectedError);
  });
});

describe('startScan', () => {
  it.each<[string, unknown, string]>([
    ['success', null, 'started'],
    ['LimitExceededException', 'LimitExceededException', 'limit-exceeded'],
    ['UnsupportedImageTypeException', 'UnsupportedImageTypeException', 'unsupported'],
    ['ImageArchivedException', 'ImageArchivedException', 'archived'],
    ['ImageNotFoundException', 'ImageNotFoundException', 'gone'],
    ['RepositoryNotFoundException', 'RepositoryNotFoundException', 'gone'],
  ])('%s → %s', async (_name, error, outcome) => {
    const stub = new StubEcr().on('StartImageScan', () => {
      if (error) throw awsError(error as string);
      return fixture('ecr-start-image-scan-in-progress.json');
    });
    expect(await registry(stub).startScan(REF)).toBe(outcome);
    expect(stub.callsTo('StartImageScan')).toEqual([
      { registryId: REF.registryId, repositoryName: 'amazonlinux', imageId: { imageDigest: AL_DIGEST } },
    ]);
  });

  it('ValidationException (e.g. enhanced scanning) is a final error', async () => {
    const stub = new StubEcr().on('StartImageScan', () => {
      throw awsError('ValidationException');
    });
    await expect(registry(stub).startScan(REF)).rejects.toBeInstanceOf(RegistryRejectedError);
  });
});

describe('getRepositoryScanning', () => {
  it('enhanced: resolved from the registry rules alone', async () => {
    const stub = new StubEcr().on('GetRegistryScanningConfiguration', () =>
      fixture('ecr-get-registry-scanning-configuration-enhanced.json'),
    );
    expect(await registry(stub).getRepositoryScanning('team/prod-api')).toEqual({
      scanType: 'ENHANCED',
      frequency: 'CONTINUOUS_SCAN',
    });
    expect(stub.callsTo('DescribeRepositories')).toHaveLength(0);
  });

  it.each([
    [true, 'SCAN_ON_PUSH'],
    [false, 'MANUAL'],
  ])('basic without a matching rule: repository scanOnPush %s → %s', async (scanOnPush, frequency) => {
    const stub = new StubEcr()
      .on('GetRegistryScanningConfiguration', () => ({
        registryId: '1',
        scanningConfiguration: { scanType: 'BASIC', rules: [] },
      }))
      .on('DescribeRepositories', () => ({ repositories: [{ imageScanningConfiguration: { scanOnPush } }] }));
    expect(await registry(stub).getRepositoryScanning('demo/web')).toEqual({ scanType: 'BASIC', frequency });
    expect(stub.callsTo('DescribeRepositories')).toEqual([{ repositoryNames: ['demo/web'] }]);
  });
});

describe('getImageFacts', () => {
  /** An image whose config blob is served by the stub fetch. */
  function image(config: Json, layers: number[]) {
    const blob = Buffer.from(JSON.stringify(config));
    const configDigest = `sha256:${createHash('sha256').update(blob).digest('hex')}`;
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociManifest,
      config: { mediaType: MEDIA_TYPES.ociConfig, digest: configDigest, size: blob.length },
      layers: layers.map((size, i) => ({
        mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
        digest: `sha256:${String(i).repeat(64)}`,
        size,
      })),
    });
    const stored: StoredManifest = {
      digest: manifestDigest(manifest),
      manifest,
      mediaType: MEDIA_TYPES.ociManifest,
    };
    return { blob, configDigest, stored, size: blob.length + layers.reduce((a, b) => a + b, 0) };
  }

  function serving(blobs: Map<string, Buffer>, response?: (digest: string) => Response) {
    const fetched: string[] = [];
    const fetchStub = (async (url: string | URL | Request) => {
      const digest = String(url).split('/').pop() ?? '';
      fetched.push(digest);
      if (response) return response(digest);
      const blob = blobs.get(digest);
      return blob ? new Response(blob, { status: 200 }) : new Response('no', { status: 404 });
    }) as typeof fetch;
    const stub = new StubEcr().on('GetDownloadUrlForLayer', (input) => ({
      downloadUrl: `https://prod-us-east-1-starport-layer-bucket.s3.example/${input.layerDigest as string}`,
      layerDigest: input.layerDigest,
    }));
    return { stub, fetched, fetchStub };
  }

  it('reads size from the manifest and user/labels from the config blob', async () => {
    const img = image(
      { architecture: 'amd64', config: { User: 'app', Labels: { team: 'payments' } } },
      [100, 200],
    );
    const { stub, fetchStub, fetched } = serving(new Map([[img.configDigest, img.blob]]));
    const ref = { ...REF, digest: img.stored.digest };
    expect(await registry(stub, { fetch: fetchStub }).getImageFacts(ref, img.stored)).toEqual({
      sizeBytes: img.size,
      user: 'app',
      labels: { team: 'payments' },
    });
    expect(fetched).toEqual([img.configDigest]);
    expect(stub.callsTo('GetDownloadUrlForLayer')).toEqual([
      { registryId: REF.registryId, repositoryName: 'amazonlinux', layerDigest: img.configDigest },
    ]);
  });

  it('fetches the config of the byte-exact Docker Hub manifest (config typed application/octet-stream)', async () => {
    const bytes = readFileSync(join(FIXTURES, 'manifest-docker-v2s2-dockerhub-real.json'), 'utf8');
    const stored: StoredManifest = {
      digest: manifestDigest(bytes),
      manifest: bytes,
      mediaType: MEDIA_TYPES.dockerV2,
    };
    const { stub, fetchStub } = serving(new Map());
    // The stub serves no blob: a 404 on the pre-signed URL is final, so image rules fail closed.
    await expect(
      registry(stub, { fetch: fetchStub }).getImageFacts({ ...REF, digest: stored.digest }, stored),
    ).rejects.toBeInstanceOf(ImageFactsUnavailableError);
    expect(stub.callsTo('GetDownloadUrlForLayer')).toHaveLength(1);
  });

  it('an OCI artifact gives its size only, without downloading anything', async () => {
    const bytes = readFileSync(join(FIXTURES, 'manifest-oci-artifact-minimal-spec-example.json'), 'utf8');
    const stored: StoredManifest = {
      digest: manifestDigest(bytes),
      manifest: bytes,
      mediaType: MEDIA_TYPES.ociManifest,
    };
    const stub = new StubEcr();
    expect(await registry(stub).getImageFacts({ ...REF, digest: stored.digest }, stored)).toEqual({
      sizeBytes: 4,
    });
    expect(stub.calls).toHaveLength(0);
  });

  it('an index gets the least favourable facts of its runnable children', async () => {
    const a = image({ config: { User: 'app', Labels: { team: 'x', tier: 'web' } } }, [1000]);
    const b = image({ config: { User: '', Labels: { team: 'x' } } }, [5000]);
    const index = JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociIndex,
      manifests: [
        {
          mediaType: MEDIA_TYPES.ociManifest,
          digest: a.stored.digest,
          size: a.stored.manifest.length,
          platform: { os: 'linux', architecture: 'amd64' },
        },
        {
          mediaType: MEDIA_TYPES.ociManifest,
          digest: b.stored.digest,
          size: b.stored.manifest.length,
          platform: { os: 'linux', architecture: 'arm64' },
        },
        {
          mediaType: MEDIA_TYPES.ociManifest,
          digest: `sha256:${'e'.repeat(64)}`,
          size: 10,
          platform: { os: 'unknown', architecture: 'unknown' },
        },
      ],
    });
    const stored: StoredManifest = {
      digest: manifestDigest(index),
      manifest: index,
      mediaType: MEDIA_TYPES.ociIndex,
    };
    const { stub, fetchStub } = serving(
      new Map([
        [a.configDigest, a.blob],
        [b.configDigest, b.blob],
      ]),
    );
    stub.on('BatchGetImage', (input) => ({
      images: (input.imageIds as Json[]).map((id) => {
        const child = [a, b].find((x) => x.stored.digest === id.imageDigest);
        return {
          imageId: { imageDigest: id.imageDigest },
          imageManifest: child?.stored.manifest,
          imageManifestMediaType: MEDIA_TYPES.ociManifest,
        };
      }),
      failures: [],
    }));
    const facts = await registry(stub, { fetch: fetchStub }).getImageFacts(
      { ...REF, digest: stored.digest },
      stored,
    );
    expect(facts).toEqual({ sizeBytes: b.size, user: '', labels: { team: 'x' } });
    // The attestation manifest is not asked for.
    expect(stub.callsTo('BatchGetImage')[0]?.imageIds).toEqual([
      { imageDigest: a.stored.digest },
      { imageDigest: b.stored.digest },
    ]);
  });

  it.each<
    [string, (img: ReturnType<typeof image>) => { fetch?: (d: string) => Response; options?: Json }, Json]
  >([
    [
      'a blob that does not hash to the config digest',
      () => ({ fetch: () => new Response('{"config":{}}') }),
      { code: 'ConfigDigestMismatch', retryable: false },
    ],
    [
      'a blob larger than announced',
      () => ({ fetch: () => new Response('x'.repeat(10_000)) }),
      { code: 'ConfigTooLarge', retryable: false },
    ],
    [
      'a config larger than the limit',
      () => ({ options: { configBlobMaxBytes: 10 } }),
      { code: 'ConfigTooLarge', retryable: false },
    ],
    [
      'HTTP 503 from the blob store',
      () => ({ fetch: () => new Response('busy', { status: 503 }) }),
      { code: 'HTTP503', retryable: true },
    ],
    [
      'HTTP 403 (URL expired)',
      () => ({ fetch: () => new Response('', { status: 403 }) }),
      { code: 'HTTP403', retryable: true },
    ],
  ])('%s', async (_name, setup, expected) => {
    const img = image({ config: { User: 'app' } }, [1]);
    const { fetch: respond, options } = setup(img);
    const { stub, fetchStub } = serving(new Map([[img.configDigest, img.blob]]), respond);
    const reg = registry(stub, { fetch: fetchStub, ...(options ?? {}) });
    await expect(reg.getImageFacts({ ...REF, digest: img.stored.digest }, img.stored)).rejects.toMatchObject(
      expected,
    );
  });

  it('a download that hangs is cut off by the timeout (retryable)', async () => {
    const img = image({ config: { User: 'app' } }, [1]);
    const { stub } = serving(new Map());
    const hanging = ((_url: string, init?: RequestInit) =>
      new Promise<Response>((_resolve, reject) => {
        init?.signal?.addEventListener('abort', () => reject(init.signal?.reason));
      })) as typeof fetch;
    const reg = registry(stub, { fetch: hanging, configBlobTimeoutMs: 30 });
    await expect(reg.getImageFacts({ ...REF, digest: img.stored.digest }, img.stored)).rejects.toMatchObject({
      code: 'TimeoutError',
      retryable: true,
    });
  });

  it('refuses facts for a manifest that is not the image (digest mismatch)', async () => {
    const stub = new StubEcr();
    await expect(
      registry(stub).getImageFacts({ ...REF, digest: `sha256:${'f'.repeat(64)}` }, STORED),
    ).rejects.toBeInstanceOf(ManifestDigestMismatchError);
  });
});

describe('setStorageClass', () => {
  it.each<[string | null, string]>([
    [null, 'done'],
    ['ImageNotFoundException', 'gone'],
  ])('%s → %s', async (error, outcome) => {
    const stub = new StubEcr().on('UpdateImageStorageClass', () => {
      if (error) throw awsError(error);
      return { imageStatus: 'ARCHIVED' };
    });
    expect(await registry(stub).setStorageClass(REF, 'ARCHIVE')).toBe(outcome);
    expect(stub.callsTo('UpdateImageStorageClass')[0]).toMatchObject({
      imageId: { imageDigest: AL_DIGEST },
      targetStorageClass: 'ARCHIVE',
    });
  });
});

describe('RegistryAdmin', () => {
  it('listRepositories paginates DescribeRepositories with maxResults 1000', async () => {
    const repo = (name: string) => ({
      repositoryName: name,
      repositoryArn: `arn:aws:ecr:us-east-1:123456789012:repository/${name}`,
      registryId: '123456789012',
      imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
      imageTagMutabilityExclusionFilters: [{ filterType: 'WILDCARD', filter: 'approved-*' }],
      imageScanningConfiguration: { scanOnPush: true },
      createdAt: new Date('2024-01-02T03:04:05Z'),
    });
    const stub = new StubEcr().on('DescribeRepositories', (input) =>
      input.nextToken ? { repositories: [repo('b')] } : { repositories: [repo('a')], nextToken: 'n' },
    );
    const repos = await collect(registry(stub, { registryId: '123456789012' }).listRepositories());
    expect(repos.map((r) => r.name)).toEqual(['a', 'b']);
    expect(repos[0]).toEqual({
      name: 'a',
      arn: 'arn:aws:ecr:us-east-1:123456789012:repository/a',
      registryId: '123456789012',
      tagMutability: 'IMMUTABLE_WITH_EXCLUSION',
      tagMutabilityExclusions: ['approved-*'],
      scanOnPush: true,
      createdAt: '2024-01-02T03:04:05.000Z',
    });
    expect(stub.callsTo('DescribeRepositories')).toEqual([
      { registryId: '123456789012', maxResults: 1000 },
      { registryId: '123456789012', maxResults: 1000, nextToken: 'n' },
    ]);
  });

  it('listImages paginates DescribeImages over every image status', async () => {
    const page = fixture('ecr-describe-images-media-types-last-pull.json');
    const stub = new StubEcr().on('DescribeImages', (input) =>
      input.nextToken
        ? { imageDetails: page.imageDetails }
        : { imageDetails: [{ ...page.imageDetails[0], imageStatus: 'ARCHIVED' }], nextToken: 'n' },
    );
    const images = await collect(registry(stub).listImages('demo'));
    expect(images).toHaveLength(1 + page.imageDetails.length);
    expect(images[0]?.storageClass).toBe('ARCHIVE');
    expect(images[1]).toMatchObject({ storageClass: 'STANDARD', manifestMediaType: expect.any(String) });
    expect(stub.callsTo('DescribeImages')[0]).toEqual({
      repositoryName: 'demo',
      maxResults: 1000,
      filter: { tagStatus: 'ANY', imageStatus: 'ANY' },
    });
  });

  it('a repeated nextToken in DescribeImages or DescribeRepositories fails retryable instead of looping', async () => {
    const stub = new StubEcr()
      .on('DescribeImages', () => ({ imageDetails: [], nextToken: 'same' }))
      .on('DescribeRepositories', () => ({ repositories: [], nextToken: 'same' }));
    await expect(collect(registry(stub).listImages('demo'))).rejects.toMatchObject({
      operation: 'DescribeImages',
      code: 'RepeatedNextToken',
      retryable: true,
    });
    await expect(collect(registry(stub).listRepositories())).rejects.toMatchObject({
      operation: 'DescribeRepositories',
      code: 'RepeatedNextToken',
      retryable: true,
    });
    expect(stub.callsTo('DescribeImages')).toHaveLength(2);
    expect(stub.callsTo('DescribeRepositories')).toHaveLength(2);
  });

  it('getLifecyclePolicy: text, or null when the repository has none', async () => {
    const stub = new StubEcr().on('GetLifecyclePolicy', (_input, call) => {
      if (call === 2) throw awsError('LifecyclePolicyNotFoundException');
      return { lifecyclePolicyText: '{"rules":[]}' };
    });
    const reg = registry(stub);
    expect(await reg.getLifecyclePolicy('demo')).toBe('{"rules":[]}');
    expect(await reg.getLifecyclePolicy('demo')).toBeNull();
  });

  it('putTagMutability sends WILDCARD exclusion filters; putScanOnPush and putLifecyclePolicy pass through', async () => {
    const stub = new StubEcr()
      .on('PutImageTagMutability', () => ({}))
      .on('PutImageScanningConfiguration', () => ({}))
      .on('PutLifecyclePolicy', () => ({}));
    const reg = registry(stub);
    await reg.putTagMutability('demo', 'IMMUTABLE_WITH_EXCLUSION', ['approved-*', 'quarantined-*']);
    await reg.putScanOnPush('demo', true);
    await reg.putLifecyclePolicy('demo', '{"rules":[]}');
    expect(stub.calls).toEqual([
      {
        operation: 'PutImageTagMutability',
        input: {
          repositoryName: 'demo',
          imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
          imageTagMutabilityExclusionFilters: [
            { filterType: 'WILDCARD', filter: 'approved-*' },
            { filterType: 'WILDCARD', filter: 'quarantined-*' },
          ],
        },
      },
      {
        operation: 'PutImageScanningConfiguration',
        input: { repositoryName: 'demo', imageScanningConfiguration: { scanOnPush: true } },
      },
      {
        operation: 'PutLifecyclePolicy',
        input: { repositoryName: 'demo', lifecyclePolicyText: '{"rules":[]}' },
      },
    ]);
  });

  it('admin writes translate errors (RepositoryNotFound is final)', async () => {
    const stub = new StubEcr().on('PutLifecyclePolicy', () => {
      throw awsError('RepositoryNotFoundException');
    });
    await expect(registry(stub).putLifecyclePolicy('nope', '{}')).rejects.toBeInstanceOf(
      RegistryRejectedError,
    );
  });

  it('getRegistryScanning normalises the response', async () => {
    const stub = new StubEcr().on('GetRegistryScanningConfiguration', () =>
      fixture('ecr-get-registry-scanning-configuration-enhanced.json'),
    );
    expect(await registry(stub).getRegistryScanning()).toEqual({
      scanType: 'ENHANCED',
      rules: [
        { scanFrequency: 'CONTINUOUS_SCAN', filters: [{ filter: 'prod', filterType: 'WILDCARD' }] },
        { scanFrequency: 'SCAN_ON_PUSH', filters: [{ filter: '*', filterType: 'WILDCARD' }] },
      ],
    });
  });
});

describe('EcrRegistry as an object', () => {
  it('exposes neither its client nor its settings: logging or serialising it leaks no credentials or URLs', () => {
    // Prepare
    const registry = new EcrRegistry({ client: new StubEcr().client, registryId: '012345678910' });

    // Act
    const exposed = Object.keys(registry);

    // Assess
    expect(exposed).toEqual([]);
    expect(JSON.stringify(registry)).toBe('{}');
  });
});
