/**
 * The four client factories keep their own defaults while sharing one construction (lib/aws/client-settings.ts):
 * what each built client resolves to, read back from the client's own configuration.
 */
import { describe, expect, it } from 'vitest';
import { createInspectorClient } from '../../../lib/inspector/inspector-client.ts';
import { createDynamoDbClient } from '../../../lib/ledger/dynamodb-client.ts';
import { createSnsClient } from '../../../lib/notify/sns-notifier.ts';
import { createEcrClient } from '../../../lib/registry/ecr-client.ts';

interface BuiltClient {
  config: {
    maxAttempts: () => Promise<number>;
    retryStrategy: () => Promise<unknown>;
    region: () => Promise<string>;
    requestHandler?: unknown;
  };
  destroy(): void;
}

const TOPIC = 'arn:aws:sns:ap-southeast-2:123456789012:gk';

async function resolved(client: BuiltClient) {
  try {
    const strategy = (await client.config.retryStrategy()) as { mode?: string };
    return {
      maxAttempts: await client.config.maxAttempts(),
      mode: strategy.mode,
      region: await client.config.region(),
    };
  } finally {
    client.destroy();
  }
}

describe('client factories', () => {
  it.each<[string, () => BuiltClient, { maxAttempts: number; mode: string; region: string }]>([
    [
      'ECR',
      () => createEcrClient({ region: 'eu-west-1' }),
      { maxAttempts: 5, mode: 'adaptive', region: 'eu-west-1' },
    ],
    [
      'Inspector',
      () => createInspectorClient({ region: 'eu-west-1' }),
      { maxAttempts: 5, mode: 'adaptive', region: 'eu-west-1' },
    ],
    [
      'SNS',
      () => createSnsClient({ topicArn: TOPIC }),
      { maxAttempts: 3, mode: 'standard', region: 'ap-southeast-2' },
    ],
    [
      'DynamoDB',
      () => createDynamoDbClient({ region: 'us-east-2' }),
      { maxAttempts: 5, mode: 'standard', region: 'us-east-2' },
    ],
  ])('%s keeps its defaults', async (_name, build, expected) => {
    expect(await resolved(build())).toEqual(expected);
  });

  it.each<[string, () => BuiltClient, { maxAttempts: number; mode: string; region: string }]>([
    [
      'ECR',
      () => createEcrClient({ region: 'us-west-2', maxAttempts: 2, retryMode: 'standard' }),
      { maxAttempts: 2, mode: 'standard', region: 'us-west-2' },
    ],
    [
      'Inspector',
      () => createInspectorClient({ region: 'us-west-2', maxAttempts: 2, retryMode: 'standard' }),
      { maxAttempts: 2, mode: 'standard', region: 'us-west-2' },
    ],
    [
      'SNS',
      () => createSnsClient({ topicArn: TOPIC, region: 'us-west-2', maxAttempts: 4 }),
      { maxAttempts: 4, mode: 'standard', region: 'us-west-2' },
    ],
    [
      'DynamoDB',
      () => createDynamoDbClient({ region: 'us-west-2', maxAttempts: 2, retryMode: 'adaptive' }),
      { maxAttempts: 2, mode: 'adaptive', region: 'us-west-2' },
    ],
  ])('%s honours overrides', async (_name, build, expected) => {
    expect(await resolved(build())).toEqual(expected);
  });

  it.each<[string, () => unknown]>([
    ['ECR', () => createEcrClient({ maxAttempts: 0 })],
    ['Inspector', () => createInspectorClient({ maxAttempts: 21 })],
    ['SNS', () => createSnsClient({ topicArn: TOPIC, maxAttempts: 1.5 })],
  ])('%s refuses an out-of-range maxAttempts', (_name, build) => {
    expect(build).toThrow(RangeError);
  });
});
