/**
 * The local SQS endpoint: the protocol @aws-sdk/client-sqs speaks today, AWS JSON 1.0 (POST `/`,
 * `Content-Type: application/x-amz-json-1.0`, `X-Amz-Target: AmazonSQS.<Operation>`, query-compatible mode:
 * errors carry `__type: com.amazonaws.sqs#<Error>` in the body and the legacy code in `x-amzn-query-error:
 * <Code>;Sender`). Standard queues (not FIFO) with CreateQueue, GetQueueUrl, SendMessage, SendMessageBatch,
 * ReceiveMessage, DeleteMessage, DeleteMessageBatch, GetQueueAttributes, PurgeQueue.
 *
 * Behaviour taken from the Amazon SQS API Reference (the operation pages named below) and the SQS Developer
 * Guide ("Amazon SQS visibility timeout", "Using dead-letter queues in Amazon SQS"):
 * - Batches (SendMessageBatch, DeleteMessageBatch): at most 10 entries (TooManyEntriesInBatchRequest), at least
 *   one (EmptyBatchRequest), entry Ids unique (BatchEntryIdsNotDistinct), up to 80 characters of alphanumerics,
 *   `-` and `_` (InvalidBatchEntryId); per-entry failures are reported in `Failed` with HTTP 200.
 * - Size: a message and the sum of a batch's messages may not exceed the queue's MaximumMessageSize, 262,144
 *   bytes (256 KiB) unless the queue sets another (SendMessage: InvalidParameterValue; SendMessageBatch:
 *   BatchRequestTooLong).
 * - Body: only the characters #x9 | #xA | #xD | #x20–#xD7FF | #xE000–#xFFFD | #x10000–#x10FFFF, at least one
 *   character (InvalidMessageContents / InvalidParameterValue).
 * - ReceiveMessage: MaxNumberOfMessages 1–10, VisibilityTimeout 0–43,200 s, WaitTimeSeconds 0–20 s; a received
 *   message is invisible for the visibility timeout, then delivered again with a new receipt handle and
 *   ApproximateReceiveCount + 1. Long polling does not wait here: the service runs on the harness's clock.
 * - DeleteMessage needs the most recent receipt handle; an older one "succeeds, but the message will not be
 *   deleted" (API_DeleteMessage). A handle this endpoint never issued: ReceiptHandleIsInvalid.
 * - Redrive: when a message's receive count exceeds the source queue's `maxReceiveCount`, SQS moves it to the
 *   `deadLetterTargetArn` queue (Developer Guide, dead-letter queues); here that happens when a message that was
 *   already received maxReceiveCount times would be received again. It keeps its message id and body.
 *
 * Not modelled: FIFO queues, message attributes (a request that carries them is rejected with
 * UnsupportedOperation, so a test never silently loses them), delay seconds, retention expiry, long-poll waiting.
 */

import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { HttpReply, ProtocolAdapter } from '../http/endpoint-server.ts';
import type { ReplyFault } from '../http/faults.ts';
import type { LocalClock } from '../wire.ts';

/** SQS's default MaximumMessageSize: 262,144 bytes (256 KiB). */
export const SQS_DEFAULT_MAX_MESSAGE_BYTES = 262_144;
/** Entries per SendMessageBatch / DeleteMessageBatch request. */
export const SQS_MAX_BATCH_ENTRIES = 10;
/** Default VisibilityTimeout of a queue: 30 s. */
export const SQS_DEFAULT_VISIBILITY_TIMEOUT_S = 30;

/** `X-Amz-Target` prefix of the SQS JSON protocol. */
const TARGET_PREFIX = 'AmazonSQS.';
const BATCH_ENTRY_ID = /^[A-Za-z0-9_-]{1,80}$/;

export interface QueueSettings {
  /** Seconds a received message stays invisible (0–43,200). Default 30. */
  readonly visibilityTimeoutSeconds?: number;
  /** Bytes (1,024–1,048,576 here). Default 262,144. */
  readonly maximumMessageSize?: number;
  /** Redrive to another queue of this service after `maxReceiveCount` receives. */
  readonly redrive?: { readonly deadLetterQueueName: string; readonly maxReceiveCount: number };
}

/** A message as the test sees it (no HTTP). */
export interface QueuedMessage {
  readonly messageId: string;
  readonly body: string;
  readonly receiveCount: number;
  /** Whether it is invisible now (received, visibility timeout not over). */
  readonly inFlight: boolean;
}

interface StoredMessage {
  readonly messageId: string;
  readonly body: string;
  readonly md5: string;
  readonly sentAt: number;
  receiveCount: number;
  firstReceivedAt: number | null;
  visibleAt: number;
  /** The receipt handle of the latest receive; older ones no longer delete. */
  handle: string | null;
}

interface Queue {
  readonly name: string;
  readonly url: string;
  readonly arn: string;
  readonly createdAt: number;
  visibilityTimeoutSeconds: number;
  maximumMessageSize: number;
  redrive: { readonly deadLetterTargetArn: string; readonly maxReceiveCount: number } | null;
  /** Oldest first. */
  readonly messages: StoredMessage[];
}

class SqsError extends Error {
  constructor(
    /** The error shape name (`__type` after `com.amazonaws.sqs#`). */
    readonly shape: string,
    message: string,
    /** The awsQueryError code the query-compatible header carries. */
    readonly queryCode: string = shape,
    readonly status = 400,
  ) {
    super(message);
  }
}

const invalidParameter = (message: string) =>
  new SqsError('InvalidParameterValue', message, 'InvalidParameterValue');
const nonExistentQueue = () =>
  new SqsError(
    'QueueDoesNotExist',
    'The specified queue does not exist.',
    'AWS.SimpleQueueService.NonExistentQueue',
  );

export class SqsService implements ProtocolAdapter {
  readonly #queues = new Map<string, Queue>();
  #baseUrl = 'http://127.0.0.1';
  #receiptSeq = 0;
  #entryFailures = 0;

  constructor(
    readonly region: string,
    readonly accountId: string,
    private readonly clock: LocalClock,
  ) {}

  /** The endpoint's URL, the origin of queue URLs (set when the endpoint has started). */
  setBaseUrl(url: string): void {
    this.#baseUrl = url.replace(/\/$/, '');
    for (const [name, queue] of this.#queues) {
      this.#queues.set(name, { ...queue, url: `${this.#baseUrl}/${this.accountId}/${name}` });
    }
  }

  /** Creates a queue (idempotent for the same name) and returns its URL. */
  createQueue(name: string, settings: QueueSettings = {}): string {
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(name)) {
      throw invalidParameter(
        `Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length (${name})`,
      );
    }
    const existing = this.#queues.get(name);
    if (existing) return existing.url;
    const queue: Queue = {
      name,
      url: `${this.#baseUrl}/${this.accountId}/${name}`,
      arn: this.arnOf(name),
      createdAt: this.clock.now().getTime(),
      visibilityTimeoutSeconds: SQS_DEFAULT_VISIBILITY_TIMEOUT_S,
      maximumMessageSize: SQS_DEFAULT_MAX_MESSAGE_BYTES,
      redrive: null,
      messages: [],
    };
    this.#configure(queue, settings);
    this.#queues.set(name, queue);
    return queue.url;
  }

  arnOf(name: string): string {
    return `arn:aws:sqs:${this.region}:${this.accountId}:${name}`;
  }

  urlOf(name: string): string {
    const queue = this.#queues.get(name);
    if (!queue) throw new Error(`local SQS: no queue named ${name}`);
    return queue.url;
  }

  /** Every message the queue holds (visible and in flight), oldest first. */
  messages(name: string): QueuedMessage[] {
    const queue = this.#queues.get(name);
    if (!queue) throw new Error(`local SQS: no queue named ${name}`);
    const now = this.clock.now().getTime();
    return queue.messages.map((m) => ({
      messageId: m.messageId,
      body: m.body,
      receiveCount: m.receiveCount,
      inFlight: m.visibleAt > now,
    }));
  }

  /**
   * The next `count` SendMessageBatch entries fail alone with a server-side `InternalError` in `Failed` (HTTP 200,
   * `SenderFault: false`): SQS reports per-entry results and asks callers to check them even on HTTP 200
   * (API_SendMessageBatch).
   */
  failNextEntries(count: number): void {
    this.#entryFailures += count;
  }

  identify(req: IncomingMessage): string | null {
    const target = req.headers['x-amz-target'];
    const value = Array.isArray(target) ? target[0] : target;
    return value?.startsWith(TARGET_PREFIX) ? value.slice(TARGET_PREFIX.length) : '(no target)';
  }

  handle(operation: string | null, _req: IncomingMessage, body: Buffer): HttpReply {
    try {
      let input: Record<string, unknown>;
      try {
        const parsed: unknown = JSON.parse(body.toString('utf8') || '{}');
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
          throw new Error('not an object');
        input = parsed as Record<string, unknown>;
      } catch {
        throw new SqsError(
          'SerializationException',
          'Request body is not a JSON object',
          'SerializationException',
        );
      }
      return ok(this.#dispatch(operation, input));
    } catch (error) {
      if (error instanceof SqsError) return errorReply(error);
      throw error;
    }
  }

  faultReply(kind: ReplyFault, operation: string): HttpReply {
    if (kind === 'throttle')
      return errorReply(new SqsError('RequestThrottled', 'Rate exceeded', 'RequestThrottled', 403));
    if (kind === 'server-error')
      return errorReply(
        new SqsError('InternalError', `Injected internal error on ${operation}`, 'InternalError', 500),
      );
    if (kind === 'unavailable')
      return errorReply(new SqsError('ServiceUnavailable', 'Service Unavailable', 'ServiceUnavailable', 503));
    return errorReply(
      new SqsError(
        kind.code,
        kind.message ?? `Injected ${kind.code} on ${operation}`,
        kind.code,
        kind.status,
      ),
    );
  }

  #dispatch(operation: string | null, input: Record<string, unknown>): Record<string, unknown> {
    switch (operation) {
      case 'CreateQueue':
        return this.#createQueueCall(input);
      case 'GetQueueUrl': {
        const queue = this.#queues.get(String(input.QueueName ?? ''));
        if (!queue) throw nonExistentQueue();
        return { QueueUrl: queue.url };
      }
      case 'SendMessage':
        return this.#sendMessage(input);
      case 'SendMessageBatch':
        return this.#sendMessageBatch(input);
      case 'ReceiveMessage':
        return this.#receiveMessage(input);
      case 'DeleteMessage': {
        const queue = this.#queue(input);
        this.#delete(queue, requireString(input.ReceiptHandle, 'ReceiptHandle'));
        return {};
      }
      case 'DeleteMessageBatch':
        return this.#deleteMessageBatch(input);
      case 'GetQueueAttributes':
        return this.#getQueueAttributes(input);
      case 'PurgeQueue':
        this.#queue(input).messages.length = 0;
        return {};
      default:
        throw new SqsError(
          'UnsupportedOperation',
          `The action ${operation ?? '(none)'} is not supported by the local SQS endpoint.`,
          'AWS.SimpleQueueService.UnsupportedOperation',
        );
    }
  }

  #queue(input: Record<string, unknown>): Queue {
    const url = requireString(input.QueueUrl, 'QueueUrl');
    const name = url.split('/').pop() ?? '';
    const queue = this.#queues.get(name);
    if (!queue || !url.endsWith(`/${this.accountId}/${name}`)) throw nonExistentQueue();
    return queue;
  }

  #configure(queue: Queue, settings: QueueSettings): void {
    if (settings.visibilityTimeoutSeconds !== undefined) {
      queue.visibilityTimeoutSeconds = intIn(
        settings.visibilityTimeoutSeconds,
        0,
        43_200,
        'VisibilityTimeout',
      );
    }
    if (settings.maximumMessageSize !== undefined) {
      queue.maximumMessageSize = intIn(settings.maximumMessageSize, 1_024, 1_048_576, 'MaximumMessageSize');
    }
    if (settings.redrive) {
      const dlq = this.#queues.get(settings.redrive.deadLetterQueueName);
      if (!dlq)
        throw invalidParameter(
          'Value for parameter RedrivePolicy is invalid. Reason: Dead letter target does not exist.',
        );
      queue.redrive = {
        deadLetterTargetArn: dlq.arn,
        maxReceiveCount: intIn(settings.redrive.maxReceiveCount, 1, 1_000, 'RedrivePolicy.maxReceiveCount'),
      };
    }
  }

  #createQueueCall(input: Record<string, unknown>): Record<string, unknown> {
    const name = requireString(input.QueueName, 'QueueName');
    const attributes = (input.Attributes ?? {}) as Record<string, string>;
    const settings: {
      visibilityTimeoutSeconds?: number;
      maximumMessageSize?: number;
      redrive?: { deadLetterQueueName: string; maxReceiveCount: number };
    } = {};
    for (const [key, value] of Object.entries(attributes)) {
      if (key === 'VisibilityTimeout') settings.visibilityTimeoutSeconds = Number(value);
      else if (key === 'MaximumMessageSize') settings.maximumMessageSize = Number(value);
      else if (key === 'RedrivePolicy') {
        const policy = JSON.parse(value) as {
          deadLetterTargetArn?: string;
          maxReceiveCount?: number | string;
        };
        settings.redrive = {
          deadLetterQueueName:
            String(policy.deadLetterTargetArn ?? '')
              .split(':')
              .pop() ?? '',
          maxReceiveCount: Number(policy.maxReceiveCount),
        };
      } else if (key !== 'MessageRetentionPeriod' && key !== 'ReceiveMessageWaitTimeSeconds') {
        throw new SqsError('InvalidAttributeName', `Unknown Attribute ${key}.`);
      }
    }
    return { QueueUrl: this.createQueue(name, settings) };
  }

  #sendMessage(input: Record<string, unknown>): Record<string, unknown> {
    const queue = this.#queue(input);
    rejectAttributes(input, 'SendMessage');
    const body = requireString(input.MessageBody, 'MessageBody');
    const problem = bodyProblem(body, queue.maximumMessageSize);
    if (problem) throw problem.tooLong ? invalidParameter(problem.message) : invalidContents(problem.message);
    const stored = this.#enqueue(queue, body);
    return { MessageId: stored.messageId, MD5OfMessageBody: stored.md5 };
  }

  #sendMessageBatch(input: Record<string, unknown>): Record<string, unknown> {
    const queue = this.#queue(input);
    const entries = batchEntries(input);
    let total = 0;
    for (const entry of entries) {
      rejectAttributes(entry, 'SendMessageBatch');
      if (typeof entry.MessageBody === 'string') total += Buffer.byteLength(entry.MessageBody, 'utf8');
    }
    if (total > queue.maximumMessageSize) {
      throw new SqsError(
        'BatchRequestTooLong',
        `Batch requests cannot be longer than ${queue.maximumMessageSize} bytes. You have sent ${total} bytes.`,
        'AWS.SimpleQueueService.BatchRequestTooLong',
      );
    }
    const successful: Record<string, unknown>[] = [];
    const failed: Record<string, unknown>[] = [];
    for (const entry of entries) {
      const id = entry.Id as string;
      const body = entry.MessageBody;
      if (typeof body !== 'string') {
        failed.push({
          Id: id,
          SenderFault: true,
          Code: 'MissingParameter',
          Message: 'The request must contain the parameter MessageBody.',
        });
        continue;
      }
      if (this.#entryFailures > 0) {
        this.#entryFailures -= 1;
        failed.push({ Id: id, SenderFault: false, Code: 'InternalError', Message: 'Injected entry failure' });
        continue;
      }
      const problem = bodyProblem(body, queue.maximumMessageSize);
      if (problem) {
        failed.push({
          Id: id,
          SenderFault: true,
          Code: problem.tooLong ? 'InvalidParameterValue' : 'InvalidMessageContents',
          Message: problem.message,
        });
        continue;
      }
      const stored = this.#enqueue(queue, body);
      successful.push({ Id: id, MessageId: stored.messageId, MD5OfMessageBody: stored.md5 });
    }
    return { Successful: successful, Failed: failed };
  }

  #enqueue(queue: Queue, body: string): StoredMessage {
    const stored: StoredMessage = {
      messageId: randomUUID(),
      body,
      md5: createHash('md5').update(body, 'utf8').digest('hex'),
      sentAt: this.clock.now().getTime(),
      receiveCount: 0,
      firstReceivedAt: null,
      visibleAt: 0,
      handle: null,
    };
    queue.messages.push(stored);
    return stored;
  }

  #receiveMessage(input: Record<string, unknown>): Record<string, unknown> {
    const queue = this.#queue(input);
    const max = optionalInt(input.MaxNumberOfMessages, 1, 10, 'MaxNumberOfMessages') ?? 1;
    const visibility =
      optionalInt(input.VisibilityTimeout, 0, 43_200, 'VisibilityTimeout') ?? queue.visibilityTimeoutSeconds;
    optionalInt(input.WaitTimeSeconds, 0, 20, 'WaitTimeSeconds');
    // System attributes only when asked for (MessageSystemAttributeNames, or the older AttributeNames).
    const wanted = new Set<unknown>([
      ...(Array.isArray(input.MessageSystemAttributeNames) ? input.MessageSystemAttributeNames : []),
      ...(Array.isArray(input.AttributeNames) ? input.AttributeNames : []),
    ]);
    const now = this.clock.now().getTime();
    const out: Record<string, unknown>[] = [];
    for (let i = 0; i < queue.messages.length && out.length < max; ) {
      const message = queue.messages[i] as StoredMessage;
      if (message.visibleAt > now) {
        i++;
        continue;
      }
      if (queue.redrive && message.receiveCount >= queue.redrive.maxReceiveCount) {
        const dlqName = queue.redrive.deadLetterTargetArn.split(':').pop() ?? '';
        const dlq = this.#queues.get(dlqName);
        if (dlq) {
          queue.messages.splice(i, 1);
          dlq.messages.push({ ...message, visibleAt: 0, handle: null });
          continue;
        }
      }
      message.receiveCount += 1;
      message.firstReceivedAt ??= now;
      message.visibleAt = now + visibility * 1000;
      this.#receiptSeq += 1;
      message.handle = Buffer.from(
        JSON.stringify({ q: queue.name, m: message.messageId, n: this.#receiptSeq }),
      ).toString('base64url');
      out.push({
        MessageId: message.messageId,
        ReceiptHandle: message.handle,
        MD5OfBody: message.md5,
        Body: message.body,
        ...pickAttributes(wanted, {
          ApproximateReceiveCount: String(message.receiveCount),
          SentTimestamp: String(message.sentAt),
          ApproximateFirstReceiveTimestamp: String(message.firstReceivedAt),
          SenderId: 'AIDALOCALSENDER000000',
        }),
      });
      i++;
    }
    return out.length > 0 ? { Messages: out } : {};
  }

  /** Deletes the message of `handle` when it is that message's latest receipt handle. */
  #delete(queue: Queue, handle: string): void {
    let decoded: { q?: unknown; m?: unknown } | null = null;
    try {
      decoded = JSON.parse(Buffer.from(handle, 'base64url').toString('utf8')) as { q?: unknown; m?: unknown };
    } catch {
      decoded = null;
    }
    if (!decoded || decoded.q !== queue.name || typeof decoded.m !== 'string') {
      throw new SqsError(
        'ReceiptHandleIsInvalid',
        `The input receipt handle "${handle}" is not a valid receipt handle.`,
        'ReceiptHandleIsInvalid',
        404,
      );
    }
    const index = queue.messages.findIndex((m) => m.handle === handle);
    if (index >= 0) queue.messages.splice(index, 1);
  }

  #deleteMessageBatch(input: Record<string, unknown>): Record<string, unknown> {
    const queue = this.#queue(input);
    const successful: Record<string, unknown>[] = [];
    const failed: Record<string, unknown>[] = [];
    for (const entry of batchEntries(input)) {
      const id = entry.Id as string;
      try {
        this.#delete(queue, requireString(entry.ReceiptHandle, 'ReceiptHandle'));
        successful.push({ Id: id });
      } catch (error) {
        if (!(error instanceof SqsError)) throw error;
        failed.push({ Id: id, SenderFault: true, Code: error.queryCode, Message: error.message });
      }
    }
    return { Successful: successful, Failed: failed };
  }

  #getQueueAttributes(input: Record<string, unknown>): Record<string, unknown> {
    const queue = this.#queue(input);
    const now = this.clock.now().getTime();
    const inFlight = queue.messages.filter((m) => m.visibleAt > now).length;
    const all: Record<string, string> = {
      QueueArn: queue.arn,
      ApproximateNumberOfMessages: String(queue.messages.length - inFlight),
      ApproximateNumberOfMessagesNotVisible: String(inFlight),
      ApproximateNumberOfMessagesDelayed: '0',
      VisibilityTimeout: String(queue.visibilityTimeoutSeconds),
      MaximumMessageSize: String(queue.maximumMessageSize),
      CreatedTimestamp: String(Math.floor(queue.createdAt / 1000)),
      ...(queue.redrive
        ? {
            RedrivePolicy: JSON.stringify({
              deadLetterTargetArn: queue.redrive.deadLetterTargetArn,
              maxReceiveCount: queue.redrive.maxReceiveCount,
            }),
          }
        : {}),
    };
    const names = Array.isArray(input.AttributeNames) ? (input.AttributeNames as unknown[]) : [];
    if (names.includes('All')) return { Attributes: all };
    const out: Record<string, string> = {};
    for (const name of names) {
      if (typeof name !== 'string' || !(name in all || name === 'RedrivePolicy')) {
        throw new SqsError('InvalidAttributeName', `Unknown Attribute ${String(name)}.`);
      }
      const value = all[name];
      if (value !== undefined) out[name] = value;
    }
    return Object.keys(out).length > 0 ? { Attributes: out } : {};
  }
}

/** The batch's entries after the documented batch checks (count, Id format, distinct Ids). */
function batchEntries(input: Record<string, unknown>): Record<string, unknown>[] {
  const entries = input.Entries;
  if (!Array.isArray(entries) || entries.length === 0) {
    throw new SqsError(
      'EmptyBatchRequest',
      'There should be at least one SendMessageBatchRequestEntry in the request.',
      'AWS.SimpleQueueService.EmptyBatchRequest',
    );
  }
  if (entries.length > SQS_MAX_BATCH_ENTRIES) {
    throw new SqsError(
      'TooManyEntriesInBatchRequest',
      `Maximum number of entries per request are ${SQS_MAX_BATCH_ENTRIES}. You have sent ${entries.length}.`,
      'AWS.SimpleQueueService.TooManyEntriesInBatchRequest',
    );
  }
  const seen = new Set<string>();
  for (const entry of entries as Record<string, unknown>[]) {
    const id = entry?.Id;
    if (typeof id !== 'string' || !BATCH_ENTRY_ID.test(id)) {
      throw new SqsError(
        'InvalidBatchEntryId',
        'A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.',
        'AWS.SimpleQueueService.InvalidBatchEntryId',
      );
    }
    if (seen.has(id)) {
      throw new SqsError(
        'BatchEntryIdsNotDistinct',
        `Id ${id} repeated.`,
        'AWS.SimpleQueueService.BatchEntryIdsNotDistinct',
      );
    }
    seen.add(id);
  }
  return entries as Record<string, unknown>[];
}

function bodyProblem(body: string, limit: number): { tooLong: boolean; message: string } | null {
  const bytes = Buffer.byteLength(body, 'utf8');
  if (bytes > limit) {
    return {
      tooLong: true,
      message: `One or more parameters are invalid. Reason: Message must be shorter than ${limit} bytes.`,
    };
  }
  if (body.length === 0) {
    return { tooLong: false, message: 'The request must contain a non-empty message body.' };
  }
  // Allowed: #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF (API_SendMessage).
  for (const char of body) {
    const c = char.codePointAt(0) as number;
    const allowed =
      c === 0x9 ||
      c === 0xa ||
      c === 0xd ||
      (c >= 0x20 && c <= 0xd7ff) ||
      (c >= 0xe000 && c <= 0xfffd) ||
      (c >= 0x10000 && c <= 0x10ffff);
    if (!allowed) {
      return {
        tooLong: false,
        message: `Invalid binary character '#x${c.toString(16).toUpperCase()}' was found in the message body, the set of allowed characters is #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF`,
      };
    }
  }
  return null;
}

function pickAttributes(
  wanted: ReadonlySet<unknown>,
  all: Record<string, string>,
): { Attributes?: Record<string, string> } {
  const picked = Object.fromEntries(
    Object.entries(all).filter(([name]) => wanted.has('All') || wanted.has(name)),
  );
  return Object.keys(picked).length > 0 ? { Attributes: picked } : {};
}

function invalidContents(message: string): SqsError {
  return new SqsError('InvalidMessageContents', message, 'InvalidMessageContents');
}

function rejectAttributes(input: Record<string, unknown>, operation: string): void {
  if (input.MessageAttributes !== undefined || input.MessageSystemAttributes !== undefined) {
    throw new SqsError(
      'UnsupportedOperation',
      `${operation}: message attributes are not supported by the local SQS endpoint.`,
      'AWS.SimpleQueueService.UnsupportedOperation',
    );
  }
}

function requireString(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new SqsError(
      'MissingParameter',
      `The request must contain the parameter ${name}.`,
      'MissingParameter',
    );
  }
  return value;
}

function intIn(value: number, min: number, max: number, name: string): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw invalidParameter(
      `Value ${value} for parameter ${name} is invalid. Reason: Must be between ${min} and ${max}.`,
    );
  }
  return value;
}

function optionalInt(value: unknown, min: number, max: number, name: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  return intIn(Number(value), min, max, name);
}

function ok(output: Record<string, unknown>): HttpReply {
  return {
    status: 200,
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': randomUUID() },
    body: JSON.stringify(output),
  };
}

function errorReply(error: SqsError): HttpReply {
  const type = error.status >= 500 ? 'Receiver' : 'Sender';
  return {
    status: error.status,
    headers: {
      'content-type': 'application/x-amz-json-1.0',
      'x-amzn-requestid': randomUUID(),
      'x-amzn-query-error': `${error.queryCode};${type}`,
    },
    body: JSON.stringify({ __type: `com.amazonaws.sqs#${error.shape}`, message: error.message }),
  };
}
