/**
 * The gate's promise under attack and under faults (issue "Verdicts that stay true", classes 1–6, 8 and 9), one
 * scenario per class, with the real handlers (handlers/*.ts) and real SDK clients against the local ECR, SNS and
 * DynamoDB. Each case sets up the race, graph, lost event or fault, then checks what a security team relies on:
 * no digest the policy denies carries an `approved-` tag, every decided digest carries approved xor quarantined
 * tags and its ledger decision says the same, and one truthful message goes out per state change.
 *
 * Races are ordered without timing guesses: `faults.ecr.holdNext('PutImage')` keeps one invocation's PutImage at
 * the endpoint until the competing invocation has finished.
 */
import { readFileSync } from 'node:fs';
import { DescribeImagesCommand, PutImageCommand } from '@aws-sdk/client-ecr';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { handler as basicScanHandler } from '../../../handlers/basic-scan-completed.ts';
import { handler as enhancedScanHandler } from '../../../handlers/enhanced-scan-completed.ts';
import { handler as findingHandler } from '../../../handlers/finding-changed.ts';
import { handler as pushHandler } from '../../../handlers/image-pushed.ts';
import type { ImageRef } from '../../../lib/events/image-ref.ts';
import type { GateDependencies } from '../../../lib/gate/context.ts';
import { type GateHandlerResult, isRetryable } from '../../../lib/gate/handle-event.ts';
import { runSweep } from '../../../lib/hygiene/sweep.ts';
import type { Notifier } from '../../../lib/notify/notifier.ts';
import { loadPolicySet } from '../../../lib/policy/index.ts';
import { resetGateDependencies, useGateDependencies } from '../../../lib/wiring/gate-dependencies.ts';
import { buildSweepDependencies } from '../../../lib/wiring/sweep-dependencies.ts';
import { enhancedFindingsAbout } from '../../support/demo-images.ts';
import {
  basicFindings,
  buildImage,
  digestOf,
  enhancedFindings,
  imageConfig,
  type LocalAws,
  MEDIA_TYPES,
  type RecordedPublish,
  startLocalAws,
} from '../../support/local-aws.ts';
import {
  createTable,
  fastGateDependencies,
  gateEnv,
  LAMBDA_CONTEXT,
  pushEvent,
  type RawEvent,
  scanEvent,
  seedImage,
  stampEvent,
  TOPIC,
} from './local-gate.ts';

/** Attempts per SDK call of the gate in these tests. */
const MAX_ATTEMPTS = 3;

let aws: LocalAws;
let deps: GateDependencies;

beforeAll(async () => {
  aws = await startLocalAws({ snsTopics: [TOPIC] });
  await createTable(aws);
  // A held PutImage must wait for its release, not time out and be retried (which would end the race early).
  deps = await fastGateDependencies(aws, { maxAttempts: MAX_ATTEMPTS, requestTimeoutMs: 10_000 });
});
afterAll(async () => {
  resetGateDependencies();
  await aws?.stop();
});
beforeEach(() => useGateDependencies(deps));
afterEach(() => {
  for (const f of Object.values(aws.faults)) f.clear();
});

const sample = (file: string): RawEvent =>
  JSON.parse(readFileSync(new URL(`../../../events/${file}`, import.meta.url), 'utf8')) as RawEvent;

type Handler = typeof basicScanHandler;
const invoke = async (handler: Handler, event: RawEvent) =>
  (await handler(structuredClone(event), LAMBDA_CONTEXT)) as GateHandlerResult;

const refOf = (repository: string, digest: string): ImageRef => ({
  registryId: aws.accountId,
  region: aws.region,
  repository,
  digest,
});
const tagsOf = (repository: string, digest: string) => [...(aws.ecr.tagsOf(repository, digest) ?? [])].sort();
const attribute = (p: RecordedPublish | undefined, name: string) => p?.messageAttributes[name]?.StringValue;
/** The machine-readable body (the `default` of the JSON message structure) every subscriber can parse. */
const machineBody = (p: RecordedPublish) =>
  JSON.parse((JSON.parse(p.message) as { default: string }).default) as {
    dedupeKey?: string;
    image?: { digest?: string };
  };
/** Messages about the digest itself (an index's message mentions its children, not the other way round). */
const publishesAbout = (digest: string) =>
  aws.sns.publishes().filter((p) => machineBody(p).image?.digest === digest);
/** Decision messages (not alerts) about the digest, from the `from`-th on. */
const decisionsAbout = (digest: string, from = 0) =>
  publishesAbout(digest)
    .filter((p) => attribute(p, 'kind') === 'decision')
    .slice(from);

/**
 * The invariant for one digest: its decision tags are exactly `expected` (all of one verdict, at least one) and
 * its ledger decision has that verdict.
 */
async function expectDecided(
  repository: string,
  digest: string,
  verdict: 'approved' | 'quarantined',
  expected: readonly string[],
) {
  const tags = tagsOf(repository, digest);
  const decisionTags = tags.filter((t) => t.startsWith('approved-') || t.startsWith('quarantined-'));
  expect(decisionTags, `${repository}@${digest}`).toEqual([...expected].sort());
  expect(decisionTags.length).toBeGreaterThan(0);
  expect(decisionTags.every((t) => t.startsWith(`${verdict}-`))).toBe(true);
  const record = await deps.ledger.get(refOf(repository, digest));
  expect(record?.state).toBe('decided');
  expect(record?.decision?.verdict).toBe(verdict);
}

/** A runnable image (non-root, real config and layers) scanned by enhanced scanning with `findings`. */
function seedEnhancedImage(
  repository: string,
  tags: readonly string[],
  findings: readonly unknown[],
): { digest: string; manifest: string } {
  const seeded = seedImage(aws, repository, tags, null);
  setFindings(repository, seeded.digest, findings);
  return seeded;
}

function setFindings(repository: string, digest: string, findings: readonly unknown[]) {
  aws.ecr.seedScan(repository, digest, {
    status: 'ACTIVE',
    enhancedFindings: enhancedFindingsAbout(aws, repository, digest, findings),
  });
}

/** enhancedFindings(n, severity) with the ARNs of findings `first`…: distinct findings across calls. */
function findingsFrom(first: number, count: number, severity: string) {
  return enhancedFindings(first + count - 1, severity).slice(first - 1);
}

const findingArn = (n: number) =>
  `arn:aws:inspector2:us-east-1:123456789012:finding/${String(n).padStart(32, '0')}`;

/** Inspector2 Scan (enhanced scan complete) for the digest. */
function enhancedEvent(repository: string, digest: string, counts: Record<string, number>): RawEvent {
  const arn = `arn:aws:ecr:${aws.region}:${aws.accountId}:repository/${repository}`;
  const event = stampEvent(aws, sample('inspector2-enhanced-scan-complete.json'), {
    'repository-name': arn,
    'image-digest': digest,
    'finding-severity-counts': counts,
  });
  event.resources = [arn];
  return event;
}

/** Inspector2 Finding about `digest`, announcing `finding` (ARN, updatedAt), sent at `time`. */
function findingEvent(
  repository: string,
  digest: string,
  tags: readonly string[],
  finding: { arn: string; updatedAt: string; severity?: string },
  time: Date = new Date(),
): RawEvent {
  const resourceId = `arn:aws:ecr:${aws.region}:${aws.accountId}:repository/${repository}/${digest}`;
  const event = stampEvent(aws, sample('inspector2-finding-ecr-image.json'), {
    findingArn: finding.arn,
    updatedAt: finding.updatedAt,
    severity: finding.severity ?? 'CRITICAL',
    status: 'ACTIVE',
  });
  Object.assign(event, { time: time.toISOString(), resources: [resourceId] });
  const resource = (event.detail.resources as Record<string, unknown>[])[0] as Record<string, unknown>;
  resource.id = resourceId;
  const image = (resource.details as Record<string, Record<string, unknown>>).awsEcrContainerImage;
  Object.assign(image ?? {}, { imageHash: digest, repositoryName: repository, imageTags: [...tags] });
  return event;
}

/** A platform image (config blob with its architecture) for an index. */
function seedChild(repository: string, name: string, architecture: string, tags: readonly string[] = []) {
  if (!aws.ecr.repositoryNames().includes(repository))
    aws.ecr.seedRepository(repository, { scanOnPush: true });
  const image = buildImage({ ...imageConfig(name, { user: 'app' }), architecture });
  const { digest } = aws.ecr.seedImage(repository, {
    manifest: image.manifest,
    config: image.config,
    tags: [...tags],
    pushedAt: new Date(Date.now() - 10 * 60_000),
  });
  return { digest, manifest: image.manifest, mediaType: image.mediaType, arch: architecture };
}

interface IndexEntry {
  readonly digest: string;
  readonly manifest: string;
  readonly mediaType: string;
  readonly platform: { architecture: string; os: string };
  readonly annotations?: Record<string, string>;
}

/** An OCI image index over `entries` (platforms and annotations as given), seeded with `tags`. */
function seedIndex(repository: string, entries: readonly IndexEntry[], tags: readonly string[]) {
  const manifest = JSON.stringify(
    {
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociIndex,
      manifests: entries.map((e) => ({
        mediaType: e.mediaType,
        digest: e.digest,
        size: Buffer.byteLength(e.manifest),
        platform: e.platform,
        ...(e.annotations ? { annotations: e.annotations } : {}),
      })),
    },
    null,
    2,
  );
  const { digest } = aws.ecr.seedImage(repository, {
    manifest,
    mediaType: MEDIA_TYPES.ociIndex,
    tags: [...tags],
    pushedAt: new Date(Date.now() - 10 * 60_000),
  });
  return digest;
}

const linuxEntry = (
  child: ReturnType<typeof seedChild>,
  annotations?: Record<string, string>,
): IndexEntry => ({
  ...child,
  platform: { architecture: child.arch, os: 'linux' },
  ...(annotations ? { annotations } : {}),
});

function indexPushEvent(repository: string, digest: string, tag: string): RawEvent {
  const event = pushEvent(aws, repository, digest, tag);
  event.detail['manifest-media-type'] = MEDIA_TYPES.ociIndex;
  return event;
}

describe('1. racing decisions of one digest', () => {
  it('a clean read whose PutImage lands last does not leave approved- beside the quarantine of a newer CRITICAL', async () => {
    const repository = 'classes/race';
    const { digest } = seedEnhancedImage(repository, ['1.0.0'], findingsFrom(1, 1, 'LOW'));

    // A: the scan event reads clean findings; its PutImage (approved-1.0.0) is held at ECR.
    const held = aws.faults.ecr.holdNext('PutImage');
    const slow = invoke(enhancedScanHandler, enhancedEvent(repository, digest, { LOW: 1, TOTAL: 1 }));
    await held.arrived;

    // B: meanwhile Inspector reports a new CRITICAL; the Finding event quarantines the digest.
    setFindings(repository, digest, [...findingsFrom(1, 1, 'LOW'), ...findingsFrom(2, 1, 'CRITICAL')]);
    const fast = await invoke(
      findingHandler,
      findingEvent(repository, digest, ['1.0.0'], {
        arn: findingArn(2),
        updatedAt: new Date().toISOString(),
      }),
    );
    expect(fast.verdict).toBe('quarantined');

    // A's PutImage lands last.
    held.release();
    const late = await slow;

    expect(late.verdict).toBe('quarantined'); // A reports the decision the digest ends with, not its stale read
    await expectDecided(repository, digest, 'quarantined', ['quarantined-1.0.0']);
    // Nothing announced the approval that never held; the quarantine was announced once.
    const messages = decisionsAbout(digest);
    expect(messages.map((p) => attribute(p, 'verdict'))).toEqual(['quarantined']);
    expect(attribute(messages[0], 'change')).toBe('quarantined');
  });

  it('a push of a new source tag racing a Finding event: the new tag ends quarantined, not approved', async () => {
    const repository = 'classes/race-push';
    const { digest, manifest } = seedEnhancedImage(repository, ['2.0.0'], findingsFrom(1, 1, 'LOW'));
    await invoke(enhancedScanHandler, enhancedEvent(repository, digest, { LOW: 1, TOTAL: 1 }));
    await expectDecided(repository, digest, 'approved', ['approved-2.0.0']);

    // Someone adds the tag 2.0; its push event re-decides the digest (clean read), PutImage approved-2.0 held.
    await aws.clients
      .ecr()
      .send(new PutImageCommand({ repositoryName: repository, imageManifest: manifest, imageTag: '2.0' }));
    const held = aws.faults.ecr.holdNext('PutImage');
    const slow = invoke(pushHandler, pushEvent(aws, repository, digest, '2.0'));
    await held.arrived;

    setFindings(repository, digest, [...findingsFrom(1, 1, 'LOW'), ...findingsFrom(2, 1, 'CRITICAL')]);
    const before = decisionsAbout(digest).length;
    const fast = await invoke(
      findingHandler,
      findingEvent(repository, digest, ['2.0.0', '2.0'], {
        arn: findingArn(2),
        updatedAt: new Date().toISOString(),
      }),
    );
    expect(fast.verdict).toBe('quarantined');
    held.release();
    await slow;

    await expectDecided(repository, digest, 'quarantined', ['quarantined-2.0', 'quarantined-2.0.0']);
    const messages = decisionsAbout(digest, before);
    expect(messages.map((p) => [attribute(p, 'verdict'), attribute(p, 'change')])).toEqual([
      ['quarantined', 're-quarantined'],
    ]);
  });
});

describe('2. per-arch tags', () => {
  it('a new CRITICAL on an image approved on its own and later listed by an index quarantines the index and its own tag', async () => {
    const repository = 'classes/per-arch';
    const amd64 = seedChild(repository, 'per-arch-amd64', 'amd64', ['1.0-amd64']);
    setFindings(repository, amd64.digest, findingsFrom(1, 1, 'LOW'));
    await invoke(enhancedScanHandler, enhancedEvent(repository, amd64.digest, { LOW: 1, TOTAL: 1 }));
    await expectDecided(repository, amd64.digest, 'approved', ['approved-1.0-amd64']);

    const arm64 = seedChild(repository, 'per-arch-arm64', 'arm64');
    setFindings(repository, arm64.digest, findingsFrom(5, 1, 'LOW'));
    const index = seedIndex(repository, [linuxEntry(amd64), linuxEntry(arm64)], ['1.0']);
    await invoke(pushHandler, indexPushEvent(repository, index, '1.0'));
    await expectDecided(repository, index, 'approved', ['approved-1.0']);

    setFindings(repository, amd64.digest, [...findingsFrom(1, 1, 'LOW'), ...findingsFrom(2, 1, 'CRITICAL')]);
    const result = await invoke(
      findingHandler,
      findingEvent(repository, amd64.digest, ['1.0-amd64'], {
        arn: findingArn(2),
        updatedAt: new Date().toISOString(),
      }),
    );

    expect(result.verdict).toBe('quarantined');
    await expectDecided(repository, amd64.digest, 'quarantined', ['quarantined-1.0-amd64']);
    await expectDecided(repository, index, 'quarantined', ['quarantined-1.0']);
    expect(tagsOf(repository, arm64.digest)).toEqual([]); // an untagged child gets no tag of its own
    // One re-quarantine message for each digest whose state changed.
    for (const digest of [amd64.digest, index]) {
      const last = decisionsAbout(digest)
        .filter((p) => p.message.includes(`"digest":"${digest}"`) || true)
        .at(-1);
      expect([attribute(last, 'verdict'), attribute(last, 'change')]).toEqual([
        'quarantined',
        're-quarantined',
      ]);
    }
  });
});

describe('3. shared children', () => {
  it('a new CRITICAL on a child listed by two indexes quarantines both indexes', async () => {
    const repository = 'classes/shared';
    const shared = seedChild(repository, 'shared-amd64', 'amd64');
    setFindings(repository, shared.digest, findingsFrom(1, 1, 'LOW'));
    const arm64 = seedChild(repository, 'shared-arm64', 'arm64');
    setFindings(repository, arm64.digest, findingsFrom(5, 1, 'LOW'));
    const first = seedIndex(repository, [linuxEntry(shared)], ['1.0']);
    const second = seedIndex(repository, [linuxEntry(shared), linuxEntry(arm64)], ['2.0']);
    await invoke(pushHandler, indexPushEvent(repository, first, '1.0'));
    await invoke(pushHandler, indexPushEvent(repository, second, '2.0'));
    await expectDecided(repository, first, 'approved', ['approved-1.0']);
    await expectDecided(repository, second, 'approved', ['approved-2.0']);

    setFindings(repository, shared.digest, [...findingsFrom(1, 1, 'LOW'), ...findingsFrom(2, 1, 'CRITICAL')]);
    await invoke(
      findingHandler,
      findingEvent(repository, shared.digest, [], {
        arn: findingArn(2),
        updatedAt: new Date().toISOString(),
      }),
    );

    await expectDecided(repository, first, 'quarantined', ['quarantined-1.0']);
    await expectDecided(repository, second, 'quarantined', ['quarantined-2.0']);
    expect(tagsOf(repository, shared.digest)).toEqual([]);
    for (const index of [first, second]) {
      expect(decisionsAbout(index).map((p) => attribute(p, 'change'))).toEqual([
        'approved',
        're-quarantined',
      ]);
    }
  });
});

/** A BuildKit attestation manifest: an OCI image manifest whose layers are in-toto statements (SBOM, provenance). */
function seedAttestation(repository: string, subject: string) {
  const config = '{}';
  const layer = (kind: string) => ({
    mediaType: 'application/vnd.in-toto+json',
    digest: digestOf(`${subject}/${kind}`),
    size: 1200,
    annotations: { 'in-toto.io/predicate-type': `https://example.org/${kind}/v1` },
  });
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.ociManifest,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: digestOf(config), size: 2 },
    layers: [layer('spdx'), layer('provenance')],
  });
  const { digest } = aws.ecr.seedImage(repository, {
    manifest,
    mediaType: MEDIA_TYPES.ociManifest,
    pushedAt: new Date(Date.now() - 10 * 60_000),
  });
  // What ECR reports for an attestation: its scan cannot run. Judged, this alone would quarantine the index.
  aws.ecr.seedScan(repository, digest, {
    status: 'UNSUPPORTED_IMAGE',
    description: 'The operating system and/or package manager are not supported.',
  });
  return {
    digest,
    manifest,
    mediaType: MEDIA_TYPES.ociManifest,
    platform: { architecture: 'unknown', os: 'unknown' },
    annotations: {
      'vnd.docker.reference.type': 'attestation-manifest',
      'vnd.docker.reference.digest': subject,
    },
  } satisfies IndexEntry;
}

describe('4. hidden children', () => {
  it('a runnable child annotated as an attestation is judged; a real attestation (unknown/unknown, in-toto) is skipped', async () => {
    const repository = 'classes/hidden';
    // Disguised: platform linux/amd64, a real image config and layers, but the attestation annotation.
    const disguised = seedChild(repository, 'hidden-amd64', 'amd64');
    setFindings(repository, disguised.digest, [
      ...findingsFrom(1, 1, 'LOW'),
      ...findingsFrom(2, 1, 'CRITICAL'),
    ]);
    const clean = seedChild(repository, 'hidden-arm64', 'arm64');
    setFindings(repository, clean.digest, findingsFrom(5, 1, 'LOW'));
    const hiding = seedIndex(
      repository,
      [
        linuxEntry(clean),
        linuxEntry(disguised, {
          'vnd.docker.reference.type': 'attestation-manifest',
          'vnd.docker.reference.digest': clean.digest,
        }),
      ],
      ['1.0.0'],
    );
    const judged = await invoke(pushHandler, indexPushEvent(repository, hiding, '1.0.0'));
    expect(judged.verdict).toBe('quarantined');
    await expectDecided(repository, hiding, 'quarantined', ['quarantined-1.0.0']);
    expect(decisionsAbout(hiding).at(-1)?.message).toContain('CVE-2099-00002');

    // A real attestation of a clean image: no findings needed for it, the index is approved.
    const attestation = seedAttestation(repository, clean.digest);
    const honest = seedIndex(repository, [linuxEntry(clean), attestation], ['2.0.0']);
    const skipped = await invoke(pushHandler, indexPushEvent(repository, honest, '2.0.0'));
    expect(skipped.verdict).toBe('approved');
    await expectDecided(repository, honest, 'approved', ['approved-2.0.0']);
  });
});

describe('5. coalesced new findings', () => {
  it('a Finding event older than the last evaluation is evaluated when that evaluation did not see its finding', async () => {
    const repository = 'classes/coalesce';
    const tenMinutesAgo = new Date(Date.now() - 10 * 60_000);

    // (a) A finding the last evaluation never read (another ARN).
    const a = seedEnhancedImage(repository, ['5.0.0'], findingsFrom(1, 1, 'LOW'));
    await invoke(enhancedScanHandler, enhancedEvent(repository, a.digest, { LOW: 1, TOTAL: 1 }));
    await expectDecided(repository, a.digest, 'approved', ['approved-5.0.0']);
    const newer = findingsFrom(2, 1, 'CRITICAL').map((f) => ({
      ...f,
      updatedAt: tenMinutesAgo.toISOString(),
    }));
    setFindings(repository, a.digest, [...findingsFrom(1, 1, 'LOW'), ...newer]);
    const late = findingEvent(
      repository,
      a.digest,
      ['5.0.0'],
      { arn: findingArn(2), updatedAt: tenMinutesAgo.toISOString() },
      tenMinutesAgo,
    );
    expect((await invoke(findingHandler, late)).verdict).toBe('quarantined');
    await expectDecided(repository, a.digest, 'quarantined', ['quarantined-5.0.0']);

    // (b) A finding the last evaluation read, updated since (LOW → CRITICAL, newer updatedAt).
    const b = seedEnhancedImage(repository, ['5.1.0'], findingsFrom(1, 1, 'LOW'));
    await invoke(enhancedScanHandler, enhancedEvent(repository, b.digest, { LOW: 1, TOTAL: 1 }));
    await expectDecided(repository, b.digest, 'approved', ['approved-5.1.0']);
    const escalated = findingsFrom(1, 1, 'CRITICAL').map((f) => ({
      ...f,
      updatedAt: tenMinutesAgo.toISOString(),
    }));
    setFindings(repository, b.digest, escalated);
    const updated = findingEvent(
      repository,
      b.digest,
      ['5.1.0'],
      { arn: findingArn(1), updatedAt: tenMinutesAgo.toISOString() },
      tenMinutesAgo,
    );
    expect((await invoke(findingHandler, updated)).verdict).toBe('quarantined');
    await expectDecided(repository, b.digest, 'quarantined', ['quarantined-5.1.0']);

    // Coalescing still works where it is safe: the same event again is skipped without a message.
    aws.resetCounts();
    expect((await invoke(findingHandler, updated)).outcome).toBe('coalesced');
    expect(aws.callCounts().ecr.DescribeImageScanFindings ?? 0).toBe(0);
    for (const digest of [a.digest, b.digest]) {
      expect(decisionsAbout(digest).map((p) => attribute(p, 'change'))).toEqual([
        'approved',
        're-quarantined',
      ]);
    }
  });
});

describe('6. sweep and spoofs with lost events', () => {
  it('a vulnerable image carrying only hand-made approved- tags, its events lost, is quarantined by the sweep and kept', async () => {
    const repository = 'sweep-classes/spoof';
    aws.ecr.seedRepository(repository, { scanOnPush: true });
    const seed = (name: string, tags: string[]) => {
      const image = buildImage(imageConfig(name, { user: 'app' }));
      return aws.ecr.seedImage(repository, {
        manifest: image.manifest,
        config: image.config,
        tags,
        pushedAt: new Date(Date.now() - 3 * 60 * 60_000), // older than the sweep's grace for undecided images
        scan: { status: 'COMPLETE', findings: basicFindings(1, 'CRITICAL') },
      }).digest;
    };
    const only = seed('spoof-only', ['approved-6.0.0']); // the spoof is its only tag
    const beside = seed('spoof-beside', ['6.1.0', 'approved-6.1.0']);

    const sweep = await buildSweepDependencies(
      {
        ...gateEnv(aws),
        GATEKEEPER_HYGIENE_BASELINE: 'policies/hygiene.yaml',
        GATEKEEPER_HYGIENE_MODE: 'report',
        GATEKEEPER_REPOSITORY_SCOPE: 'sweep-classes/*',
      },
      { registry: deps.registry, ledger: deps.ledger, notifier: deps.notifier, usage: null },
    );
    const result = await runSweep(sweep, { kind: 'start' }, () => 900_000);
    expect(result.status).toBe('complete');

    expect(aws.ecr.image(repository, only)).toBeTruthy(); // removing its last tag did not delete it
    await expectDecided(repository, only, 'quarantined', [
      `quarantined-${only.replace(':', '-').slice(0, 'sha256-'.length + 12)}`,
    ]);
    await expectDecided(repository, beside, 'quarantined', ['quarantined-6.1.0']);
    expect(tagsOf(repository, beside)).toEqual(['6.1.0', 'quarantined-6.1.0']);
    for (const digest of [only, beside]) {
      expect(decisionsAbout(digest).map((p) => attribute(p, 'verdict'))).toEqual(['quarantined']);
    }
  });
});

describe('8. truthful alerts after a fault', () => {
  it('after an SNS outage on a re-quarantine, the redelivery sends one message with change=re-quarantined', async () => {
    const repository = 'classes/sns-outage';
    const { digest } = seedEnhancedImage(repository, ['8.0.0'], findingsFrom(1, 1, 'LOW'));
    await invoke(enhancedScanHandler, enhancedEvent(repository, digest, { LOW: 1, TOTAL: 1 }));
    setFindings(repository, digest, [...findingsFrom(1, 1, 'LOW'), ...findingsFrom(2, 1, 'CRITICAL')]);
    const event = findingEvent(repository, digest, ['8.0.0'], {
      arn: findingArn(2),
      updatedAt: new Date().toISOString(),
    });

    aws.faults.sns.failNext('Publish', MAX_ATTEMPTS, 'server-error');
    const failed = await invoke(findingHandler, event).catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(Error);
    expect(isRetryable(failed)).toBe(true); // Lambda delivers the event again
    expect(tagsOf(repository, digest)).toEqual(['8.0.0', 'quarantined-8.0.0']);
    expect(decisionsAbout(digest)).toHaveLength(1); // only the approval so far

    aws.faults.sns.clear();
    await invoke(findingHandler, event);
    await invoke(findingHandler, event);

    const messages = decisionsAbout(digest).map((p) => [attribute(p, 'verdict'), attribute(p, 'change')]);
    expect(messages).toEqual([
      ['approved', 'approved'],
      ['quarantined', 're-quarantined'],
    ]);
    await expectDecided(repository, digest, 'quarantined', ['quarantined-8.0.0']);
  });

  it('a crash after SNS accepted the message: the copy sent after the lease expired is byte-identical', async () => {
    const repository = 'classes/crash-after-publish';
    const { digest } = seedImage(aws, repository, ['8.1.0'], {
      status: 'COMPLETE',
      findings: basicFindings(1, 'LOW'),
    });
    await invoke(basicScanHandler, scanEvent(aws, repository, digest, ['8.1.0']));
    aws.ecr.seedScan(repository, digest, { status: 'COMPLETE', findings: basicFindings(1, 'CRITICAL') });
    const event = scanEvent(aws, repository, digest, ['8.1.0']);

    // SNS accepts the message, then DynamoDB is down: the ledger never learns that it was sent.
    let armed = false;
    const notifier: Notifier = {
      publish: async (message) => {
        const id = await deps.notifier.publish(message);
        if (!armed) {
          armed = true;
          aws.faults.dynamodb.failNext('PutItem', MAX_ATTEMPTS, 'unavailable');
        }
        return id;
      },
    };
    useGateDependencies({ ...deps, notifier });
    await expect(invoke(basicScanHandler, event)).rejects.toThrow();
    expect(armed).toBe(true);
    aws.faults.dynamodb.clear();
    const first = decisionsAbout(digest).at(-1);
    expect(attribute(first, 'change')).toBe('re-quarantined');

    // Lambda redelivers the event after the notification lease (2 min) has expired.
    useGateDependencies(
      await fastGateDependencies(
        aws,
        { maxAttempts: MAX_ATTEMPTS, requestTimeoutMs: 10_000 },
        { now: () => new Date(Date.now() + 5 * 60_000) },
      ),
    );
    await invoke(basicScanHandler, event);
    await invoke(basicScanHandler, event);

    const copies = decisionsAbout(digest).slice(1);
    expect(copies).toHaveLength(2);
    const [a, b] = copies as [RecordedPublish, RecordedPublish];
    expect(b.subject).toBe(a.subject);
    expect(b.message).toBe(a.message);
    expect(b.messageStructure).toBe(a.messageStructure);
    expect(b.messageAttributes).toEqual(a.messageAttributes);
    expect(machineBody(b).dedupeKey).toBeTruthy();
    expect(machineBody(b).dedupeKey).toBe(machineBody(a).dedupeKey);
    await expectDecided(repository, digest, 'quarantined', ['quarantined-8.1.0']);
  });
});

describe('9. archive bypass', () => {
  it('a quarantined, archived image pushed again (ECR restores it) is archived again and alerted once', async () => {
    const policySet = await loadPolicySet('test/unit/gate/policies'); // strict/* archives quarantined images
    useGateDependencies(
      await fastGateDependencies(aws, { maxAttempts: MAX_ATTEMPTS, requestTimeoutMs: 10_000 }, { policySet }),
    );
    const repository = 'strict/bypass';
    const { digest, manifest } = seedImage(aws, repository, ['9.0.0'], {
      status: 'COMPLETE',
      findings: basicFindings(1, 'CRITICAL'),
    });
    const ecr = aws.clients.ecr();
    const status = async () =>
      (
        await ecr.send(
          new DescribeImagesCommand({
            repositoryName: repository,
            imageIds: [{ imageDigest: digest }],
            filter: { imageStatus: 'ANY' },
          }),
        )
      ).imageDetails?.[0]?.imageStatus;

    await invoke(basicScanHandler, scanEvent(aws, repository, digest, ['9.0.0']));
    expect(tagsOf(repository, digest)).toEqual(['quarantined-9.0.0']);
    expect(await status()).toBe('ARCHIVED');

    // Anyone with push rights pushes the same manifest again: ECR restores the archived image at once.
    await ecr.send(
      new PutImageCommand({ repositoryName: repository, imageManifest: manifest, imageTag: '9.0.0' }),
    );
    expect(await status()).toBe('ACTIVE');
    const result = await invoke(pushHandler, pushEvent(aws, repository, digest, '9.0.0'));

    expect(result.verdict).toBe('quarantined');
    expect(await status()).toBe('ARCHIVED');
    expect(tagsOf(repository, digest).some((t) => t.startsWith('approved-'))).toBe(false);
    expect(tagsOf(repository, digest)).toContain('quarantined-9.0.0');
    const alerts = publishesAbout(digest).filter((p) => attribute(p, 'change') === 'archive-bypassed');
    expect(alerts).toHaveLength(1);
    expect(decisionsAbout(digest)).toHaveLength(1); // the verdict did not change: no second decision message
  });
});
