/**
 * The SQS adapter of the re-judgement queue (lib/rejudge/sqs-queue.ts) with the real SQSClient against the local
 * SQS endpoint: 10 entries per SendMessageBatch, entries reported in `Failed` sent again, throttling retried by
 * the SDK, and QueueUnavailableError when SQS does not take every message.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { QueueUnavailableError } from '../../../lib/rejudge/errors.ts';
import type { RejudgeMessage } from '../../../lib/rejudge/messages.ts';
import { SqsRejudgeQueue } from '../../../lib/rejudge/sqs-queue.ts';
import { type LocalAws, startLocalAws } from '../../support/local-aws.ts';

let aws: LocalAws;
let n = 0;
let name: string;
let queue: SqsRejudgeQueue;

beforeAll(async () => {
  aws = await startLocalAws({ dynamodb: false });
});
afterAll(async () => {
  await aws?.stop();
});
beforeEach(() => {
  n += 1;
  name = `rejudge-${n}`;
  queue = new SqsRejudgeQueue({
    client: aws.clients.sqs({ maxAttempts: 3, backoffMs: () => 1 }),
    queueUrl: aws.sqs.createQueue(name),
  });
  aws.faults.sqs.clear();
  aws.resetCounts();
});

const images = (count: number): RejudgeMessage[] =>
  Array.from({ length: count }, (_, i) => ({
    kind: 'image',
    run: 'run-1',
    image: {
      registryId: '123456789012',
      region: 'us-east-1',
      repository: 'team/app',
      digest: `sha256:${i.toString(16).padStart(64, '0')}`,
    },
  }));

const queued = () => aws.sqs.messages(name).map((m) => JSON.parse(m.body) as RejudgeMessage);

describe('SqsRejudgeQueue over HTTP', () => {
  it('sends 23 messages in 3 SendMessageBatch calls, in order, each once', async () => {
    await queue.send(images(23));
    expect(queued()).toEqual(images(23));
    expect(aws.faults.sqs.callCounts().SendMessageBatch).toBe(3);
  });

  it('sends again only the entries SQS reported as failed', async () => {
    aws.sqs.failNextEntries(2);
    await queue.send(images(10));
    expect(queued()).toHaveLength(10);
    expect(new Set(queued().map((m) => JSON.stringify(m))).size).toBe(10);
    expect(aws.faults.sqs.callCounts().SendMessageBatch).toBe(2);
  });

  it('throws QueueUnavailableError when entries keep failing', async () => {
    aws.sqs.failNextEntries(9); // 3 entries × 3 rounds
    const error = await queue.send(images(3)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QueueUnavailableError);
    expect((error as Error).message).toMatch(/3 message\(s\) not accepted: InternalError/);
  });

  it('rides out throttling (the SDK retries) and fails with QueueUnavailableError on a lasting outage', async () => {
    aws.faults.sqs.failNext('SendMessageBatch', 1, 'throttle');
    await queue.send(images(4));
    expect(queued()).toHaveLength(4);
    aws.faults.sqs.failNext('SendMessageBatch', 10, 'server-error');
    const error = await queue.send(images(1)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QueueUnavailableError);
    expect((error as Error).message).toContain(`/${name}: SendMessageBatch failed`);
    expect(queued()).toHaveLength(4);
  });
});
