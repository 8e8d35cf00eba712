/**
 * The re-judgement fan-out end to end over HTTP, through a real SQS queue: the rejudge handler's wiring builds its
 * SQS client from the environment (AWS_ENDPOINT_URL_SQS → the local SQS endpoint) and sends with
 * SendMessageBatch; this file then plays Lambda's SQS event source mapping: ReceiveMessage (10 at a time, the
 * queue's visibility timeout), an SQSEvent built from what was received, the real handler invoked with it, the
 * successful records deleted (DeleteMessageBatch) and the reported batchItemFailures left to reappear after the
 * visibility timeout, until SQS redrives them to the dead-letter queue after maxReceiveCount receives. Decisions
 * are made by the real basic-scan-completed handler against the local ECR, SNS and DynamoDB (dynalite).
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { handler as basicScanHandler } from '../../../handlers/basic-scan-completed.ts';
import { handler as rejudgeHandler } from '../../../handlers/rejudge.ts';
import type { GateDependencies } from '../../../lib/gate/context.ts';
import { RetryableGateError } from '../../../lib/gate/errors.ts';
import { loadPolicySet, type PolicySet } from '../../../lib/policy/index.ts';
import type { Registry } from '../../../lib/registry/registry.ts';
import { type BatchResponse, RUN_CHECKPOINT, type RunState } from '../../../lib/rejudge/index.ts';
import { resetGateDependencies, useGateDependencies } from '../../../lib/wiring/gate-dependencies.ts';
import {
  buildRejudgeDependencies,
  resetRejudgeDependencies,
  useRejudgeDependencies,
} from '../../../lib/wiring/rejudge-dependencies.ts';
import { basicFindings, type LocalAws, startLocalAws } from '../../support/local-aws.ts';
import {
  createTable,
  fastGateDependencies,
  gateEnv,
  LAMBDA_CONTEXT,
  scanEvent,
  seedImage,
  TOPIC,
} from '../gate/local-gate.ts';

/** As serverless.yml's RejudgeQueue: VisibilityTimeout 720 s; maxReceiveCount 3 here to keep the test short. */
const VISIBILITY_TIMEOUT_S = 720;
const MAX_RECEIVE_COUNT = 3;
const QUEUE = 'gatekeeper-rejudge';
const DLQ = 'gatekeeper-rejudge-dlq';

let v1: PolicySet;
let v2: PolicySet;
let aws: LocalAws | undefined;
const savedEnv = { ...process.env };

beforeAll(async () => {
  const dir1 = mkdtempSync(join(tmpdir(), 'gk-rejudge-sqs-v1-'));
  cpSync('policies', dir1, { recursive: true });
  v1 = await loadPolicySet(dir1);
  // v2: the default policy now denies MEDIUM findings too.
  const dir2 = mkdtempSync(join(tmpdir(), 'gk-rejudge-sqs-v2-'));
  cpSync('policies', dir2, { recursive: true });
  const file = join(dir2, 'default.yaml');
  writeFileSync(
    file,
    readFileSync(file, 'utf8').replace('    CRITICAL: 0\n', '    CRITICAL: 0\n    MEDIUM: 0\n'),
  );
  v2 = await loadPolicySet(dir2);
});
afterEach(async () => {
  resetGateDependencies();
  resetRejudgeDependencies();
  process.env = { ...savedEnv };
  await aws?.stop();
  aws = undefined;
});

interface Fleet {
  readonly aws: LocalAws;
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly dlqUrl: string;
  readonly clean: readonly { repository: string; digest: string; tag: string }[];
  readonly medium: readonly { repository: string; digest: string; tag: string }[];
}

/** Local AWS with the queue pair, and `cleanCount` + `mediumCount` images decided (approved) under v1. */
async function decidedUnderV1(cleanCount: number, mediumCount: number): Promise<Fleet> {
  const local = await startLocalAws({
    snsTopics: [TOPIC],
    sqsQueues: {
      [DLQ]: {},
      [QUEUE]: {
        visibilityTimeoutSeconds: VISIBILITY_TIMEOUT_S,
        redrive: { deadLetterQueueName: DLQ, maxReceiveCount: MAX_RECEIVE_COUNT },
      },
    },
  });
  aws = local;
  await createTable(local);
  useGateDependencies(await fastGateDependencies(local, {}, { policySet: v1 }));
  const decide = async (repository: string, tag: string, findings: ReturnType<typeof basicFindings>) => {
    const { digest } = seedImage(local, repository, [tag], { status: 'COMPLETE', findings });
    await basicScanHandler(scanEvent(local, repository, digest, [tag]), LAMBDA_CONTEXT);
    expect(local.ecr.tagsOf(repository, digest)).toContain(`approved-${tag}`);
    return { repository, digest, tag };
  };
  const clean = [];
  const medium = [];
  // Two repositories, so the summary counts by repository.
  for (let i = 0; i < cleanCount; i++)
    clean.push(await decide(i % 2 ? 'team-a/api' : 'team-b/web', `1.${i}.0`, []));
  for (let i = 0; i < mediumCount; i++)
    medium.push(await decide(i % 2 ? 'team-a/api' : 'team-b/web', `2.${i}.0`, basicFindings(1, 'MEDIUM')));
  return {
    aws: local,
    sqs: local.clients.sqs(),
    queueUrl: local.sqs.urlOf(QUEUE),
    dlqUrl: local.sqs.urlOf(DLQ),
    clean,
    medium,
  };
}

/**
 * Deploys v2: the rejudge function's dependencies built by the real wiring from a Lambda-like environment, so
 * its queue is the SQS adapter with a client the SDK points at AWS_ENDPOINT_URL_SQS.
 */
async function deployV2(fleet: Fleet, gate?: GateDependencies): Promise<GateDependencies> {
  const deps = gate ?? (await fastGateDependencies(fleet.aws, {}, { policySet: v2 }));
  const env = {
    ...gateEnv(fleet.aws),
    GATEKEEPER_REJUDGE_QUEUE_URL: fleet.queueUrl,
    // As serverless.yml sets it from the queue's redrive policy (here the test queue's).
    GATEKEEPER_REJUDGE_MAX_RECEIVE_COUNT: String(MAX_RECEIVE_COUNT),
  };
  Object.assign(process.env, env);
  useGateDependencies(deps);
  useRejudgeDependencies(
    await buildRejudgeDependencies(env, deps, { settings: { pageSize: 4, putImagesPerSecond: 1_000 } }),
  );
  return deps;
}

interface Delivery {
  readonly messageId: string;
  readonly body: string;
  readonly receiveCount: number;
  readonly failed: boolean;
}

/** Lambda's SQS event source mapping (batch size 10, ReportBatchItemFailures) until the queue is empty. */
async function pollUntilEmpty(fleet: Fleet): Promise<Delivery[]> {
  const deliveries: Delivery[] = [];
  const arn = fleet.aws.sqs.arnOf(QUEUE);
  for (let round = 0; round < 200; round++) {
    const received = await fleet.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: fleet.queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 20,
        MessageSystemAttributeNames: ['All'],
      }),
    );
    const messages = received.Messages ?? [];
    if (messages.length === 0) {
      const { inFlight } = await queueCounts(fleet.sqs, fleet.queueUrl);
      if (inFlight === 0) return deliveries;
      // Failed records reappear once their visibility timeout is over.
      fleet.aws.clock.advance(VISIBILITY_TIMEOUT_S * 1000);
      continue;
    }
    const event: SQSEvent = {
      Records: messages.map(
        (m): SQSRecord => ({
          messageId: m.MessageId as string,
          receiptHandle: m.ReceiptHandle as string,
          body: m.Body as string,
          attributes: {
            ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount as string,
            SentTimestamp: m.Attributes?.SentTimestamp as string,
            SenderId: m.Attributes?.SenderId as string,
            ApproximateFirstReceiveTimestamp: m.Attributes?.ApproximateFirstReceiveTimestamp as string,
          },
          messageAttributes: {},
          md5OfBody: m.MD5OfBody as string,
          eventSource: 'aws:sqs',
          eventSourceARN: arn,
          awsRegion: fleet.aws.region,
        }),
      ),
    };
    const response = (await rejudgeHandler(event, LAMBDA_CONTEXT)) as BatchResponse;
    const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
    for (const record of event.Records) {
      deliveries.push({
        messageId: record.messageId,
        body: record.body,
        receiveCount: Number(record.attributes.ApproximateReceiveCount),
        failed: failed.has(record.messageId),
      });
    }
    const done = event.Records.filter((r) => !failed.has(r.messageId));
    if (done.length > 0) {
      const deleted = await fleet.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: fleet.queueUrl,
          Entries: done.map((r, i) => ({ Id: `d${i}`, ReceiptHandle: r.receiptHandle })),
        }),
      );
      expect(deleted.Failed ?? []).toEqual([]);
    }
  }
  throw new Error('the queue did not drain in 200 rounds');
}

async function queueCounts(sqs: SQSClient, queueUrl: string) {
  const out = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return {
    visible: Number(out.Attributes?.ApproximateNumberOfMessages),
    inFlight: Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible),
  };
}

/** Image messages delivered per digest. */
function imageDeliveries(deliveries: readonly Delivery[]): Map<string, Delivery[]> {
  const out = new Map<string, Delivery[]>();
  for (const d of deliveries) {
    const body = JSON.parse(d.body) as { kind: string; image?: { digest: string } };
    if (body.kind !== 'image' || !body.image) continue;
    out.set(body.image.digest, [...(out.get(body.image.digest) ?? []), d]);
  }
  return out;
}

function summaries(fleet: Fleet, from: number) {
  return fleet.aws.sns
    .publishes()
    .slice(from)
    .map((p) => JSON.parse(JSON.parse(p.message).default) as Record<string, unknown>)
    .filter((b) => b.kind === 'rejudge-summary');
}

/** A registry that fails (retryably) for one digest: one image that cannot be re-judged. */
function failingFor(registry: Registry, digest: string): Registry {
  return new Proxy(registry, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if ((args[0] as { digest?: string } | undefined)?.digest === digest) {
          return Promise.reject(new RetryableGateError(`registry unavailable for ${digest}`));
        }
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

const ref = (fleet: Fleet, image: { repository: string; digest: string }) => ({
  registryId: fleet.aws.accountId,
  region: fleet.aws.region,
  repository: image.repository,
  digest: image.digest,
});

describe('re-judgement fan-out through SQS (local SQS endpoint, real client, real handlers)', () => {
  it('deploying a new policy re-judges every decided image exactly once, flips retagged, one summary, queue empty', async () => {
    // Prepare: 13 images decided under v1 (more than one plan page of 4 and one receive of 10): 9 clean, 4 MEDIUM.
    const fleet = await decidedUnderV1(9, 4);
    const gate = await deployV2(fleet);
    fleet.aws.resetCounts();
    const publishesBefore = fleet.aws.sns.publishes().length;

    // Act: the schedule's check enqueues the plan through SQS; the poller drains the queue.
    const check = (await rejudgeHandler({ source: 'aws.events' }, LAMBDA_CONTEXT)) as {
      started: string | null;
    };
    expect(check.started).toMatch(/^rejudge-/);
    expect(fleet.aws.sqs.messages(QUEUE).map((m) => JSON.parse(m.body))).toEqual([
      { kind: 'plan', run: check.started },
    ]);
    const deliveries = await pollUntilEmpty(fleet);

    // Assess: every image message delivered once and succeeded; nothing redelivered, nothing dead-lettered.
    expect(deliveries.filter((d) => d.failed)).toEqual([]);
    expect(deliveries.every((d) => d.receiveCount === 1)).toBe(true);
    const perImage = imageDeliveries(deliveries);
    const all = [...fleet.clean, ...fleet.medium];
    expect([...perImage.keys()].sort()).toEqual(all.map((i) => i.digest).sort());
    for (const image of all) expect(perImage.get(image.digest)).toHaveLength(1);
    // The fan-out went through SQS: image messages sent 10 per SendMessageBatch (13 images → at least 2 calls).
    const sqsCalls = fleet.aws.faults.sqs.callCounts();
    expect(sqsCalls.SendMessageBatch ?? 0).toBeGreaterThanOrEqual(Math.ceil(all.length / 10));
    // Flips retagged: MEDIUM images quarantined (no approved- tag left), clean ones keep approved-.
    for (const image of fleet.medium) {
      const tags = fleet.aws.ecr.tagsOf(image.repository, image.digest) ?? [];
      expect(tags).toContain(`quarantined-${image.tag}`);
      expect(tags.some((t) => t.startsWith('approved-'))).toBe(false);
    }
    for (const image of fleet.clean) {
      expect(fleet.aws.ecr.tagsOf(image.repository, image.digest)).toContain(`approved-${image.tag}`);
    }
    // Judged once each: one tag written per flipped image, none for unchanged ones.
    expect(fleet.aws.callCounts().ecr.PutImage ?? 0).toBe(fleet.medium.length);
    // One summary alert for the run, with the counts by repository.
    const sent = summaries(fleet, publishesBefore);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({
      images: all.length,
      unchanged: fleet.clean.length,
      flipped: { quarantined: fleet.medium.length, approved: 0 },
    });
    const run = (await gate.ledger.getCheckpoint(RUN_CHECKPOINT))?.value as RunState;
    expect(run).toMatchObject({
      planned: true,
      enqueued: all.length,
      processed: all.length,
      summarized: true,
    });
    for (const image of all) {
      expect((await gate.ledger.get(ref(fleet, image)))?.decision?.policyVersion).toBe(v2.version);
    }
    // 0 messages left, 0 dead-lettered.
    expect(await queueCounts(fleet.sqs, fleet.queueUrl)).toEqual({ visible: 0, inFlight: 0 });
    expect(await queueCounts(fleet.sqs, fleet.dlqUrl)).toEqual({ visible: 0, inFlight: 0 });
    // The next tick finds nothing to do and sends nothing.
    expect(await rejudgeHandler({ source: 'aws.events' }, LAMBDA_CONTEXT)).toMatchObject({ started: null });
    expect(fleet.aws.sqs.messages(QUEUE)).toEqual([]);
  });

  it('an image that fails on every delivery ends in the dead-letter queue after maxReceiveCount; the run completes and its one summary names it', async () => {
    // Prepare: 11 images under v1 (7 clean, 4 MEDIUM); under v2 the registry always fails for one MEDIUM image.
    const fleet = await decidedUnderV1(7, 4);
    const bad = fleet.medium[0] as Fleet['medium'][number];
    const base = await fastGateDependencies(fleet.aws, {}, { policySet: v2 });
    const gate = await deployV2(fleet, { ...base, registry: failingFor(base.registry, bad.digest) });
    const publishesBefore = fleet.aws.sns.publishes().length;

    // Act
    const check = (await rejudgeHandler({ source: 'aws.events' }, LAMBDA_CONTEXT)) as {
      started: string | null;
    };
    expect(check.started).toMatch(/^rejudge-/);
    const deliveries = await pollUntilEmpty(fleet);

    // Assess: only the bad image's message ever failed, received exactly maxReceiveCount times, then redriven.
    const perImage = imageDeliveries(deliveries);
    const badDeliveries = perImage.get(bad.digest) ?? [];
    expect(badDeliveries.map((d) => [d.receiveCount, d.failed])).toEqual([
      [1, true],
      [2, true],
      [3, true],
    ]);
    expect(deliveries.filter((d) => d.failed).every((d) => badDeliveries.includes(d))).toBe(true);
    const dead = fleet.aws.sqs.messages(DLQ);
    expect(dead).toHaveLength(1);
    expect(JSON.parse(dead[0]?.body ?? '{}')).toMatchObject({
      kind: 'image',
      run: check.started,
      image: ref(fleet, bad),
    });
    expect(dead[0]?.messageId).toBe(badDeliveries[0]?.messageId);
    expect(await queueCounts(fleet.sqs, fleet.queueUrl)).toEqual({ visible: 0, inFlight: 0 });
    // Every other image was delivered once and re-judged; flips retagged.
    const others = [...fleet.clean, ...fleet.medium].filter((i) => i.digest !== bad.digest);
    for (const image of others) {
      expect(perImage.get(image.digest)?.map((d) => d.failed)).toEqual([false]);
      expect((await gate.ledger.get(ref(fleet, image)))?.decision?.policyVersion).toBe(v2.version);
    }
    for (const image of fleet.medium.slice(1)) {
      expect(fleet.aws.ecr.tagsOf(image.repository, image.digest)).toContain(`quarantined-${image.tag}`);
    }
    // The bad image keeps its v1 decision and tags (fails closed on nothing it could not read).
    expect((await gate.ledger.get(ref(fleet, bad)))?.decision?.policyVersion).toBe(v1.version);
    expect(fleet.aws.ecr.tagsOf(bad.repository, bad.digest)).toContain(`approved-${bad.tag}`);
    // The run completed when the bad image's last receive failed: one summary, naming the dead-lettered image.
    const run = (await gate.ledger.getCheckpoint(RUN_CHECKPOINT))?.value as RunState;
    const badKey = `${fleet.aws.accountId}/${bad.repository}@${bad.digest}`;
    expect(run).toMatchObject({
      planned: true,
      enqueued: 11,
      processed: 10,
      deadLettered: 1,
      deadLetteredImages: [badKey],
      summarized: true,
    });
    const sent = summaries(fleet, publishesBefore);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({
      images: 10,
      unchanged: 7,
      flipped: { quarantined: 3, approved: 0 },
      deadLettered: 1,
      deadLetteredImages: [badKey],
    });
    const email = fleet.aws.sns
      .publishes()
      .slice(publishesBefore)
      .map((p) => JSON.parse(p.message) as { default: string; email: string })
      .find((m) => JSON.parse(m.default).kind === 'rejudge-summary')?.email;
    expect(email).toContain(
      `Not judged again (failed on every attempt, in the re-judgement dead-letter queue): 1`,
    );
    expect(email).toContain(badKey);
    // The next tick is the safety net: the image left under v1 starts a new run (a new summary, not a repeat).
    const again = (await rejudgeHandler({ source: 'aws.events' }, LAMBDA_CONTEXT)) as {
      started: string | null;
    };
    expect(again.started).not.toBe(check.started);
    expect(summaries(fleet, publishesBefore)).toHaveLength(1);
  });
});
