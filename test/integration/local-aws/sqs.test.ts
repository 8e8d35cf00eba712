/**
 * The local SQS endpoint through the real @aws-sdk/client-sqs (AWS JSON 1.0): SQS's documented batch and size
 * validation, errors in SQS's JSON shape (the SDK's error classes and query-compatible codes), visibility
 * timeout on the harness clock, receipt handles, and redrive to the dead-letter queue after maxReceiveCount.
 */
import {
  BatchEntryIdsNotDistinct,
  BatchRequestTooLong,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  EmptyBatchRequest,
  GetQueueAttributesCommand,
  InvalidBatchEntryId,
  QueueDoesNotExist,
  ReceiptHandleIsInvalid,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  type SQSClient,
  TooManyEntriesInBatchRequest,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type LocalAws, SQS_DEFAULT_MAX_MESSAGE_BYTES, startLocalAws } from '../../support/local-aws.ts';

let aws: LocalAws;
let sqs: SQSClient;
let queueUrl: string;
let dlqUrl: string;
let n = 0;

beforeAll(async () => {
  aws = await startLocalAws({ dynamodb: false, now: '2026-01-01T00:00:00Z' });
  sqs = aws.clients.sqs({ maxAttempts: 1 });
});
afterAll(async () => {
  await aws?.stop();
});
beforeEach(() => {
  // A fresh pair per test: no test sees another's messages.
  n += 1;
  dlqUrl = aws.sqs.createQueue(`work-dlq-${n}`);
  queueUrl = aws.sqs.createQueue(`work-${n}`, {
    visibilityTimeoutSeconds: 60,
    redrive: { deadLetterQueueName: `work-dlq-${n}`, maxReceiveCount: 2 },
  });
});

const entries = (count: number, body = (i: number) => `m${i}`) =>
  Array.from({ length: count }, (_, i) => ({ Id: `e${i}`, MessageBody: body(i) }));

async function counts(url: string) {
  const out = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return {
    visible: Number(out.Attributes?.ApproximateNumberOfMessages),
    inFlight: Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible),
  };
}

describe('local SQS: batch validation (SendMessageBatch / DeleteMessageBatch)', () => {
  it.each([
    [
      '11 entries',
      entries(11),
      TooManyEntriesInBatchRequest,
      'AWS.SimpleQueueService.TooManyEntriesInBatchRequest',
    ],
    ['no entry', [], EmptyBatchRequest, 'AWS.SimpleQueueService.EmptyBatchRequest'],
    [
      'a repeated Id',
      [
        { Id: 'a', MessageBody: 'x' },
        { Id: 'a', MessageBody: 'y' },
      ],
      BatchEntryIdsNotDistinct,
      'AWS.SimpleQueueService.BatchEntryIdsNotDistinct',
    ],
    [
      'an Id with a dot',
      [{ Id: 'a.b', MessageBody: 'x' }],
      InvalidBatchEntryId,
      'AWS.SimpleQueueService.InvalidBatchEntryId',
    ],
    [
      'more than 256 KiB in all',
      entries(2, () => 'x'.repeat(SQS_DEFAULT_MAX_MESSAGE_BYTES / 2 + 1)),
      BatchRequestTooLong,
      'AWS.SimpleQueueService.BatchRequestTooLong',
    ],
  ])('rejects a SendMessageBatch with %s, sending nothing', async (_name, batch, errorClass, queryCode) => {
    const error = await sqs
      .send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: batch }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(errorClass);
    expect(error).toMatchObject({ $metadata: { httpStatusCode: 400 }, Code: queryCode });
    expect(await counts(queueUrl)).toEqual({ visible: 0, inFlight: 0 });
  });

  it('accepts exactly 10 entries and exactly 256 KiB in all, with the MD5 the SDK checks', async () => {
    // Nine bodies of 26,214 bytes and one of the rest: 262,144 bytes in all.
    const each = Math.floor(SQS_DEFAULT_MAX_MESSAGE_BYTES / 10);
    const batch = entries(10, (i) =>
      i === 0 ? 'a'.repeat(SQS_DEFAULT_MAX_MESSAGE_BYTES - 9 * each) : 'b'.repeat(each),
    );
    const total = batch.reduce((s, e) => s + Buffer.byteLength(e.MessageBody), 0);
    expect(total).toBe(SQS_DEFAULT_MAX_MESSAGE_BYTES);
    const out = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: batch }));
    expect(out.Successful).toHaveLength(10);
    expect(out.Failed ?? []).toEqual([]);
    expect(await counts(queueUrl)).toEqual({ visible: 10, inFlight: 0 });
  });

  it('reports an entry with a forbidden character in Failed and sends the others (HTTP 200)', async () => {
    const out = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: [
          { Id: 'ok', MessageBody: '{"kind":"plan"}' },
          { Id: 'bad', MessageBody: 'nul \u0000 here' },
        ],
      }),
    );
    expect(out.Successful?.map((s) => s.Id)).toEqual(['ok']);
    expect(out.Failed).toEqual([
      expect.objectContaining({ Id: 'bad', SenderFault: true, Code: 'InvalidMessageContents' }),
    ]);
    expect(await counts(queueUrl)).toEqual({ visible: 1, inFlight: 0 });
  });

  it('rejects a SendMessage over 256 KiB and one to a queue that does not exist', async () => {
    await expect(
      sqs.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: 'x'.repeat(SQS_DEFAULT_MAX_MESSAGE_BYTES + 1),
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterValue', $metadata: { httpStatusCode: 400 } });
    const missing = await sqs
      .send(
        new SendMessageCommand({ QueueUrl: `${aws.endpoints.sqs}/${aws.accountId}/nope`, MessageBody: 'x' }),
      )
      .catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(QueueDoesNotExist);
    expect(missing).toMatchObject({ Code: 'AWS.SimpleQueueService.NonExistentQueue' });
  });

  it('rejects a DeleteMessageBatch of 11 entries and reports an unknown receipt handle per entry', async () => {
    await expect(
      sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: Array.from({ length: 11 }, (_, i) => ({ Id: `d${i}`, ReceiptHandle: 'x' })),
        }),
      ),
    ).rejects.toBeInstanceOf(TooManyEntriesInBatchRequest);
    const out = await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: [{ Id: 'd0', ReceiptHandle: 'not-a-handle' }],
      }),
    );
    expect(out.Failed).toEqual([expect.objectContaining({ Id: 'd0', Code: 'ReceiptHandleIsInvalid' })]);
    await expect(
      sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: 'not-a-handle' })),
    ).rejects.toBeInstanceOf(ReceiptHandleIsInvalid);
  });

  it('rejects MaxNumberOfMessages outside 1–10', async () => {
    await expect(
      sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 11 })),
    ).rejects.toMatchObject({ name: 'InvalidParameterValue' });
  });
});

describe('local SQS: visibility timeout, receipt handles and redrive', () => {
  it('hides a received message for the visibility timeout, then delivers it again with a new handle', async () => {
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'hello' }));
    const first = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        MessageSystemAttributeNames: ['All'],
      }),
    );
    expect(first.Messages?.map((m) => m.Body)).toEqual(['hello']);
    expect(first.Messages?.[0]?.Attributes?.ApproximateReceiveCount).toBe('1');
    expect(await counts(queueUrl)).toEqual({ visible: 0, inFlight: 1 });
    aws.clock.advance(59_000);
    expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl }))).Messages).toBeUndefined();
    aws.clock.advance(1_000);
    const second = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MessageSystemAttributeNames: ['All'] }),
    );
    const again = second.Messages?.[0];
    expect(again?.MessageId).toBe(first.Messages?.[0]?.MessageId);
    expect(again?.ReceiptHandle).not.toBe(first.Messages?.[0]?.ReceiptHandle);
    expect(again?.Attributes?.ApproximateReceiveCount).toBe('2');
    // The older handle "succeeds, but the message will not be deleted"; the latest deletes it.
    await sqs.send(
      new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: first.Messages?.[0]?.ReceiptHandle }),
    );
    expect(await counts(queueUrl)).toEqual({ visible: 0, inFlight: 1 });
    await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: again?.ReceiptHandle }));
    expect(await counts(queueUrl)).toEqual({ visible: 0, inFlight: 0 });
  });

  it('moves a message received maxReceiveCount times to the dead-letter queue on the next receive', async () => {
    await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries(2) }));
    for (let round = 1; round <= 2; round++) {
      const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 }));
      expect(got.Messages).toHaveLength(2);
      // System attributes only when asked for.
      expect(got.Messages?.[0]?.Attributes).toBeUndefined();
      // m0 succeeds on its second delivery; m1 never does.
      const done = got.Messages?.find((m) => m.Body === 'm0');
      if (round === 2)
        await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: done?.ReceiptHandle }));
      aws.clock.advance(60_000);
    }
    const third = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 }));
    expect(third.Messages).toBeUndefined();
    expect(await counts(queueUrl)).toEqual({ visible: 0, inFlight: 0 });
    expect(await counts(dlqUrl)).toEqual({ visible: 1, inFlight: 0 });
    const dead = await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlqUrl }));
    expect(dead.Messages?.map((m) => m.Body)).toEqual(['m1']);
  });

  it('answers over the JSON protocol the SDK sends (X-Amz-Target, application/x-amz-json-1.0)', async () => {
    const res = await fetch(aws.endpoints.sqs, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AmazonSQS.SendMessageBatch' },
      body: JSON.stringify({
        QueueUrl: queueUrl,
        Entries: [
          { Id: 'a', MessageBody: 'x' },
          { Id: 'a', MessageBody: 'y' },
        ],
      }),
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('x-amzn-query-error')).toBe(
      'AWS.SimpleQueueService.BatchEntryIdsNotDistinct;Sender',
    );
    expect(await res.json()).toEqual({
      __type: 'com.amazonaws.sqs#BatchEntryIdsNotDistinct',
      message: 'Id a repeated.',
    });
    expect(aws.faults.sqs.callCounts().SendMessageBatch).toBeGreaterThan(0);
  });
});
