/** DynamoDbLedger over HTTP against dynalite (the real DynamoDB client), including faults and corrupt items. */
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbLedger } from '../../../lib/ledger/dynamodb-ledger.ts';
import { LedgerCorruptError, LedgerUnavailableError } from '../../../lib/ledger/errors.ts';
import { newLedgerRecord } from '../../../lib/ledger/ledger.ts';
import { createLedgerTable } from '../../../lib/ledger/table.ts';
import { type LocalAws, startLocalAws } from '../../support/local-aws.ts';
import { decided, ledgerContract } from '../../unit/ledger/ledger-contract.ts';

let aws: LocalAws;
const TABLE = 'gatekeeper-ledger';

beforeAll(async () => {
  aws = await startLocalAws();
  await createLedgerTable(aws.clients.dynamodb(), TABLE);
});
afterAll(() => aws?.stop());

describe('DynamoDbLedger (dynalite)', () => {
  ledgerContract(() => new DynamoDbLedger({ client: aws.clients.dynamodb(), tableName: TABLE }));

  it('stores the key and the audit fields as top-level attributes', async () => {
    const client = aws.clients.dynamodb();
    const ledger = new DynamoDbLedger({ client, tableName: TABLE });
    const image = {
      registryId: '123456789012',
      region: 'us-east-1',
      repository: 'audit/app',
      digest: `sha256:${'d'.repeat(64)}`,
    };
    const key = `123456789012/audit/app@${image.digest}`;
    const first = await ledger.put(newLedgerRecord(key, image, new Date('2026-11-23T00:00:00Z')), 0);
    await ledger.put({ ...decided(first, '2027-01-01'), expiresAt: 1_900_000_000 }, first.version);
    const item = (await client.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: key } } }))).Item;
    expect(item?.verdict?.S).toBe('approved');
    expect(item?.policyVersion?.S).toMatch(/^sha256:/);
    expect(item?.findingsDigest?.S).toMatch(/^sha256:/);
    expect(item?.waiverExpiry?.S).toBe('2027-01-01');
    expect(item?.expiresAt?.N).toBe('1900000000');
    expect(item?.version?.N).toBe('2');
    expect(item?.atRiskDeadline).toBeUndefined();

    const current = await ledger.get(image);
    const decision = current?.decision;
    if (!current || !decision) throw new Error('decided record expected');
    const deadline = '2026-11-26T00:00:00.000Z';
    await ledger.put({ ...current, decision: { ...decision, atRisk: { deadline, violations: 1 } } }, 2);
    const atRisk = (await client.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: key } } })))
      .Item;
    expect(atRisk?.atRiskDeadline?.S).toBe(deadline);
    // No escalation alert sent yet: the deadline check is due at the decision that put it at risk.
    expect(atRisk?.deadlineCheckAt?.S).toBe(decision.decidedAt);
    // The recheck index key is the earlier of that and the start of the waiver's expiry day.
    expect(atRisk?.recheckAt?.S).toBe(decision.decidedAt);
    expect(item?.recheckAt?.S).toBe('2027-01-01T00:00:00.000Z');
  });

  it('finds expired waivers and due deadline checks by querying sparse indexes, never scanning the table', async () => {
    // Prepare: record every command the ledger sends.
    const client = aws.clients.dynamodb();
    const sent: { name: string; index: string | undefined }[] = [];
    const send = client.send.bind(client);
    client.send = ((command: { constructor: { name: string }; input: { IndexName?: string } }) => {
      sent.push({ name: command.constructor.name, index: command.input.IndexName });
      return send(command as never);
    }) as typeof client.send;
    const ledger = new DynamoDbLedger({ client, tableName: TABLE });
    // Act
    for await (const _ of ledger.listDecisionsWithExpiredWaivers(new Date('2030-01-01T00:00:00Z'))) {
      // drain
    }
    for await (const _ of ledger.listDecisionsPastDeadline(new Date('2030-01-01T00:00:00Z'))) {
      // drain
    }
    // Assess
    expect(sent.length).toBeGreaterThanOrEqual(2);
    expect(sent.every((c) => c.name === 'QueryCommand')).toBe(true);
    expect(new Set(sent.map((c) => c.index))).toEqual(new Set(['byRecheck']));
  });

  it('refuses an item that is not a ledger record, naming the table and key', async () => {
    const client = aws.clients.dynamodb();
    const image = {
      registryId: '123456789012',
      region: 'us-east-1',
      repository: 'bad/app',
      digest: `sha256:${'e'.repeat(64)}`,
    };
    const key = `123456789012/bad/app@${image.digest}`;
    await client.send(
      new PutItemCommand({
        TableName: TABLE,
        Item: { pk: { S: key }, version: { N: '1' }, record: { S: '{not json' } },
      }),
    );
    const ledger = new DynamoDbLedger({ client, tableName: TABLE });
    await expect(ledger.get(image)).rejects.toThrow(LedgerCorruptError);
    await expect(ledger.get(image)).rejects.toThrow(/gatekeeper-ledger: item 123456789012\/bad\/app@/);
  });

  it('retries transient faults and surfaces what it cannot absorb as LedgerUnavailableError', async () => {
    const ledger = new DynamoDbLedger({ client: aws.clients.dynamodb({ maxAttempts: 3 }), tableName: TABLE });
    const image = {
      registryId: '123456789012',
      region: 'us-east-1',
      repository: 'flaky/app',
      digest: `sha256:${'f'.repeat(64)}`,
    };
    const key = `123456789012/flaky/app@${image.digest}`;
    aws.faults.dynamodb.failNext('PutItem', 2, 'server-error');
    await ledger.put(newLedgerRecord(key, image, new Date()), 0);
    expect((await ledger.get(image))?.version).toBe(1);

    aws.faults.dynamodb.failNext('GetItem', 5, 'throttle');
    await expect(ledger.get(image)).rejects.toBeInstanceOf(LedgerUnavailableError);
    aws.faults.dynamodb.failNext('BatchGetItem', 2, 'server-error');
    expect((await ledger.getMany([image]))[0]?.version).toBe(1);
    aws.faults.dynamodb.failNext('BatchGetItem', 5, 'throttle');
    await expect(ledger.getMany([image])).rejects.toBeInstanceOf(LedgerUnavailableError);
    aws.faults.dynamodb.clear();
  });

  it('says which listing failed when a Query or Scan page cannot be read', async () => {
    const ledger = new DynamoDbLedger({ client: aws.clients.dynamodb({ maxAttempts: 1 }), tableName: TABLE });
    const drain = async (images: AsyncIterable<unknown>) => {
      for await (const _ of images) {
        // drain
      }
    };
    aws.faults.dynamodb.failNext('Query', 1, 'throttle');
    const past = drain(ledger.listDecisionsPastDeadline(new Date('2030-01-01T00:00:00Z')));
    await expect(past).rejects.toBeInstanceOf(LedgerUnavailableError);
    await expect(past).rejects.toThrow(/^gatekeeper-ledger: cannot query index byRecheck for /);
    aws.faults.dynamodb.failNext('Scan', 1, 'throttle');
    const versions = ledger.listPolicyVersionsInUse();
    await expect(versions).rejects.toBeInstanceOf(LedgerUnavailableError);
    await expect(versions).rejects.toThrow(/^gatekeeper-ledger: cannot list policy versions: /);
    aws.faults.dynamodb.clear();
  });
});
