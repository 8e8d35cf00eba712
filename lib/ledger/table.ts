/**
 * The ledger table's shape, for local endpoints (tests, the demo). In AWS the table is declared in
 * serverless.yml with the same key schema, on-demand billing and `expiresAt` as its TTL attribute.
 */
import {
  CreateTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';

export const LEDGER_PARTITION_KEY = 'pk';
export const LEDGER_TTL_ATTRIBUTE = 'expiresAt';

/**
 * Global secondary index of images by the policy version of their latest decision: partition `policyVersion`
 * (the top-level attribute every record with a decision has carried from the start, so an existing table's
 * records are in the index as soon as DynamoDB has built it), sort `pk`. `region` and `state` are projected:
 * the image is read back from its key, and records that are no longer `decided` (gone) are filtered out. A
 * re-judgement after a policy change queries it per old version instead of scanning the table.
 */
export const LEDGER_POLICY_VERSION_INDEX = 'byPolicyVersion';
export const LEDGER_POLICY_VERSION_ATTRIBUTE = 'policyVersion';

/**
 * Sparse global secondary indexes the sweep and the deadline check query instead of scanning the table. Both
 * are partitioned on `state` and sorted on an attribute written only on `decided` records that need a look at a
 * given time, so only those records are in the index and `state = decided AND <sort> <= now` lists exactly the
 * ones whose time has come:
 * - `byWaiverExpiry`, sort `waiverExpiry` (YYYY-MM-DD, the earliest expiry of the waivers a decision used). Every
 *   decided record has carried it from the start, so existing records are in the index once DynamoDB built it.
 * - `byDeadlineCheck`, sort `deadlineCheckAt` (ISO-8601, lib/ledger/deadline-checks.ts `nextDeadlineCheck`: the
 *   next escalation alert or the fix deadline of an image at risk). Records written before it existed get it
 *   with their next write (the next decision, or the re-judgement after a policy change).
 * `region` is projected: the image is read back from its key.
 */
export const LEDGER_WAIVER_EXPIRY_INDEX = 'byWaiverExpiry';
export const LEDGER_WAIVER_EXPIRY_ATTRIBUTE = 'waiverExpiry';
export const LEDGER_DEADLINE_CHECK_INDEX = 'byDeadlineCheck';
export const LEDGER_DEADLINE_CHECK_ATTRIBUTE = 'deadlineCheckAt';
export const LEDGER_STATE_ATTRIBUTE = 'state';

/** Creates the ledger table if it does not exist yet (idempotent). */
export async function createLedgerTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        AttributeDefinitions: [
          { AttributeName: LEDGER_PARTITION_KEY, AttributeType: 'S' },
          { AttributeName: LEDGER_POLICY_VERSION_ATTRIBUTE, AttributeType: 'S' },
          { AttributeName: LEDGER_STATE_ATTRIBUTE, AttributeType: 'S' },
          { AttributeName: LEDGER_WAIVER_EXPIRY_ATTRIBUTE, AttributeType: 'S' },
          { AttributeName: LEDGER_DEADLINE_CHECK_ATTRIBUTE, AttributeType: 'S' },
        ],
        KeySchema: [{ AttributeName: LEDGER_PARTITION_KEY, KeyType: 'HASH' }],
        GlobalSecondaryIndexes: [
          {
            IndexName: LEDGER_POLICY_VERSION_INDEX,
            KeySchema: [
              { AttributeName: LEDGER_POLICY_VERSION_ATTRIBUTE, KeyType: 'HASH' },
              { AttributeName: LEDGER_PARTITION_KEY, KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['region', 'state'] },
          },
          ...[
            [LEDGER_WAIVER_EXPIRY_INDEX, LEDGER_WAIVER_EXPIRY_ATTRIBUTE],
            [LEDGER_DEADLINE_CHECK_INDEX, LEDGER_DEADLINE_CHECK_ATTRIBUTE],
          ].map(([IndexName, sort]) => ({
            IndexName,
            KeySchema: [
              { AttributeName: LEDGER_STATE_ATTRIBUTE, KeyType: 'HASH' as const },
              { AttributeName: sort, KeyType: 'RANGE' as const },
            ],
            Projection: { ProjectionType: 'INCLUDE' as const, NonKeyAttributes: ['region'] },
          })),
        ],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
  } catch (error) {
    if (error instanceof ResourceInUseException) return;
    throw error;
  }
  try {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: LEDGER_TTL_ATTRIBUTE, Enabled: true },
      }),
    );
  } catch {
    // Local DynamoDB-compatible servers may not implement TTL; records carry expiresAt either way.
  }
}
