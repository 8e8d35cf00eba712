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
 * Sparse global secondary index of the records that need a look at a given time, which the sweep and the fix
 * deadline check query instead of scanning the table: partition `state`, sort `recheckAt` (ISO-8601), written
 * only on `decided` records as the earliest of the start of their earliest waiver's expiry day (`waiverExpiry`)
 * and their next fix-deadline check (`deadlineCheckAt`, lib/ledger/deadline-checks.ts `nextDeadlineCheck`: the
 * next escalation alert or the deadline of an image at risk). So only those records are in the index, and
 * `state = decided AND recheckAt <= now` lists exactly the ones whose time has come; each listing filters on its
 * own attribute (both projected). One index, not two: DynamoDB creates one index per table update, and
 * CloudFormation cannot add two to an existing table in one deploy.
 * Records written before the index existed get `recheckAt` with their next write: the next decision about the
 * image, or the re-judgement that follows a policy change (an expired exception fails `policy validate`, so its
 * removal is such a change).
 */
export const LEDGER_RECHECK_INDEX = 'byRecheck';
export const LEDGER_RECHECK_ATTRIBUTE = 'recheckAt';
export const LEDGER_WAIVER_EXPIRY_ATTRIBUTE = 'waiverExpiry';
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
          { AttributeName: LEDGER_RECHECK_ATTRIBUTE, AttributeType: 'S' },
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
          {
            IndexName: LEDGER_RECHECK_INDEX,
            KeySchema: [
              { AttributeName: LEDGER_STATE_ATTRIBUTE, KeyType: 'HASH' },
              { AttributeName: LEDGER_RECHECK_ATTRIBUTE, KeyType: 'RANGE' },
            ],
            Projection: {
              ProjectionType: 'INCLUDE',
              NonKeyAttributes: ['region', LEDGER_WAIVER_EXPIRY_ATTRIBUTE, LEDGER_DEADLINE_CHECK_ATTRIBUTE],
            },
          },
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
