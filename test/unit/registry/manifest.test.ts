import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManifestDigestMismatchError, RegistryRejectedError } from '../../../lib/registry/errors.ts';
import {
  childManifests,
  imageConfigFacts,
  imageManifestSize,
  isImageConfigMediaType,
  MEDIA_TYPES,
  manifestDigest,
  parseManifest,
  verifyManifestDigest,
} from '../../../lib/registry/manifest.ts';

const FIXTURES = join(import.meta.dirname, '../../fixtures/aws');
const text = (name: string) => readFileSync(join(FIXTURES, name), 'utf8');
const json = (name: string) => JSON.parse(text(name));

describe('manifest digests over exact bytes', () => {
  it('the byte-exact Docker Hub v2s2 manifest hashes to its published digest', () => {
    const bytes = readFileSync(join(FIXTURES, 'manifest-docker-v2s2-dockerhub-real.json'));
    expect(manifestDigest(bytes)).toBe(
      'sha256:888206c77cd2811ec47e752ba291e5b7734e3ef137dfd222daadaca39a9f17bc',
    );
    expect(manifestDigest(bytes.toString('utf8'))).toBe(manifestDigest(bytes));
  });

  it.each(['ecr-batch-get-image-amazonlinux.json', 'ecr-batch-get-image-cluster-autoscaler.json'])(
    'every image in %s hashes to its imageDigest',
    (name) => {
      for (const image of json(name).images) {
        expect(() =>
          verifyManifestDigest(image.imageManifest, image.imageId.imageDigest, 'BatchGetImage'),
        ).not.toThrow();
      }
    },
  );

  it('the PutImage response example (hello-world) is self-consistent', () => {
    const { image } = json('ecr-put-image-response-hello-world.json');
    expect(manifestDigest(image.imageManifest)).toBe(image.imageId.imageDigest);
  });

  it('refuses the PutImage request example: its trailing newline changes the digest of the same image', () => {
    const request = json('ecr-put-image-request-amazonlinux.json');
    const expected = json('ecr-batch-get-image-amazonlinux.json').images[0].imageId.imageDigest;
    expect(request.imageManifest.endsWith('}\n')).toBe(true);
    let caught: unknown;
    try {
      verifyManifestDigest(request.imageManifest, expected, 'PutImage');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ManifestDigestMismatchError);
    expect(caught).toBeInstanceOf(RegistryRejectedError);
    expect(caught).toMatchObject({
      expected,
      actual: manifestDigest(request.imageManifest),
      retryable: false,
    });
    // Without the newline it is the stored manifest again.
    expect(manifestDigest(request.imageManifest.slice(0, -1))).toBe(expected);
  });

  it.each([
    ['re-serialised', (m: string) => JSON.stringify(JSON.parse(m))],
    ['re-indented', (m: string) => JSON.stringify(JSON.parse(m), null, 2)],
    ['CRLF line endings', (m: string) => m.replaceAll('\n', '\r\n')],
  ])('a %s manifest no longer matches its digest', (_name, edit) => {
    const image = json('ecr-batch-get-image-cluster-autoscaler.json').images[0];
    expect(() =>
      verifyManifestDigest(edit(image.imageManifest), image.imageId.imageDigest, 'PutImage'),
    ).toThrow(ManifestDigestMismatchError);
  });
});

describe('parseManifest and childManifests', () => {
  it.each([
    ['manifest-docker-manifest-list-spec-example.json', MEDIA_TYPES.dockerList],
    ['manifest-oci-image-index-spec-example.json', MEDIA_TYPES.ociIndex],
  ])('reads the children of %s', (name, mediaType) => {
    const children = childManifests({ digest: manifestDigest(text(name)), manifest: text(name), mediaType });
    expect(children).toEqual([
      expect.objectContaining({
        digest: 'sha256:e692418e4cbaf90ca69d05a66403747baa33ee08806650b51fab815ad7fc331f',
        size: 7143,
        platform: { os: 'linux', architecture: 'ppc64le', variant: null },
        attestation: false,
      }),
      expect.objectContaining({
        digest: 'sha256:5b0bcabd1ed22e9fb1310cf6c2dec7cdef19f0ad69efa1f392e94a4333501270',
        platform: { os: 'linux', architecture: 'amd64', variant: null },
        attestation: false,
      }),
    ]);
  });

  it('an OCI index without a mediaType field is recognised by its manifests[]', () => {
    const index = json('manifest-oci-image-index-spec-example.json');
    delete index.mediaType;
    const manifest = JSON.stringify(index);
    expect(parseManifest(manifest, null)).toMatchObject({ kind: 'index', mediaType: MEDIA_TYPES.ociIndex });
  });

  it('marks BuildKit attestation manifests so the gate does not decide from them', () => {
    const index = json('manifest-oci-image-index-spec-example.json');
    index.manifests.push({
      mediaType: MEDIA_TYPES.ociManifest,
      digest: `sha256:${'a'.repeat(64)}`,
      size: 566,
      annotations: {
        'vnd.docker.reference.digest': index.manifests[1].digest,
        'vnd.docker.reference.type': 'attestation-manifest',
      },
      platform: { architecture: 'unknown', os: 'unknown' },
    });
    const manifest = JSON.stringify(index);
    const children = childManifests({
      digest: manifestDigest(manifest),
      manifest,
      mediaType: MEDIA_TYPES.ociIndex,
    });
    expect(children.map((c) => c.attestation)).toEqual([false, false, true]);
  });

  it('an image manifest has no children, and its size is config + layers (as ECR reports it)', () => {
    const manifest = json('ecr-batch-get-image-cluster-autoscaler.json').images[0].imageManifest;
    const stored = { digest: manifestDigest(manifest), manifest, mediaType: MEDIA_TYPES.dockerV2 };
    expect(childManifests(stored)).toEqual([]);
    expect(imageManifestSize(parseManifest(manifest, null))).toBe(2777 + 17743696 + 2565026 + 28005981 + 775);
  });

  it('an OCI artifact is an image-kind manifest whose config is not an image config', () => {
    const parsed = parseManifest(text('manifest-oci-artifact-minimal-spec-example.json'), null);
    expect(parsed.kind).toBe('image');
    expect(parsed.kind === 'image' && isImageConfigMediaType(parsed.config.mediaType)).toBe(false);
    expect(isImageConfigMediaType('application/octet-stream')).toBe(true);
    expect(isImageConfigMediaType(MEDIA_TYPES.ociConfig)).toBe(true);
  });

  it('schema 1 manifests keep their v1Compatibility and have no size', () => {
    const manifest = JSON.stringify({
      schemaVersion: 1,
      name: 'x',
      tag: 'y',
      fsLayers: [],
      history: [{ v1Compatibility: '{"config":{"User":"app"}}' }],
    });
    const parsed = parseManifest(manifest, null);
    expect(parsed).toEqual({
      kind: 'v1',
      mediaType: MEDIA_TYPES.dockerV1,
      v1Compatibility: '{"config":{"User":"app"}}',
    });
    expect(imageManifestSize(parsed)).toBeNull();
  });

  it.each([
    ['not JSON', '{', /not JSON/],
    ['an array', '[]', /not a JSON object/],
    [
      'an index without manifests',
      JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex }),
      /no manifests/,
    ],
    [
      'a layer with a bad digest',
      JSON.stringify({
        schemaVersion: 2,
        config: { digest: `sha256:${'a'.repeat(64)}`, size: 1 },
        layers: [{ digest: 'md5:x', size: 1 }],
      }),
      /layers\[0\]\.digest/,
    ],
    [
      'a negative size',
      JSON.stringify({
        schemaVersion: 2,
        config: { digest: `sha256:${'a'.repeat(64)}`, size: -1 },
        layers: [],
      }),
      /config\.size/,
    ],
    [
      'an unknown shape',
      JSON.stringify({ schemaVersion: 2, mediaType: 'application/x-unknown' }),
      /unsupported manifest media type/,
    ],
  ])('rejects %s as InvalidManifest', (_name, manifest, message) => {
    expect(() => parseManifest(manifest, null)).toThrow(message);
    expect(() => parseManifest(manifest, null)).toThrow(RegistryRejectedError);
  });
});

describe('imageConfigFacts', () => {
  it.each([
    [
      'Docker config with user and labels',
      { config: { User: 'app:app', Labels: { team: 'a' } } },
      { user: 'app:app', labels: { team: 'a' } },
    ],
    ['no User (root)', { config: { Env: [] } }, { user: '', labels: {} }],
    ['null Labels', { config: { User: '1000', Labels: null } }, { user: '1000', labels: {} }],
    ['no config section', { architecture: 'amd64' }, { user: '', labels: {} }],
    [
      'legacy container_config only',
      { container_config: { User: 'nobody' } },
      { user: 'nobody', labels: {} },
    ],
  ])('%s', (_name, config, expected) => {
    expect(imageConfigFacts(config, 'DownloadConfig')).toEqual(expected);
  });

  it.each([
    ['User a number', { config: { User: 0 } }, /User is not a string/],
    ['Labels an array', { config: { Labels: ['a'] } }, /Labels is not an object/],
    ['a label value a number', { config: { Labels: { a: 1 } } }, /Labels\.a is not a string/],
    ['config a string', { config: 'x' }, /config\.config is not an object/],
  ])('rejects %s', (_name, config, message) => {
    expect(() => imageConfigFacts(config, 'DownloadConfig')).toThrow(message);
  });
});
