/**
 * SQS adapter of the re-judgement queue: SendMessageBatch, 10 entries per call (SQS's maximum), entries that
 * SQS reports as failed sent again, then QueueUnavailableError (the caller's step is retried; a message sent
 * twice is harmless, every step is idempotent). The only code that talks to SQS.
 */
import { SendMessageBatchCommand, SQSClient, type SQSClientConfig } from '@aws-sdk/client-sqs';
import { type AwsClientDefaults, type AwsClientSettings, createAwsClient } from '../aws/client-settings.ts';
import { QueueUnavailableError } from './errors.ts';
import type { RejudgeMessage } from './messages.ts';
import { type RejudgeQueue, SQS_BATCH_ENTRIES } from './queue.ts';

export const SQS_CLIENT_DEFAULTS = {
  maxAttempts: 5,
  retryMode: 'standard',
  connectionTimeoutMs: 3_000,
  requestTimeoutMs: 5_000,
} as const satisfies AwsClientDefaults;

/** Rounds of re-sending the entries SQS reported as failed in a batch. */
const ENTRY_ATTEMPTS = 3;

/** Region, endpoint, attempts (default 5), retry mode (default `standard`), timeouts, credentials. */
export type SqsClientOptions = AwsClientSettings<NonNullable<SQSClientConfig['credentials']>>;

/**
 * Builds the queue's client (AWS_ENDPOINT_URL_SQS, read by the SDK, points it at a local endpoint).
 * @example new SqsRejudgeQueue({ client: createSqsClient(), queueUrl: config.rejudgeQueueUrl })
 */
export function createSqsClient(options: SqsClientOptions = {}): SQSClient {
  return createAwsClient(SQSClient, options, SQS_CLIENT_DEFAULTS);
}

export interface SqsRejudgeQueueOptions {
  readonly client: SQSClient;
  readonly queueUrl: string;
}

export class SqsRejudgeQueue implements RejudgeQueue {
  readonly #client: SQSClient;
  readonly #queueUrl: string;

  constructor(options: SqsRejudgeQueueOptions) {
    this.#client = options.client;
    this.#queueUrl = options.queueUrl;
  }

  async send(messages: readonly RejudgeMessage[]): Promise<void> {
    for (let start = 0; start < messages.length; start += SQS_BATCH_ENTRIES) {
      let entries = messages
        .slice(start, start + SQS_BATCH_ENTRIES)
        .map((message, i) => ({ Id: String(i), MessageBody: JSON.stringify(message) }));
      for (let attempt = 1; entries.length > 0; attempt++) {
        let failed: readonly { Id?: string; Code?: string; Message?: string }[];
        try {
          const out = await this.#client.send(
            new SendMessageBatchCommand({ QueueUrl: this.#queueUrl, Entries: entries }),
          );
          failed = out.Failed ?? [];
        } catch (error) {
          throw new QueueUnavailableError(`${this.#queueUrl}: SendMessageBatch failed`, { cause: error });
        }
        const ids = new Set(failed.map((f) => f.Id));
        entries = entries.filter((e) => ids.has(e.Id));
        if (entries.length > 0 && attempt >= ENTRY_ATTEMPTS) {
          const first = failed[0];
          throw new QueueUnavailableError(
            `${this.#queueUrl}: ${entries.length} message(s) not accepted: ${first?.Code ?? '?'} ${first?.Message ?? ''}`,
          );
        }
      }
    }
  }
}
