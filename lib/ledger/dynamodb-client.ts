/**
 * The one place the ledger's `DynamoDBClient` is built, with explicit retry and timeout settings: standard
 * retry mode (throttling and 5xx retried with backoff and jitter), 5 attempts, bounded connection and request
 * times so a slow table cannot eat a Lambda's budget. Local endpoints come from AWS_ENDPOINT_URL_DYNAMODB,
 * which the SDK reads itself.
 */
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { type AwsClientDefaults, type AwsClientSettings, createAwsClient } from '../aws/client-settings.ts';

export const DYNAMODB_CLIENT_DEFAULTS = {
  maxAttempts: 5,
  retryMode: 'standard',
  connectionTimeoutMs: 3_000,
  requestTimeoutMs: 5_000,
} as const satisfies AwsClientDefaults;

/** Region, endpoint, attempts (default 5), retry mode (default `standard`), timeouts, credentials. */
export type DynamoDbClientOptions = AwsClientSettings<NonNullable<DynamoDBClientConfig['credentials']>>;

/**
 * Builds the ledger's client; unset options fall back to {@link DYNAMODB_CLIENT_DEFAULTS}.
 * @example new DynamoDbLedger({ client: createDynamoDbClient(), tableName: config.ledgerTable })
 */
export function createDynamoDbClient(options: DynamoDbClientOptions = {}): DynamoDBClient {
  return createAwsClient(DynamoDBClient, options, DYNAMODB_CLIENT_DEFAULTS);
}
