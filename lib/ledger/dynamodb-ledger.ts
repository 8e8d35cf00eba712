/**
 * DynamoDB adapter of the ledger port. One item per image, partition key `pk` = `registryId/repository@digest`
 * (checkpoints use `checkpoint#<name>` and decision-tag holders `tag#<registryId>/<repository>:<tag>` with a
 * `digest` attribute, which can never collide: image keys always contain `@`, tags never do). Every write is
 * conditional on the version read (`attribute_not_exists(pk)` for a first write), which is what makes a
 * decision's effects happen once across redeliveries and concurrent invocations.
 *
 * Item attributes: `pk`, `version` (N), `state`, `repository`, `digest`, and when decided `verdict`,
 * `policyVersion`, `findingsDigest`, `decidedAt`, `waiverExpiry`, `atRiskDeadline` (an approved image kept within
 * fix deadlines: when its grace ends), `deadlineCheckAt` (when the deadline check must next look at an image at
 * risk: deadline-checks.ts) (top level so an operator or the sweep can read, filter or index them), the whole
 * record as JSON in `record`, and `expiresAt` (N, TTL attribute) on records of deleted images only.
 * `policyVersion` (partition), `region` and `state` feed the index `byPolicyVersion` (table.ts): a record moves
 * to another partition as soon as it is decided under another version; gone records are filtered out.
 * `state` and `recheckAt` (the earlier of the waiver expiry day and `deadlineCheckAt`) feed the sparse index
 * `byRecheck` that the sweep and the deadline check query (no table scan).
 */
import {
  type AttributeValue,
  BatchGetItemCommand,
  type BatchGetItemCommandOutput,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  type QueryCommandOutput,
  ScanCommand,
  type ScanCommandOutput,
} from '@aws-sdk/client-dynamodb';
import { type ImageRef, imageKey } from '../events/image-ref.ts';
import { nextDeadlineCheck } from './deadline-checks.ts';
import { LedgerConflictError, LedgerCorruptError, LedgerUnavailableError } from './errors.ts';
import {
  type Checkpoint,
  type DecidedPage,
  type Ledger,
  type LedgerRecord,
  tagHolderKey,
  upgradeRecord,
} from './ledger.ts';
import {
  LEDGER_DEADLINE_CHECK_ATTRIBUTE,
  LEDGER_POLICY_VERSION_ATTRIBUTE,
  LEDGER_POLICY_VERSION_INDEX,
  LEDGER_RECHECK_ATTRIBUTE,
  LEDGER_RECHECK_INDEX,
  LEDGER_STATE_ATTRIBUTE,
  LEDGER_WAIVER_EXPIRY_ATTRIBUTE,
} from './table.ts';

export interface DynamoDbLedgerOptions {
  /** Injected client: endpoint, region and retry settings are the caller's choice. */
  readonly client: DynamoDBClient;
  readonly tableName: string;
}

const CHECKPOINT_PREFIX = 'checkpoint#';
/** BatchGetItem reads at most 100 items per request. */
const BATCH_GET_LIMIT = 100;
/** Attempts of one batch while DynamoDB returns UnprocessedKeys (the first included). */
const UNPROCESSED_ATTEMPTS = 5;

export class DynamoDbLedger implements Ledger {
  readonly #client: DynamoDBClient;
  readonly #table: string;

  constructor(options: DynamoDbLedgerOptions) {
    this.#client = options.client;
    this.#table = options.tableName;
  }

  async get(ref: ImageRef): Promise<LedgerRecord | null> {
    const key = imageKey(ref);
    const item = await this.#getItem(key);
    if (!item) return null;
    return parseRecordItem(this.#table, key, item);
  }

  async getMany(refs: readonly ImageRef[]): Promise<readonly (LedgerRecord | null)[]> {
    const keys = [...new Set(refs.map(imageKey))];
    const items = new Map<string, Record<string, AttributeValue>>();
    for (let start = 0; start < keys.length; start += BATCH_GET_LIMIT) {
      await this.#batchGet(keys.slice(start, start + BATCH_GET_LIMIT), items);
    }
    return refs.map((ref) => {
      const key = imageKey(ref);
      const item = items.get(key);
      return item ? parseRecordItem(this.#table, key, item) : null;
    });
  }

  /**
   * One BatchGetItem of at most 100 keys, then its UnprocessedKeys (DynamoDB returns them under throughput
   * limits or beyond 16 MB) again with backoff; keys still unprocessed after that make the read fail as
   * unavailable, never come back as "no record".
   */
  async #batchGet(keys: readonly string[], into: Map<string, Record<string, AttributeValue>>): Promise<void> {
    let pending: Record<string, AttributeValue>[] = keys.map((key) => ({ pk: { S: key } }));
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt >= UNPROCESSED_ATTEMPTS)
        throw new LedgerUnavailableError(
          `${this.#table}: ${pending.length} key(s) still unprocessed after ${UNPROCESSED_ATTEMPTS} BatchGetItem attempts`,
        );
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** (attempt - 1)));
      let out: BatchGetItemCommandOutput;
      try {
        out = await this.#client.send(
          new BatchGetItemCommand({
            RequestItems: { [this.#table]: { Keys: pending, ConsistentRead: true } },
          }),
        );
      } catch (error) {
        throw new LedgerUnavailableError(
          `${this.#table}: cannot read ${pending.length} record(s): ${describe(error)}`,
          { cause: error },
        );
      }
      for (const item of out.Responses?.[this.#table] ?? []) {
        const key = item.pk?.S;
        if (key !== undefined) into.set(key, item);
      }
      pending = out.UnprocessedKeys?.[this.#table]?.Keys ?? [];
    }
  }

  async put(record: LedgerRecord, expectedVersion: number): Promise<LedgerRecord> {
    const stored: LedgerRecord = { ...record, version: expectedVersion + 1 };
    const { version: _v, ...body } = stored;
    const item: Record<string, AttributeValue> = {
      pk: { S: record.key },
      version: { N: String(stored.version) },
      state: { S: stored.state },
      repository: { S: stored.image.repository },
      digest: { S: stored.image.digest },
      region: { S: stored.image.region },
      record: { S: JSON.stringify(body) },
    };
    if (stored.decision) {
      item.verdict = { S: stored.decision.verdict };
      item.policyVersion = { S: stored.decision.policyVersion };
      item.findingsDigest = { S: stored.decision.findingsDigest };
      item.decidedAt = { S: stored.decision.decidedAt };
      if (stored.state === 'decided' && stored.decision.earliestWaiverExpiry) {
        item.waiverExpiry = { S: stored.decision.earliestWaiverExpiry };
      }
      if (stored.state === 'decided' && stored.decision.atRisk?.deadline) {
        item.atRiskDeadline = { S: stored.decision.atRisk.deadline };
      }
      const check = nextDeadlineCheck(stored);
      if (check !== null) item[LEDGER_DEADLINE_CHECK_ATTRIBUTE] = { S: check };
      const recheck = [item.waiverExpiry?.S && `${item.waiverExpiry.S}T00:00:00.000Z`, check]
        .filter((t): t is string => Boolean(t))
        .sort()[0];
      if (recheck) item[LEDGER_RECHECK_ATTRIBUTE] = { S: recheck };
    }
    if (stored.expiresAt !== null) item.expiresAt = { N: String(stored.expiresAt) };
    await this.#conditionalPut(record.key, item, expectedVersion);
    return stored;
  }

  async *listDecisionsWithExpiredWaivers(now: Date): AsyncIterable<ImageRef> {
    // An expiry day starts at 00:00 UTC: recheckAt ≤ now keeps every record whose waiver expires today or before.
    yield* this.#queryDue(
      now,
      LEDGER_WAIVER_EXPIRY_ATTRIBUTE,
      now.toISOString().slice(0, 10),
      'expired waivers',
    );
  }

  async *listDecisionsPastDeadline(now: Date): AsyncIterable<ImageRef> {
    yield* this.#queryDue(now, LEDGER_DEADLINE_CHECK_ATTRIBUTE, now.toISOString(), 'fix deadline checks due');
  }

  /**
   * Pages through the sparse `byRecheck` index: the decided records whose recheck time has come, kept when their
   * own `attribute` is on or before `upTo` (the other reason for a recheck is filtered out).
   */
  async *#queryDue(now: Date, attribute: string, upTo: string, what: string): AsyncIterable<ImageRef> {
    const items = this.#items(`query index ${LEDGER_RECHECK_INDEX} for ${what}`, (startKey) =>
      this.#client.send(
        new QueryCommand({
          TableName: this.#table,
          IndexName: LEDGER_RECHECK_INDEX,
          KeyConditionExpression: '#s = :decided AND #r <= :now',
          FilterExpression: '#a <= :upTo',
          ExpressionAttributeNames: {
            '#s': LEDGER_STATE_ATTRIBUTE,
            '#r': LEDGER_RECHECK_ATTRIBUTE,
            '#a': attribute,
          },
          ExpressionAttributeValues: {
            ':decided': { S: 'decided' },
            ':now': { S: now.toISOString() },
            ':upTo': { S: upTo },
          },
          ExclusiveStartKey: startKey,
        }),
      ),
    );
    for await (const item of items) yield this.#imageOfIndexItem(item);
  }

  /**
   * Every item of a paged Query or Scan: `send` makes the request that starts at a page's key (undefined for the
   * first). A failed request is a LedgerUnavailableError that says what could not be done (`cannot ${what}`).
   */
  async *#items(
    what: string,
    send: (
      startKey: Record<string, AttributeValue> | undefined,
    ) => Promise<QueryCommandOutput | ScanCommandOutput>,
  ): AsyncIterable<Record<string, AttributeValue>> {
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      let page: QueryCommandOutput | ScanCommandOutput;
      try {
        page = await send(startKey);
      } catch (error) {
        throw new LedgerUnavailableError(`${this.#table}: cannot ${what}: ${describe(error)}`, {
          cause: error,
        });
      }
      yield* page.Items ?? [];
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }

  /** The image an index item names by its key; an item whose key is not an image key is a corrupt ledger. */
  #imageOfIndexItem(item: Record<string, AttributeValue>): ImageRef {
    const key = item.pk?.S ?? '';
    const image = imageFromKey(key, item.region?.S);
    if (!image) throw new LedgerCorruptError(`${this.#table}: index item ${key} is not an image key`);
    return image;
  }

  async listDecidedByPolicyVersion(
    policyVersion: string,
    after: string | null,
    limit: number,
  ): Promise<DecidedPage> {
    let page: QueryCommandOutput;
    try {
      page = await this.#client.send(
        new QueryCommand({
          TableName: this.#table,
          IndexName: LEDGER_POLICY_VERSION_INDEX,
          KeyConditionExpression: '#v = :v',
          // Limit counts items before the filter: a page may hold fewer images than `limit` and still go on.
          FilterExpression: '#s = :decided',
          ExpressionAttributeNames: { '#v': LEDGER_POLICY_VERSION_ATTRIBUTE, '#s': 'state' },
          ExpressionAttributeValues: { ':v': { S: policyVersion }, ':decided': { S: 'decided' } },
          Limit: limit,
          ...(after === null
            ? {}
            : {
                ExclusiveStartKey: {
                  pk: { S: after },
                  [LEDGER_POLICY_VERSION_ATTRIBUTE]: { S: policyVersion },
                },
              }),
        }),
      );
    } catch (error) {
      throw new LedgerUnavailableError(
        `${this.#table}: cannot query images decided under ${policyVersion}: ${describe(error)}`,
        { cause: error },
      );
    }
    const images = (page.Items ?? []).map((item) => this.#imageOfIndexItem(item));
    const next = page.LastEvaluatedKey?.pk?.S ?? null;
    return { images, next };
  }

  async listPolicyVersionsInUse(): Promise<string[]> {
    const versions = new Set<string>();
    const items = this.#items('list policy versions', (startKey) =>
      this.#client.send(
        new ScanCommand({
          TableName: this.#table,
          IndexName: LEDGER_POLICY_VERSION_INDEX,
          FilterExpression: '#s = :decided',
          ProjectionExpression: '#v',
          ExpressionAttributeNames: { '#v': LEDGER_POLICY_VERSION_ATTRIBUTE, '#s': 'state' },
          ExpressionAttributeValues: { ':decided': { S: 'decided' } },
          ExclusiveStartKey: startKey,
        }),
      ),
    );
    for await (const item of items) {
      const version = item[LEDGER_POLICY_VERSION_ATTRIBUTE]?.S;
      if (version) versions.add(version);
    }
    return [...versions].sort();
  }

  async getTagHolder(ref: ImageRef, tag: string): Promise<string | null> {
    const item = await this.#getItem(tagHolderKey(ref, tag));
    return item?.digest?.S ?? null;
  }

  async putTagHolder(ref: ImageRef, tag: string): Promise<void> {
    const key = tagHolderKey(ref, tag);
    try {
      await this.#client.send(
        new PutItemCommand({
          TableName: this.#table,
          Item: { pk: { S: key }, repository: { S: ref.repository }, digest: { S: ref.digest } },
        }),
      );
    } catch (error) {
      throw new LedgerUnavailableError(`${this.#table}: cannot write ${key}: ${describe(error)}`, {
        cause: error,
      });
    }
  }

  async getCheckpoint(name: string): Promise<Checkpoint | null> {
    const key = `${CHECKPOINT_PREFIX}${name}`;
    const item = await this.#getItem(key);
    if (!item) return null;
    const version = Number(item.version?.N);
    const text = item.value?.S;
    const updatedAt = item.updatedAt?.S;
    if (!Number.isInteger(version) || text === undefined || updatedAt === undefined) {
      throw new LedgerCorruptError(`${this.#table}: item ${key} is not a checkpoint`);
    }
    return { name, value: parseJson(this.#table, key, text), version, updatedAt };
  }

  async putCheckpoint(name: string, value: unknown, expectedVersion: number, now: Date): Promise<Checkpoint> {
    const key = `${CHECKPOINT_PREFIX}${name}`;
    const checkpoint: Checkpoint = {
      name,
      value,
      version: expectedVersion + 1,
      updatedAt: now.toISOString(),
    };
    await this.#conditionalPut(
      key,
      {
        pk: { S: key },
        version: { N: String(checkpoint.version) },
        value: { S: JSON.stringify(value) },
        updatedAt: { S: checkpoint.updatedAt },
      },
      expectedVersion,
    );
    return checkpoint;
  }

  async #getItem(key: string): Promise<Record<string, AttributeValue> | null> {
    try {
      const out = await this.#client.send(
        new GetItemCommand({ TableName: this.#table, Key: { pk: { S: key } }, ConsistentRead: true }),
      );
      return out.Item ?? null;
    } catch (error) {
      throw new LedgerUnavailableError(`${this.#table}: cannot read ${key}: ${describe(error)}`, {
        cause: error,
      });
    }
  }

  async #conditionalPut(key: string, item: Record<string, AttributeValue>, expectedVersion: number) {
    const condition =
      expectedVersion === 0
        ? { ConditionExpression: 'attribute_not_exists(pk)' }
        : {
            ConditionExpression: '#version = :expected',
            ExpressionAttributeNames: { '#version': 'version' },
            ExpressionAttributeValues: { ':expected': { N: String(expectedVersion) } },
          };
    try {
      await this.#client.send(new PutItemCommand({ TableName: this.#table, Item: item, ...condition }));
    } catch (error) {
      if (errorName(error) === 'ConditionalCheckFailedException') {
        throw new LedgerConflictError(key, { cause: error });
      }
      throw new LedgerUnavailableError(`${this.#table}: cannot write ${key}: ${describe(error)}`, {
        cause: error,
      });
    }
  }
}

function parseRecordItem(table: string, key: string, item: Record<string, AttributeValue>): LedgerRecord {
  const version = Number(item.version?.N);
  const text = item.record?.S;
  if (!Number.isInteger(version) || version < 1 || text === undefined) {
    throw new LedgerCorruptError(`${table}: item ${key}: missing version or record attribute`);
  }
  const body = parseJson(table, key, text);
  if (typeof body !== 'object' || body === null || (body as { key?: unknown }).key !== key) {
    throw new LedgerCorruptError(`${table}: item ${key}: record attribute does not describe this image`);
  }
  const record = body as Omit<LedgerRecord, 'version'>;
  if (!Array.isArray(record.ownTags) || typeof record.decisionSeq !== 'number' || !record.image) {
    throw new LedgerCorruptError(`${table}: item ${key}: record attribute lacks ownTags/decisionSeq/image`);
  }
  return upgradeRecord({ ...record, version });
}

/** `registryId/repository@digest` (+ region) back to the image; null when the key is not an image key. */
function imageFromKey(key: string, region: string | undefined): ImageRef | null {
  const slash = key.indexOf('/');
  const at = key.lastIndexOf('@');
  if (slash < 1 || at <= slash + 1 || !region) return null;
  return {
    registryId: key.slice(0, slash),
    region,
    repository: key.slice(slash + 1, at),
    digest: key.slice(at + 1),
  };
}

function parseJson(table: string, key: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new LedgerCorruptError(`${table}: item ${key}: stored JSON does not parse`, { cause: error });
  }
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
