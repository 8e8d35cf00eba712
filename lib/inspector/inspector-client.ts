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
import {
  type AwsClientSettings,
  createAwsClient,
  RATE_LIMITED_CLIENT_DEFAULTS,
} from '../aws/client-settings.ts';

/** Region, endpoint, attempts (default 5), retry mode (default `adaptive`), timeouts, credentials. */
export type InspectorClientOptions = AwsClientSettings<NonNullable<Inspector2ClientConfig['credentials']>>;

export const INSPECTOR_CLIENT_DEFAULTS = RATE_LIMITED_CLIENT_DEFAULTS;

/**
 * Builds the Inspector client used by the hygiene sweep.
 *
 * @example const usage = new InspectorImageUsage({ client: createInspectorClient({ region: 'eu-west-1' }) });
 */
export function createInspectorClient(options: InspectorClientOptions = {}): Inspector2Client {
  return createAwsClient(Inspector2Client, options, INSPECTOR_CLIENT_DEFAULTS);
}
