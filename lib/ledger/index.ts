/** Decision ledger module entry: the port, the DynamoDB and in-memory adapters, the table shape. */
export { createDynamoDbClient, DYNAMODB_CLIENT_DEFAULTS } from './dynamodb-client.ts';
export { DynamoDbLedger, type DynamoDbLedgerOptions } from './dynamodb-ledger.ts';
export { LedgerConflictError, LedgerCorruptError, LedgerUnavailableError } from './errors.ts';
export {
  type Checkpoint,
  GONE_RECORD_TTL_SECONDS,
  type Ledger,
  type LedgerRecord,
  type LedgerState,
  type NotificationRecord,
  type NotificationState,
  newLedgerRecord,
  type RecordedDecision,
  type RecordedViolation,
} from './ledger.ts';
export { MemoryLedger } from './memory-ledger.ts';
export { createLedgerTable, LEDGER_PARTITION_KEY, LEDGER_TTL_ATTRIBUTE } from './table.ts';
