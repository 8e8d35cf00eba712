import { describe, expect, it } from 'vitest';
import {
  imageKey,
  isImageDigest,
  isImageTag,
  isRepositoryName,
  parseImageResourceId,
  parseRepositoryArn,
} from '../../../lib/events/image-ref.ts';

const DIGEST = 'sha256:888206c77cd2811ec47e752ba291e5b7734e3ef137dfd222daadaca39a9f17bc';

describe('image-ref', () => {
  it('imageKey is registryId/repository@digest', () => {
    expect(
      imageKey({ registryId: '123456789012', region: 'us-east-1', repository: 'a/b', digest: DIGEST }),
    ).toBe(`123456789012/a/b@${DIGEST}`);
  });

  it.each([
    [DIGEST, true],
    [DIGEST.toUpperCase(), false],
    ['sha256:36c7b282abd0186e01419f2e58743e1bf635808231049bbc9d77e5EXAMPLE', false],
    [`${DIGEST}0`, false],
    [DIGEST.slice(0, -1), false],
    [` ${DIGEST}`, false],
    [`sha512:${'a'.repeat(64)}`, false],
    [42, false],
  ])('isImageDigest(%j) is %s', (value, expected) => {
    expect(isImageDigest(value)).toBe(expected);
  });

  it.each([
    ['ab', true],
    ['a', false],
    ['amazon/amazon-ecs-sample', true],
    ['a.b_c__d---e/f', true],
    ['a___b', false],
    ['a..b', false],
    ['-ab', false],
    ['ab/', false],
    ['Ab', false],
    ['a'.repeat(256), true],
    ['a'.repeat(257), false],
  ])('isRepositoryName(%j) is %s', (value, expected) => {
    expect(isRepositoryName(value)).toBe(expected);
  });

  it.each([
    ['latest', true],
    ['', false],
    ['a'.repeat(300), true],
    ['a'.repeat(301), false],
    ['has space', false],
    ['tab\there', false],
    ['nul\u0000', false],
    ['v1.2.3+build', true],
  ])('isImageTag(%j) is %s', (value, expected) => {
    expect(isImageTag(value)).toBe(expected);
  });

  it.each([
    [
      'arn:aws:ecr:us-east-2:123456789012:repository/amazon/amazon-ecs-sample',
      {
        partition: 'aws',
        region: 'us-east-2',
        registryId: '123456789012',
        repository: 'amazon/amazon-ecs-sample',
      },
    ],
    [
      'arn:aws-cn:ecr:cn-north-1:123456789012:repository/x1',
      { partition: 'aws-cn', region: 'cn-north-1', registryId: '123456789012', repository: 'x1' },
    ],
    [
      'arn:aws-us-gov:ecr:us-gov-west-1:123456789012:repository/x1',
      { partition: 'aws-us-gov', region: 'us-gov-west-1', registryId: '123456789012', repository: 'x1' },
    ],
    ['arn:aws:ecr:us-east-2:12345:repository/x1', null],
    ['arn:aws:ecr:us-east-2:123456789012:repository/', null],
    ['arn:aws:s3:::bucket', null],
    ['my-repository', null],
  ])('parseRepositoryArn(%j)', (arn, expected) => {
    expect(parseRepositoryArn(arn)).toEqual(expected);
  });

  it('parseImageResourceId splits on the last /sha256: so names with slashes survive', () => {
    expect(parseImageResourceId(`arn:aws:ecr:us-east-2:123456789012:repository/a/b/c/${DIGEST}`)).toEqual({
      partition: 'aws',
      region: 'us-east-2',
      registryId: '123456789012',
      repository: 'a/b/c',
      digest: DIGEST,
    });
    expect(parseImageResourceId('arn:aws:ecr:us-east-2:123456789012:repository/a/b')).toBeNull();
    expect(parseImageResourceId(`arn:aws:ecr:us-east-2:123456789012:repository/UPPER/${DIGEST}`)).toBeNull();
  });
});
