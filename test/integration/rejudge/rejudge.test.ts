/**
 * Re-judgement after a policy change, end to end over HTTP: the real handlers (basic-scan-completed to decide,
 * rejudge for the schedule and the queue) with real SDK clients against the local ECR, SNS and DynamoDB
 * (dynalite, with the ledger's byPolicyVersion index). The queue is an in-process SQS stand-in driven like
 * Lambda's event source mapping: batches of 10, failed records (batchItemFailures) delivered again, a record
 * that fails maxReceiveCount times goes to the dead-letter list.
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as basicScanHandler } from '../../../handlers/basic-scan-completed.ts';
import { handler as rejudgeHandler } from '../../../handlers/rejudge.ts';
import type { GateDependencies } from '../../../lib/gate/context.ts';
import { RetryableGateError } from '../../../lib/gate/errors.ts';
import type { PolicySet } from '../../../lib/policy/index.ts';
import { loadPolicySet } from '../../../lib/policy/index.ts';
import type { Registry } from '../../../lib/registry/registry.ts';
import type { BatchResponse, RejudgeMessage } from '../../../lib/rejudge/index.ts';
import { MemoryRejudgeQueue } from '../../../lib/rejudge/queue.ts';
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

let aws: LocalAws;
let v1: PolicySet;
let v2: PolicySet;

beforeAll(async () => {
  aws = await startLocalAws({ snsTopics: [TOPIC] });
  await createTable(aws);
  const dir1 = mkdtempSync(join(tmpdir(), 'gk-rejudge-v1-'));
  cpSync('policies', dir1, { recursive: true });
  v1 = await loadPolicySet(dir1);
  // v2: the default policy now denies MEDIUM findings too.
  const dir2 = mkdtempSync(join(tmpdir(), 'gk-rejudge-v2-'));
  cpSync('policies', dir2, { recursive: true });
  const file = join(dir2, 'default.yaml');
  writeFileSync(
    file,
    readFileSync(file, 'utf8').replace('    CRITICAL: 0\n', '    CRITICAL: 0\n    MEDIUM: 0\n'),
  );
  v2 = await loadPolicySet(dir2);
});
afterAll(async () => {
  resetGateDependencies();
  resetRejudgeDependencies();
  await aws?.stop();
});

const MAX_RECEIVE_COUNT = 3;

/** Lambda's SQS event source mapping over the in-process queue: batches of 10 until the queue is empty. */
async function drain(queue: MemoryRejudgeQueue) {
  const receives = new Map<string, number>();
  const bodies = new Map<string, RejudgeMessage>();
  const deadLetters: RejudgeMessage[] = [];
  const responses: BatchResponse[] = [];
  const failedMessages: RejudgeMessage[] = [];
  let next = 0;
  const pending: { id: string; message: RejudgeMessage }[] = [];
  for (let rounds = 0; rounds < 1000; rounds++) {
    for (const message of queue.take(queue.messages.length)) {
      next += 1;
      pending.push({ id: `m-${next}`, message });
      bodies.set(`m-${next}`, message);
    }
    if (pending.length === 0) break;
    const batch = pending.splice(0, 10);
    for (const { id } of batch) receives.set(id, (receives.get(id) ?? 0) + 1);
    const event = {
      Records: batch.map(({ id, message }) => ({ messageId: id, body: JSON.stringify(message) })),
    };
    const response = (await rejudgeHandler(event, LAMBDA_CONTEXT)) as BatchResponse;
    responses.push(response);
    for (const { itemIdentifier } of response.batchItemFailures) {
      const message = bodies.get(itemIdentifier) as RejudgeMessage;
      failedMessages.push(message);
      if ((receives.get(itemIdentifier) ?? 0) >= MAX_RECEIVE_COUNT) deadLetters.push(message);
      else pending.push({ id: itemIdentifier, message });
    }
  }
  return { responses, deadLetters, failedMessages };
}

/** A registry that fails (retryably) for one digest while `failing` is set: one bad image. */
function failingFor(registry: Registry, digest: string, state: { failing: boolean }): Registry {
  return new Proxy(registry, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const ref = args[0] as { digest?: string } | undefined;
        if (state.failing && ref?.digest === digest) {
          return Promise.reject(new RetryableGateError(`registry unavailable for ${digest}`));
        }
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

async function useVersion(policySet: PolicySet, queue: MemoryRejudgeQueue, gate?: GateDependencies) {
  const deps = gate ?? (await fastGateDependencies(aws, {}, { policySet }));
  useGateDependencies(deps);
  useRejudgeDependencies(
    await buildRejudgeDependencies(
      { ...gateEnv(aws), GATEKEEPER_REJUDGE_QUEUE_URL: 'http://127.0.0.1/q' },
      deps,
      {
        queue,
        settings: { pageSize: 4 },
      },
    ),
  );
  return deps;
}

describe('re-judgement after a policy change (rejudge handler, local AWS)', () => {
  it('flips the images the new policy denies, leaves the others untouched, and survives one bad image', async () => {
    // Prepare: five images decided under v1 — three clean, two with a MEDIUM finding (approved under v1).
    const queue = new MemoryRejudgeQueue();
    await useVersion(v1, queue);
    const repository = 'rejudge/app';
    const clean = [0, 1, 2].map((i) =>
      seedImage(aws, repository, [`1.0.${i}`], { status: 'COMPLETE', findings: [] }),
    );
    const medium = [3, 4].map((i) =>
      seedImage(aws, repository, [`1.0.${i}`], { status: 'COMPLETE', findings: basicFindings(1, 'MEDIUM') }),
    );
    const all = [...clean, ...medium];
    for (const [i, image] of all.entries()) {
      await basicScanHandler(scanEvent(aws, repository, image.digest, [`1.0.${i}`]), LAMBDA_CONTEXT);
    }
    for (const image of all)
      expect(aws.ecr.tagsOf(repository, image.digest)).toContain(`approved-1.0.${all.indexOf(image)}`);
    // The schedule under v1 records v1 and finds nothing to re-judge.
    expect(await rejudgeHandler({ source: 'aws.events' }, LAMBDA_CONTEXT)).toMatchObject({ started: null });
    expect(queue.messages).toHaveLength(0);

    // Act: deploy v2; one clean image's registry reads fail until its second delivery.
    const bad = clean[0]?.digest as string;
    const fault = { failing: true };
    const base = await fastGateDependencies(aws, {}, { policySet: v2 });
    const gate = { ...base, registry: failingFor(base.registry, bad, fault) };
    await useVersion(v2, queue, gate);
    aws.resetCounts();
    const publishesBefore = aws.sns.publishes().length;
    const check = (await rejudgeHandler({ source: 'aws.events' }, LAMBDA_CONTEXT)) as {
      started: string | null;
    };
    expect(check.started).toMatch(/^rejudge-/);
    expect(queue.messages).toEqual([{ kind: 'plan', run: check.started }]);
    // A second schedule tick while the run is under way starts nothing.
    expect(await rejudgeHandler({ source: 'aws.events' }, LAMBDA_CONTEXT)).toMatchObject({ started: null });
    expect(queue.messages).toHaveLength(1);

    // First batches: the bad image fails; then it heals before its redelivery.
    const originalTake = queue.take.bind(queue);
    let delivered = 0;
    queue.take = (n: number) => {
      delivered += 1;
      if (delivered > 3) fault.failing = false;
      return originalTake(n);
    };
    const drained = await drain(queue);

    // Assess: only the bad image's record was ever reported failed, and it was not dead-lettered.
    expect(drained.failedMessages.length).toBeGreaterThan(0);
    for (const message of drained.failedMessages) {
      expect(message).toMatchObject({ kind: 'image', image: { digest: bad } });
    }
    // Each batch reported at most that one record; the others in its batch were not delivered again.
    for (const response of drained.responses)
      expect(response.batchItemFailures.length).toBeLessThanOrEqual(1);
    expect(drained.deadLetters).toEqual([]);
    // The MEDIUM images are quarantined now; the clean ones keep their approved tags.
    for (const image of medium) {
      const tags = aws.ecr.tagsOf(repository, image.digest) ?? [];
      expect(tags.some((t) => t.startsWith('quarantined-'))).toBe(true);
      expect(tags.some((t) => t.startsWith('approved-'))).toBe(false);
    }
    for (const [i, image] of clean.entries()) {
      expect(aws.ecr.tagsOf(repository, image.digest)).toContain(`approved-1.0.${i}`);
    }
    // ECR writes: only the two flipped images (one quarantined tag written, one approved tag removed each).
    expect(aws.callCounts().ecr.PutImage ?? 0).toBe(2);
    expect(aws.callCounts().ecr.BatchDeleteImage ?? 0).toBe(2);
    // Messages: one per flipped image and one summary; none for the unchanged images.
    const published = aws.sns.publishes().slice(publishesBefore);
    for (const image of clean)
      expect(published.filter((p) => p.message.includes(image.digest))).toHaveLength(0);
    const bodies = published.map((p) => JSON.parse(JSON.parse(p.message).default) as Record<string, unknown>);
    const summaries = bodies.filter((b) => b.kind === 'rejudge-summary');
    expect(summaries).toHaveLength(1);
    const summary = summaries[0];
    expect(summary).toMatchObject({ images: 5, unchanged: 3, flipped: { quarantined: 2, approved: 0 } });
    expect(published).toHaveLength(3);
    // Every decided image is now recorded under v2; the index has nothing left under v1.
    for (const image of all) {
      const record = await gate.ledger.get({
        registryId: aws.accountId,
        region: aws.region,
        repository,
        digest: image.digest,
      });
      expect(record?.decision?.policyVersion).toBe(v2.version);
    }
    expect((await gate.ledger.listDecidedByPolicyVersion(v1.version, null, 10)).images).toEqual([]);
    // The next tick finds nothing to do.
    expect(await rejudgeHandler({ source: 'aws.events' }, LAMBDA_CONTEXT)).toMatchObject({ started: null });
    expect(queue.messages).toHaveLength(0);
  });

  it('an image the new policy judges the same costs reads and one ledger write: no ECR write, no message', async () => {
    // Prepare: one clean image decided under v1.
    const queue = new MemoryRejudgeQueue();
    await useVersion(v1, queue);
    const repository = 'rejudge/quiet';
    const image = seedImage(aws, repository, ['2.0.0'], { status: 'COMPLETE', findings: [] });
    await basicScanHandler(scanEvent(aws, repository, image.digest, ['2.0.0']), LAMBDA_CONTEXT);
    const gate = await useVersion(v2, queue);
    const ref = { registryId: aws.accountId, region: aws.region, repository, digest: image.digest };
    const before = await gate.ledger.get(ref);
    aws.resetCounts();
    const publishes = aws.sns.publishes().length;
    // Act: its image message (a run that is not the latest: counts are not kept, the image is still judged).
    const response = (await rejudgeHandler(
      { Records: [{ messageId: 'q-1', body: JSON.stringify({ kind: 'image', run: 'run-x', image: ref }) }] },
      LAMBDA_CONTEXT,
    )) as BatchResponse;
    // Assess
    expect(response.batchItemFailures).toEqual([]);
    const counts = aws.callCounts();
    expect(counts.ecr.PutImage ?? 0).toBe(0);
    expect(counts.ecr.BatchDeleteImage ?? 0).toBe(0);
    expect(counts.ecr.UpdateImageStorageClass ?? 0).toBe(0);
    expect(aws.sns.publishes().length).toBe(publishes);
    const after = await gate.ledger.get(ref);
    expect(after?.decision?.policyVersion).toBe(v2.version);
    expect(after?.decision?.verdict).toBe(before?.decision?.verdict);
    expect(after?.announced).toEqual(before?.announced);
    expect(aws.sns.publishes().length).toBe(publishes);
    // Exactly one ledger write: the record under the new version (conditional on the version it was read at).
    const writes = ['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems'];
    expect(writes.reduce((n, op) => n + (counts.dynamodb[op] ?? 0), 0)).toBe(1);
    expect(counts.dynamodb.PutItem ?? 0).toBe(1);
    expect(after?.decision?.trigger).toBe('rejudge:run-x');
    expect(after?.decisionSeq).toBe(before?.decisionSeq);
    expect(after?.ownTags).toEqual(before?.ownTags);
    // Judged again by a later message: nothing changes, nothing is written.
    aws.resetCounts();
    await rejudgeHandler(
      { Records: [{ messageId: 'q-2', body: JSON.stringify({ kind: 'image', run: 'run-x', image: ref }) }] },
      LAMBDA_CONTEXT,
    );
    expect(aws.callCounts().dynamodb.PutItem ?? 0).toBe(0);
    expect(aws.callCounts().ecr.DescribeImages ?? 0).toBe(0);
  });

  it('reports a malformed message alone as failed', async () => {
    const queue = new MemoryRejudgeQueue();
    await useVersion(v2, queue);
    const response = (await rejudgeHandler(
      {
        Records: [
          { messageId: 'ok', body: JSON.stringify({ kind: 'plan', run: 'not-the-latest-run' }) },
          { messageId: 'bad', body: '{"kind":"image","run":"r","image":{"registryId":"x"}}' },
        ],
      },
      LAMBDA_CONTEXT,
    )) as BatchResponse;
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'bad' }]);
    expect(queue.messages).toEqual([]);
  });
});
