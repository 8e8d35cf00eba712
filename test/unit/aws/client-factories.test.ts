/**
 * The five client factories build through one factory (lib/aws/client-settings.ts createAwsClient): every client
 * gets the same shared settings (request timeout that throws, keep-alive connections, the gatekeeper's user agent)
 * and its own defaults, read back from the built client's own configuration.
 */
import { describe, expect, it } from 'vitest';
import { type AwsClientDefaults, USER_AGENT } from '../../../lib/aws/client-settings.ts';
import { createInspectorClient, INSPECTOR_CLIENT_DEFAULTS } from '../../../lib/inspector/inspector-client.ts';
import { createDynamoDbClient, DYNAMODB_CLIENT_DEFAULTS } from '../../../lib/ledger/dynamodb-client.ts';
import { createSnsClient, SNS_RETRY_DEFAULTS } from '../../../lib/notify/sns-notifier.ts';
import { createEcrClient, ECR_CLIENT_DEFAULTS } from '../../../lib/registry/ecr-client.ts';
import { createS3Client, S3_CLIENT_DEFAULTS } from '../../../lib/registry-snapshot/s3-snapshot-store.ts';
import { createSqsClient, SQS_CLIENT_DEFAULTS } from '../../../lib/rejudge/sqs-queue.ts';

interface BuiltClient {
  config: {
    maxAttempts: () => Promise<number>;
    retryStrategy: () => Promise<unknown>;
    region: () => Promise<string>;
    customUserAgent?: unknown;
    requestHandler?: unknown;
  };
  destroy(): void;
}

interface HandlerConfig {
  connectionTimeout?: number;
  requestTimeout?: number;
  throwOnRequestTimeout?: boolean;
  httpsAgent?: { keepAlive?: boolean };
  httpAgentProvider?: () => Promise<{ keepAlive?: boolean; destroy(): void }>;
}

const TOPIC = 'arn:aws:sns:ap-southeast-2:123456789012:gk';

async function resolved(client: BuiltClient) {
  try {
    const strategy = (await client.config.retryStrategy()) as { mode?: string };
    const handler = client.config.requestHandler as { configProvider: Promise<HandlerConfig> };
    const http = await handler.configProvider;
    const httpAgent = await http.httpAgentProvider?.();
    httpAgent?.destroy();
    return {
      maxAttempts: await client.config.maxAttempts(),
      mode: strategy.mode,
      region: await client.config.region(),
      connectionTimeoutMs: http.connectionTimeout,
      requestTimeoutMs: http.requestTimeout,
      throwOnRequestTimeout: http.throwOnRequestTimeout,
      httpsKeepAlive: http.httpsAgent?.keepAlive,
      httpKeepAlive: httpAgent?.keepAlive,
      userAgent: client.config.customUserAgent,
    };
  } finally {
    client.destroy();
  }
}

/** What every client must resolve to: its defaults plus the settings all clients share. */
function expected(defaults: AwsClientDefaults, region: string) {
  return {
    maxAttempts: defaults.maxAttempts,
    mode: defaults.retryMode,
    region,
    connectionTimeoutMs: defaults.connectionTimeoutMs,
    requestTimeoutMs: defaults.requestTimeoutMs,
    throwOnRequestTimeout: true,
    httpsKeepAlive: true,
    httpKeepAlive: true,
    userAgent: [[USER_AGENT]],
  };
}

describe('client factories', () => {
  it.each<[string, () => BuiltClient, AwsClientDefaults, string]>([
    ['ECR', () => createEcrClient({ region: 'eu-west-1' }), ECR_CLIENT_DEFAULTS, 'eu-west-1'],
    [
      'Inspector',
      () => createInspectorClient({ region: 'eu-west-1' }),
      INSPECTOR_CLIENT_DEFAULTS,
      'eu-west-1',
    ],
    ['SNS', () => createSnsClient({ topicArn: TOPIC }), SNS_RETRY_DEFAULTS, 'ap-southeast-2'],
    ['DynamoDB', () => createDynamoDbClient({ region: 'us-east-2' }), DYNAMODB_CLIENT_DEFAULTS, 'us-east-2'],
    ['SQS', () => createSqsClient({ region: 'us-east-2' }), SQS_CLIENT_DEFAULTS, 'us-east-2'],
    ['S3', () => createS3Client({ region: 'eu-central-1' }), S3_CLIENT_DEFAULTS, 'eu-central-1'],
  ])('%s gets the shared settings and its own defaults', async (_name, build, defaults, region) => {
    expect(await resolved(build())).toEqual(expected(defaults, region));
  });

  it('the per-client defaults are what the adapters document', () => {
    expect({
      ecr: ECR_CLIENT_DEFAULTS,
      inspector: INSPECTOR_CLIENT_DEFAULTS,
      sns: SNS_RETRY_DEFAULTS,
      dynamodb: DYNAMODB_CLIENT_DEFAULTS,
      sqs: SQS_CLIENT_DEFAULTS,
      s3: S3_CLIENT_DEFAULTS,
    }).toEqual({
      ecr: { maxAttempts: 5, retryMode: 'adaptive', connectionTimeoutMs: 3_000, requestTimeoutMs: 15_000 },
      inspector: {
        maxAttempts: 5,
        retryMode: 'adaptive',
        connectionTimeoutMs: 3_000,
        requestTimeoutMs: 15_000,
      },
      sns: { maxAttempts: 3, retryMode: 'standard', connectionTimeoutMs: 2_000, requestTimeoutMs: 5_000 },
      dynamodb: {
        maxAttempts: 5,
        retryMode: 'standard',
        connectionTimeoutMs: 3_000,
        requestTimeoutMs: 5_000,
      },
      sqs: { maxAttempts: 5, retryMode: 'standard', connectionTimeoutMs: 3_000, requestTimeoutMs: 5_000 },
      s3: { maxAttempts: 5, retryMode: 'standard', connectionTimeoutMs: 3_000, requestTimeoutMs: 120_000 },
    });
  });

  const overrides = {
    region: 'us-west-2',
    maxAttempts: 2,
    connectionTimeoutMs: 111,
    requestTimeoutMs: 222,
  } as const;
  it.each<[string, () => BuiltClient, 'adaptive' | 'standard']>([
    ['ECR', () => createEcrClient({ ...overrides, retryMode: 'standard' }), 'standard'],
    ['Inspector', () => createInspectorClient({ ...overrides, retryMode: 'standard' }), 'standard'],
    ['SNS', () => createSnsClient({ topicArn: TOPIC, ...overrides, retryMode: 'adaptive' }), 'adaptive'],
    ['DynamoDB', () => createDynamoDbClient({ ...overrides, retryMode: 'adaptive' }), 'adaptive'],
    ['SQS', () => createSqsClient({ ...overrides, retryMode: 'adaptive' }), 'adaptive'],
    ['S3', () => createS3Client({ ...overrides, retryMode: 'adaptive' }), 'adaptive'],
  ])('%s honours overrides', async (_name, build, mode) => {
    expect(await resolved(build())).toEqual(expected({ ...overrides, retryMode: mode }, overrides.region));
  });

  it.each<[string, () => unknown]>([
    ['ECR', () => createEcrClient({ maxAttempts: 0 })],
    ['Inspector', () => createInspectorClient({ maxAttempts: 21 })],
    ['SNS', () => createSnsClient({ topicArn: TOPIC, maxAttempts: 1.5 })],
    ['DynamoDB', () => createDynamoDbClient({ maxAttempts: 0 })],
    ['SQS', () => createSqsClient({ maxAttempts: 21 })],
    ['S3', () => createS3Client({ maxAttempts: 0 })],
  ])('%s refuses an out-of-range maxAttempts', (_name, build) => {
    expect(build).toThrow(RangeError);
  });
});
