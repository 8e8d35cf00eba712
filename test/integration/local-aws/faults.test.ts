import { DescribeImagesCommand, type ECRClient, PutImageCommand } from '@aws-sdk/client-ecr';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildImage, imageConfig, type LocalAws, startLocalAws } from '../../support/local-aws.ts';

let aws: LocalAws;
let n = 0;
const newRepo = () => aws.ecr.seedRepository(`faults/repo-${++n}`).name;
const errorOf = (p: Promise<unknown>) =>
  p.then(() => null).catch((e: Error & { $metadata?: { attempts?: number } }) => e);

beforeAll(async () => {
  aws = await startLocalAws({ dynamodb: false });
});
afterAll(() => aws.stop());
afterEach(() => {
  aws.faults.ecr.clear();
  aws.resetCounts();
});

describe('PutImage at ECR’s 10/s quota', () => {
  it('throttles a burst with 400 ThrottlingException; the SDK retries and every push lands', async () => {
    const repositoryName = newRepo();
    const image = buildImage(imageConfig('burst'));
    aws.ecr.seedImage(repositoryName, { manifest: image.manifest });
    aws.faults.ecr.rateLimit('PutImage', { perSecond: 10 });
    const ecr = aws.clients.ecr({ maxAttempts: 10, backoffMs: (a) => 40 * a });
    const tags = Array.from({ length: 20 }, (_, i) => `approved-${i}`);
    const started = performance.now();
    const results = await Promise.allSettled(
      tags.map((imageTag) =>
        ecr.send(
          new PutImageCommand({
            repositoryName,
            imageManifest: image.manifest,
            imageTag,
            imageDigest: image.digest,
          }),
        ),
      ),
    );
    const elapsed = performance.now() - started;
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    expect(aws.ecr.tagsOf(repositoryName, image.digest)).toEqual([...tags].sort());
    const stats = aws.callStats().ecr.PutImage;
    expect(stats?.calls).toBe(20);
    expect(stats?.throttled).toBeGreaterThan(0);
    expect(stats?.attempts).toBe((stats?.calls ?? 0) + (stats?.throttled ?? 0));
    // A bucket of 10 with 10/s refill: the last 10 pushes need about a second.
    expect(elapsed).toBeGreaterThan(700);
  });

  it('without retries the throttling error reaches the caller, classified as throttling by the SDK', async () => {
    const repositoryName = newRepo();
    aws.faults.ecr.rateLimit('PutImage', { perSecond: 1, burst: 1 });
    const ecr = aws.clients.ecr({ maxAttempts: 1 });
    const a = buildImage(imageConfig('t-a'));
    await ecr.send(new PutImageCommand({ repositoryName, imageManifest: a.manifest, imageTag: 'a' }));
    const err = (await errorOf(
      ecr.send(new PutImageCommand({ repositoryName, imageManifest: a.manifest, imageTag: 'b' })),
    )) as (Error & { $retryable?: { throttling?: boolean }; $metadata?: { httpStatusCode?: number } }) | null;
    expect(err?.name).toBe('ThrottlingException');
    expect(err?.message).toBe('Rate exceeded');
    expect(err?.$metadata?.httpStatusCode).toBe(400);
    expect(aws.ecr.tagsOf(repositoryName, a.digest)).toEqual(['a']);
  });

  it('can answer throttling as HTTP 429 ThrottleException instead', async () => {
    const other = await startLocalAws({ dynamodb: false, ecr: { throttle: 'http-429' } });
    try {
      other.ecr.seedRepository('x/y');
      other.faults.ecr.failNext('DescribeImages', 2, 'throttle');
      const out = await other.clients
        .ecr({ maxAttempts: 3, backoffMs: () => 1 })
        .send(new DescribeImagesCommand({ repositoryName: 'x/y' }));
      expect(out.$metadata.attempts).toBe(3);
      expect(other.callStats().ecr.DescribeImages).toEqual({
        attempts: 3,
        calls: 1,
        throttled: 0,
        faulted: 2,
      });
    } finally {
      await other.stop();
    }
  });
});

describe('transport and server faults', () => {
  // [fault, attempts allowed, outcome]
  it.each([
    ['server-error', 3, 'ok'],
    ['unavailable', 3, 'ok'],
    ['drop', 3, 'ok'],
    ['server-error', 2, 'ServerException'],
  ] as const)('2 × %s with maxAttempts %i → %s', async (fault, maxAttempts, expected) => {
    const repositoryName = newRepo();
    aws.faults.ecr.failNext('DescribeImages', 2, fault);
    const ecr: ECRClient = aws.clients.ecr({ maxAttempts, backoffMs: () => 1 });
    const outcome = await ecr
      .send(new DescribeImagesCommand({ repositoryName }))
      .then((r) => (r.$metadata.attempts === 3 ? 'ok' : `ok after ${r.$metadata.attempts}`))
      .catch((e: Error) => e.name);
    expect(outcome).toBe(expected);
    expect(aws.callStats().ecr.DescribeImages?.faulted).toBe(2);
  });

  it('a hung request times out on the client and the retry succeeds', async () => {
    const repositoryName = newRepo();
    aws.faults.ecr.failNext('DescribeImages', 1, { hangMs: 300 });
    const ecr = aws.clients.ecr({
      maxAttempts: 2,
      backoffMs: () => 1,
      requestHandler: { requestTimeout: 100, throwOnRequestTimeout: true },
    });
    const out = await ecr.send(new DescribeImagesCommand({ repositoryName }));
    expect(out.$metadata.attempts).toBe(2);
    const single = aws.clients.ecr({
      maxAttempts: 1,
      requestHandler: { requestTimeout: 100, throwOnRequestTimeout: true },
    });
    aws.faults.ecr.failNext('DescribeImages', 1, { hangMs: 300 });
    expect((await errorOf(single.send(new DescribeImagesCommand({ repositoryName }))))?.name).toBe(
      'TimeoutError',
    );
  });

  it('does not retry a scripted permanent error (e.g. KmsException)', async () => {
    const repositoryName = newRepo();
    aws.faults.ecr.failNext('PutImage', 1, { status: 400, code: 'KmsException', message: 'key disabled' });
    const ecr = aws.clients.ecr({ maxAttempts: 5, backoffMs: () => 1 });
    const err = await errorOf(
      ecr.send(
        new PutImageCommand({ repositoryName, imageManifest: buildImage(imageConfig('kms')).manifest }),
      ),
    );
    expect(err?.name).toBe('KmsException');
    expect(err?.$metadata?.attempts).toBe(1);
    expect(aws.faults.ecr.pendingFailures()).toBe(0);
    expect(aws.ecr.images(repositoryName)).toEqual([]);
  });

  it('adds latency per operation, and "*" applies to every operation', async () => {
    const repositoryName = newRepo();
    const ecr = aws.clients.ecr({ maxAttempts: 1 });
    aws.faults.ecr.latency('DescribeImages', 120);
    let t = performance.now();
    await ecr.send(new DescribeImagesCommand({ repositoryName }));
    expect(performance.now() - t).toBeGreaterThanOrEqual(110);
    aws.faults.ecr.latency('DescribeImages', 0).latency('*', 60);
    t = performance.now();
    await ecr.send(new DescribeImagesCommand({ repositoryName }));
    const took = performance.now() - t;
    expect(took).toBeGreaterThanOrEqual(55);
    expect(took).toBeLessThan(110);
  });

  it('counts calls per operation and resets them', async () => {
    const repositoryName = newRepo();
    const ecr = aws.clients.ecr({ maxAttempts: 1 });
    await ecr.send(new DescribeImagesCommand({ repositoryName }));
    await ecr.send(new DescribeImagesCommand({ repositoryName }));
    expect(aws.callCounts().ecr).toEqual({ DescribeImages: 2 });
    aws.resetCounts();
    expect(aws.callCounts().ecr).toEqual({});
  });
});

describe('stop()', () => {
  it('closes the endpoints: afterwards connections are refused', async () => {
    const local = await startLocalAws();
    const { ecr, sns, dynamodb } = local.endpoints;
    await local.clients
      .ecr({ maxAttempts: 1 })
      .send(new DescribeImagesCommand({ repositoryName: 'x' }))
      .catch(() => undefined);
    await local.stop();
    for (const url of [ecr, sns, dynamodb ?? '']) {
      await expect(fetch(url, { method: 'POST', body: '{}' })).rejects.toThrow();
    }
  });
});
