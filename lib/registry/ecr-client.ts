/**
 * The one place an `ECRClient` is constructed, with explicit retry and timeout settings (the SDK defaults
 * are 3 attempts and no request timeout at all, which would let a hung connection eat a Lambda's budget).
 *
 * Retry mode `adaptive` (default): standard retries (exponential backoff with jitter; throttling errors get
 * a longer base delay) plus a client-side token bucket that lowers the send rate after throttling. That
 * matters for PutImage, ECR's tightest quota (10/s): a burst of retags slows itself down instead of
 * failing. Retried by the SDK: HTTP 429, throttling codes, HTTP 500/502/503/504, timeouts, connection
 * resets. What the SDK gives up on surfaces as RegistryUnavailableError (Lambda/EventBridge retry later).
 *
 * StartImageScan's LimitExceededException ("one scan per image per 24 hours") is in the SDK's throttling
 * list and would be retried pointlessly; EcrRegistry.startScan short-circuits it per command (see
 * `noRetryOnScanLimit` in ecr-registry.ts), independent of how the client was built.
 *
 * Local endpoints: the SDK itself reads `AWS_ENDPOINT_URL_ECR` (and `AWS_ENDPOINT_URL`), so tests and the
 * demo point the real client at the local ECR without any option here.
 */
import { ECRClient, type ECRClientConfig } from '@aws-sdk/client-ecr';

export interface EcrClientOptions {
  /** AWS Region; defaults to the SDK's resolution (AWS_REGION in Lambda). */
  readonly region?: string;
  /** Explicit endpoint (tests); normally left unset so AWS_ENDPOINT_URL_ECR or the real endpoint applies. */
  readonly endpoint?: string;
  /** Total attempts per call including the first (default 5). */
  readonly maxAttempts?: number;
  /** `adaptive` (default) or `standard`. */
  readonly retryMode?: 'adaptive' | 'standard';
  /** Time allowed to establish a connection, ms (default 3,000). */
  readonly connectionTimeoutMs?: number;
  /** Time allowed for one request and its response, ms (default 15,000); a breach throws a retryable TimeoutError. */
  readonly requestTimeoutMs?: number;
  /** Static credentials (tests); normally the SDK's default provider chain. */
  readonly credentials?: ECRClientConfig['credentials'];
}

export const ECR_CLIENT_DEFAULTS = {
  maxAttempts: 5,
  retryMode: 'adaptive',
  connectionTimeoutMs: 3_000,
  requestTimeoutMs: 15_000,
} as const;

/**
 * Builds the ECR client used by every handler and by the CLI.
 *
 * @example const registry = new EcrRegistry({ client: createEcrClient({ region: 'eu-west-1' }) });
 */
export function createEcrClient(options: EcrClientOptions = {}): ECRClient {
  const maxAttempts = options.maxAttempts ?? ECR_CLIENT_DEFAULTS.maxAttempts;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > 20) {
    throw new RangeError(`maxAttempts must be an integer from 1 to 20 (got ${maxAttempts})`);
  }
  const config: ECRClientConfig = {
    maxAttempts,
    retryMode: options.retryMode ?? ECR_CLIENT_DEFAULTS.retryMode,
    requestHandler: {
      connectionTimeout: options.connectionTimeoutMs ?? ECR_CLIENT_DEFAULTS.connectionTimeoutMs,
      requestTimeout: options.requestTimeoutMs ?? ECR_CLIENT_DEFAULTS.requestTimeoutMs,
      throwOnRequestTimeout: true,
    },
  };
  if (options.region !== undefined) config.region = options.region;
  if (options.endpoint !== undefined) config.endpoint = options.endpoint;
  if (options.credentials !== undefined) config.credentials = options.credentials;
  return new ECRClient(config);
}
