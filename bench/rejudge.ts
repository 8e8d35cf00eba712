/**
 * Re-judgement after a policy change, through the real path: N images decided under policy v1 (10 % with a
 * MEDIUM finding), then the deploy of v2 (MEDIUM denied): the rejudge handler's schedule starts a run, its `plan`
 * message pages the ledger's byPolicyVersion index (dynalite) and fans `image` messages out over the local SQS
 * queue, and two pollers (the function's reserved concurrency) deliver batches of 10 to the handler, which
 * decides each image again against the local ECR and SNS. Then a third version that judges every image the same
 * (v2 plus a waiver of a finding no image has) is deployed and re-judged: every image is unchanged there, so its
 * calls per image are the cost of an unchanged image.
 *
 * ECR's PutImage quota (10/s per account and Region) is scaled with N: 10/s per 1,000 images (at least 10/s),
 * and the pacing of the two workers with it (each 2/10 of the quota, as in production), so the run stays
 * throttle-bound at any size. The throttle-bound ideal is flipped images × 1 PutImage ÷ (2 workers × pace).
 *
 *   npx tsx bench/rejudge.ts [images=100000] [--quick]
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
} from '@aws-sdk/client-sqs';
import { handler as basicScanHandler } from '../handlers/basic-scan-completed.ts';
import { handler as rejudgeHandler } from '../handlers/rejudge.ts';
import { loadPolicySet, type PolicySet } from '../lib/policy/index.ts';
import type { BatchResponse, RunState } from '../lib/rejudge/index.ts';
import { RUN_CHECKPOINT } from '../lib/rejudge/index.ts';
import { useGateDependencies } from '../lib/wiring/gate-dependencies.ts';
import { buildRejudgeDependencies, useRejudgeDependencies } from '../lib/wiring/rejudge-dependencies.ts';
import {
  createTable,
  fastGateDependencies,
  gateEnv,
  LAMBDA_CONTEXT,
  scanEvent,
  seedImage,
  TOPIC,
} from '../test/integration/gate/local-gate.ts';
import { basicFindings, type LocalAws, startLocalAws } from '../test/support/local-aws.ts';
import { ARGS, machineLine, QUICK } from './support/measure.ts';

const IMAGES = QUICK ? 4 : Number(ARGS[0] ?? 100_000);
const FLIPS = Math.max(1, Math.round(IMAGES / 10));
const WORKERS = 2;
const MAX_RECEIVE_COUNT = 5;
const QUOTA = Math.max(10, (10 * IMAGES) / 1000);
const PACE = (QUOTA * 2) / 10;
const QUEUE = 'bench-rejudge';
/** SDK settings for a shared, loaded machine: production-like timeouts rather than the tests' 150 ms. */
const CLIENT = { maxAttempts: 8, requestTimeoutMs: 5_000 };
const DLQ = 'bench-rejudge-dlq';

function policyDir(name: string, edit: (text: string) => string): string {
  const dir = mkdtempSync(join(tmpdir(), `gk-bench-rejudge-${name}-`));
  cpSync('policies', dir, { recursive: true });
  const file = join(dir, 'default.yaml');
  writeFileSync(file, edit(readFileSync(file, 'utf8')));
  return dir;
}

const v1 = await loadPolicySet(policyDir('v1', (t) => t));
const medium = (t: string) => t.replace('    CRITICAL: 0\n', '    CRITICAL: 0\n    MEDIUM: 0\n');
const v2 = await loadPolicySet(policyDir('v2', medium));
const v3dir = policyDir('v3', medium);
writeFileSync(
  join(v3dir, 'bench-waiver.yaml'),
  [
    'apiVersion: gatekeeper/v1',
    'kind: Exceptions',
    'exceptions:',
    '  - id: bench-unused',
    '    finding: CVE-2099-424242',
    '    reason: A finding no image has (a new version that judges every image the same).',
    '    owner: bench@example.com',
    '    expires: 2099-12-31',
    '',
  ].join('\n'),
);
const v3 = await loadPolicySet(v3dir);

const aws = await startLocalAws({
  snsTopics: [TOPIC],
  sqsQueues: {
    [DLQ]: {},
    [QUEUE]: {
      visibilityTimeoutSeconds: 720,
      redrive: { deadLetterQueueName: DLQ, maxReceiveCount: MAX_RECEIVE_COUNT },
    },
  },
});
try {
  await createTable(aws);
  console.log(machineLine());
  console.log(
    `images ${IMAGES} (${FLIPS} flip under v2), PutImage quota ${QUOTA}/s (10/s per 1,000 images), ${WORKERS} workers paced at ${PACE} PutImage/s each`,
  );

  // Decided under v1 through the real handler.
  useGateDependencies(await fastGateDependencies(aws, CLIENT, { policySet: v1 }));
  const seedStart = Date.now();
  for (let i = 0; i < IMAGES; i++) {
    const repository = `bench/team-${i % 20}`;
    const tag = `1.${i}.0`;
    const findings = i < FLIPS ? basicFindings(1, 'MEDIUM') : [];
    const { digest } = seedImage(aws, repository, [tag], { status: 'COMPLETE', findings });
    await basicScanHandler(scanEvent(aws, repository, digest, [tag]), LAMBDA_CONTEXT);
  }
  console.log(`seeded    ${IMAGES} decisions under v1 in ${((Date.now() - seedStart) / 1000).toFixed(1)} s`);
  aws.faults.ecr.rateLimit('PutImage', { perSecond: QUOTA });

  const flipRun = await rejudgeRun(aws, v2, 'v1 → v2');
  const flipped = flipRun.run.flipped;
  const flips = Object.values(flipped).reduce((n, f) => n + f.approved + f.quarantined, 0);
  const idealS = flips / (WORKERS * PACE);
  console.log(
    `  flipped ${flips}, wall ${flipRun.wallS.toFixed(1)} s, throttle-bound ideal ${idealS.toFixed(1)} s (ratio ${(flipRun.wallS / Math.max(idealS, 1e-9)).toFixed(2)})`,
  );

  const quietRun = await rejudgeRun(aws, v3, 'v2 → v3 (every image unchanged)');
  const per = (n: number | undefined) => ((n ?? 0) / IMAGES).toFixed(2);
  const c = quietRun.calls;
  console.log(
    `  per unchanged image: ECR ${per(sum(c.ecr))} calls (PutImage ${per(c.ecr.PutImage)}, BatchDeleteImage ${per(c.ecr.BatchDeleteImage)}), DynamoDB reads ${per((c.dynamodb.GetItem ?? 0) + (c.dynamodb.Query ?? 0))}, writes ${per(writes(c.dynamodb))}, SNS Publish ${per(c.sns.Publish)} (the run's one summary)`,
  );
  console.log(`  wall ${quietRun.wallS.toFixed(1)} s`);
  const ok =
    flipRun.lost === 0 &&
    quietRun.lost === 0 &&
    flipRun.deadLettered === 0 &&
    quietRun.deadLettered === 0 &&
    flips === FLIPS &&
    (c.ecr.PutImage ?? 0) === 0 &&
    writes(c.dynamodb) <= IMAGES + 10 * Math.ceil(IMAGES / 10);
  process.exitCode = ok ? 0 : 1;
} finally {
  await aws.stop();
}

function sum(counts: Record<string, number>): number {
  return Object.values(counts).reduce((n, v) => n + v, 0);
}

function writes(counts: Record<string, number>): number {
  return ['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems'].reduce(
    (n, op) => n + (counts[op] ?? 0),
    0,
  );
}

/** Deploys `policySet`, starts the run by the schedule's check and drains the queue with two pollers. */
async function rejudgeRun(local: LocalAws, policySet: PolicySet, label: string) {
  const gate = await fastGateDependencies(local, CLIENT, { policySet });
  const env = {
    ...gateEnv(local),
    GATEKEEPER_REJUDGE_QUEUE_URL: local.sqs.urlOf(QUEUE),
    GATEKEEPER_REJUDGE_MAX_RECEIVE_COUNT: String(MAX_RECEIVE_COUNT),
  };
  Object.assign(process.env, env);
  useGateDependencies(gate);
  useRejudgeDependencies(
    await buildRejudgeDependencies(env, gate, { settings: { putImagesPerSecond: PACE } }),
  );
  local.resetCounts();
  const start = Date.now();
  const check = (await rejudgeHandler({ source: 'aws.events' }, LAMBDA_CONTEXT)) as {
    started: string | null;
  };
  if (!check.started) throw new Error(`${label}: no run started`);
  const sqs = local.clients.sqs();
  const queueUrl = local.sqs.urlOf(QUEUE);
  let active = WORKERS;
  let failedRecords = 0;
  const poll = async () => {
    for (;;) {
      const received = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 0,
          MessageSystemAttributeNames: ['All'],
        }),
      );
      const messages = received.Messages ?? [];
      if (messages.length === 0) {
        const out = await sqs.send(
          new GetQueueAttributesCommand({
            QueueUrl: queueUrl,
            AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
          }),
        );
        const left =
          Number(out.Attributes?.ApproximateNumberOfMessages) +
          Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible);
        if (left === 0 && active === WORKERS) return;
        // Failed records come back after their visibility timeout (only while no batch is being handled).
        if (left > 0 && active === WORKERS && Number(out.Attributes?.ApproximateNumberOfMessages) === 0) {
          local.clock.advance(720_000);
        }
        await new Promise((done) => setTimeout(done, 20));
        continue;
      }
      active -= 1;
      try {
        const event = {
          Records: messages.map((m) => ({
            messageId: m.MessageId as string,
            body: m.Body as string,
            attributes: { ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount as string },
          })),
        };
        const response = (await rejudgeHandler(event, LAMBDA_CONTEXT)) as BatchResponse;
        const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
        failedRecords += failed.size;
        const done = messages.filter((m) => !failed.has(m.MessageId as string));
        if (done.length > 0) {
          await sqs.send(
            new DeleteMessageBatchCommand({
              QueueUrl: queueUrl,
              Entries: done.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle as string })),
            }),
          );
        }
      } finally {
        active += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: WORKERS }, poll));
  const wallS = (Date.now() - start) / 1000;
  const run = (await gate.ledger.getCheckpoint(RUN_CHECKPOINT))?.value as RunState;
  const deadLettered = local.sqs.messages(DLQ).length;
  const stale = await gate.ledger.listDecidedByPolicyVersion(v1.version, null, 10);
  const lost = IMAGES - run.processed - (run.deadLettered ?? 0);
  const calls = local.callCounts();
  console.log(
    `${label}: run ${run.id} enqueued ${run.enqueued}, processed ${run.processed}, unchanged ${run.unchanged}, lost ${lost}, dead-lettered ${deadLettered}, failed deliveries ${failedRecords}, summarized ${run.summarized}, images left under v1 ${stale.images.length}`,
  );
  console.log(`  calls ${JSON.stringify(calls)}`);
  console.log(`  PutImage attempts ${JSON.stringify(local.callStats().ecr.PutImage ?? null)}`);
  return { run, wallS, lost, deadLettered, calls };
}
