import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DescribeTableCommand,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { CreateTopicCommand, ListTopicsCommand, PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type LocalAws, SNS_MAX_MESSAGE_BYTES, startLocalAws } from '../../support/local-aws.ts';

let aws: LocalAws;
let sns: SNSClient;
let topicArn: string;
const errorOf = (p: Promise<unknown>) =>
  p.then(() => null).catch((e: Error & { $metadata?: { attempts?: number } }) => e);

beforeAll(async () => {
  aws = await startLocalAws({ snsTopics: ['gatekeeper-alerts'] });
  sns = aws.clients.sns({ maxAttempts: 1 });
  topicArn = aws.sns.topicArns()[0] ?? '';
});
afterAll(() => aws.stop());
afterEach(() => {
  aws.faults.sns.clear();
  aws.faults.dynamodb.clear();
  aws.sns.clearPublishes();
});

describe('SNS Publish', () => {
  it('records topic, subject, message, structure and attributes', async () => {
    const out = await sns.send(
      new PublishCommand({
        TopicArn: topicArn,
        Subject: '[gatekeeper] quarantined team/app:1.0',
        Message: JSON.stringify({ default: 'plain text', email: 'for email' }),
        MessageStructure: 'json',
        MessageAttributes: {
          verdict: { DataType: 'String', StringValue: 'quarantined' },
          severities: { DataType: 'String.Array', StringValue: '["CRITICAL","HIGH"]' },
          critical: { DataType: 'Number', StringValue: '2' },
        },
      }),
    );
    const [recorded] = aws.sns.publishes(topicArn);
    expect(recorded?.messageId).toBe(out.MessageId);
    expect(recorded?.subject).toBe('[gatekeeper] quarantined team/app:1.0');
    expect(recorded?.messageStructure).toBe('json');
    expect(JSON.parse(recorded?.message ?? '{}').email).toBe('for email');
    expect(recorded?.messageAttributes).toEqual({
      verdict: { DataType: 'String', StringValue: 'quarantined' },
      severities: { DataType: 'String.Array', StringValue: '["CRITICAL","HIGH"]' },
      critical: { DataType: 'Number', StringValue: '2' },
    });
  });

  it('counts attributes in the 256 KiB limit: exactly at the limit passes, one byte more is InvalidParameter', async () => {
    const attr = { verdict: { DataType: 'String', StringValue: 'approved' } };
    const attrBytes = 'verdict'.length + 'String'.length + 'approved'.length;
    const room = SNS_MAX_MESSAGE_BYTES - attrBytes;
    const atLimit = 'é'.repeat(Math.floor(room / 2)) + 'a'.repeat(room % 2);
    expect(Buffer.byteLength(atLimit) + attrBytes).toBe(SNS_MAX_MESSAGE_BYTES);
    await sns.send(new PublishCommand({ TopicArn: topicArn, Message: atLimit, MessageAttributes: attr }));
    const err = await errorOf(
      sns.send(new PublishCommand({ TopicArn: topicArn, Message: `${atLimit}x`, MessageAttributes: attr })),
    );
    expect(err?.name).toBe('InvalidParameterException');
    expect(err?.message).toContain('Message too long');
    expect(aws.sns.publishes()).toHaveLength(1);
  });

  it.each([
    ['a plain subject', true],
    ['x'.repeat(100), true],
    ['x'.repeat(101), false],
    ['line\nbreak', false],
    [' leading space', false],
    ['non-ascii é', false],
  ])('subject %j accepted=%s', async (subject, accepted) => {
    const err = await errorOf(
      sns.send(new PublishCommand({ TopicArn: topicArn, Subject: subject, Message: 'm' })),
    );
    expect(err === null).toBe(accepted);
    if (!accepted) expect(err?.name).toBe('InvalidParameterException');
  });

  it.each([
    ['empty message', { Message: '' }, 'InvalidParameterException'],
    [
      'json structure without default',
      { Message: '{"email":"x"}', MessageStructure: 'json' },
      'InvalidParameterException',
    ],
    [
      'unknown topic',
      { Message: 'm', TopicArn: 'arn:aws:sns:us-east-1:123456789012:nope' },
      'NotFoundException',
    ],
    [
      'reserved attribute name',
      { Message: 'm', MessageAttributes: { 'AWS.x': { DataType: 'String', StringValue: 'v' } } },
      'InvalidParameterValueException',
    ],
    [
      'bad number attribute',
      { Message: 'm', MessageAttributes: { n: { DataType: 'Number', StringValue: 'many' } } },
      'InvalidParameterValueException',
    ],
  ])('refuses %s', async (_case, input, expected) => {
    const err = await errorOf(sns.send(new PublishCommand({ TopicArn: topicArn, ...input })));
    expect(err?.name).toBe(expected);
    expect(aws.sns.publishes()).toEqual([]);
  });

  it('retries throttling and dropped connections, publishing once', async () => {
    aws.faults.sns.failNext('Publish', 1, 'throttle').failNext('Publish', 1, 'drop');
    const retrying = aws.clients.sns({ maxAttempts: 3, backoffMs: () => 1 });
    const out = await retrying.send(new PublishCommand({ TopicArn: topicArn, Message: 'once' }));
    expect(out.$metadata.attempts).toBe(3);
    expect(aws.sns.publishes().map((p) => p.message)).toEqual(['once']);
  });

  it('creates and lists topics', async () => {
    const created = await sns.send(new CreateTopicCommand({ Name: 'second' }));
    expect(created.TopicArn).toBe(`arn:aws:sns:${aws.region}:${aws.accountId}:second`);
    const listed = await sns.send(new ListTopicsCommand({}));
    expect(listed.Topics?.map((t) => t.TopicArn)).toContain(created.TopicArn);
  });
});

describe('DynamoDB (dynalite)', () => {
  it('is reachable, tables turn ACTIVE at once, conditional writes work and faults are injected', async () => {
    const ddb = aws.clients.dynamodb({ maxAttempts: 3, backoffMs: () => 1 });
    const table = await ddb.send(
      new CreateTableCommand({
        TableName: 'ledger',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    expect(table.TableDescription?.TableStatus).toBe('CREATING');
    let status: string | undefined;
    for (let i = 0; i < 50 && status !== 'ACTIVE'; i++) {
      status = (await ddb.send(new DescribeTableCommand({ TableName: 'ledger' }))).Table?.TableStatus;
      if (status !== 'ACTIVE') await new Promise((r) => setTimeout(r, 5));
    }
    expect(status).toBe('ACTIVE');
    const put = () =>
      ddb.send(
        new PutItemCommand({
          TableName: 'ledger',
          Item: { pk: { S: 'img' }, verdict: { S: 'approved' } },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    aws.faults.dynamodb.failNext('PutItem', 1, 'throttle').failNext('PutItem', 1, 'server-error');
    const first = await put();
    expect(first.$metadata.attempts).toBe(3);
    await expect(put()).rejects.toBeInstanceOf(ConditionalCheckFailedException);
    const got = await ddb.send(new GetItemCommand({ TableName: 'ledger', Key: { pk: { S: 'img' } } }));
    expect(got.Item?.verdict?.S).toBe('approved');
    expect(aws.callStats().dynamodb.PutItem).toMatchObject({ calls: 2, faulted: 2 });
  });
});
