/**
 * The one AWS client factory of the gatekeeper, {@link createAwsClient}, and the settings every client is built
 * with: retry mode and attempts, connection and request timeouts, keep-alive connections, region, user agent.
 * Each adapter's factory (`createEcrClient`, `createInspectorClient`, `createSnsClient`, `createDynamoDbClient`,
 * `createSqsClient`) calls it with only what differs: its client class, its defaults and the caller's options.
 *
 * Why explicit settings at all: the SDK defaults are 3 attempts and no request timeout, which would let a hung
 * connection eat a Lambda's time budget. `throwOnRequestTimeout` turns a breached request timeout into a retryable
 * TimeoutError; without it the SDK only logs a warning and keeps waiting on the hung socket.
 *
 * Type-only imports: nothing here adds code to the Lambda bundles beyond the function itself.
 */

export type RetryMode = 'adaptive' | 'standard';

/** What a caller may set on any gatekeeper AWS client; unset fields fall back to the client's defaults. */
export interface AwsClientSettings<Credentials = unknown> {
  /** AWS Region; defaults to the SDK's resolution (AWS_REGION in Lambda). */
  readonly region?: string;
  /** Explicit endpoint (tests); normally unset so AWS_ENDPOINT_URL_<SERVICE> or the real endpoint applies. */
  readonly endpoint?: string;
  /** Total attempts per call including the first, an integer from 1 to 20. */
  readonly maxAttempts?: number;
  /** `adaptive` (standard retries plus a client-side rate limiter after throttling) or `standard`. */
  readonly retryMode?: RetryMode;
  /** Time allowed to establish a connection, ms. */
  readonly connectionTimeoutMs?: number;
  /** Time allowed for one request and its response, ms; a breach throws a retryable TimeoutError. */
  readonly requestTimeoutMs?: number;
  /** Static credentials (tests); normally the SDK's default provider chain. */
  readonly credentials?: Credentials;
}

/** A client's defaults for the settings every client must have. */
export interface AwsClientDefaults {
  readonly maxAttempts: number;
  readonly retryMode: RetryMode;
  readonly connectionTimeoutMs: number;
  readonly requestTimeoutMs: number;
}

/** The SDK v3 client configuration fields the settings map to (assignable to every `<Service>ClientConfig`). */
export interface SdkClientConfig<Credentials = unknown> {
  maxAttempts: number;
  retryMode: RetryMode;
  requestHandler: {
    connectionTimeout: number;
    requestTimeout: number;
    throwOnRequestTimeout: true;
    httpAgent: { keepAlive: true };
    httpsAgent: { keepAlive: true };
  };
  customUserAgent: string;
  region?: string;
  endpoint?: string;
  credentials?: Credentials;
}

/**
 * Defaults of the clients whose APIs have low per-account rates and are called in bursts (ECR: PutImage at 10/s;
 * Inspector: its List APIs while the sweep walks every repository): five attempts, `adaptive` retries (a client-side
 * token bucket lowers the send rate after throttling), 3 s to connect, 15 s per request.
 */
export const RATE_LIMITED_CLIENT_DEFAULTS = {
  maxAttempts: 5,
  retryMode: 'adaptive',
  connectionTimeoutMs: 3_000,
  requestTimeoutMs: 15_000,
} as const satisfies AwsClientDefaults;

export const MAX_ATTEMPTS_LIMIT = 20;

/** Added to every request's user agent, so CloudTrail and the services' logs name the gatekeeper's calls. */
export const USER_AGENT = 'ecr-scan-gatekeeper';

/** Agent options for both protocols; the SDK copies them into its own agent, never changes them. */
const KEEP_ALIVE = { keepAlive: true } as const;

/**
 * Maps settings (falling back to `defaults`) to the SDK's client configuration. Optional fields are only set
 * when given, so the SDK's own resolution (region chain, AWS_ENDPOINT_URL_*, credential chain) applies otherwise.
 * Throws RangeError for a `maxAttempts` that is not an integer from 1 to 20.
 *
 * @example new ECRClient(sdkClientConfig({ region: 'eu-west-1' }, ECR_CLIENT_DEFAULTS))
 */
export function sdkClientConfig<Credentials>(
  settings: AwsClientSettings<Credentials>,
  defaults: AwsClientDefaults,
): SdkClientConfig<Credentials> {
  const maxAttempts = settings.maxAttempts ?? defaults.maxAttempts;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > MAX_ATTEMPTS_LIMIT) {
    throw new RangeError(
      `maxAttempts must be an integer from 1 to ${MAX_ATTEMPTS_LIMIT} (got ${maxAttempts})`,
    );
  }
  const config: SdkClientConfig<Credentials> = {
    maxAttempts,
    retryMode: settings.retryMode ?? defaults.retryMode,
    requestHandler: {
      connectionTimeout: settings.connectionTimeoutMs ?? defaults.connectionTimeoutMs,
      requestTimeout: settings.requestTimeoutMs ?? defaults.requestTimeoutMs,
      throwOnRequestTimeout: true,
      // Connections are kept and reused across calls (and across a warm Lambda's invocations): a TLS set-up
      // per call would cost more than most calls. Stated here rather than left to the SDK's default.
      httpAgent: KEEP_ALIVE,
      httpsAgent: KEEP_ALIVE,
    },
    customUserAgent: USER_AGENT,
  };
  if (settings.region !== undefined) config.region = settings.region;
  if (settings.endpoint !== undefined) config.endpoint = settings.endpoint;
  if (settings.credentials !== undefined) config.credentials = settings.credentials;
  return config;
}

/**
 * Builds an SDK v3 client with the gatekeeper's settings: `settings` (the caller's) over `defaults` (the
 * adapter's). The one place a client's configuration is put together; every adapter factory calls it.
 * Throws RangeError for a `maxAttempts` that is not an integer from 1 to 20.
 *
 * @example createAwsClient(ECRClient, { region: 'eu-west-1' }, ECR_CLIENT_DEFAULTS)
 */
export function createAwsClient<Client, Credentials>(
  ClientClass: new (config: SdkClientConfig<Credentials>) => Client,
  settings: AwsClientSettings<Credentials>,
  defaults: AwsClientDefaults,
): Client {
  return new ClientClass(sdkClientConfig(settings, defaults));
}
