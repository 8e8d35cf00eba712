/**
 * The request budget of the gate over real HTTP: requests per operation that the local ECR, SNS and DynamoDB
 * endpoints received for a first decision and for redeliveries of events already handled.
 */
import { PutImageCommand } from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GateDependencies } from '../../../lib/gate/context.ts';
import { handleGateEvent } from '../../../lib/gate/handle-event.ts';
import {
  buildImage,
  imageConfig,
  type LocalAws,
  MEDIA_TYPES,
  startLocalAws,
} from '../../support/local-aws.ts';
import {
  createTable,
  fastGateDependencies,
  pushEvent,
  type RawEvent,
  scanEvent,
  seedImage,
  TOPIC,
  withoutImageRules,
} from './local-gate.ts';

/** Generous request timeouts: these tests count requests, a timed-out attempt would be counted twice. */
const SLOW_MACHINE = { requestTimeoutMs: 5000 };

let aws: LocalAws;
let deps: GateDependencies;
beforeAll(async () => {
  aws = await startLocalAws({ snsTopics: [TOPIC] });
  await createTable(aws);
  deps = await fastGateDependencies(aws, SLOW_MACHINE);
}, 30_000);
afterAll(() => aws?.stop());

const handleScan = (event: RawEvent, with_: GateDependencies = deps) =>
  handleGateEvent(with_, 'basic-scan-completed', ['scan-completed'], event);

/** Requests per operation since the last reset, services without requests left out. */
function counts(): Record<string, Record<string, number>> {
  const all = aws.callCounts();
  const seen: Record<string, Record<string, number>> = {};
  for (const [service, operations] of Object.entries(all)) {
    if (Object.keys(operations).length > 0) seen[service] = { ...operations };
  }
  return seen;
}

describe('a redelivered event already fully handled', () => {
  it('costs one ledger read and no write', async () => {
    // Prepare: a first decision.
    const { digest } = seedImage(aws, 'budget/dup', ['1.0.0'], { status: 'COMPLETE', findings: [] });
    const event = scanEvent(aws, 'budget/dup', digest, ['1.0.0']);
    const first = await handleScan(event);
    expect(first).toMatchObject({ outcome: 'decided' });

    // Act: the same event again.
    aws.resetCounts();
    const again = await handleScan(event);

    // Assess
    expect(again).toMatchObject({ outcome: 'coalesced', verdict: 'approved' });
    expect(counts()).toEqual({ dynamodb: { GetItem: 1 } });
    expect((aws.ecr.tagsOf('budget/dup', digest) ?? []).sort()).toEqual(['1.0.0', 'approved-1.0.0']);
  });

  it('still publishes an alert that was not sent, exactly once, then short-cuts', async () => {
    const { digest } = seedImage(aws, 'budget/unsent', ['1.0.0'], { status: 'COMPLETE', findings: [] });
    const event = scanEvent(aws, 'budget/unsent', digest, ['1.0.0']);
    aws.faults.sns.failNext('Publish', 3, 'server-error');
    await expect(handleScan(event)).rejects.toThrow();
    const before = aws.sns.publishes().length;

    const retried = await handleScan(event);
    expect(retried.outcome).not.toBe('coalesced');
    expect(aws.sns.publishes().length).toBe(before + 1);

    aws.resetCounts();
    expect((await handleScan(event)).outcome).toBe('coalesced');
    expect(counts()).toEqual({ dynamodb: { GetItem: 1 } });
    expect(aws.sns.publishes().length).toBe(before + 1);
  });

  it('takes the full path under a new policy version', async () => {
    const { digest } = seedImage(aws, 'budget/policy', ['1.0.0'], { status: 'COMPLETE', findings: [] });
    const event = scanEvent(aws, 'budget/policy', digest, ['1.0.0']);
    await handleScan(event);
    const policySet = deps.policySet;
    if (!policySet) throw new Error('policy set not loaded');
    const redeployed = { ...deps, policySet: { ...policySet, version: `sha256:${'e'.repeat(64)}` } };

    aws.resetCounts();
    const again = await handleScan(event, redeployed);

    expect(again.outcome).not.toBe('coalesced');
    expect(aws.callCounts().ecr.DescribeImages).toBe(1);
    expect(aws.callCounts().ecr.DescribeImageScanFindings).toBe(1);
  });

  it('takes the full path for a new scan of the same image', async () => {
    const { digest } = seedImage(aws, 'budget/rescan', ['1.0.0'], { status: 'COMPLETE', findings: [] });
    await handleScan(scanEvent(aws, 'budget/rescan', digest, ['1.0.0']));

    aws.resetCounts();
    const rescan = await handleScan(scanEvent(aws, 'budget/rescan', digest, ['1.0.0']));

    expect(rescan.outcome).toBe('unchanged');
    expect(aws.callCounts().ecr.DescribeImageScanFindings).toBe(1);
  });

  it('never spares the spoof check of a pushed decision tag', async () => {
    // Prepare: an approved image, then someone with push rights moves its approved tag to another digest.
    const { digest } = seedImage(aws, 'budget/spoof', ['1.0.0'], { status: 'COMPLETE', findings: [] });
    const event = scanEvent(aws, 'budget/spoof', digest, ['1.0.0']);
    await handleScan(event);
    const other = seedImage(aws, 'budget/spoof', ['other'], { status: 'COMPLETE', findings: [] });
    await aws.clients.ecr().send(
      new PutImageCommand({
        repositoryName: 'budget/spoof',
        imageManifest: other.manifest,
        imageManifestMediaType: MEDIA_TYPES.dockerV2,
        imageTag: 'approved-1.0.0',
      }),
    );

    // Act: its push event, then a redelivery of the scan event.
    const pushed = await handleGateEvent(
      deps,
      'image-pushed',
      ['image-pushed'],
      pushEvent(aws, 'budget/spoof', other.digest, 'approved-1.0.0'),
    );
    const again = await handleScan(event);

    // Assess: the spoof was undone (tag back on the approved digest), and the redelivery had nothing left to do.
    expect(pushed.outcome).toBe('spoof-removed');
    expect(aws.ecr.tagsOf('budget/spoof', other.digest)).not.toContain('approved-1.0.0');
    expect(aws.ecr.tagsOf('budget/spoof', digest)).toContain('approved-1.0.0');
    expect(again.outcome).toBe('coalesced');
  });
});

describe('the scanning configuration', () => {
  it('is read once per warm container within its TTL, for pushes', async () => {
    let now = Date.now();
    const clocked = await fastGateDependencies(aws, SLOW_MACHINE, { now: () => new Date(now) });
    const push = async (tag: string) => {
      const { digest } = seedImage(aws, 'budget/cache', [tag], null);
      return handleGateEvent(
        clocked,
        'image-pushed',
        ['image-pushed'],
        pushEvent(aws, 'budget/cache', digest, tag),
      );
    };

    aws.resetCounts();
    expect((await push('1')).outcome).toBe('pending');
    expect(aws.callCounts().ecr.GetRegistryScanningConfiguration).toBe(1);

    aws.resetCounts();
    expect((await push('2')).outcome).toBe('pending');
    expect(aws.callCounts().ecr.GetRegistryScanningConfiguration ?? 0).toBe(0);
    expect(aws.callCounts().ecr.DescribeRepositories ?? 0).toBe(0);

    now += 5 * 60_000;
    aws.resetCounts();
    await push('3');
    expect(aws.callCounts().ecr.GetRegistryScanningConfiguration).toBe(1);
  });

  it('cached as BASIC never approves an empty result after a switch to enhanced scanning', async () => {
    const fresh = await fastGateDependencies(aws, SLOW_MACHINE);
    const { digest } = seedImage(aws, 'budget/switch', ['1.0.0'], null);
    await handleGateEvent(
      fresh,
      'image-pushed',
      ['image-pushed'],
      pushEvent(aws, 'budget/switch', digest, '1.0.0'),
    );
    // Switched to enhanced scanning within the TTL; the image's first enhanced result is still empty.
    aws.ecr.setRegistryScanning('ENHANCED', [
      {
        scanFrequency: 'CONTINUOUS_SCAN',
        repositoryFilters: [{ filter: 'budget/switch', filterType: 'WILDCARD' }],
      },
    ]);
    aws.ecr.seedScan('budget/switch', digest, { status: 'COMPLETE', findings: [] });

    try {
      aws.resetCounts();
      await expect(handleScan(scanEvent(aws, 'budget/switch', digest, ['1.0.0']), fresh)).rejects.toThrow(
        /not ready|not visible|enhanced/i,
      );
      expect(aws.ecr.tagsOf('budget/switch', digest)).toEqual(['1.0.0']);
      // The cached BASIC was not used: the configuration was read again.
      expect(aws.callCounts().ecr.GetRegistryScanningConfiguration).toBe(1);
    } finally {
      aws.ecr.setRegistryScanning('BASIC', []);
    }
  });
});

describe('image facts', () => {
  /** Seeds an image whose config runs as root: the default policy's `runsAsRoot: deny` quarantines it. */
  function seedRootImage(repository: string): string {
    if (!aws.ecr.repositoryNames().includes(repository))
      aws.ecr.seedRepository(repository, { scanOnPush: true });
    const image = buildImage(imageConfig(`${repository}:root`, { user: 'root' }));
    return aws.ecr.seedImage(repository, {
      manifest: image.manifest,
      config: image.config,
      tags: ['1.0.0'],
      pushedAt: new Date(Date.now() - 10 * 60_000),
      scan: { status: 'COMPLETE', findings: [] },
    }).digest;
  }

  it('are read once per digest and kept in the ledger; the verdict stands on them', async () => {
    const digest = seedRootImage('budget/facts');

    aws.resetCounts();
    const first = await handleScan(scanEvent(aws, 'budget/facts', digest, ['1.0.0']));
    expect(first.verdict).toBe('quarantined');
    expect(aws.callCounts().ecr.GetDownloadUrlForLayer).toBe(1);

    // A new scan: the full path, the facts from the ledger.
    aws.resetCounts();
    const rescan = await handleScan(scanEvent(aws, 'budget/facts', digest, ['1.0.0']));
    expect(rescan).toMatchObject({ outcome: 'unchanged', verdict: 'quarantined' });
    expect(aws.callCounts().ecr.DescribeImageScanFindings).toBe(1);
    expect(aws.callCounts().ecr.GetDownloadUrlForLayer ?? 0).toBe(0);
  });

  it('are not read when no policy selected for the image has image rules', async () => {
    const policySet = deps.policySet;
    if (!policySet) throw new Error('policy set not loaded');
    const lenient = { ...deps, policySet: withoutImageRules(policySet) };
    const digest = seedRootImage('budget/no-image-rules');

    aws.resetCounts();
    const decided = await handleScan(scanEvent(aws, 'budget/no-image-rules', digest, ['1.0.0']), lenient);

    expect(decided).toMatchObject({ outcome: 'decided', verdict: 'approved' });
    expect(aws.callCounts().ecr.GetDownloadUrlForLayer ?? 0).toBe(0);
  });
});
