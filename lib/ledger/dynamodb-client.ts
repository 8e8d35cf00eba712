/**
 * The one place the ledger's `DynamoDBClient` is built, with explicit retry and timeout settings: standard
 * retry mode (throttling and 5xx retried with backoff and jitter), 5 attempts, bounded connection and request
 * times so a slow table cannot eat a Lambda's budget. Local endpoints come from AWS_ENDPOINT_URL_DYNAMODB,
 * which the SDK reads itself.
 */
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';

export const DYNAMODB_CLIENT_DEFAULTS = {
  maxAttempts: 5,
  connectionTimeoutMs: 3_000,
  requestTimeoutMs: 5_000,
} as const;

/** @example new DynamoDbLedger({ client: createDynamoDbClient(), tableName: config.ledgerTable }) */
export function createDynamoDbClient(overrides: Partial<DynamoDBClientConfig> = {}): DynamoDBClient {
  return new DynamoDBClient({
    retryMode: 'standard',
    maxAttempts: DYNAMODB_CLIENT_DEFAULTS.maxAttempts,
    requestHandler: {
      connectionTimeout: DYNAMODB_CLIENT_DEFAULTS.connectionTimeoutMs,
      requestTimeout: DYNAMODB_CLIENT_DEFAULTS.requestTimeoutMs,
      // Without it the SDK only logs a warning when the request timeout passes and keeps waiting on a hung
      // connection; with it the call fails with a retryable TimeoutError and is retried.
      throwOnRequestTimeout: true,
    },
    ...overrides,
  });
}
