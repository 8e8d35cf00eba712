/**
 * In-memory ledger with the same optimistic-concurrency contract as the DynamoDB adapter. For unit tests and
 * the offline CLI (`gatekeeper replay`); records are deep-copied in and out so callers cannot alias them.
 */
import { type ImageRef, imageKey } from '../events/image-ref.ts';
import { nextDeadlineCheck } from './deadline-checks.ts';
import { LedgerConflictError } from './errors.ts';
import {
  type Checkpoint,
  type DecidedPage,
  type Ledger,
  type LedgerRecord,
  tagHolderKey,
  upgradeRecord,
} from './ledger.ts';

export class MemoryLedger implements Ledger {
  readonly records = new Map<string, LedgerRecord>();
  readonly checkpoints = new Map<string, Checkpoint>();
  readonly tagHolders = new Map<string, string>();
  /** Number of successful writes (records and checkpoints), for tests. */
  writes = 0;

  async get(ref: ImageRef): Promise<LedgerRecord | null> {
    const found = this.records.get(imageKey(ref));
    return found ? upgradeRecord(structuredClone(found)) : null;
  }

  async getMany(refs: readonly ImageRef[]): Promise<readonly (LedgerRecord | null)[]> {
    return Promise.all(refs.map((ref) => this.get(ref)));
  }

  async put(record: LedgerRecord, expectedVersion: number): Promise<LedgerRecord> {
    const current = this.records.get(record.key);
    const currentVersion = current?.version ?? 0;
    if (currentVersion !== expectedVersion) throw new LedgerConflictError(record.key);
    const stored: LedgerRecord = structuredClone({ ...record, version: expectedVersion + 1 });
    this.records.set(record.key, stored);
    this.writes += 1;
    return structuredClone(stored);
  }

  async *listDecisionsWithExpiredWaivers(now: Date): AsyncIterable<ImageRef> {
    const today = now.toISOString().slice(0, 10);
    for (const record of [...this.records.values()]) {
      const expiry = record.state === 'decided' ? record.decision?.earliestWaiverExpiry : null;
      if (expiry && expiry <= today) yield structuredClone(record.image);
    }
  }

  async *listDecisionsPastDeadline(now: Date): AsyncIterable<ImageRef> {
    const due = [...this.records.values()]
      .map((record) => ({ record, at: nextDeadlineCheck(record) }))
      .filter((r): r is { record: LedgerRecord; at: string } => r.at !== null && Date.parse(r.at) <= +now)
      .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
    for (const { record } of due) yield structuredClone(record.image);
  }

  async getCheckpoint(name: string): Promise<Checkpoint | null> {
    const found = this.checkpoints.get(name);
    return found ? structuredClone(found) : null;
  }

  async putCheckpoint(name: string, value: unknown, expectedVersion: number, now: Date): Promise<Checkpoint> {
    const currentVersion = this.checkpoints.get(name)?.version ?? 0;
    if (currentVersion !== expectedVersion) throw new LedgerConflictError(`checkpoint#${name}`);
    const stored: Checkpoint = structuredClone({
      name,
      value,
      version: expectedVersion + 1,
      updatedAt: now.toISOString(),
    });
    this.checkpoints.set(name, stored);
    this.writes += 1;
    return structuredClone(stored);
  }

  async getTagHolder(ref: ImageRef, tag: string): Promise<string | null> {
    return this.tagHolders.get(tagHolderKey(ref, tag)) ?? null;
  }

  async putTagHolder(ref: ImageRef, tag: string): Promise<void> {
    this.tagHolders.set(tagHolderKey(ref, tag), ref.digest);
    this.writes += 1;
  }

  async listPolicyVersionsInUse(): Promise<string[]> {
    const versions = [...this.records.values()].flatMap((r) =>
      r.state === 'decided' && r.decision ? [r.decision.policyVersion] : [],
    );
    return [...new Set(versions)].sort();
  }

  async listDecidedByPolicyVersion(
    policyVersion: string,
    after: string | null,
    limit: number,
  ): Promise<DecidedPage> {
    // Same order and page contract as the DynamoDB index (sort key: the image key).
    const matching = [...this.records.values()]
      .filter((r) => r.state === 'decided' && r.decision?.policyVersion === policyVersion)
      .filter((r) => after === null || r.key > after)
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const page = matching.slice(0, limit);
    const last = page.at(-1);
    return {
      images: page.map((r) => structuredClone(r.image)),
      next: matching.length > limit && last ? last.key : null,
    };
  }
}
