/**
 * The gate end to end over HTTP: the real handlers (handlers/*.ts, middy) with dependencies built from the
 * environment, so the real AWS SDK v3 clients talk to the local ECR, SNS and DynamoDB (dynalite) endpoints.
 * Events are the samples in events/, edited per case (structuredClone).
 */
import { readFileSync } from 'node:fs';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { handler as basicScanHandler } from '../../../handlers/basic-scan-completed.ts';
import { handler as enhancedScanHandler } from '../../../handlers/enhanced-scan-completed.ts';
import { handler as findingHandler } from '../../../handlers/finding-changed.ts';
import { handler as pushHandler } from '../../../handlers/image-pushed.ts';
import { NotReadyError } from '../../../lib/gate/errors.ts';
import { type GateHandlerResult, isRetryable } from '../../../lib/gate/handle-event.ts';
import { createLedgerTable } from '../../../lib/ledger/table.ts';
import { enhancedFindingsAbout, seedDemoImage } from '../../support/demo-images.ts';
import {
  basicFindings,
  buildImage,
  buildIndex,
  enhancedFindings,
  imageConfig,
  type LocalAws,
  MEDIA_TYPES,
  startLocalAws,
} from '../../support/local-aws.ts';

type Raw = Record<string, unknown> & { detail: Record<string, unknown> };
const sample = (file: string): Raw => JSON.parse(readFileSync(`events/${file}`, 'utf8')) as Raw;
const context = {
  awsRequestId: 'local',
  functionName: 'gate-test',
  getRemainingTimeInMillis: () => 60_000,
} as unknown as Context;
const TOPIC = 'gatekeeper';

let aws: LocalAws;
let topicArn: string;
let eventSeq = 0;

beforeAll(async () => {
  aws = await startLocalAws({ snsTopics: [TOPIC] });
  topicArn = `arn:aws:sns:${aws.region}:${aws.accountId}:${TOPIC}`;
  Object.assign(process.env, aws.env, {
    GATEKEEPER_TOPIC_ARN: topicArn,
    GATEKEEPER_LEDGER_TABLE: 'gatekeeper-ledger',
    GATEKEEPER_POLICY_SET: 'policies',
    LOG_LEVEL: process.env.GK_LOG ?? 'silent',
  });
  await createLedgerTable(aws.clients.dynamodb(), 'gatekeeper-ledger');
});
afterAll(() => aws?.stop());
beforeEach(() => {
  aws.faults.ecr.clear();
  aws.faults.sns.clear();
});

function nextId(): string {
  eventSeq += 1;
  return `00000000-0000-4000-8000-${String(eventSeq).padStart(12, '0')}`;
}

function scanEvent(repository: string, digest: string, tags: string[], id = nextId()): Raw {
  const event = structuredClone(sample('ecr-basic-scan-complete.json'));
  Object.assign(event, { id, time: new Date().toISOString(), account: aws.accountId, region: aws.region });
  Object.assign(event.detail, { 'repository-name': repository, 'image-digest': digest, 'image-tags': tags });
  return event;
}

function enhancedEvent(repository: string, digest: string, counts: Record<string, number>): Raw {
  const event = structuredClone(sample('inspector2-enhanced-scan-complete.json'));
  Object.assign(event, { id: nextId(), time: new Date().toISOString() });
  event.detail['repository-name'] = `arn:aws:ecr:${aws.region}:${aws.accountId}:repository/${repository}`;
  event.detail['image-digest'] = digest;
  event.detail['finding-severity-counts'] = counts;
  event.resources = [`arn:aws:ecr:${aws.region}:${aws.accountId}:repository/${repository}`];
  return event;
}

function pushEvent(
  repository: string,
  digest: string,
  tag: string | null,
  mediaType: string = MEDIA_TYPES.dockerV2,
): Raw {
  const event = structuredClone(sample('ecr-image-push.json'));
  Object.assign(event, { id: nextId(), time: new Date().toISOString() });
  Object.assign(event.detail, {
    'repository-name': repository,
    'image-digest': digest,
    'manifest-media-type': mediaType,
  });
  if (tag === null) delete event.detail['image-tag'];
  else event.detail['image-tag'] = tag;
  return event;
}

/** Pushes a runnable (non-root) image with a real config blob, optionally with a scan. */
function pushImage(
  repository: string,
  tags: string[],
  scan?: Parameters<LocalAws['ecr']['seedScan']>[2],
  name = `${repository}-${tags.join('-')}-${eventSeq}`,
) {
  return seedDemoImage(aws, repository, {
    image: { build: name, user: 'app' },
    tags,
    pushedAt: new Date(Date.now() - 10 * 60_000),
    ...(scan ? { scan } : {}),
  }).digest;
}

const publishes = () => aws.sns.publishes();
const tagsOf = (repository: string, digest: string) => [...(aws.ecr.tagsOf(repository, digest) ?? [])].sort();
const invoke = (h: typeof basicScanHandler, event: Raw) => h(event, context) as Promise<GateHandlerResult>;
const ecrWrites = () => {
  const c = aws.callCounts().ecr;
  return (
    (c.PutImage ?? 0) + (c.BatchDeleteImage ?? 0) + (c.UpdateImageStorageClass ?? 0) + (c.StartImageScan ?? 0)
  );
};

describe('gate over HTTP', () => {
  it('clean image → approved', async () => {
    const digest = pushImage('it/clean', ['1.0.0'], {
      status: 'COMPLETE',
      findings: basicFindings(2, 'LOW'),
    });
    const before = publishes().length;
    const result = await invoke(basicScanHandler, scanEvent('it/clean', digest, ['1.0.0']));
    expect(result).toMatchObject({ outcome: 'decided', verdict: 'approved' });
    expect(tagsOf('it/clean', digest)).toEqual(['1.0.0', 'approved-1.0.0']);
    expect(publishes().length).toBe(before + 1);
  });

  it('critical finding → quarantined, the violation is in the alert', async () => {
    const digest = pushImage('it/critical', ['2.0.0'], {
      status: 'COMPLETE',
      findings: basicFindings(3, 'CRITICAL'),
    });
    const result = await invoke(basicScanHandler, scanEvent('it/critical', digest, ['2.0.0']));
    expect(result).toMatchObject({ outcome: 'decided', verdict: 'quarantined' });
    expect(tagsOf('it/critical', digest)).toEqual(['2.0.0', 'quarantined-2.0.0']);
    const alert = publishes().at(-1);
    expect(alert?.message).toContain('CVE-2099-00001');
    expect(alert?.message).toContain('maxSeverity.CRITICAL');
  });

  it('waived critical (shipped exceptions) → approved, the waiver is named', async () => {
    const page = JSON.parse(
      readFileSync('policies/tests/findings/ecr-enhanced-critical-no-fix.json', 'utf8'),
    ) as {
      imageScanFindings: { enhancedFindings: unknown[] };
    };
    const digest = pushImage('platform/base', ['1.2.0']);
    aws.ecr.seedScan('platform/base', digest, {
      status: 'ACTIVE',
      enhancedFindings: enhancedFindingsAbout(
        aws,
        'platform/base',
        digest,
        page.imageScanFindings.enhancedFindings,
      ),
    });
    const result = await invoke(
      enhancedScanHandler,
      enhancedEvent('platform/base', digest, { CRITICAL: 1, TOTAL: 1 }),
    );
    expect(result).toMatchObject({ outcome: 'decided', verdict: 'approved' });
    expect(tagsOf('platform/base', digest)).toEqual(['1.2.0', 'approved-1.2.0']);
    expect(publishes().at(-1)?.message).toContain('platform-libxml2-cve-2022-49043');
  });

  it('failed scan → quarantined with the reason', async () => {
    const digest = pushImage('it/failed', ['3.0.0'], {
      status: 'FAILED',
      description: 'UnsupportedImageError: layer could not be read',
    });
    const result = await invoke(basicScanHandler, scanEvent('it/failed', digest, ['3.0.0']));
    expect(result.verdict).toBe('quarantined');
    expect(result.detail).toMatch(/scan FAILED/);
    expect(tagsOf('it/failed', digest)).toEqual(['3.0.0', 'quarantined-3.0.0']);
    expect(publishes().at(-1)?.message).toContain('layer could not be read');
  });

  it('enhanced scan complete without findings yet → not ready, no verdict', async () => {
    const digest = pushImage('it/not-ready', ['4.0.0']);
    aws.ecr.seedScanCompleteWithoutFindingsYet('it/not-ready', digest);
    aws.ecr.seedScan('it/not-ready', digest, {
      status: 'COMPLETE',
      findings: [],
      severityCounts: null,
      completedAt: new Date(),
    });
    const before = publishes().length;
    await expect(
      invoke(enhancedScanHandler, enhancedEvent('it/not-ready', digest, { HIGH: 2, TOTAL: 2 })),
    ).rejects.toBeInstanceOf(NotReadyError);
    expect(tagsOf('it/not-ready', digest)).toEqual(['4.0.0']);
    expect(publishes().length).toBe(before);
  });

  it('the same event 3× → one tag state, one notification; duplicates make no ECR write and no publish', async () => {
    const digest = pushImage('it/dup', ['5.0.0'], {
      status: 'COMPLETE',
      findings: basicFindings(1, 'CRITICAL'),
    });
    const event = scanEvent('it/dup', digest, ['5.0.0']);
    const before = publishes().length;
    await invoke(basicScanHandler, structuredClone(event));
    aws.resetCounts();
    await invoke(basicScanHandler, structuredClone(event));
    await invoke(basicScanHandler, structuredClone(event));
    expect(ecrWrites()).toBe(0);
    expect(aws.callCounts().sns.Publish ?? 0).toBe(0);
    expect(publishes().length).toBe(before + 1);
    expect(tagsOf('it/dup', digest)).toEqual(['5.0.0', 'quarantined-5.0.0']);
  });

  it('5 tags pushed and scanned at once (10 concurrent events) → one decision, one notification, no AlreadyExists escapes', async () => {
    const tags = ['20.0.0', '20.0', '20', 'stable', 'latest'];
    const digest = pushImage('it/race', tags, { status: 'COMPLETE', findings: [] });
    const events: [typeof basicScanHandler, Raw][] = [
      ...tags.map((tag): [typeof basicScanHandler, Raw] => [pushHandler, pushEvent('it/race', digest, tag)]),
      ...tags.map((): [typeof basicScanHandler, Raw] => [
        basicScanHandler,
        scanEvent('it/race', digest, tags),
      ]),
    ];
    const before = publishes().length;
    const escaped: unknown[] = [];
    // What Lambda does with a thrown event: deliver it again a little later.
    const deliver = async (h: typeof basicScanHandler, event: Raw): Promise<GateHandlerResult> => {
      for (let attempt = 1; attempt <= 8; attempt++) {
        try {
          return await invoke(h, structuredClone(event));
        } catch (error) {
          escaped.push(error);
          await new Promise((resolve) => setTimeout(resolve, 40 * attempt));
        }
      }
      throw new Error(`event ${String(event.id)} never converged`);
    };

    // Slow PutImage answers keep invocations inside the retag together, so ECR sees the same tag twice.
    aws.faults.ecr.latency('PutImage', 40);
    aws.resetCounts();
    const results = await Promise.all(events.map(([h, event]) => deliver(h, event)));

    // The race reached ECR: the same tag was put more than once (ImageAlreadyExists answered and absorbed).
    expect(aws.callCounts().ecr.PutImage ?? 0).toBeGreaterThan(tags.length);
    expect(results.filter((r) => r.outcome === 'failed' || r.outcome === 'rejected')).toEqual([]);
    expect(new Set(results.map((r) => r.verdict).filter((v) => v !== null))).toEqual(new Set(['approved']));
    for (const error of escaped) {
      expect(isRetryable(error), String(error)).toBe(true);
      expect(`${(error as Error).name} ${(error as Error).message}`).not.toMatch(/AlreadyExists/);
    }
    expect(tagsOf('it/race', digest)).toEqual([...tags, ...tags.map((t) => `approved-${t}`)].sort());
    expect(publishes().length).toBe(before + 1);
  });

  it.each<[string, (e: Raw) => void]>([
    ['missing digest', (e) => delete e.detail['image-digest']],
    ['invalid digest', (e) => (e.detail['image-digest'] = 'sha256:not-hex')],
    ['invalid repository name', (e) => (e.detail['repository-name'] = '../Other Repo')],
    ['wrong type', (e) => (e.detail['image-tags'] = { latest: true })],
    ['unknown detail-type', (e) => (e['detail-type'] = 'ECR Image Scan v2')],
    ['oversized payload', (e) => (e.detail.note = 'x'.repeat(300 * 1024))],
  ])(
    'malformed event (%s) → rejected, not retried, no call to ECR, SNS or DynamoDB',
    async (_name, mutate) => {
      const digest = pushImage('it/malformed', ['21.0.0'], { status: 'COMPLETE', findings: [] });
      const event = scanEvent('it/malformed', digest, ['21.0.0']);
      mutate(event);
      aws.resetCounts();
      const result = await invoke(basicScanHandler, event);
      expect(result.outcome).toBe('rejected');
      expect(aws.callCounts()).toEqual({ ecr: {}, sns: {}, dynamodb: {} });
      expect(tagsOf('it/malformed', digest)).toEqual(['21.0.0']);
    },
  );

  it('push processed after the scan → no downgrade', async () => {
    const digest = pushImage('it/late-push', ['6.0.0'], { status: 'COMPLETE', findings: [] });
    await invoke(basicScanHandler, scanEvent('it/late-push', digest, ['6.0.0']));
    aws.resetCounts();
    const result = await invoke(pushHandler, pushEvent('it/late-push', digest, '6.0.0'));
    expect(result.outcome).toBe('unchanged');
    expect(tagsOf('it/late-push', digest)).toEqual(['6.0.0', 'approved-6.0.0']);
    expect(ecrWrites()).toBe(0);
  });

  it("the gatekeeper's own tag push is not evaluated (no loop)", async () => {
    const digest = pushImage('it/own', ['6.1.0'], { status: 'COMPLETE', findings: [] });
    await invoke(basicScanHandler, scanEvent('it/own', digest, ['6.1.0']));
    aws.resetCounts();
    const result = await invoke(pushHandler, pushEvent('it/own', digest, 'approved-6.1.0'));
    expect(result.outcome).toBe('ignored');
    expect(aws.callCounts().ecr.DescribeImageScanFindings ?? 0).toBe(0);
    expect(ecrWrites()).toBe(0);
  });

  it('image deleted before its scan event → logged no-op, not retried', async () => {
    aws.ecr.seedRepository('it/deleted', {});
    const missing = `sha256:${'9'.repeat(64)}`;
    const before = publishes().length;
    const result = await invoke(basicScanHandler, scanEvent('it/deleted', missing, ['7.0.0']));
    expect(result.outcome).toBe('gone');
    expect(publishes().length).toBe(before);
  });

  it('PutImage throttled at 10/s → retried, converges with one notification', async () => {
    const tags = Array.from({ length: 30 }, (_, i) => `8.0.${i}`);
    const digest = pushImage('it/throttle', tags, { status: 'COMPLETE', findings: [] });
    aws.faults.ecr.rateLimit('PutImage', { perSecond: 10 });
    const before = publishes().length;
    const event = scanEvent('it/throttle', digest, tags);
    let result: GateHandlerResult | null = null;
    for (let attempt = 0; attempt < 5 && result === null; attempt++) {
      // A throw is what Lambda would retry: redeliver the same event.
      result = await invoke(basicScanHandler, structuredClone(event)).catch(() => null);
    }
    expect(result?.verdict).toBe('approved');
    expect(tagsOf('it/throttle', digest)).toEqual([...tags, ...tags.map((t) => `approved-${t}`)].sort());
    expect(publishes().length).toBe(before + 1);
    expect(aws.callStats().ecr.PutImage?.throttled ?? 0).toBeGreaterThan(0);
  }, 30_000);

  it('immutable repository → one alert with the fix, no loop', async () => {
    aws.ecr.seedRepository('it/immutable', { tagMutability: 'IMMUTABLE' });
    const old = buildImage(imageConfig('immutable-old', { user: 'app' }));
    aws.ecr.seedImage('it/immutable', {
      manifest: old.manifest,
      config: old.config,
      tags: ['approved-9.0.0'],
    });
    const digest = pushImage('it/immutable', ['9.0.0'], { status: 'COMPLETE', findings: [] });
    const before = publishes().length;
    const event = scanEvent('it/immutable', digest, ['9.0.0']);
    const result = await invoke(basicScanHandler, structuredClone(event));
    expect(result.verdict).toBe('approved');
    expect(publishes().length).toBe(before + 1);
    expect(publishes().at(-1)?.message).toContain('IMMUTABLE_WITH_EXCLUSION');
    aws.resetCounts();
    await invoke(basicScanHandler, structuredClone(event));
    expect(aws.callCounts().ecr.PutImage ?? 0).toBe(0);
    expect(publishes().length).toBe(before + 1);
  });

  it('spoofed approved- tag → removed and alerted', async () => {
    const digest = pushImage('it/spoof', ['10.0.0', 'approved-10.0.0']);
    const before = publishes().length;
    const result = await invoke(pushHandler, pushEvent('it/spoof', digest, 'approved-10.0.0'));
    expect(result.outcome).toBe('spoof-removed');
    expect(tagsOf('it/spoof', digest)).toEqual(['10.0.0']);
    expect(publishes().length).toBe(before + 1);
    expect(publishes().at(-1)?.message).toMatch(/approved-10\.0\.0/);
  });

  it('multi-arch → the index digest is tagged from its children, no wrapper index', async () => {
    aws.ecr.seedRepository('it/multi', { scanOnPush: true });
    const children = ['amd64', 'arm64'].map((arch) => {
      const image = buildImage(imageConfig(`multi-${arch}`, { user: 'app' }));
      const { digest } = aws.ecr.seedImage('it/multi', {
        manifest: image.manifest,
        config: image.config,
        pushedAt: new Date(Date.now() - 10 * 60_000),
        scan: { status: 'COMPLETE', findings: arch === 'arm64' ? basicFindings(1, 'MEDIUM') : [] },
      });
      return { digest, manifest: image.manifest, mediaType: image.mediaType, arch };
    });
    const index = buildIndex(children);
    const { digest } = aws.ecr.seedImage('it/multi', {
      manifest: index.manifest,
      mediaType: index.mediaType,
      tags: ['11.0.0'],
    });
    const result = await invoke(pushHandler, pushEvent('it/multi', digest, '11.0.0', index.mediaType));
    expect(result.verdict).toBe('approved');
    expect(tagsOf('it/multi', digest)).toEqual(['11.0.0', 'approved-11.0.0']);
    for (const child of children) expect(tagsOf('it/multi', child.digest)).toEqual([]);
    // a child's scan event now decides the index (nothing changes, nothing is published again)
    const before = publishes().length;
    const childResult = await invoke(basicScanHandler, scanEvent('it/multi', children[0]?.digest ?? '', []));
    expect(childResult.outcome).toBe('unchanged');
    expect(publishes().length).toBe(before);
  });

  it('more than 100 enhanced findings are read across pages', async () => {
    const findings = enhancedFindings(250, 'LOW');
    const last = findings[249] as {
      severity: string;
      packageVulnerabilityDetails: { vulnerabilityId: string };
    };
    last.severity = 'CRITICAL';
    const digest = pushImage('it/paged', ['12.0.0']);
    aws.ecr.seedScan('it/paged', digest, {
      status: 'ACTIVE',
      enhancedFindings: enhancedFindingsAbout(aws, 'it/paged', digest, findings),
    });
    aws.resetCounts();
    const result = await invoke(
      enhancedScanHandler,
      enhancedEvent('it/paged', digest, { CRITICAL: 1, TOTAL: 250 }),
    );
    expect(result.verdict).toBe('quarantined');
    expect(aws.callCounts().ecr.DescribeImageScanFindings).toBeGreaterThanOrEqual(3);
    expect(publishes().at(-1)?.message).toContain(last.packageVulnerabilityDetails.vulnerabilityId);
  });

  it('10,000 findings → quarantined, the alert stays under 256 KiB', async () => {
    const digest = pushImage('it/huge', ['13.0.0'], {
      status: 'COMPLETE',
      findings: basicFindings(10_000, 'HIGH'),
    });
    const result = await invoke(basicScanHandler, scanEvent('it/huge', digest, ['13.0.0']));
    expect(result.verdict).toBe('quarantined');
    const alert = publishes().at(-1);
    expect(alert?.sizeBytes).toBeLessThan(262_144);
  }, 30_000);

  it('an Inspector2 Finding on an approved image re-evaluates it: a new critical quarantines and alerts', async () => {
    const digest = pushImage('it/refind', ['14.0.0']);
    aws.ecr.seedScan('it/refind', digest, {
      status: 'ACTIVE',
      enhancedFindings: enhancedFindingsAbout(aws, 'it/refind', digest, enhancedFindings(1, 'LOW')),
    });
    await invoke(enhancedScanHandler, enhancedEvent('it/refind', digest, { LOW: 1, TOTAL: 1 }));
    expect(tagsOf('it/refind', digest)).toEqual(['14.0.0', 'approved-14.0.0']);
    aws.ecr.seedScan('it/refind', digest, {
      status: 'ACTIVE',
      enhancedFindings: enhancedFindingsAbout(aws, 'it/refind', digest, [
        ...enhancedFindings(1, 'LOW'),
        ...enhancedFindings(2, 'CRITICAL').slice(1),
      ]),
    });
    const event = structuredClone(sample('inspector2-finding-ecr-image.json'));
    const resourceId = `arn:aws:ecr:${aws.region}:${aws.accountId}:repository/it/refind/${digest}`;
    Object.assign(event, { id: nextId(), time: new Date().toISOString(), resources: [resourceId] });
    // The event announces the new CRITICAL finding (the second enhanced finding's ARN).
    event.detail.findingArn = `arn:aws:inspector2:us-east-1:123456789012:finding/${'2'.padStart(32, '0')}`;
    const resource = (event.detail.resources as Record<string, unknown>[])[0] as Record<string, unknown>;
    resource.id = resourceId;
    const image = (resource.details as Record<string, Record<string, unknown>>).awsEcrContainerImage;
    if (image)
      Object.assign(image, { imageHash: digest, repositoryName: 'it/refind', imageTags: ['14.0.0'] });
    const before = publishes().length;
    const result = await invoke(findingHandler, event);
    expect(result.verdict).toBe('quarantined');
    expect(tagsOf('it/refind', digest)).toEqual(['14.0.0', 'quarantined-14.0.0']);
    expect(publishes().length).toBe(before + 1);
  });

  it('SNS failure after a successful retag → the retry publishes once and does not retag', async () => {
    const digest = pushImage('it/sns-fail', ['15.0.0'], { status: 'COMPLETE', findings: [] });
    aws.faults.sns.failNext('Publish', 10, 'server-error');
    const event = scanEvent('it/sns-fail', digest, ['15.0.0']);
    await expect(invoke(basicScanHandler, structuredClone(event))).rejects.toThrow();
    expect(tagsOf('it/sns-fail', digest)).toEqual(['15.0.0', 'approved-15.0.0']);
    aws.faults.sns.clear();
    aws.resetCounts();
    const before = publishes().length;
    await invoke(basicScanHandler, structuredClone(event));
    expect(aws.callCounts().ecr.PutImage ?? 0).toBe(0);
    expect(publishes().length).toBe(before + 1);
    await invoke(basicScanHandler, structuredClone(event));
    expect(publishes().length).toBe(before + 1);
  });
});
