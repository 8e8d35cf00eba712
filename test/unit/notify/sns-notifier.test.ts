import type { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { describe, expect, it } from 'vitest';
import { NotifierRejectedError, NotifierUnavailableError } from '../../../lib/notify/errors.ts';
import { serialiseBodies } from '../../../lib/notify/message-size.ts';
import type { OutboundMessage } from '../../../lib/notify/notifier.ts';
import {
  createSnsClient,
  regionOfTopicArn,
  SnsNotifier,
  translateSnsError,
} from '../../../lib/notify/sns-notifier.ts';

const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:gatekeeper';
const MESSAGE: OutboundMessage = {
  subject: '[gatekeeper] QUARANTINED: team/app:1.0',
  bodies: {
    default: '{"kind":"decision"}',
    email: 'plain text',
    https: '{"version":"1.0","source":"custom"}',
  },
  attributes: { verdict: 'quarantined', tags: ['1.0', 'quarantined-1.0'], kind: 'decision' },
  dedupeKey: 'decision:k',
};

function fakeClient(answer: (command: PublishCommand) => Promise<unknown>): {
  client: SNSClient;
  sent: PublishCommand[];
} {
  const sent: PublishCommand[] = [];
  const client = {
    send: async (command: PublishCommand) => {
      sent.push(command);
      return answer(command);
    },
  } as unknown as SNSClient;
  return { client, sent };
}

function sdkError(
  name: string,
  status: number | null,
  fault: 'client' | 'server' | null = 'client',
  code?: string,
): Error {
  const error = new Error(`${name} happened`) as Error & Record<string, unknown>;
  error.name = name;
  if (status !== null) error.$metadata = { httpStatusCode: status };
  if (fault !== null) error.$fault = fault;
  if (code) error.code = code;
  return error;
}

describe('SnsNotifier.publish', () => {
  it('publishes one JSON-structured message with typed attributes and returns the message id', async () => {
    const { client, sent } = fakeClient(async () => ({ MessageId: 'm-1' }));
    await expect(new SnsNotifier(client, TOPIC).publish(MESSAGE)).resolves.toBe('m-1');
    expect(sent).toHaveLength(1);
    expect(sent[0]?.input).toEqual({
      TopicArn: TOPIC,
      Subject: MESSAGE.subject,
      MessageStructure: 'json',
      Message: serialiseBodies(MESSAGE.bodies),
      MessageAttributes: {
        kind: { DataType: 'String', StringValue: 'decision' },
        tags: { DataType: 'String.Array', StringValue: '["1.0","quarantined-1.0"]' },
        verdict: { DataType: 'String', StringValue: 'quarantined' },
      },
    });
    expect(Object.keys(JSON.parse(sent[0]?.input.Message ?? '{}'))).toEqual(['default', 'email', 'https']);
  });

  it('translates SDK failures into the module errors, keeping the cause', async () => {
    const cause = sdkError('ThrottledException', 400);
    const { client } = fakeClient(async () => {
      throw cause;
    });
    const error = await new SnsNotifier(client, TOPIC).publish(MESSAGE).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotifierUnavailableError);
    expect((error as NotifierUnavailableError).cause).toBe(cause);
    expect((error as NotifierUnavailableError).message).toContain('decision:k');
  });

  it('refuses to retry when SNS returns no message id', async () => {
    const { client } = fakeClient(async () => ({}));
    await expect(new SnsNotifier(client, TOPIC).publish(MESSAGE)).rejects.toBeInstanceOf(
      NotifierRejectedError,
    );
  });
});

describe('translateSnsError', () => {
  it.each([
    ['ThrottledException', 400, 'client', undefined, true],
    ['Throttling', 400, 'client', undefined, true],
    ['InternalErrorException', 500, 'server', undefined, true],
    ['ServiceUnavailable', 503, 'server', undefined, true],
    ['SomethingNew', 502, 'server', undefined, true],
    ['SomethingNew', 429, 'client', undefined, true],
    ['KMSThrottlingException', 400, 'client', undefined, true],
    ['TimeoutError', null, null, undefined, true],
    ['Error', null, null, 'ECONNRESET', true],
    ['InvalidParameterException', 400, 'client', undefined, false],
    ['InvalidParameterValueException', 400, 'client', undefined, false],
    ['AuthorizationErrorException', 403, 'client', undefined, false],
    ['NotFoundException', 404, 'client', undefined, false],
    ['KMSAccessDeniedException', 400, 'client', undefined, false],
    ['KMSDisabledException', 400, 'client', undefined, false],
    ['CredentialsProviderError', null, 'client', undefined, false],
    ['SomethingNew', 400, 'client', undefined, false],
  ] as const)('%s (HTTP %s) → retryable %s', (name, status, fault, code, retryable) => {
    const translated = translateSnsError(sdkError(name, status, fault, code));
    expect(translated.retryable).toBe(retryable);
    expect(translated).toBeInstanceOf(retryable ? NotifierUnavailableError : NotifierRejectedError);
    expect(translated.httpStatusCode).toBe(status);
  });

  it('a dropped connection without a name is a retryable network error', () => {
    const translated = translateSnsError(
      Object.assign(new Error('socket hang up'), { code: 'ECONNRESET', $fault: undefined }),
    );
    expect(translated).toBeInstanceOf(NotifierUnavailableError);
    expect(translated.code).toBe('ECONNRESET');
  });
});

describe('createSnsClient', () => {
  it('takes the region from the topic ARN and sets explicit retry settings', async () => {
    const client = createSnsClient({
      topicArn: 'arn:aws:sns:ap-southeast-2:123456789012:gk',
      maxAttempts: 4,
    });
    expect(await client.config.region()).toBe('ap-southeast-2');
    expect(await client.config.maxAttempts()).toBe(4);
    client.destroy();
    expect(regionOfTopicArn(TOPIC)).toBe('eu-west-1');
  });
});
