/**
 * The local S3 endpoint through the real @aws-sdk/client-s3 (restXml): path-style addressing chosen by the SDK
 * itself for AWS_ENDPOINT_URL_S3, the CRC32 checksums the SDK adds by default (a header for bytes, an aws-chunked
 * trailer for a stream) checked and returned, S3's error codes as the SDK's error classes, faults and counts.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  GetObjectCommand,
  HeadObjectCommand,
  NoSuchBucket,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalAws, startLocalAws } from '../../support/local-aws.ts';

let aws: LocalAws;
let s3: S3Client;

beforeAll(async () => {
  aws = await startLocalAws({
    dynamodb: false,
    s3Buckets: ['snapshots-bucket'],
    now: '2026-12-01T03:00:00Z',
  });
  s3 = aws.clients.s3({ maxAttempts: 1 });
});
afterAll(async () => {
  await aws?.stop();
});

describe('local S3', () => {
  it('stores a PutObject of bytes with its CRC32 header, metadata and type, and GetObject returns it checked', async () => {
    const body = Buffer.from('{"format":"x"}\n'.repeat(100));
    const put = await s3.send(
      new PutObjectCommand({
        Bucket: 'snapshots-bucket',
        Key: 'snapshots/123/us-east-1/latest.jsonl.gz',
        Body: body,
        ContentType: 'application/x-ndjson',
        Metadata: { images: '100' },
      }),
    );
    expect(put.ETag).toBe(`"${createHash('md5').update(body).digest('hex')}"`);
    expect(put.ChecksumCRC32).toMatch(/^[A-Za-z0-9+/]{6}==$/);

    const stored = aws.s3.object('snapshots-bucket', 'snapshots/123/us-east-1/latest.jsonl.gz');
    expect(stored?.body.equals(body)).toBe(true);
    expect(stored?.checksumCrc32).toBe(put.ChecksumCRC32);
    expect(stored?.metadata).toEqual({ images: '100' });

    const got = await s3.send(
      new GetObjectCommand({ Bucket: 'snapshots-bucket', Key: 'snapshots/123/us-east-1/latest.jsonl.gz' }),
    );
    expect(
      Buffer.from(
        await (got.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
      ).equals(body),
    ).toBe(true);
    expect(got.ContentType).toBe('application/x-ndjson');
    expect(got.Metadata).toEqual({ images: '100' });
    expect(got.ChecksumCRC32).toBe(put.ChecksumCRC32);

    const head = await s3.send(
      new HeadObjectCommand({ Bucket: 'snapshots-bucket', Key: 'snapshots/123/us-east-1/latest.jsonl.gz' }),
    );
    expect(head.ContentLength).toBe(body.length);
  });

  it('decodes a streamed body sent aws-chunked with the CRC32 in a trailer', async () => {
    const parts = [Buffer.from('first part\n'), Buffer.from('second part\n')];
    const length = parts.reduce((sum, part) => sum + part.length, 0);
    await s3.send(
      new PutObjectCommand({
        Bucket: 'snapshots-bucket',
        Key: 'streamed',
        Body: Readable.from(parts),
        ContentLength: length,
      }),
    );
    expect(aws.s3.object('snapshots-bucket', 'streamed')?.body.toString()).toBe('first part\nsecond part\n');
    expect(aws.s3.object('snapshots-bucket', 'streamed')?.checksumCrc32).not.toBeNull();
  });

  it('refuses a body whose CRC32 does not match with BadDigest', async () => {
    const error = await s3
      .send(
        new PutObjectCommand({
          Bucket: 'snapshots-bucket',
          Key: 'bad',
          Body: 'abc',
          ChecksumCRC32: 'AAAAAA==',
        }),
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(S3ServiceException);
    expect((error as S3ServiceException).name).toBe('BadDigest');
    expect(aws.s3.object('snapshots-bucket', 'bad')).toBeNull();
  });

  it('answers NoSuchBucket, NoSuchKey and a bodiless 404 for HeadObject, as S3 does', async () => {
    await expect(
      s3.send(new PutObjectCommand({ Bucket: 'missing-bucket', Key: 'k', Body: 'x' })),
    ).rejects.toBeInstanceOf(NoSuchBucket);
    await expect(
      s3.send(new GetObjectCommand({ Bucket: 'snapshots-bucket', Key: 'nope' })),
    ).rejects.toBeInstanceOf(NoSuchKey);
    await expect(
      s3.send(new HeadObjectCommand({ Bucket: 'snapshots-bucket', Key: 'nope' })),
    ).rejects.toBeInstanceOf(NotFound);
  });

  it('counts calls and injects faults: SlowDown (503) is retried by the SDK as throttling', async () => {
    aws.faults.s3.resetCounts();
    aws.faults.s3.failNext('PutObject', 2, 'throttle');
    const retrying = aws.clients.s3({ maxAttempts: 3 });
    await retrying.send(
      new PutObjectCommand({ Bucket: 'snapshots-bucket', Key: 'after-throttle', Body: 'ok' }),
    );
    expect(aws.s3.object('snapshots-bucket', 'after-throttle')?.body.toString()).toBe('ok');
    expect(aws.faults.s3.stats().PutObject).toMatchObject({ attempts: 3, calls: 1, faulted: 2 });

    aws.faults.s3.failNext('PutObject', 1, 'throttle');
    const error = await s3
      .send(new PutObjectCommand({ Bucket: 'snapshots-bucket', Key: 'k', Body: 'x' }))
      .catch((e: unknown) => e);
    expect((error as S3ServiceException).name).toBe('SlowDown');
    expect((error as S3ServiceException).$metadata.httpStatusCode).toBe(503);
  });

  it('is reached by a client built from the environment alone (AWS_ENDPOINT_URL_S3, path-style by the SDK)', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, aws.env);
    const fromEnv = new S3Client({});
    try {
      await fromEnv.send(new PutObjectCommand({ Bucket: 'snapshots-bucket', Key: 'from-env', Body: 'env' }));
    } finally {
      fromEnv.destroy();
      process.env = saved;
    }
    expect(aws.s3.keys('snapshots-bucket')).toContain('from-env');
  });
});
