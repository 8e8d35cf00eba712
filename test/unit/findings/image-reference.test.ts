import { describe, expect, it } from 'vitest';
import { imageReferenceOrNull, namedImage } from '../../../lib/findings/image-reference.ts';

describe('imageReferenceOrNull: what a scanner was given', () => {
  it.each<[string, ReturnType<typeof imageReferenceOrNull>]>([
    [
      '123456789012.dkr.ecr.eu-west-1.amazonaws.com/orders/api:1.0',
      { repository: 'orders/api', tag: '1.0', digest: null },
    ],
    ['alpine:3.10', { repository: 'alpine', tag: '3.10', digest: null }],
    ['localhost:5000/app', { repository: 'app', tag: null, digest: null }],
    [
      `busybox@sha256:${'ae'.repeat(32)}`,
      { repository: 'busybox', tag: null, digest: `sha256:${'ae'.repeat(32)}` },
    ],
    ['docker:nginx:1.25', { repository: 'nginx', tag: '1.25', digest: null }],
    ['registry:ghcr.io/org/app:v2', { repository: 'org/app', tag: 'v2', digest: null }],
    // Files, not repositories.
    ['testdata/fixtures/images/alpine-310.tar.gz', null],
    ['image.tar', null],
    ['./build/app', null],
    ['/tmp/app.oci', null],
    ['C:\\images\\app.tar', null],
    ['docker-archive:app.tar', null],
    ['oci-archive:/tmp/app', null],
    ['dir:.', null],
    // Not references at all.
    ['REDACTED', null],
    ['', null],
    ['app:bad tag', null],
    ['app@sha256:short', null],
  ])('%s', (input, expected) => {
    expect(imageReferenceOrNull(input)).toEqual(expected);
  });
});

describe('namedImage: the image a report names, shared by the Grype and Trivy readers', () => {
  const digest = `sha256:${'a'.repeat(64)}`;
  const other = `sha256:${'b'.repeat(64)}`;

  it('takes the repository from the given reference and keeps only its tags and digests', () => {
    expect(
      namedImage(
        imageReferenceOrNull('123456789012.dkr.ecr.eu-west-1.amazonaws.com/orders/api:1.0'),
        ['orders/api:1.0', 'orders/api:latest', 'other/app:2'],
        [`other/app@${other}`, `orders/api@${digest}`],
      ),
    ).toEqual({ repository: 'orders/api', digest, tags: ['1.0', 'latest'] });
  });

  it('names the repository by the first valid tagged reference when the given one is an archive', () => {
    expect(
      namedImage(null, ['not a ref', 'orders/api:1.0', 'other/app:2'], [`orders/api@${digest}`]),
    ).toEqual({ repository: 'orders/api', digest, tags: ['1.0'] });
  });

  it('keeps the first matching digest and a digest alone names the repository', () => {
    expect(namedImage(null, [], [`orders/api@${digest}`, `orders/api@${other}`])).toEqual({
      repository: 'orders/api',
      digest,
      tags: [],
    });
    expect(namedImage(null, [], [])).toEqual({ repository: null, digest: null, tags: [] });
  });
});
