/**
 * The local SNS endpoint: the awsQuery protocol that @aws-sdk/client-sns speaks (form-encoded POST,
 * XML responses) for Publish, CreateTopic and ListTopics. Every accepted Publish is recorded; Publish is
 * validated like SNS does (256 KiB for the message plus its attributes, subject rules, message structure).
 */

import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { HttpReply, ProtocolAdapter } from '../http/endpoint-server.ts';
import type { ReplyFault } from '../http/faults.ts';
import type { LocalClock } from '../wire.ts';

/** SNS message size limit: message body and all attribute names, types and values, in bytes. */
export const SNS_MAX_MESSAGE_BYTES = 262_144;
const XMLNS = 'http://sns.amazonaws.com/doc/2010-03-31/';

export interface RecordedAttribute {
  readonly DataType: string;
  readonly StringValue?: string;
  /** Base64 as sent on the wire. */
  readonly BinaryValue?: string;
}

export interface RecordedPublish {
  readonly messageId: string;
  readonly topicArn: string;
  readonly subject: string | null;
  readonly message: string;
  readonly messageStructure: string | null;
  readonly messageAttributes: Readonly<Record<string, RecordedAttribute>>;
  /** Bytes counted against the 256 KiB limit (message + attributes). */
  readonly sizeBytes: number;
  readonly publishedAt: Date;
}

class SnsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export class SnsService implements ProtocolAdapter {
  readonly #topics = new Map<string, string>();
  readonly #published: RecordedPublish[] = [];
  constructor(
    readonly region: string,
    readonly accountId: string,
    private readonly clock: LocalClock,
  ) {}

  /** Creates a topic (idempotent) and returns its ARN. */
  createTopic(name: string): string {
    if (!/^[A-Za-z0-9_-]{1,256}(\.fifo)?$/.test(name))
      throw new SnsError('InvalidParameter', 'Invalid parameter: Topic Name');
    const arn = `arn:aws:sns:${this.region}:${this.accountId}:${name}`;
    this.#topics.set(arn, name);
    return arn;
  }

  topicArns(): string[] {
    return [...this.#topics.keys()].sort();
  }

  /** Every accepted Publish, oldest first. */
  publishes(topicArn?: string): RecordedPublish[] {
    return this.#published.filter((p) => topicArn === undefined || p.topicArn === topicArn);
  }

  clearPublishes(): void {
    this.#published.length = 0;
  }

  identify(_req: IncomingMessage, body: Buffer): string | null {
    return new URLSearchParams(body.toString('utf8')).get('Action') ?? '(no action)';
  }

  handle(operation: string | null, _req: IncomingMessage, body: Buffer): HttpReply {
    const form = new URLSearchParams(body.toString('utf8'));
    try {
      switch (operation) {
        case 'Publish':
          return this.#ok('Publish', `<MessageId>${this.#publish(form)}</MessageId>`);
        case 'CreateTopic': {
          const name = form.get('Name');
          if (!name) throw new SnsError('InvalidParameter', 'Invalid parameter: Name');
          return this.#ok('CreateTopic', `<TopicArn>${xml(this.createTopic(name))}</TopicArn>`);
        }
        case 'ListTopics': {
          const members = this.topicArns()
            .map((arn) => `<member><TopicArn>${xml(arn)}</TopicArn></member>`)
            .join('');
          return this.#ok('ListTopics', `<Topics>${members}</Topics>`);
        }
        default:
          throw new SnsError(
            'InvalidAction',
            `The action ${operation ?? '(none)'} is not valid for this endpoint.`,
          );
      }
    } catch (error) {
      if (error instanceof SnsError) return this.#error(error);
      throw error;
    }
  }

  faultReply(kind: ReplyFault, operation: string): HttpReply {
    if (kind === 'throttle') return this.#error(new SnsError('Throttled', 'Rate exceeded', 429));
    if (kind === 'server-error')
      return this.#error(new SnsError('InternalError', `Injected internal error on ${operation}`, 500));
    if (kind === 'unavailable')
      return this.#error(new SnsError('ServiceUnavailable', 'Service Unavailable', 503));
    return this.#error(
      new SnsError(kind.code, kind.message ?? `Injected ${kind.code} on ${operation}`, kind.status),
    );
  }

  #publish(form: URLSearchParams): string {
    const topicArn = form.get('TopicArn') ?? form.get('TargetArn');
    if (!topicArn)
      throw new SnsError(
        'InvalidParameter',
        'Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter',
      );
    if (!this.#topics.has(topicArn)) throw new SnsError('NotFound', 'Topic does not exist', 404);
    const message = form.get('Message');
    if (message === null || message.length === 0)
      throw new SnsError('InvalidParameter', 'Invalid parameter: Empty message');
    const subject = form.get('Subject');
    if (subject !== null) validateSubject(subject);
    const structure = form.get('MessageStructure');
    if (structure !== null) {
      if (structure !== 'json') throw new SnsError('InvalidParameter', 'Invalid parameter: MessageStructure');
      let parsed: unknown;
      try {
        parsed = JSON.parse(message);
      } catch {
        throw new SnsError(
          'InvalidParameter',
          'Invalid parameter: Message Structure - JSON message body failed to parse',
        );
      }
      if (
        typeof parsed !== 'object' ||
        parsed === null ||
        typeof (parsed as Record<string, unknown>).default !== 'string'
      ) {
        throw new SnsError(
          'InvalidParameter',
          'Invalid parameter: Message Structure - No default entry in JSON message body',
        );
      }
    }
    const attributes = parseAttributes(form);
    let size = Buffer.byteLength(message, 'utf8');
    for (const [name, a] of Object.entries(attributes)) {
      size += Buffer.byteLength(name, 'utf8') + Buffer.byteLength(a.DataType, 'utf8');
      if (a.StringValue !== undefined) size += Buffer.byteLength(a.StringValue, 'utf8');
      if (a.BinaryValue !== undefined) size += Buffer.from(a.BinaryValue, 'base64').length;
    }
    if (size > SNS_MAX_MESSAGE_BYTES) {
      throw new SnsError(
        'InvalidParameter',
        `Invalid parameter: Message too long (${size} bytes with attributes; limit ${SNS_MAX_MESSAGE_BYTES})`,
      );
    }
    const messageId = randomUUID();
    this.#published.push({
      messageId,
      topicArn,
      subject,
      message,
      messageStructure: structure,
      messageAttributes: attributes,
      sizeBytes: size,
      publishedAt: this.clock.now(),
    });
    return messageId;
  }

  #ok(action: string, result: string): HttpReply {
    return {
      status: 200,
      headers: { 'content-type': 'text/xml' },
      body: `<${action}Response xmlns="${XMLNS}"><${action}Result>${result}</${action}Result><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></${action}Response>`,
    };
  }

  #error(error: SnsError): HttpReply {
    const type = error.status >= 500 ? 'Receiver' : 'Sender';
    return {
      status: error.status,
      headers: { 'content-type': 'text/xml' },
      body: `<ErrorResponse xmlns="${XMLNS}"><Error><Type>${type}</Type><Code>${xml(error.code)}</Code><Message>${xml(error.message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
    };
  }
}

function validateSubject(subject: string): void {
  // SNS: ASCII text beginning with a letter, number or punctuation; no line breaks or control characters; < 100 chars.
  if (subject.length === 0 || subject.length > 100 || !/^[\x21-\x7e][\x20-\x7e]*$/.test(subject)) {
    throw new SnsError('InvalidParameter', 'Invalid parameter: Subject');
  }
}

const ATTRIBUTE_NAME = /^[A-Za-z0-9_.-]{1,256}$/;

function parseAttributes(form: URLSearchParams): Record<string, RecordedAttribute> {
  const out: Record<string, RecordedAttribute> = {};
  for (let i = 1; ; i++) {
    const prefix = `MessageAttributes.entry.${i}`;
    const name = form.get(`${prefix}.Name`);
    if (name === null) break;
    const dataType = form.get(`${prefix}.Value.DataType`);
    const stringValue = form.get(`${prefix}.Value.StringValue`) ?? undefined;
    const binaryValue = form.get(`${prefix}.Value.BinaryValue`) ?? undefined;
    const bad = (why: string) =>
      new SnsError('ParameterValueInvalid', `The message attribute '${name}' ${why}.`);
    if (
      !ATTRIBUTE_NAME.test(name) ||
      name.startsWith('.') ||
      name.endsWith('.') ||
      name.includes('..') ||
      /^(aws\.|amazon\.)/i.test(name)
    ) {
      throw new SnsError('ParameterValueInvalid', `The message attribute name '${name}' is invalid.`);
    }
    if (!dataType) throw bad('must contain a non-empty attribute type');
    const base = dataType.split('.')[0];
    if (dataType.startsWith('String.Array')) {
      let arr: unknown;
      try {
        arr = JSON.parse(stringValue ?? '');
      } catch {
        throw bad('has an invalid String.Array value');
      }
      if (!Array.isArray(arr)) throw bad('has an invalid String.Array value');
    } else if (base === 'String') {
      if (!stringValue)
        throw bad('must contain non-empty message attribute value for message attribute type String');
    } else if (base === 'Number') {
      if (!stringValue || !/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(stringValue))
        throw bad('has an invalid numeric value');
    } else if (base === 'Binary') {
      if (!binaryValue)
        throw bad('must contain non-empty message attribute value for message attribute type Binary');
    } else {
      throw bad(`has an invalid message attribute type ${dataType}`);
    }
    if (out[name])
      throw new SnsError('ParameterValueInvalid', `Message attribute name '${name}' is duplicated.`);
    out[name] = {
      DataType: dataType,
      ...(stringValue !== undefined ? { StringValue: stringValue } : {}),
      ...(binaryValue !== undefined ? { BinaryValue: binaryValue } : {}),
    };
  }
  if (Object.keys(out).length > 10) {
    throw new SnsError(
      'ParameterValueInvalid',
      `Number of message attributes [${Object.keys(out).length}] exceeds the allowed maximum [10].`,
    );
  }
  return out;
}

function xml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}
