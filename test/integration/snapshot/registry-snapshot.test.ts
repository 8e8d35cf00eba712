/**
 * The nightly registry snapshot over HTTP: the production wiring (buildSnapshotDependencies → EcrRegistry,
 * DynamoDbLedger, InspectorImageUsage, S3SnapshotStore with the real SDK clients) against the local ECR, DynamoDB,
 * Inspector and S3. The snapshot is then downloaded from the local S3 and read by `gatekeeper policy impact`, the
 * command a policy pull request runs, which must see the flips the two policy sets imply.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decideImage } from '../../../lib/gate/index.ts';
import { createLedgerTable } from '../../../lib/ledger/table.ts';
import { takeRegistrySnapshot } from '../../../lib/registry-snapshot/index.ts';
import { readSnapshot } from '../../../lib/snapshot/index.ts';
import { buildGateDependencies } from '../../../lib/wiring/gate-dependencies.ts';
import { buildSnapshotDependencies } from '../../../lib/wiring/snapshot-dependencies.ts';
import { run } from '../../cli/support.ts';
import { enhancedFindingsAbout } from '../../support/demo-images.ts';
import {
  buildImage,
  enhancedFindings,
  imageConfig,
  type LocalAws,
  startLocalAws,
} from '../../support/local-aws.ts';

const NOW = '2026-12-01T03:00:00Z';
const BUCKET = 'gatekeeper-test-snapshots';
const BASE = 'test/fixtures/policy-impact/base';
const HEAD = 'test/fixtures/policy-impact/head';

let aws: LocalAws;
let savedEnv: NodeJS.ProcessEnv;
let dir: string;

function seed(repository: string, name: string, tags: string[]): string {
  const built = buildImage(imageConfig(name, { user: '10001' }));
  return aws.ecr.seedImage(repository, {
    manifest: built.manifest,
    config: built.config,
    tags,
    pushedAt: '2026-11-30T00:00:00Z',
  }).digest;
}

/** Enhanced findings about `repository@digest`, each with the given fix availability. */
function scan(repository: string, digest: string, severity: string, fix: 'YES' | 'NO', count = 1): void {
  const raw = enhancedFindings(count, severity).map((f) => ({ ...f, fixAvailable: fix }));
  aws.ecr.seedScan(repository, digest, {
    status: 'ACTIVE',
    enhancedFindings: enhancedFindingsAbout(aws, repository, digest, raw) as Record<string, unknown>[],
  });
}

const digests: Record<string, string> = {};

beforeAll(async () => {
  aws = await startLocalAws({ snsTopics: ['gatekeeper'], s3Buckets: [BUCKET], now: NOW });
  await createLedgerTable(aws.clients.dynamodb(), 'gatekeeper-ledger');
  dir = mkdtempSync(join(tmpdir(), 'gk-snapshot-it-'));
  savedEnv = { ...process.env };
  Object.assign(process.env, aws.env, {
    GATEKEEPER_TOPIC_ARN: `arn:aws:sns:${aws.region}:${aws.accountId}:gatekeeper`,
    GATEKEEPER_LEDGER_TABLE: 'gatekeeper-ledger',
    GATEKEEPER_POLICY_SET: BASE,
    GATEKEEPER_SNAPSHOT_BUCKET: BUCKET,
    GATEKEEPER_REPOSITORY_SCOPE: 'orders/*,sandbox/*',
    LOG_LEVEL: 'silent',
  });

  for (const repository of ['orders/api', 'orders/web', 'sandbox/x', 'other/tool'])
    aws.ecr.seedRepository(repository);
  // HIGH with a fix: the head policy denies it, the base policy does not.
  digests.fixable = seed('orders/api', 'fixable', ['1.0.0']);
  scan('orders/api', digests.fixable as string, 'HIGH', 'YES');
  digests.unfixable = seed('orders/api', 'unfixable', ['1.0.1']);
  scan('orders/api', digests.unfixable as string, 'HIGH', 'NO');
  // Untagged and never decided: nothing to judge, left out.
  digests.untagged = seed('orders/api', 'untagged', []);
  scan('orders/api', digests.untagged as string, 'LOW', 'NO');
  digests.failed = seed('orders/web', 'failed', ['2.0.0']);
  aws.ecr.seedScan('orders/web', digests.failed, { status: 'FAILED', description: 'UnsupportedImageError' });
  // CRITICAL in a repository whose policy goes from audit to enforce.
  digests.sandbox = seed('sandbox/x', 'sandbox', ['dev']);
  scan('sandbox/x', digests.sandbox as string, 'CRITICAL', 'NO', 2);
  // Out of scope.
  digests.other = seed('other/tool', 'other', ['9.9.9']);
  aws.ecr.seedScan('other/tool', digests.other, { status: 'ACTIVE', enhancedFindings: [] });
  aws.inspector.seedImageCoverage({
    repository: 'orders/api',
    digest: digests.fixable,
    inUseCount: 2,
    lastInUseAt: '2026-11-30T12:00:00Z',
  });

  // The gate decides one image under the base policy set: its tags get approved-1.0.0, the ledger a record.
  aws.clock.advance(3_600_000);
  const gate = await buildGateDependencies(process.env, { now: () => aws.clock.now() });
  const outcome = await decideImage(
    gate,
    { registryId: aws.accountId, region: aws.region, repository: 'orders/api', digest: digests.fixable },
    { kind: 'sweep', id: 'it', reason: 'undecided' },
  );
  expect(outcome.outcome).toBe('decided');
  expect(aws.ecr.tagsOf('orders/api', digests.fixable)).toContain('approved-1.0.0');
});

afterAll(async () => {
  process.env = savedEnv;
  await aws?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('registry snapshot written to S3 and read by gatekeeper policy impact', () => {
  it('stores a dated snapshot and latest with every judged image in scope, read-only towards ECR and the ledger', async () => {
    aws.resetCounts();
    const result = await takeRegistrySnapshot(
      buildSnapshotDependencies(process.env, { now: () => aws.clock.now() }),
    );

    const prefix = `snapshots/${aws.accountId}/${aws.region}`;
    expect(result).toMatchObject({
      images: 4,
      repositories: 3,
      keys: [`${prefix}/2026-12-01.jsonl.gz`, `${prefix}/latest.jsonl.gz`],
    });
    expect(aws.s3.keys(BUCKET)).toEqual([`${prefix}/2026-12-01.jsonl.gz`, `${prefix}/latest.jsonl.gz`]);
    const latest = aws.s3.object(BUCKET, `${prefix}/latest.jsonl.gz`);
    expect(latest?.body.equals(aws.s3.object(BUCKET, `${prefix}/2026-12-01.jsonl.gz`)?.body as Buffer)).toBe(
      true,
    );
    expect(latest?.metadata).toEqual({ images: '4', format: 'gatekeeper-registry-snapshot/v1' });
    expect(latest?.checksumCrc32).not.toBeNull();

    // Reads only: no write to the registry or the ledger.
    const counts = aws.callCounts();
    for (const op of ['PutImage', 'BatchDeleteImage', 'StartImageScan', 'PutLifecyclePolicy'])
      expect(counts.ecr[op] ?? 0, op).toBe(0);
    for (const op of ['PutItem', 'UpdateItem', 'DeleteItem', 'TransactWriteItems'])
      expect(counts.dynamodb[op] ?? 0, op).toBe(0);
    expect(aws.faults.s3.callCounts()).toEqual({ PutObject: 2 });
    // No manifest read: ECR would record it as a pull and the hygiene sweep would think every image in use.
    expect(counts.ecr.BatchGetImage ?? 0).toBe(0);
    expect(aws.ecr.image('sandbox/x', 'dev')?.lastRecordedPullTime ?? null).toBeNull();
  });

  it('with facts on, image facts (user, size) are read from the manifest and config', async () => {
    const deps = buildSnapshotDependencies(process.env, {
      now: () => aws.clock.now(),
      settings: { facts: true },
    });
    const lines: string[] = [];
    const result = await takeRegistrySnapshot({
      ...deps,
      store: {
        put: async ({ body }) => {
          lines.push(gunzipSync(body).toString());
        },
      },
    });
    expect(result.images).toBe(4);
    const sandbox = lines[0]?.split('\n').find((line) => line.includes(digests.sandbox as string));
    expect(JSON.parse(sandbox as string).facts).toMatchObject({ user: '10001' });
  });

  it('the downloaded snapshot holds tags, findings, facts, in-use data and the recorded verdict', async () => {
    const file = await download();
    const reading = await readSnapshot(file);
    expect(reading.header).toMatchObject({ source: 'sweep', registryId: aws.accountId, region: aws.region });
    const images = [];
    for await (const image of reading.images) images.push(image);
    const byDigest = new Map(images.map((i) => [i.digest, i]));
    expect([...byDigest.keys()].sort()).toEqual(
      [digests.fixable, digests.unfixable, digests.failed, digests.sandbox].sort(),
    );
    const fixable = byDigest.get(digests.fixable as string);
    expect(fixable?.tags).toEqual(['1.0.0']);
    const tuples = fixable && 'findings' in fixable.scan ? fixable.scan.findings : [];
    expect(tuples.map((t) => [t[0], t[1], t[4]])).toEqual([['CVE-2099-00001', 'HIGH', 'YES']]);
    // Facts are the ones the gate kept in the ledger when it decided the image (no manifest read by the snapshot);
    // the last pull is the gate's read when it decided the image.
    expect(fixable?.facts).toMatchObject({ user: '10001' });
    // Never decided by the gate and facts off: none.
    expect(byDigest.get(digests.sandbox as string)?.facts).toBeNull();
    expect(fixable?.inUse).toEqual({ lastPulledAt: '2026-12-01T04:00:00.000Z', inUse: true });
    expect(fixable?.recorded).toMatchObject({
      verdict: 'approved',
      policyVersion: expect.stringMatching(/^sha256:/),
    });
    expect(byDigest.get(digests.failed as string)?.scan).toEqual({
      status: 'FAILED',
      description: 'UnsupportedImageError',
    });
    expect(byDigest.get(digests.sandbox as string)?.recorded).toBeNull();
  });

  it('gatekeeper policy impact --snapshot <downloaded file> shows the flips from base to head', async () => {
    const file = await download();
    const out = await run([
      'policy',
      'impact',
      '--base',
      BASE,
      '--head',
      HEAD,
      '--snapshot',
      file,
      '--output',
      'json',
    ]);
    expect(out.stderr).toBe('');
    const impact = JSON.parse(out.stdout);
    expect(impact.summary).toMatchObject({
      images: 4,
      flipped: 2,
      toQuarantined: 2,
      toApproved: 0,
      withoutFacts: 3,
    });
    const flips = impact.repositories.flatMap(
      (r: { flips: { digest: string; from: string; to: string; rules: string[] }[] }) =>
        r.flips.map((f) => [f.digest, f.from, f.to, f.rules]),
    );
    expect(flips).toEqual(
      expect.arrayContaining([
        [digests.fixable, 'approved', 'quarantined', ['maxSeverity.HIGH']],
        [digests.sandbox, 'approved', 'quarantined', ['maxSeverity.CRITICAL']],
      ]),
    );
  });

  it('a failed upload stores no latest: the run fails and names the bucket and key', async () => {
    const deps = buildSnapshotDependencies(process.env, { now: () => new Date('2026-12-02T03:00:00Z') });
    const before = aws.s3.object(BUCKET, `snapshots/${aws.accountId}/${aws.region}/latest.jsonl.gz`);
    aws.faults.s3.failNext('PutObject', 1, { status: 403, code: 'AccessDenied', message: 'Access Denied' });
    await expect(takeRegistrySnapshot(deps)).rejects.toThrow(
      `PutObject: AccessDenied: s3://${BUCKET}/snapshots/${aws.accountId}/${aws.region}/2026-12-02.jsonl.gz`,
    );
    expect(aws.s3.object(BUCKET, `snapshots/${aws.accountId}/${aws.region}/latest.jsonl.gz`)).toBe(before);
  });
});

async function download(): Promise<string> {
  const s3 = aws.clients.s3();
  const got = await s3.send(
    new GetObjectCommand({ Bucket: BUCKET, Key: `snapshots/${aws.accountId}/${aws.region}/latest.jsonl.gz` }),
  );
  const file = join(dir, 'latest.jsonl.gz');
  writeFileSync(
    file,
    await (got.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
  );
  return file;
}
