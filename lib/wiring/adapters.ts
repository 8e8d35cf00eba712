/**
 * The adapters more than one function builds the same way from its configuration: each client counts its
 * requests for the AwsRequests metric (lib/aws/request-count.ts).
 */
import { countAwsRequests } from '../aws/request-count.ts';
import type { GatekeeperConfig } from '../config/index.ts';
import { createDynamoDbClient } from '../ledger/dynamodb-client.ts';
import { DynamoDbLedger } from '../ledger/dynamodb-ledger.ts';

/** A setting the function cannot run without: unset, the cold start fails (and is retried on the next invocation). */
export function requireSet(value: string | null, name: string): string {
  if (value === null) throw new Error(`${name} must be set`);
  return value;
}

/** The decision ledger in the table GATEKEEPER_LEDGER_TABLE names. */
export function ledgerFromConfig(config: Pick<GatekeeperConfig, 'ledgerTable'>): DynamoDbLedger {
  return new DynamoDbLedger({
    client: countAwsRequests(createDynamoDbClient()),
    tableName: requireSet(config.ledgerTable, 'GATEKEEPER_LEDGER_TABLE'),
  });
}
