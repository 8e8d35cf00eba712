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
 * `noRetryOnScanLimit` in ecr-scans.ts), independent of how the client was built.
 *
 * Local endpoints: the SDK itself reads `AWS_ENDPOINT_URL_ECR` (and `AWS_ENDPOINT_URL`), so tests and the
 * demo point the real client at the local ECR without any option here.
 */
import { ECRClient, type ECRClientConfig } from '@aws-sdk/client-ecr';
import {
  type AwsClientSettings,
  createAwsClient,
  RATE_LIMITED_CLIENT_DEFAULTS,
} from '../aws/client-settings.ts';

/** Region, endpoint, attempts (default 5), retry mode (default `adaptive`), timeouts, credentials. */
export type EcrClientOptions = AwsClientSettings<NonNullable<ECRClientConfig['credentials']>>;

export const ECR_CLIENT_DEFAULTS = RATE_LIMITED_CLIENT_DEFAULTS;

/**
 * Builds the ECR client used by every handler and by the CLI.
 *
 * @example const registry = new EcrRegistry({ client: createEcrClient({ region: 'eu-west-1' }) });
 */
export function createEcrClient(options: EcrClientOptions = {}): ECRClient {
  return createAwsClient(ECRClient, options, ECR_CLIENT_DEFAULTS);
}
