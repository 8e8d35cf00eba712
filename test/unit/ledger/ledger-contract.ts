/** The behaviour every Ledger adapter must have; run against MemoryLedger (unit) and DynamoDbLedger (dynalite). */
import { expect, it } from 'vitest';
import { type ImageRef, imageKey } from '../../../lib/events/image-ref.ts';
import { LedgerConflictError } from '../../../lib/ledger/errors.ts';
import {
  type Ledger,
  type LedgerRecord,
  newLedgerRecord,
  type RecordedDecision,
} from '../../../lib/ledger/ledger.ts';

const NOW = new Date('2026-11-23T12:00:00Z');
let counter = 0;
function ref(): ImageRef {
  counter += 1;
  const hex = counter.toString(16).padStart(64, '0');
  return { registryId: '123456789012', region: 'us-east-1', repository: 'team/app', digest: `sha256:${hex}` };
}

export function decided(record: LedgerRecord, expiry: string | null): LedgerRecord {
  const decision: RecordedDecision = {
    verdict: 'approved',
    mode: 'enforce',
    policyName: 'default',
    policyFile: 'policies/default.yaml',
    policyVersion: `sha256:${'a'.repeat(64)}`,
    findingsDigest: `sha256:${'b'.repeat(64)}`,
    scanStatus: 'COMPLETE',
    reason: null,
    summary: { CRITICAL: 0 },
    violationCount: 0,
    violations: [],
    waived: expiry
      ? [{ findingId: 'CVE-1', exception: 'policies/exceptions/x.yaml#x', expires: expiry }]
      : [],
    earliestWaiverExpiry: expiry,
    sourceTags: ['1.0.0'],
    desiredTags: ['approved-1.0.0'],
    decidedAt: NOW.toISOString(),
    trigger: 'scan-completed:e1',
    refusedTags: [],
    problems: [],
  };
  return { ...record, state: 'decided', decision, decisionSeq: 1 };
}

export function ledgerContract(make: () => Ledger) {
  it('stores and reads back a record; versions start at 1 and increase by one', async () => {
    const ledger = make();
    const image = ref();
    expect(await ledger.get(image)).toBeNull();
    const first = await ledger.put(newLedgerRecord(imageKey(image), image, NOW), 0);
    expect(first.version).toBe(1);
    const second = await ledger.put(decided(first, null), 1);
    expect(second.version).toBe(2);
    const read = await ledger.get(image);
    expect(read).toEqual(second);
    expect(read?.key).toBe(`123456789012/team/app@${image.digest}`);
  });

  it('keeps the finding history and the at-risk deadline; older records read with no history', async () => {
    const ledger = make();
    const image = ref();
    const first = await ledger.put(newLedgerRecord(imageKey(image), image, NOW), 0);
    const base = decided(first, null);
    const deadline = '2026-11-26T12:00:00.000Z';
    const findingHistory = {
      firstSeen: { 'CVE-2026-1\u0000openssl': NOW.toISOString() },
      firstFixable: { 'CVE-2026-1\u0000openssl': NOW.toISOString() },
    };
    const atRisk = base.decision ? { ...base.decision, atRisk: { deadline, violations: 1 } } : null;
    const stored = await ledger.put({ ...base, decision: atRisk, findingHistory }, 1);
    const read = await ledger.get(image);
    expect(read).toEqual(stored);
    expect(read?.findingHistory).toEqual(findingHistory);
    expect(read?.decision?.atRisk).toEqual({ deadline, violations: 1 });

    const older = ref();
    const { findingHistory: _dropped, ...legacy } = newLedgerRecord(imageKey(older), older, NOW);
    const other = await ledger.put(legacy as LedgerRecord, 0);
    expect((await ledger.get(other.image))?.findingHistory).toBeNull();
  });

  it('reads many records at once, in the order asked, null where there is none (beyond 100 images too)', async () => {
    const ledger = make();
    const images = Array.from({ length: 230 }, () => ref());
    const stored = new Map<string, LedgerRecord>();
    for (const [i, image] of images.entries()) {
      if (i % 3 === 0) continue; // every third image has no record
      const first = await ledger.put(newLedgerRecord(imageKey(image), image, NOW), 0);
      stored.set(image.digest, i % 2 === 0 ? await ledger.put(decided(first, null), 1) : first);
    }
    const asked = [...images].reverse();
    asked.push(images[1] as ImageRef); // the same image twice

    const records = await ledger.getMany(asked);

    expect(records).toHaveLength(asked.length);
    for (const [i, image] of asked.entries()) {
      expect(records[i] ?? null).toEqual(stored.get(image.digest) ?? null);
    }
    expect(await ledger.getMany([])).toEqual([]);
  });

  it('refuses a write based on a stale version (conditional write)', async () => {
    const ledger = make();
    const image = ref();
    await ledger.put(newLedgerRecord(imageKey(image), image, NOW), 0);
    await expect(ledger.put(newLedgerRecord(imageKey(image), image, NOW), 0)).rejects.toBeInstanceOf(
      LedgerConflictError,
    );
    const current = await ledger.get(image);
    if (!current) throw new Error('record expected');
    await ledger.put(current, current.version);
    await expect(ledger.put(current, current.version)).rejects.toBeInstanceOf(LedgerConflictError);
  });

  it('lets exactly one of several concurrent writers win', async () => {
    const ledger = make();
    const image = ref();
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, () => ledger.put(newLedgerRecord(imageKey(image), image, NOW), 0)),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results)
      if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(LedgerConflictError);
  });

  it('keeps checkpoints with their own versions', async () => {
    const ledger = make();
    const name = `hygiene-sweep#123456789012/us-east-1#${ref().digest.slice(-6)}`;
    expect(await ledger.getCheckpoint(name)).toBeNull();
    const first = await ledger.putCheckpoint(name, { cursor: 'team/a', done: 3 }, 0, NOW);
    expect(first).toEqual({
      name,
      value: { cursor: 'team/a', done: 3 },
      version: 1,
      updatedAt: NOW.toISOString(),
    });
    await expect(ledger.putCheckpoint(name, { cursor: 'x' }, 0, NOW)).rejects.toBeInstanceOf(
      LedgerConflictError,
    );
    await ledger.putCheckpoint(name, { cursor: 'team/b', done: 4 }, 1, NOW);
    expect((await ledger.getCheckpoint(name))?.value).toEqual({ cursor: 'team/b', done: 4 });
  });

  it('lists decisions whose waivers expired on or before today', async () => {
    const ledger = make();
    const expired = ref();
    const today = ref();
    const future = ref();
    const none = ref();
    for (const [image, expiry] of [
      [expired, '2026-11-01'],
      [today, '2026-11-23'],
      [future, '2026-12-01'],
      [none, null],
    ] as const) {
      const record = await ledger.put(newLedgerRecord(imageKey(image), image, NOW), 0);
      await ledger.put(decided(record, expiry), record.version);
    }
    const listed: string[] = [];
    for await (const image of ledger.listDecisionsWithExpiredWaivers(NOW)) listed.push(image.digest);
    expect(listed).toContain(expired.digest);
    expect(listed).toContain(today.digest);
    expect(listed).not.toContain(future.digest);
    expect(listed).not.toContain(none.digest);
  });

  it('lists images at risk whose next deadline check (alert due or deadline) has come', async () => {
    // Prepare: images at risk in several positions of their grace period, one not at risk, one gone.
    const ledger = make();
    const deadline = '2026-12-03T12:00:00.000Z'; // 10 days after NOW
    const store = async (shape: (r: LedgerRecord) => LedgerRecord) => {
      const image = ref();
      const first = await ledger.put(newLedgerRecord(imageKey(image), image, NOW), 0);
      await ledger.put(shape(decided(first, null)), first.version);
      return image.digest;
    };
    const atRisk = (r: LedgerRecord, at = deadline): LedgerRecord =>
      r.decision ? { ...r, decision: { ...r.decision, atRisk: { deadline: at, violations: 1 } } } : r;
    const sent = (at: string) => ({ state: 'sent' as const, at, dedupeKey: `k#${at}` });
    const entered = await store((r) => atRisk(r));
    const enteredSent = await store((r) => ({
      ...atRisk(r),
      atRiskAlerts: { deadline, since: NOW.toISOString(), stages: { entered: sent(NOW.toISOString()) } },
    }));
    const allSent = await store((r) => ({
      ...atRisk(r, '2026-11-23T11:00:00.000Z'),
      atRiskAlerts: {
        deadline: '2026-11-23T11:00:00.000Z',
        since: '2026-11-20T11:00:00.000Z',
        stages: {
          entered: sent('2026-11-20T11:00:00.000Z'),
          halfway: sent('2026-11-21T23:00:00.000Z'),
          'one-day-before': sent('2026-11-22T11:00:00.000Z'),
        },
      },
    }));
    const notAtRisk = await store((r) => r);
    // A far waiver expiry does not hide a due check; a record due only for its waiver is not listed here.
    const withWaiver = await store((r) => atRisk(decided(r, '2027-06-30')));
    const waiverOnly = await store((r) => decided(r, '2026-11-01'));
    const gone = await store((r) => ({ ...atRisk(r), state: 'gone' }));
    const list = async (at: Date) => {
      const out: string[] = [];
      for await (const image of ledger.listDecisionsPastDeadline(at)) out.push(image.digest);
      return out
        .filter((d) => [entered, enteredSent, allSent, notAtRisk, gone, withWaiver, waiverOnly].includes(d))
        .sort();
    };

    // Act + Assess: now, the new series (entered alert due) and the passed deadline; not the others.
    expect(await list(NOW)).toEqual([allSent, entered, withWaiver].sort());
    // Halfway through the grace period, the image whose entered alert went out is due again.
    expect(await list(new Date('2026-11-28T12:00:00.000Z'))).toEqual(
      [allSent, entered, enteredSent, withWaiver].sort(),
    );
    expect(await list(new Date('2026-11-28T11:59:59.000Z'))).not.toContain(enteredSent);
  });

  it('remembers which digest each decision tag was last written on, per repository', async () => {
    const ledger = make();
    const a = ref();
    const b = { ...ref(), repository: a.repository };
    const elsewhere = { ...a, repository: 'other/app' };
    expect(await ledger.getTagHolder(a, 'approved-1.0.0')).toBeNull();
    await ledger.putTagHolder(a, 'approved-1.0.0');
    expect(await ledger.getTagHolder(b, 'approved-1.0.0')).toBe(a.digest);
    expect(await ledger.getTagHolder(elsewhere, 'approved-1.0.0')).toBeNull();
    await ledger.putTagHolder(b, 'approved-1.0.0');
    expect(await ledger.getTagHolder(a, 'approved-1.0.0')).toBe(b.digest);
    // a holder entry is not an image record
    expect(await ledger.get(b)).toBeNull();
  });

  it('pages through the images decided under one policy version, and only those still decided under it', async () => {
    // Prepare: three images under a unique old version, one under another version, one gone.
    const ledger = make();
    const old = `sha256:${counter.toString(16).padStart(8, '0')}${'c'.repeat(56)}`;
    const under = async (version: string, state: 'decided' | 'gone' = 'decided') => {
      const image = ref();
      const first = await ledger.put(newLedgerRecord(imageKey(image), image, NOW), 0);
      const record = decided(first, null);
      const decision = record.decision ? { ...record.decision, policyVersion: version } : null;
      await ledger.put({ ...record, state, decision }, first.version);
      return image;
    };
    const expected = [await under(old), await under(old), await under(old)];
    await under(`sha256:${'f'.repeat(64)}`);
    await under(old, 'gone');
    // Act: pages of two.
    const seen: ImageRef[] = [];
    let after: string | null = null;
    for (let pages = 0; pages < 5; pages++) {
      const page = await ledger.listDecidedByPolicyVersion(old, after, 2);
      seen.push(...page.images);
      after = page.next;
      if (after === null) break;
    }
    // Assess: every image once, in key order, with its region; none of the others.
    expect(seen).toEqual(expected);
    expect(after).toBeNull();
    // A record decided again under another version leaves the index.
    const moved = expected[0] as ImageRef;
    const current = (await ledger.get(moved)) as LedgerRecord;
    const decision = current.decision
      ? { ...current.decision, policyVersion: `sha256:${'e'.repeat(64)}` }
      : null;
    await ledger.put({ ...current, decision }, current.version);
    const again = await ledger.listDecidedByPolicyVersion(old, null, 10);
    expect(again.images).toEqual(expected.slice(1));
    // The versions in use: the old one and the others, each once (not the gone record's alone).
    const inUse = await ledger.listPolicyVersionsInUse();
    expect(inUse).toContain(old);
    expect(inUse).toContain(`sha256:${'e'.repeat(64)}`);
    expect(new Set(inUse).size).toBe(inUse.length);
  });
}
