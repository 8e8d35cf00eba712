/**
 * lib/rejudge/rejudge.ts without AWS: the schedule's check, the planner's paging, checkpoint and continuation,
 * redelivery after a crash, and the message parser. The end-to-end path (real handlers, local AWS) is
 * test/integration/rejudge/rejudge.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { type ImageRef, imageKey } from '../../../lib/events/image-ref.ts';
import type { GateDependencies } from '../../../lib/gate/context.ts';
import { type LedgerRecord, newLedgerRecord } from '../../../lib/ledger/ledger.ts';
import { MemoryLedger } from '../../../lib/ledger/memory-ledger.ts';
import { createLogger } from '../../../lib/log/logger.ts';
import type { OutboundMessage } from '../../../lib/notify/notifier.ts';
import {
  checkPolicyVersions,
  DEFAULT_REJUDGE_SETTINGS,
  handleRejudgeBatch,
  MemoryRejudgeQueue,
  parseRejudgeMessage,
  type RejudgeDependencies,
  type RejudgeMessage,
  RejudgeMessageError,
  RUN_CHECKPOINT,
  type RunState,
} from '../../../lib/rejudge/index.ts';
import { decided } from '../ledger/ledger-contract.ts';

const NOW = new Date('2026-12-01T10:00:00Z');
const OLD = `sha256:${'1'.repeat(64)}`;
const NEW = `sha256:${'2'.repeat(64)}`;

function image(i: number): ImageRef {
  return {
    registryId: '123456789012',
    region: 'eu-west-1',
    repository: `team/app-${i % 3}`,
    digest: `sha256:${i.toString(16).padStart(64, '0')}`,
  };
}

async function seed(ledger: MemoryLedger, count: number, version: string): Promise<ImageRef[]> {
  const images: ImageRef[] = [];
  for (let i = 1; i <= count; i++) {
    const ref = image(i + (version === OLD ? 0 : 10_000));
    const first = await ledger.put(newLedgerRecord(imageKey(ref), ref, NOW), 0);
    const record: LedgerRecord = decided(first, null);
    await ledger.put(
      { ...record, decision: record.decision ? { ...record.decision, policyVersion: version } : null },
      first.version,
    );
    images.push(ref);
  }
  return images;
}

function deps(ledger: MemoryLedger, queue: MemoryRejudgeQueue, published: OutboundMessage[] = []) {
  const gate = {
    ledger,
    policySet: { version: NEW },
    policySetProblem: null,
    logger: createLogger({ level: 'silent' }),
    now: () => NOW,
    notifier: {
      publish: async (m: OutboundMessage) => {
        published.push(m);
        return 'id';
      },
    },
  } as unknown as GateDependencies;
  const result: RejudgeDependencies = {
    gate,
    queue,
    settings: { ...DEFAULT_REJUDGE_SETTINGS, pageSize: 4, pagesPerInvocation: 3 },
  };
  return result;
}

const records = (messages: readonly RejudgeMessage[]) =>
  messages.map((m, i) => ({ messageId: `id-${i}`, body: JSON.stringify(m) }));

describe('checkPolicyVersions', () => {
  it('records the deployed version, starts one run when older decisions exist, and no second while it runs', async () => {
    // Prepare
    const ledger = new MemoryLedger();
    const queue = new MemoryRejudgeQueue();
    await seed(ledger, 3, OLD);
    await ledger.putCheckpoint(
      'policy-versions',
      { versions: [{ version: OLD, firstSeenAt: '2026-11-01' }] },
      0,
      NOW,
    );
    // Act
    const first = await checkPolicyVersions(deps(ledger, queue));
    const second = await checkPolicyVersions(deps(ledger, queue));
    // Assess
    expect(first.started).toMatch(/^rejudge-222222222222-/);
    expect(second.started).toBeNull();
    expect(queue.messages).toEqual([{ kind: 'plan', run: first.started }]);
    const known = (await ledger.getCheckpoint('policy-versions'))?.value as {
      versions: { version: string }[];
    };
    expect(known.versions.map((v) => v.version)).toEqual([OLD, NEW]);
  });

  it('on the first check ever, learns the versions of earlier decisions from the index and re-judges them', async () => {
    const ledger = new MemoryLedger();
    const queue = new MemoryRejudgeQueue();
    await seed(ledger, 2, OLD);
    const { started } = await checkPolicyVersions(deps(ledger, queue));
    expect(started).not.toBeNull();
    const known = (await ledger.getCheckpoint('policy-versions'))?.value as {
      versions: { version: string }[];
    };
    expect(known.versions.map((v) => v.version)).toEqual([OLD, NEW]);
  });

  it('starts nothing when every decided image is judged by the deployed version', async () => {
    const ledger = new MemoryLedger();
    const queue = new MemoryRejudgeQueue();
    await seed(ledger, 2, NEW);
    expect((await checkPolicyVersions(deps(ledger, queue))).started).toBeNull();
    expect(queue.messages).toEqual([]);
  });
});

describe('planning', () => {
  it('pages through the index, checkpoints each page and continues itself; every image is sent once', async () => {
    // Prepare: 25 images under the old version, 2 under the new one.
    const ledger = new MemoryLedger();
    const queue = new MemoryRejudgeQueue();
    const old = await seed(ledger, 25, OLD);
    await seed(ledger, 2, NEW);
    await ledger.putCheckpoint(
      'policy-versions',
      { versions: [{ version: OLD, firstSeenAt: '2026-11-01' }] },
      0,
      NOW,
    );
    const d = deps(ledger, queue);
    const { started } = await checkPolicyVersions(d);
    // Act: deliver plan messages until none is left (3 pages of 4 per invocation).
    const images: ImageRef[] = [];
    let invocations = 0;
    for (;;) {
      const plans = queue.messages.filter((m) => m.kind === 'plan');
      images.push(...queue.messages.flatMap((m) => (m.kind === 'image' ? [m.image] : [])));
      queue.messages.length = 0;
      if (plans.length === 0) break;
      invocations += 1;
      const response = await handleRejudgeBatch(d, records(plans), () => 60_000);
      expect(response.batchItemFailures).toEqual([]);
    }
    // Assess
    expect(images.map(imageKey).sort()).toEqual(old.map(imageKey).sort());
    expect(invocations).toBe(3); // ⌈25 / 4⌉ = 7 pages, 3 per invocation
    const run = (await ledger.getCheckpoint(RUN_CHECKPOINT))?.value as RunState;
    expect(run).toMatchObject({ id: started, planned: true, enqueued: 25, versions: [], cursor: null });
    // SendMessageBatch calls: one per page of 4 (≤ 10 each), plus the continuations and the first plan.
    expect(queue.batchCalls).toBe(7 + 2 + 1);
  });

  it('after a failed send the plan message is reported failed, and its redelivery resumes from the checkpoint', async () => {
    const ledger = new MemoryLedger();
    const queue = new MemoryRejudgeQueue();
    const old = await seed(ledger, 10, OLD);
    await ledger.putCheckpoint(
      'policy-versions',
      { versions: [{ version: OLD, firstSeenAt: '2026-11-01' }] },
      0,
      NOW,
    );
    const d = deps(ledger, queue);
    await checkPolicyVersions(d);
    const plan = queue.take(1);
    // The second page's send fails once (SQS unavailable).
    const send = queue.send.bind(queue);
    let sends = 0;
    queue.send = async (messages) => {
      sends += 1;
      if (sends === 2) throw new Error('SQS unavailable');
      return send(messages);
    };
    const failed = await handleRejudgeBatch(d, records(plan), () => 60_000);
    expect(failed.batchItemFailures).toEqual([{ itemIdentifier: 'id-0' }]);
    const checkpoint = await ledger.getCheckpoint(RUN_CHECKPOINT);
    expect((checkpoint?.value as RunState | undefined)?.enqueued).toBe(4);
    // Redelivery of the same plan message.
    const again = await handleRejudgeBatch(d, records(plan), () => 60_000);
    expect(again.batchItemFailures).toEqual([]);
    const sent = queue.messages.flatMap((m) => (m.kind === 'image' ? [imageKey(m.image)] : []));
    expect([...new Set(sent)].sort()).toEqual(old.map(imageKey).sort());
    expect(sent).toHaveLength(10);
  });

  it('publishes one summary when the last image of a finished plan is counted', async () => {
    const ledger = new MemoryLedger();
    const queue = new MemoryRejudgeQueue();
    const published: OutboundMessage[] = [];
    // Images already judged by the new version are skipped without a decision (and count as unchanged).
    await seed(ledger, 3, OLD);
    await ledger.putCheckpoint(
      'policy-versions',
      { versions: [{ version: OLD, firstSeenAt: '2026-11-01' }] },
      0,
      NOW,
    );
    const d = deps(ledger, queue, published);
    await checkPolicyVersions(d);
    await handleRejudgeBatch(d, records(queue.take(1)), () => 60_000);
    const images = queue.take(10);
    expect(images).toHaveLength(3);
    for (const m of images) {
      if (m.kind !== 'image') continue;
      const record = (await ledger.get(m.image)) as LedgerRecord;
      const decision = record.decision ? { ...record.decision, policyVersion: NEW } : null;
      await ledger.put({ ...record, decision }, record.version); // decided meanwhile by an event
    }
    await handleRejudgeBatch(d, records(images.slice(0, 2)), () => 60_000);
    expect(published).toHaveLength(0);
    await handleRejudgeBatch(d, records(images.slice(2)), () => 60_000);
    await handleRejudgeBatch(d, records(images.slice(2)), () => 60_000); // a duplicate delivery
    expect(published).toHaveLength(1);
    expect(JSON.parse(published[0]?.bodies.default ?? '{}')).toMatchObject({
      kind: 'rejudge-summary',
      images: 3,
      unchanged: 3,
      flipped: { quarantined: 0, approved: 0 },
    });
  });
});

describe('an image message that keeps failing', () => {
  async function oneBadImage(maxReceiveCount: number | null) {
    const ledger = new MemoryLedger();
    const queue = new MemoryRejudgeQueue();
    const published: OutboundMessage[] = [];
    const [bad, ...good] = await seed(ledger, 3, OLD);
    await ledger.putCheckpoint(
      'policy-versions',
      { versions: [{ version: OLD, firstSeenAt: '2026-11-01' }] },
      0,
      NOW,
    );
    const d = deps(ledger, queue, published);
    const failing = new Proxy(ledger, {
      get(target, name, receiver) {
        const value = Reflect.get(target, name, receiver) as unknown;
        if (name !== 'get' || typeof value !== 'function')
          return typeof value === 'function' ? value.bind(target) : value;
        return (ref: ImageRef) =>
          ref.digest === bad?.digest ? Promise.reject(new Error('ledger unavailable')) : target.get(ref);
      },
    });
    const dd: RejudgeDependencies = {
      ...d,
      gate: { ...d.gate, ledger: failing },
      settings: { ...d.settings, maxReceiveCount },
    };
    await checkPolicyVersions(dd);
    await handleRejudgeBatch(dd, records(queue.take(1)), () => 60_000);
    const images = queue.take(10);
    for (const m of images) {
      if (m.kind !== 'image' || m.image.digest === bad?.digest) continue;
      const record = (await ledger.get(m.image)) as LedgerRecord;
      const decision = record.decision ? { ...record.decision, policyVersion: NEW } : null;
      await ledger.put({ ...record, decision }, record.version);
    }
    const badMessage = images.find(
      (m) => m.kind === 'image' && m.image.digest === bad?.digest,
    ) as RejudgeMessage;
    const deliver = (receiveCount: number) =>
      handleRejudgeBatch(
        dd,
        [{ messageId: 'bad', body: JSON.stringify(badMessage), receiveCount }],
        () => 60_000,
      );
    await handleRejudgeBatch(dd, records(images.filter((m) => m !== badMessage)), () => 60_000);
    expect(good).toHaveLength(2);
    return { ledger, published, bad: bad as ImageRef, deliver };
  }

  it('counts as dead-lettered on its last receive, so the run completes and its one summary names it', async () => {
    const { ledger, published, bad, deliver } = await oneBadImage(3);
    expect((await deliver(1)).batchItemFailures).toEqual([{ itemIdentifier: 'bad' }]);
    expect((await deliver(2)).batchItemFailures).toEqual([{ itemIdentifier: 'bad' }]);
    expect(published).toHaveLength(0);
    // The last receive: still reported failed (SQS dead-letters it), and the run completes.
    expect((await deliver(3)).batchItemFailures).toEqual([{ itemIdentifier: 'bad' }]);
    expect(published).toHaveLength(1);
    expect(JSON.parse(published[0]?.bodies.default ?? '{}')).toMatchObject({
      kind: 'rejudge-summary',
      images: 2,
      deadLettered: 1,
      deadLetteredImages: [imageKey(bad)],
    });
    expect(published[0]?.bodies.email).toContain(imageKey(bad));
    const run = (await ledger.getCheckpoint(RUN_CHECKPOINT))?.value as RunState;
    expect(run).toMatchObject({ processed: 2, deadLettered: 1, summarized: true });
  });

  it('without the queue maxReceiveCount, holds the summary back (the run waits until it is stale)', async () => {
    const { published, deliver } = await oneBadImage(null);
    await deliver(5);
    expect(published).toHaveLength(0);
  });
});

describe('parseRejudgeMessage', () => {
  it.each([
    ['not JSON', '{', /not JSON/],
    ['another kind', '{"kind":"other","run":"r"}', /kind/],
    ['no run', '{"kind":"plan"}', /run/],
    [
      'a bad digest',
      '{"kind":"image","run":"r","image":{"registryId":"123456789012","region":"eu-west-1","repository":"a/b","digest":"x"}}',
      /image\.digest/,
    ],
  ])('refuses %s, naming the field', (_name, body, message) => {
    expect(() => parseRejudgeMessage(body)).toThrow(RejudgeMessageError);
    expect(() => parseRejudgeMessage(body)).toThrow(message);
  });
});
