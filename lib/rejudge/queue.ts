/**
 * The re-judgement queue port. `SqsRejudgeQueue` (sqs-queue.ts) is the AWS implementation (SendMessageBatch,
 * 10 entries per call); `MemoryRejudgeQueue` serves tests and holds what was sent.
 */
import type { RejudgeMessage } from './messages.ts';

export interface RejudgeQueue {
  /** Sends every message (any number), at least once; throws QueueUnavailableError when some cannot be sent. */
  send(messages: readonly RejudgeMessage[]): Promise<void>;
}

/** Messages per SendMessageBatch call: SQS's maximum. */
export const SQS_BATCH_ENTRIES = 10;

/** In-memory queue: messages in order of sending, and how many SendMessageBatch calls SQS would have taken. */
export class MemoryRejudgeQueue implements RejudgeQueue {
  readonly messages: RejudgeMessage[] = [];
  batchCalls = 0;

  async send(messages: readonly RejudgeMessage[]): Promise<void> {
    this.batchCalls += Math.ceil(messages.length / SQS_BATCH_ENTRIES);
    this.messages.push(...structuredClone([...messages]));
  }

  /** Removes and returns up to `n` messages, oldest first (what a receive would deliver). */
  take(n: number): RejudgeMessage[] {
    return this.messages.splice(0, n);
  }
}
