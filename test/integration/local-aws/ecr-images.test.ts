import {
  BatchDeleteImageCommand,
  BatchGetImageCommand,
  CreateRepositoryCommand,
  DeleteRepositoryCommand,
  DescribeRepositoriesCommand,
  type ECRClient,
  PutImageCommand,
  PutImageTagMutabilityCommand,
  UpdateImageStorageClassCommand,
} from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  buildImage,
  buildIndex,
  digestOf,
  fixtureJson,
  fixtureText,
  imageConfig,
  type LocalAws,
  MEDIA_TYPES,
  startLocalAws,
} from '../../support/local-aws.ts';

interface BatchGetFixture {
  images: { imageId: { imageDigest: string; imageTag: string }; imageManifest: string }[];
}

const ALL_MANIFEST_TYPES = [
  MEDIA_TYPES.dockerV2,
  MEDIA_TYPES.dockerList,
  MEDIA_TYPES.ociManifest,
  MEDIA_TYPES.ociIndex,
];

let aws: LocalAws;
let ecr: ECRClient;
let repoCounter = 0;
const newRepo = (seed: Parameters<LocalAws['ecr']['seedRepository']>[1] = {}) => {
  repoCounter += 1;
  return aws.ecr.seedRepository(`images/repo-${repoCounter}`, seed).name;
};
const errorName = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (e) {
    return (e as Error).name;
  }
  return 'no error';
};

beforeAll(async () => {
  aws = await startLocalAws({ dynamodb: false });
  ecr = aws.clients.ecr({ maxAttempts: 1 });
});
afterAll(() => aws.stop());
beforeEach(() => aws.faults.ecr.clear());

describe('digests come from the exact manifest bytes', () => {
  it.each([
    [
      'manifest-docker-v2s2-dockerhub-real.json',
      'sha256:888206c77cd2811ec47e752ba291e5b7734e3ef137dfd222daadaca39a9f17bc',
    ],
  ])('PutImage of %s returns its known digest', async (file, digest) => {
    const repositoryName = newRepo();
    const out = await ecr.send(
      new PutImageCommand({ repositoryName, imageManifest: fixtureText(file), imageTag: 'v1' }),
    );
    expect(out.image?.imageId?.imageDigest).toBe(digest);
    expect(out.image?.imageManifestMediaType).toBe(MEDIA_TYPES.dockerV2);
  });

  it.each([['ecr-batch-get-image-amazonlinux.json'], ['ecr-batch-get-image-cluster-autoscaler.json']])(
    'the manifest in %s hashes to its digest and round-trips byte for byte',
    async (file) => {
      const fixture = fixtureJson<BatchGetFixture>(file);
      const image = fixture.images[0];
      if (!image) throw new Error('fixture has no image');
      const repositoryName = newRepo();
      const put = await ecr.send(
        new PutImageCommand({
          repositoryName,
          imageManifest: image.imageManifest,
          imageTag: image.imageId.imageTag,
          imageDigest: image.imageId.imageDigest,
        }),
      );
      expect(put.image?.imageId?.imageDigest).toBe(image.imageId.imageDigest);
      const got = await ecr.send(
        new BatchGetImageCommand({ repositoryName, imageIds: [{ imageDigest: image.imageId.imageDigest }] }),
      );
      expect(got.images?.[0]?.imageManifest).toBe(image.imageManifest);
      expect(got.failures).toEqual([]);
    },
  );

  it('refuses the documented PutImage sample (trailing newline) when sent with the BatchGetImage digest', async () => {
    const request = fixtureJson<{ imageManifest: string }>('ecr-put-image-request-amazonlinux.json');
    const original = fixtureJson<BatchGetFixture>('ecr-batch-get-image-amazonlinux.json').images[0];
    const repositoryName = newRepo();
    const err = await ecr
      .send(
        new PutImageCommand({
          repositoryName,
          imageManifest: request.imageManifest,
          imageDigest: original?.imageId.imageDigest,
          imageTag: 'x',
        }),
      )
      .catch((e: Error) => e);
    expect((err as Error).name).toBe('ImageDigestDoesNotMatchException');
    expect(aws.ecr.images(repositoryName)).toEqual([]);
    expect(digestOf(request.imageManifest)).not.toBe(original?.imageId.imageDigest);
  });

  it('needs imageManifestMediaType when the manifest has no mediaType', async () => {
    const repositoryName = newRepo();
    const manifest = fixtureText('manifest-oci-image-manifest-spec-example.json');
    const withoutType = JSON.stringify({ ...JSON.parse(manifest), mediaType: undefined });
    expect(
      await errorName(ecr.send(new PutImageCommand({ repositoryName, imageManifest: withoutType }))),
    ).toBe('InvalidParameterException');
    const ok = await ecr.send(
      new PutImageCommand({
        repositoryName,
        imageManifest: withoutType,
        imageManifestMediaType: MEDIA_TYPES.ociManifest,
      }),
    );
    expect(ok.image?.imageManifestMediaType).toBe(MEDIA_TYPES.ociManifest);
  });
});

describe('PutImage outcomes', () => {
  const img = buildImage(imageConfig('put-a'));
  const other = buildImage(imageConfig('put-b'));

  it('same manifest and tag again → ImageAlreadyExistsException, state unchanged', async () => {
    const repositoryName = newRepo();
    await ecr.send(new PutImageCommand({ repositoryName, imageManifest: img.manifest, imageTag: '1.0' }));
    expect(
      await errorName(
        ecr.send(new PutImageCommand({ repositoryName, imageManifest: img.manifest, imageTag: '1.0' })),
      ),
    ).toBe('ImageAlreadyExistsException');
    expect(
      await errorName(ecr.send(new PutImageCommand({ repositoryName, imageManifest: img.manifest }))),
    ).toBe('ImageAlreadyExistsException');
    expect(aws.ecr.tagsOf(repositoryName, img.digest)).toEqual(['1.0']);
  });

  it('a mutable tag moves to the new digest and the old image stays untagged', async () => {
    const repositoryName = newRepo();
    await ecr.send(new PutImageCommand({ repositoryName, imageManifest: img.manifest, imageTag: 'latest' }));
    await ecr.send(
      new PutImageCommand({ repositoryName, imageManifest: other.manifest, imageTag: 'latest' }),
    );
    expect(aws.ecr.tagsOf(repositoryName, img.digest)).toEqual([]);
    expect(aws.ecr.tagsOf(repositoryName, other.digest)).toEqual(['latest']);
  });

  // [mutability, exclusions, tag] → outcome of pointing an existing tag at another digest
  it.each([
    ['MUTABLE', undefined, 'release', 'moved'],
    ['IMMUTABLE', undefined, 'release', 'ImageTagAlreadyExistsException'],
    ['IMMUTABLE', undefined, 'approved-release', 'ImageTagAlreadyExistsException'],
    ['IMMUTABLE_WITH_EXCLUSION', ['approved-*', 'quarantined-*'], 'approved-release', 'moved'],
    [
      'IMMUTABLE_WITH_EXCLUSION',
      ['approved-*', 'quarantined-*'],
      'release',
      'ImageTagAlreadyExistsException',
    ],
    ['MUTABLE_WITH_EXCLUSION', ['v*.*.*'], 'v1.2.3', 'ImageTagAlreadyExistsException'],
    ['MUTABLE_WITH_EXCLUSION', ['v*.*.*'], 'latest', 'moved'],
  ] as const)('%s %j: re-pointing %s → %s', async (mutability, exclusions, tag, expected) => {
    const repositoryName = newRepo({ tagMutability: mutability, ...(exclusions ? { exclusions } : {}) });
    await ecr.send(new PutImageCommand({ repositoryName, imageManifest: img.manifest, imageTag: tag }));
    const outcome = await ecr
      .send(new PutImageCommand({ repositoryName, imageManifest: other.manifest, imageTag: tag }))
      .then(() => 'moved')
      .catch((e: Error) => e.name);
    expect(outcome).toBe(expected);
    expect(aws.ecr.tagMap(repositoryName)[tag]).toBe(expected === 'moved' ? other.digest : img.digest);
  });

  it('adding a new tag to an existing digest works in an IMMUTABLE repository', async () => {
    const repositoryName = newRepo({ tagMutability: 'IMMUTABLE' });
    await ecr.send(new PutImageCommand({ repositoryName, imageManifest: img.manifest, imageTag: '1.0' }));
    await ecr.send(
      new PutImageCommand({
        repositoryName,
        imageManifest: img.manifest,
        imageTag: 'approved-1.0',
        imageDigest: img.digest,
      }),
    );
    expect(aws.ecr.tagsOf(repositoryName, img.digest)).toEqual(['1.0', 'approved-1.0']);
  });

  it('an index whose children are missing → ReferencedImagesNotFoundException; with children it is stored', async () => {
    const repositoryName = newRepo();
    const arm = buildImage(imageConfig('arm64'));
    const amd = buildImage(imageConfig('amd64'));
    const index = buildIndex([
      { ...arm, arch: 'arm64' },
      { ...amd, arch: 'amd64' },
    ]);
    expect(
      await errorName(
        ecr.send(new PutImageCommand({ repositoryName, imageManifest: index.manifest, imageTag: 'multi' })),
      ),
    ).toBe('ReferencedImagesNotFoundException');
    aws.ecr.seedImage(repositoryName, { manifest: arm.manifest });
    aws.ecr.seedImage(repositoryName, { manifest: amd.manifest });
    const put = await ecr.send(
      new PutImageCommand({ repositoryName, imageManifest: index.manifest, imageTag: 'multi' }),
    );
    expect(put.image?.imageId?.imageDigest).toBe(index.digest);
    expect(aws.ecr.image(repositoryName, 'multi')?.sizeBytes).toBe(
      Math.max(
        aws.ecr.image(repositoryName, arm.digest)?.sizeBytes ?? 0,
        aws.ecr.image(repositoryName, amd.digest)?.sizeBytes ?? 0,
      ),
    );
  });

  it('with blob tracking, a manifest whose config blob was never uploaded → LayersNotFoundException', async () => {
    const strict = await startLocalAws({ dynamodb: false, ecr: { requireBlobs: true } });
    try {
      const client = strict.clients.ecr({ maxAttempts: 1 });
      strict.ecr.seedRepository('strict/app');
      const image = buildImage(imageConfig('strict'));
      expect(
        await errorName(
          client.send(new PutImageCommand({ repositoryName: 'strict/app', imageManifest: image.manifest })),
        ),
      ).toBe('LayersNotFoundException');
      strict.ecr.seedImage('strict/app', {
        manifest: image.manifest,
        config: image.config,
        tags: ['seeded'],
      });
      await client.send(
        new PutImageCommand({
          repositoryName: 'strict/app',
          imageManifest: image.manifest,
          imageTag: 'again',
        }),
      );
      expect(strict.ecr.tagsOf('strict/app', image.digest)).toEqual(['again', 'seeded']);
    } finally {
      await strict.stop();
    }
  });

  it('RepositoryNotFoundException for an unknown repository', async () => {
    expect(
      await errorName(
        ecr.send(new PutImageCommand({ repositoryName: 'no/such-repo', imageManifest: img.manifest })),
      ),
    ).toBe('RepositoryNotFoundException');
  });
});

describe('BatchGetImage never throws for missing images', () => {
  it('reports each problem in failures[] with ECR failure codes', async () => {
    const repositoryName = newRepo();
    const a = buildImage(imageConfig('bgi-a'));
    const b = buildImage(imageConfig('bgi-b'));
    aws.ecr.seedImage(repositoryName, { manifest: a.manifest, tags: ['a'] });
    aws.ecr.seedImage(repositoryName, { manifest: b.manifest, tags: ['b'] });
    const out = await ecr.send(
      new BatchGetImageCommand({
        repositoryName,
        imageIds: [
          { imageTag: 'a' },
          { imageDigest: b.digest },
          { imageTag: 'missing' },
          { imageDigest: digestOf('nothing') },
          { imageDigest: a.digest, imageTag: 'b' },
          { imageDigest: 'sha256:XYZ' },
          {},
        ],
      }),
    );
    expect(out.images?.map((i) => [i.imageId?.imageDigest, i.imageId?.imageTag])).toEqual([
      [a.digest, 'a'],
      [b.digest, undefined],
    ]);
    expect(out.images?.[0]?.imageManifestMediaType).toBe(MEDIA_TYPES.dockerV2);
    expect(out.failures?.map((f) => f.failureCode)).toEqual([
      'ImageNotFound',
      'ImageNotFound',
      'ImageTagDoesNotMatchDigest',
      'InvalidImageDigest',
      'MissingDigestAndTag',
    ]);
  });

  it('returns an index only when acceptedMediaTypes includes index types', async () => {
    const repositoryName = newRepo();
    const child = buildImage(imageConfig('bgi-child'));
    aws.ecr.seedImage(repositoryName, { manifest: child.manifest });
    const index = buildIndex([{ ...child, arch: 'amd64' }], true);
    aws.ecr.seedImage(repositoryName, { manifest: index.manifest, tags: ['multi'] });
    const defaults = await ecr.send(
      new BatchGetImageCommand({ repositoryName, imageIds: [{ imageDigest: index.digest }] }),
    );
    expect(defaults.images).toEqual([]);
    expect(defaults.failures?.[0]?.failureCode).toBe('ImageNotFound');
    const all = await ecr.send(
      new BatchGetImageCommand({
        repositoryName,
        imageIds: [{ imageDigest: index.digest }],
        acceptedMediaTypes: ALL_MANIFEST_TYPES,
      }),
    );
    expect(all.images?.[0]?.imageManifest).toBe(index.manifest);
    expect(all.images?.[0]?.imageManifestMediaType).toBe(MEDIA_TYPES.ociIndex);
  });

  it('archived images cannot be pulled until restored', async () => {
    const repositoryName = newRepo();
    const img = buildImage(imageConfig('archived'));
    aws.ecr.seedImage(repositoryName, { manifest: img.manifest, tags: ['old'] });
    const archived = await ecr.send(
      new UpdateImageStorageClassCommand({
        repositoryName,
        imageId: { imageDigest: img.digest },
        targetStorageClass: 'ARCHIVE',
      }),
    );
    expect(archived.imageStatus).toBe('ARCHIVED');
    const pull = await ecr.send(
      new BatchGetImageCommand({ repositoryName, imageIds: [{ imageTag: 'old' }] }),
    );
    expect(pull.failures?.[0]?.failureCode).toBe('ImageInaccessible');
    const restored = await ecr.send(
      new UpdateImageStorageClassCommand({
        repositoryName,
        imageId: { imageTag: 'old' },
        targetStorageClass: 'STANDARD',
      }),
    );
    expect(restored.imageStatus).toBe('ACTIVATING');
    expect(aws.ecr.image(repositoryName, img.digest)?.imageStatus).toBe('ACTIVE');
    const again = await ecr.send(
      new BatchGetImageCommand({ repositoryName, imageIds: [{ imageTag: 'old' }] }),
    );
    expect(again.images).toHaveLength(1);
  });
});

describe('BatchDeleteImage: tag versus digest', () => {
  it('by tag removes only that tag; the image goes with its last tag', async () => {
    const repositoryName = newRepo();
    const img = buildImage(imageConfig('del-tag'));
    aws.ecr.seedImage(repositoryName, { manifest: img.manifest, tags: ['1.0', 'approved-1.0'] });
    const first = await ecr.send(
      new BatchDeleteImageCommand({ repositoryName, imageIds: [{ imageTag: 'approved-1.0' }] }),
    );
    expect(first.imageIds).toEqual([{ imageDigest: img.digest, imageTag: 'approved-1.0' }]);
    expect(aws.ecr.tagsOf(repositoryName, img.digest)).toEqual(['1.0']);
    await ecr.send(new BatchDeleteImageCommand({ repositoryName, imageIds: [{ imageTag: '1.0' }] }));
    expect(aws.ecr.tagsOf(repositoryName, img.digest)).toBeNull();
  });

  it('by digest removes the image and all its tags', async () => {
    const repositoryName = newRepo();
    const img = buildImage(imageConfig('del-digest'));
    aws.ecr.seedImage(repositoryName, { manifest: img.manifest, tags: ['1.0', '1', 'latest'] });
    const out = await ecr.send(
      new BatchDeleteImageCommand({ repositoryName, imageIds: [{ imageDigest: img.digest }] }),
    );
    expect(out.imageIds).toHaveLength(3);
    expect(aws.ecr.tagMap(repositoryName)).toEqual({});
    expect(aws.ecr.image(repositoryName, img.digest)).toBeNull();
  });

  it('reports per-item failures and keeps images referenced by an index', async () => {
    const repositoryName = newRepo();
    const child = buildImage(imageConfig('del-child'));
    aws.ecr.seedImage(repositoryName, { manifest: child.manifest });
    const index = buildIndex([{ ...child, arch: 'amd64' }]);
    aws.ecr.seedImage(repositoryName, { manifest: index.manifest, tags: ['multi'] });
    const out = await ecr.send(
      new BatchDeleteImageCommand({
        repositoryName,
        imageIds: [
          { imageTag: 'gone' },
          { imageDigest: child.digest },
          { imageDigest: index.digest, imageTag: 'other' },
        ],
      }),
    );
    expect(out.imageIds).toEqual([]);
    expect(out.failures?.map((f) => f.failureCode)).toEqual([
      'ImageNotFound',
      'ImageReferencedByManifestList',
      'ImageNotFound',
    ]);
    expect(aws.ecr.image(repositoryName, child.digest)).not.toBeNull();
  });
});

describe('repositories', () => {
  it.each([
    ['ok/name', true],
    ['a', false],
    ['Upper', false],
    ['team/app_1.x-y', true],
    ['trailing-', false],
    ['double//slash', false],
  ])('CreateRepository %s valid=%s', async (name, valid) => {
    const outcome = await ecr
      .send(new CreateRepositoryCommand({ repositoryName: name }))
      .then(() => 'created')
      .catch((e: Error) => e.name);
    expect(outcome).toBe(valid ? 'created' : 'InvalidParameterException');
  });

  it('keeps mutability with exclusion filters, validates them, refuses duplicates and non-empty deletes', async () => {
    const created = await ecr.send(
      new CreateRepositoryCommand({
        repositoryName: 'repos/immutable',
        imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
        imageTagMutabilityExclusionFilters: [{ filterType: 'WILDCARD', filter: 'approved-*' }],
        imageScanningConfiguration: { scanOnPush: true },
      }),
    );
    expect(created.repository?.createdAt).toBeInstanceOf(Date);
    expect(created.repository?.repositoryArn).toBe(
      `arn:aws:ecr:${aws.region}:${aws.accountId}:repository/repos/immutable`,
    );
    expect(
      await errorName(ecr.send(new CreateRepositoryCommand({ repositoryName: 'repos/immutable' }))),
    ).toBe('RepositoryAlreadyExistsException');
    expect(
      await errorName(
        ecr.send(
          new PutImageTagMutabilityCommand({
            repositoryName: 'repos/immutable',
            imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
          }),
        ),
      ),
    ).toBe('InvalidParameterException');
    expect(
      await errorName(
        ecr.send(
          new PutImageTagMutabilityCommand({
            repositoryName: 'repos/immutable',
            imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
            imageTagMutabilityExclusionFilters: [{ filterType: 'WILDCARD', filter: 'bad filter!' }],
          }),
        ),
      ),
    ).toBe('InvalidParameterException');
    const described = await ecr.send(
      new DescribeRepositoriesCommand({ repositoryNames: ['repos/immutable'] }),
    );
    expect(described.repositories?.[0]?.imageTagMutabilityExclusionFilters).toEqual([
      { filterType: 'WILDCARD', filter: 'approved-*' },
    ]);
    aws.ecr.seedImage('repos/immutable', {
      manifest: buildImage(imageConfig('non-empty')).manifest,
      tags: ['x'],
    });
    expect(
      await errorName(ecr.send(new DeleteRepositoryCommand({ repositoryName: 'repos/immutable' }))),
    ).toBe('RepositoryNotEmptyException');
    await ecr.send(new DeleteRepositoryCommand({ repositoryName: 'repos/immutable', force: true }));
    expect(aws.ecr.repository('repos/immutable')).toBeNull();
  });
});

describe('protocol', () => {
  it('answers an unknown operation with 400 UnknownOperationException in the awsJson1_1 error shape', async () => {
    const res = await fetch(aws.endpoints.ecr, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'AmazonEC2ContainerRegistry_V20150921.MakeCoffee',
      },
      body: '{}',
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      __type: 'UnknownOperationException',
      message: expect.stringContaining('MakeCoffee'),
    });
  });
});
