/**
 * The one place an `Inspector2Client` is constructed, with explicit retry and timeout settings (the SDK defaults
 * are 3 attempts and no request timeout, which would let a hung connection eat the sweep's time budget).
 *
 * Retry mode `adaptive` (default): standard retries with exponential backoff and jitter, plus a client-side token
 * bucket that slows the send rate after throttling — the sweep lists coverage for up to 1,000 repositories in a row
 * and Inspector's List APIs have low per-account rates. Retried by the SDK: HTTP 429 ThrottlingException, HTTP 500
 * InternalServerException, 502/503/504, timeouts, connection resets. What the SDK gives up on surfaces as
 * InspectorUnavailableError.
 *
 * Local endpoints: the SDK itself reads `AWS_ENDPOINT_URL_INSPECTOR2` (and `AWS_ENDPOINT_URL`).
 */
import { Inspector2Client, type Inspector2ClientConfig } from '@aws-sdk/client-inspector2';

export interface InspectorClientOptions {
  /** AWS Region; defaults to the SDK's resolution (AWS_REGION in Lambda). */
  readonly region?: string;
  /** Explicit endpoint (tests); normally unset so AWS_ENDPOINT_URL_INSPECTOR2 or the real endpoint applies. */
  readonly endpoint?: string;
  /** Total attempts per call including the first (default 5). */
  readonly maxAttempts?: number;
  /** `adaptive` (default) or `standard`. */
  readonly retryMode?: 'adaptive' | 'standard';
  /** Time allowed to establish a connection, ms (default 3,000). */
  readonly connectionTimeoutMs?: number;
  /** Time allowed for one request and its response, ms (default 15,000). */
  readonly requestTimeoutMs?: number;
  /** Static credentials (tests); normally the SDK's default provider chain. */
  readonly credentials?: Inspector2ClientConfig['credentials'];
}

export const INSPECTOR_CLIENT_DEFAULTS = {
  maxAttempts: 5,
  retryMode: 'adaptive',
  connectionTimeoutMs: 3_000,
  requestTimeoutMs: 15_000,
} as const;

/**
 * Builds the Inspector client used by the hygiene sweep.
 *
 * @example const usage = new InspectorImageUsage({ client: createInspectorClient({ region: 'eu-west-1' }) });
 */
export function createInspectorClient(options: InspectorClientOptions = {}): Inspector2Client {
  const maxAttempts = options.maxAttempts ?? INSPECTOR_CLIENT_DEFAULTS.maxAttempts;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > 20) {
    throw new RangeError(`maxAttempts must be an integer from 1 to 20 (got ${maxAttempts})`);
  }
  const config: Inspector2ClientConfig = {
    maxAttempts,
    retryMode: options.retryMode ?? INSPECTOR_CLIENT_DEFAULTS.retryMode,
    requestHandler: {
      connectionTimeout: options.connectionTimeoutMs ?? INSPECTOR_CLIENT_DEFAULTS.connectionTimeoutMs,
      requestTimeout: options.requestTimeoutMs ?? INSPECTOR_CLIENT_DEFAULTS.requestTimeoutMs,
      throwOnRequestTimeout: true,
    },
  };
  if (options.region !== undefined) config.region = options.region;
  if (options.endpoint !== undefined) config.endpoint = options.endpoint;
  if (options.credentials !== undefined) config.credentials = options.credentials;
  return new Inspector2Client(config);
}
