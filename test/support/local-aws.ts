/**
 * Local AWS for tests and the demo: an ECR-compatible server, an SNS endpoint, DynamoDB (dynalite), an
 * Amazon Inspector endpoint (ECR image coverage / in-use data), an SQS endpoint (JSON protocol) and an S3 endpoint
 * (restXml, path-style), each on its own free 127.0.0.1 port, reached by the real AWS SDK v3 clients through
 * `AWS_ENDPOINT_URL_ECR` / `_SNS` / `_DYNAMODB` / `_INSPECTOR2` / `_SQS` / `_S3`. Each
 * endpoint has fault injection and call counts.
 *
 * @example
 * const aws = await startLocalAws();
 * aws.ecr.seedRepository('team/app');
 * const { digest } = aws.ecr.seedImage('team/app', { manifest, tags: ['1.0.0'] });
 * aws.faults.ecr.rateLimit('PutImage', { perSecond: 10 });
 * const ecr = aws.clients.ecr();            // real ECRClient, fast test retries
 * await ecr.send(new PutImageCommand({ … }));
 * expect(aws.callCounts().ecr.PutImage).toBe(1);
 * await aws.stop();
 */

import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { ECRClient, type ECRClientConfig } from '@aws-sdk/client-ecr';
import { Inspector2Client, type Inspector2ClientConfig } from '@aws-sdk/client-inspector2';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { SNSClient, type SNSClientConfig } from '@aws-sdk/client-sns';
import { SQSClient, type SQSClientConfig } from '@aws-sdk/client-sqs';
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import { DynamoDbProxyAdapter, startDynalite } from './dynamodb/local-dynamodb.ts';
import { EcrHttpAdapter, type EcrThrottleStyle } from './ecr/ecr-http.ts';
import { EcrService } from './ecr/ecr-service.ts';
import { type RunningEndpoint, startEndpoint } from './http/endpoint-server.ts';
import { FaultController, type OperationStats, type RateLimit } from './http/faults.ts';
import { InspectorHttpAdapter, InspectorService } from './inspector/inspector-service.ts';
import { S3Service } from './s3/s3-service.ts';
import { SnsService } from './sns/sns-service.ts';
import { type QueueSettings, SqsService } from './sqs/sqs-service.ts';
import { LocalClock } from './wire.ts';

export type { ImageSeed, ImageView, RepositorySeed, ScanHook, ScanSeed } from './ecr/ecr-service.ts';
export { EcrService } from './ecr/ecr-service.ts';
export {
  basicFindings,
  buildImage,
  buildIndex,
  enhancedFindings,
  fixtureJson,
  fixtureText,
  imageConfig,
} from './ecr/fixture-data.ts';
export { DEFAULT_ACCEPTED_MEDIA_TYPES, digestOf, MEDIA_TYPES } from './ecr/manifest.ts';
export type { FaultKind, HeldRequest, OperationStats, RateLimit } from './http/faults.ts';
export { FaultController } from './http/faults.ts';
export type { ImageCoverageSeed } from './inspector/inspector-service.ts';
export { InspectorService } from './inspector/inspector-service.ts';
export type { StoredObject } from './s3/s3-service.ts';
export { S3_MAX_PUT_OBJECT_BYTES, S3Service } from './s3/s3-service.ts';
export type { RecordedPublish } from './sns/sns-service.ts';
export { SNS_MAX_MESSAGE_BYTES, SnsService } from './sns/sns-service.ts';
export type { QueuedMessage, QueueSettings } from './sqs/sqs-service.ts';
export { SQS_DEFAULT_MAX_MESSAGE_BYTES, SQS_MAX_BATCH_ENTRIES, SqsService } from './sqs/sqs-service.ts';

export const LOCAL_REGION = 'us-east-1';
export const LOCAL_ACCOUNT_ID = '123456789012';

export interface LocalAwsOptions {
  readonly region?: string;
  readonly accountId?: string;
  /** Initial clock value; omitted → real time (still movable with `clock.advance`). */
  readonly now?: Date | string;
  /** Start dynalite (default true; skipping it saves ~100 ms when a test needs no ledger). */
  readonly dynamodb?: boolean;
  readonly ecr?: {
    /** PutImage requires uploaded config/layer blobs (LayersNotFoundException). Default false. */
    readonly requireBlobs?: boolean;
    /** Throttling as 400 ThrottlingException (default, what ECR API calls return) or HTTP 429. */
    readonly throttle?: EcrThrottleStyle['throttle'];
    /** ECR's documented PutImage quota (10/s) from the start. Default: no rate limit. */
    readonly putImageRateLimit?: RateLimit;
    readonly enhancedPageSize?: number;
    readonly restoreDelayMs?: number;
  };
  /** SNS topics created at start (names). */
  readonly snsTopics?: readonly string[];
  /**
   * SQS queues created at start, in order (a dead-letter queue before the queue that redrives to it):
   * name → settings.
   */
  readonly sqsQueues?: Readonly<Record<string, QueueSettings>>;
  /** S3 buckets created at start (names). */
  readonly s3Buckets?: readonly string[];
}

export interface ServiceCounts<T> {
  readonly ecr: Record<string, T>;
  readonly sns: Record<string, T>;
  readonly dynamodb: Record<string, T>;
}

/** Retry settings for test clients: explicit attempts, short backoff (ms). */
export interface TestRetryOptions {
  readonly maxAttempts?: number;
  /** Delay before retry n (1-based); default min(20·2ⁿ⁻¹, 200) ms plus up to 10 ms jitter. */
  readonly backoffMs?: (attempt: number) => number;
}

export interface LocalAws {
  readonly region: string;
  readonly accountId: string;
  readonly endpoints: {
    readonly ecr: string;
    readonly sns: string;
    readonly dynamodb: string | null;
    readonly inspector: string;
    readonly sqs: string;
    readonly s3: string;
  };
  /** AWS_ENDPOINT_URL_* (the SDK reads them), AWS_REGION, fake credentials; merge into process.env or a child env. */
  readonly env: Readonly<Record<string, string>>;
  /** The local ECR's state: seed and inspect methods (no HTTP, not counted). */
  readonly ecr: EcrService;
  /** The local SNS: topics and recorded publishes. */
  readonly sns: SnsService;
  /**
   * The local Amazon Inspector: seeded ECR image coverage (in-use data), an "enabled" switch. Its calls are counted
   * by `faults.inspector.callCounts()` (not in `callCounts()`, whose shape other tests pin); `resetCounts()` resets them.
   */
  readonly inspector: InspectorService;
  /**
   * The local SQS (JSON protocol): queues, visibility timeouts on the shared clock, redrive to a dead-letter
   * queue. Its calls are counted by `faults.sqs.callCounts()` (not in `callCounts()`, whose shape other tests pin).
   */
  readonly sqs: SqsService;
  /**
   * The local S3 (restXml, path-style): seeded buckets, objects in memory (`s3.object(bucket, key)`). Its calls are
   * counted by `faults.s3.callCounts()` (not in `callCounts()`, whose shape other tests pin).
   */
  readonly s3: S3Service;
  readonly faults: {
    readonly ecr: FaultController;
    readonly sns: FaultController;
    readonly dynamodb: FaultController;
    readonly inspector: FaultController;
    readonly sqs: FaultController;
    readonly s3: FaultController;
  };
  /** Shared clock of the local services (push times, scan 24 h limit, lifecycle dates). */
  readonly clock: LocalClock;
  readonly clients: {
    ecr(config?: ECRClientConfig & TestRetryOptions): ECRClient;
    sns(config?: SNSClientConfig & TestRetryOptions): SNSClient;
    dynamodb(config?: DynamoDBClientConfig & TestRetryOptions): DynamoDBClient;
    inspector(config?: Inspector2ClientConfig & TestRetryOptions): Inspector2Client;
    sqs(config?: SQSClientConfig & TestRetryOptions): SQSClient;
    s3(config?: S3ClientConfig & TestRetryOptions): S3Client;
  };
  /** Calls that reached each service, per operation (throttled and faulted requests excluded). */
  callCounts(): ServiceCounts<number>;
  /** TCP connections each endpoint accepted since it started (DynamoDB: 0 when it is not started). */
  connectionCounts(): { ecr: number; sns: number; dynamodb: number; inspector: number };
  /** attempts / calls / throttled / faulted per operation. */
  callStats(): ServiceCounts<OperationStats>;
  resetCounts(): void;
  /** Closes every server, socket and client built through `clients`. */
  stop(): Promise<void>;
}

/**
 * Starts the local ECR, SNS and DynamoDB endpoints on free ports of 127.0.0.1.
 *
 * @example
 * const aws = await startLocalAws({ snsTopics: ['gatekeeper'] });
 * Object.assign(process.env, aws.env);   // or pass aws.env to a child process
 */
export async function startLocalAws(options: LocalAwsOptions = {}): Promise<LocalAws> {
  const region = options.region ?? LOCAL_REGION;
  const accountId = options.accountId ?? LOCAL_ACCOUNT_ID;
  const clock = new LocalClock();
  if (options.now !== undefined) clock.set(options.now);

  const faults = {
    ecr: new FaultController(),
    sns: new FaultController(),
    dynamodb: new FaultController(),
    inspector: new FaultController(),
    sqs: new FaultController(),
    s3: new FaultController(),
  };
  if (options.ecr?.putImageRateLimit) faults.ecr.rateLimit('PutImage', options.ecr.putImageRateLimit);

  const ecr = new EcrService({
    registryId: accountId,
    region,
    clock,
    ...(options.ecr?.requireBlobs !== undefined ? { requireBlobs: options.ecr.requireBlobs } : {}),
    ...(options.ecr?.enhancedPageSize !== undefined
      ? { enhancedPageSize: options.ecr.enhancedPageSize }
      : {}),
    ...(options.ecr?.restoreDelayMs !== undefined ? { restoreDelayMs: options.ecr.restoreDelayMs } : {}),
  });
  const sns = new SnsService(region, accountId, clock);
  const inspector = new InspectorService({ accountId, region, clock });
  for (const topic of options.snsTopics ?? []) sns.createTopic(topic);
  const sqs = new SqsService(region, accountId, clock);
  const s3 = new S3Service(clock);
  for (const bucket of options.s3Buckets ?? []) s3.createBucket(bucket);

  const closers: (() => Promise<void> | void)[] = [];
  const clients: { destroy(): void }[] = [];
  const stop = async () => {
    for (const c of clients.splice(0)) c.destroy();
    for (const close of closers.splice(0).reverse()) await close();
  };

  try {
    const ecrEndpoint = await startEndpoint(
      new EcrHttpAdapter(ecr, options.ecr?.throttle ? { throttle: options.ecr.throttle } : {}),
      faults.ecr,
    );
    closers.push(() => ecrEndpoint.close());
    ecr.setDownloadBase(ecrEndpoint.url);
    const snsEndpoint = await startEndpoint(sns, faults.sns);
    closers.push(() => snsEndpoint.close());
    const inspectorEndpoint = await startEndpoint(new InspectorHttpAdapter(inspector), faults.inspector);
    closers.push(() => inspectorEndpoint.close());
    const sqsEndpoint = await startEndpoint(sqs, faults.sqs);
    closers.push(() => sqsEndpoint.close());
    sqs.setBaseUrl(sqsEndpoint.url);
    for (const [name, settings] of Object.entries(options.sqsQueues ?? {})) sqs.createQueue(name, settings);
    const s3Endpoint = await startEndpoint(s3, faults.s3);
    closers.push(() => s3Endpoint.close());

    let dynamoEndpoint: RunningEndpoint | null = null;
    if (options.dynamodb !== false) {
      const dynalite = await startDynalite();
      closers.push(() => dynalite.close());
      const proxy = new DynamoDbProxyAdapter(dynalite.url);
      closers.push(() => proxy.close());
      dynamoEndpoint = await startEndpoint(proxy, faults.dynamodb);
      closers.push(() => dynamoEndpoint?.close());
    }

    const env: Record<string, string> = {
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      AWS_ACCESS_KEY_ID: 'AKIDLOCALTESTONLY000',
      AWS_SECRET_ACCESS_KEY: 'local-test-secret-not-a-real-key',
      AWS_ENDPOINT_URL_ECR: ecrEndpoint.url,
      AWS_ENDPOINT_URL_SNS: snsEndpoint.url,
      AWS_ENDPOINT_URL_INSPECTOR2: inspectorEndpoint.url,
      AWS_ENDPOINT_URL_SQS: sqsEndpoint.url,
      AWS_ENDPOINT_URL_S3: s3Endpoint.url,
      ...(dynamoEndpoint ? { AWS_ENDPOINT_URL_DYNAMODB: dynamoEndpoint.url } : {}),
    };

    const base = (endpoint: string, retry: TestRetryOptions) => ({
      region,
      endpoint,
      credentials: {
        accessKeyId: env.AWS_ACCESS_KEY_ID as string,
        secretAccessKey: env.AWS_SECRET_ACCESS_KEY as string,
      },
      retryStrategy: testRetryStrategy(retry),
    });
    const track = <T extends { destroy(): void }>(client: T): T => {
      clients.push(client);
      return client;
    };

    return {
      region,
      accountId,
      endpoints: {
        ecr: ecrEndpoint.url,
        sns: snsEndpoint.url,
        dynamodb: dynamoEndpoint?.url ?? null,
        inspector: inspectorEndpoint.url,
        sqs: sqsEndpoint.url,
        s3: s3Endpoint.url,
      },
      env,
      ecr,
      sns,
      inspector,
      sqs,
      s3,
      faults,
      clock,
      clients: {
        ecr: (config = {}) =>
          track(new ECRClient({ ...base(ecrEndpoint.url, config), ...stripRetry(config) })),
        sns: (config = {}) =>
          track(new SNSClient({ ...base(snsEndpoint.url, config), ...stripRetry(config) })),
        dynamodb: (config = {}) => {
          if (!dynamoEndpoint) throw new Error('startLocalAws({ dynamodb: false }): no DynamoDB endpoint');
          return track(new DynamoDBClient({ ...base(dynamoEndpoint.url, config), ...stripRetry(config) }));
        },
        inspector: (config = {}) =>
          track(new Inspector2Client({ ...base(inspectorEndpoint.url, config), ...stripRetry(config) })),
        sqs: (config = {}) =>
          track(new SQSClient({ ...base(sqsEndpoint.url, config), ...stripRetry(config) })),
        s3: (config = {}) => track(new S3Client({ ...base(s3Endpoint.url, config), ...stripRetry(config) })),
      },
      connectionCounts: () => ({
        ecr: ecrEndpoint.connections(),
        sns: snsEndpoint.connections(),
        dynamodb: dynamoEndpoint?.connections() ?? 0,
        inspector: inspectorEndpoint.connections(),
      }),
      callCounts: () => ({
        ecr: faults.ecr.callCounts(),
        sns: faults.sns.callCounts(),
        dynamodb: faults.dynamodb.callCounts(),
      }),
      callStats: () => ({
        ecr: faults.ecr.stats(),
        sns: faults.sns.stats(),
        dynamodb: faults.dynamodb.stats(),
      }),
      resetCounts: () => {
        faults.ecr.resetCounts();
        faults.sns.resetCounts();
        faults.dynamodb.resetCounts();
        faults.inspector.resetCounts();
        faults.sqs.resetCounts();
        faults.s3.resetCounts();
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * The SDK's standard retry strategy (same error classification, same retry quota) with an explicit
 * attempt count and a short backoff so that throttling and 5xx tests take milliseconds, not seconds.
 */
export function testRetryStrategy(options: TestRetryOptions = {}): ConfiguredRetryStrategy {
  const backoff =
    options.backoffMs ?? ((attempt: number) => Math.min(20 * 2 ** (attempt - 1), 200) + Math.random() * 10);
  return new ConfiguredRetryStrategy(options.maxAttempts ?? 5, backoff);
}

function stripRetry<T extends TestRetryOptions>(config: T): Omit<T, 'maxAttempts' | 'backoffMs'> {
  const { maxAttempts: _m, backoffMs: _b, ...rest } = config;
  return rest;
}
