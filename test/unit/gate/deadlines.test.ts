/**
 * Fix deadlines in the gate: the ledger keeps first-seen dates per finding, an image approved before keeps its
 * approval (recorded at risk, with the deadline) until the deadline passes, an image never approved gets no grace.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../../lib/findings/finding.ts';
import { decideImage } from '../../../lib/gate/decide-image.ts';
import {
  countedPull,
  IN_USE_WINDOW_DAYS,
  inUseAt,
  MAX_HISTORY_KEYS,
  mergeFindingHistory,
  OWN_READ_MARGIN_MS,
} from '../../../lib/gate/finding-history.ts';
import { loadPolicySet } from '../../../lib/policy/index.ts';
import { findingKey } from '../../../lib/policy/runtime.ts';
import { completeScan, finding, NOW, scanTrigger, testGate, testPolicySet } from './support.ts';

const DAY = 24 * 60 * 60 * 1000;
const later = (days: number, hours = 0) => new Date(NOW.getTime() + days * DAY + hours * 3600_000);
const CRITICAL = finding('CVE-2026-7001', 'CRITICAL');
const KEY = findingKey(CRITICAL);

async function deadlineGate(policies = 'test/unit/gate/policies-deadlines') {
  const gate = await testGate();
  const policySet = await loadPolicySet(policies);
  // As in ECR, the gate's own manifest reads are recorded as pulls (a minute into the evaluation).
  gate.registry.pullClock = () => new Date(gate.clock.getTime() + 60_000);
  return { ...gate, deps: { ...gate.deps, policySet }, gate };
}

/** Policies with `deadlines.inUse: { extraDays: 7 }` beside the same 3 days for CRITICAL. */
const IN_USE_POLICIES = 'test/unit/gate/policies-deadlines-in-use';

/** An image approved clean at NOW, then a CRITICAL finding reported on it one hour later. */
async function approvedThenCritical(policies?: string) {
  const t = await deadlineGate(policies);
  const ref = t.registry.seed({ tags: ['1.0.0'], scan: completeScan([finding('CVE-2099-1', 'LOW')]) });
  expect((await decideImage(t.deps, ref, scanTrigger('evt-1'))).verdict).toBe('approved');
  t.gate.clock = later(0, 1);
  t.registry.setScan(ref, completeScan([CRITICAL, finding('CVE-2099-1', 'LOW')]));
  return { ...t, ref };
}

describe('decideImage: fix deadlines', () => {
  it('keeps an image approved before approved within the deadline, recorded at risk with it', async () => {
    const { deps, ref, ledger, registry, notifier } = await approvedThenCritical();
    const outcome = await decideImage(deps, ref, scanTrigger('evt-2', later(0, 1).toISOString()));

    expect(outcome.verdict).toBe('approved');
    const deadline = later(3, 1).toISOString();
    expect(outcome.decision?.atRisk).toEqual({ deadline, violations: 1 });
    expect(registry.tagsOf(ref)).toEqual(['1.0.0', 'approved-1.0.0']);
    const record = await ledger.get(ref);
    expect(record?.decision?.verdict).toBe('approved');
    expect(record?.decision?.atRisk).toEqual({ deadline, violations: 1 });
    expect(record?.decision?.violations[0]?.deadline).toBe(deadline);
    expect(record?.findingHistory?.firstSeen?.[KEY]).toBe(later(0, 1).toISOString());
    // The state change (clean → at risk) is announced once, and the alert names the deadline.
    expect(notifier.messages).toHaveLength(2);
    const alert = notifier.messages[1];
    expect(alert?.subject).toContain('at risk until 2026-11-26');
    expect(JSON.stringify(alert)).toContain(deadline);
  });

  it('quarantines the image once the clock passes the deadline', async () => {
    const t = await approvedThenCritical();
    await decideImage(t.deps, t.ref, scanTrigger('evt-2'));

    t.gate.clock = later(3, 0);
    const within = await decideImage(t.deps, t.ref, scanTrigger('evt-3'));
    expect(within.verdict).toBe('approved');
    expect(t.registry.tagsOf(t.ref)).toEqual(['1.0.0', 'approved-1.0.0']);

    t.gate.clock = later(3, 1);
    const expired = await decideImage(t.deps, t.ref, scanTrigger('evt-4'));
    expect(expired.verdict).toBe('quarantined');
    expect(expired.decision?.atRisk).toBeUndefined();
    expect(expired.decision?.violations[0]?.deadlineExpired).toBe(true);
    expect(t.registry.tagsOf(t.ref)).toEqual(['1.0.0', 'quarantined-1.0.0']);
    const record = await t.ledger.get(t.ref);
    expect(record?.decision?.verdict).toBe('quarantined');
    expect(record?.decision?.atRisk).toBeUndefined();
    expect(t.notifier.messages.at(-1)?.subject).toContain('RE-QUARANTINED');
  });

  it('gives no grace to an image never approved', async () => {
    const t = await deadlineGate();
    const ref = t.registry.seed({ tags: ['2.0.0'], scan: completeScan([CRITICAL]) });
    const outcome = await decideImage(t.deps, ref, scanTrigger());
    expect(outcome.verdict).toBe('quarantined');
    expect(outcome.decision?.atRisk).toBeUndefined();
    expect(t.registry.tagsOf(ref)).toEqual(['2.0.0', 'quarantined-2.0.0']);
    // Its first-seen date is kept all the same, and quarantine is not undone by time passing.
    expect((await t.ledger.get(ref))?.findingHistory?.firstSeen?.[KEY]).toBe(NOW.toISOString());
    t.gate.clock = later(1);
    expect((await decideImage(t.deps, ref, scanTrigger('evt-2'))).verdict).toBe('quarantined');
  });

  it('does not reset the first-seen date when the image is decided again', async () => {
    const t = await approvedThenCritical();
    await decideImage(t.deps, t.ref, scanTrigger('evt-2'));
    const first = (await t.ledger.get(t.ref))?.findingHistory?.firstSeen?.[KEY];
    expect(first).toBe(later(0, 1).toISOString());

    // New findings (a fresh scan) change the decision's inputs; the date of the old finding stays.
    t.gate.clock = later(2);
    t.registry.setScan(
      t.ref,
      completeScan([CRITICAL, finding('CVE-2026-7002', 'CRITICAL', { package: 'zlib' })]),
    );
    const again = await decideImage(t.deps, t.ref, scanTrigger('evt-3'));
    const record = await t.ledger.get(t.ref);
    expect(record?.findingHistory?.firstSeen?.[KEY]).toBe(first);
    expect(record?.findingHistory?.firstSeen?.[findingKey({ id: 'CVE-2026-7002', package: 'zlib' })]).toBe(
      later(2).toISOString(),
    );
    // Still within the first finding's deadline, which is the earliest.
    expect(again.verdict).toBe('approved');
    expect(again.decision?.atRisk?.deadline).toBe(later(3, 1).toISOString());

    // The finding disappears (fixed in place): its key is dropped and the image is approved clean again.
    t.gate.clock = later(2, 1);
    t.registry.setScan(t.ref, completeScan([]));
    const fixed = await decideImage(t.deps, t.ref, scanTrigger('evt-4'));
    expect(fixed.verdict).toBe('approved');
    expect(fixed.decision?.atRisk).toBeUndefined();
    expect((await t.ledger.get(t.ref))?.findingHistory ?? null).toBeNull();
  });

  it('records no history where no policy has deadlines', async () => {
    const gate = await testGate();
    const ref = gate.registry.seed({ tags: ['1.0.0'], scan: completeScan([CRITICAL]) });
    await decideImage(gate.deps, ref, scanTrigger());
    expect((await gate.ledger.get(ref))?.findingHistory).toBeNull();
  });
});

describe('decideImage: a waiver during the grace period', () => {
  it("ends the risk while it lasts; once it expires the first sighting's deadline applies again", async () => {
    const t = await approvedThenCritical();
    expect((await decideImage(t.deps, t.ref, scanTrigger('evt-2'))).decision?.atRisk?.deadline).toBe(
      later(3, 1).toISOString(),
    );
    // A policy change waives the finding until the end of 2026-11-24 (UTC).
    const dir = mkdtempSync(join(tmpdir(), 'gk-deadline-waiver-'));
    cpSync('test/unit/gate/policies-deadlines', dir, { recursive: true });
    writeFileSync(
      join(dir, 'exceptions.yaml'),
      [
        'apiVersion: gatekeeper/v1',
        'kind: Exceptions',
        'exceptions:',
        '  - id: short-waiver',
        `    finding: ${CRITICAL.id}`,
        '    reason: not reachable until the next release',
        '    owner: team@example.com',
        '    expires: 2026-11-24',
        '',
      ].join('\n'),
    );
    const deps = { ...t.deps, policySet: await loadPolicySet(dir) };
    rmSync(dir, { recursive: true, force: true });

    t.gate.clock = later(0, 2);
    const waived = await decideImage(deps, t.ref, scanTrigger('evt-3'));
    expect(waived.verdict).toBe('approved');
    expect(waived.decision?.atRisk).toBeUndefined();
    expect(waived.decision?.violations).toEqual([]);
    // Leaving the risk is a state change: announced once (approved, then at risk, then this).
    expect(t.notifier.messages).toHaveLength(3);
    expect((await t.ledger.get(t.ref))?.findingHistory?.firstSeen?.[KEY]).toBe(later(0, 1).toISOString());

    // The waiver has ended (2026-11-25T00:00Z): at risk again, with the deadline of the first sighting.
    t.gate.clock = later(1, 12);
    const again = await decideImage(deps, t.ref, scanTrigger('evt-4'));
    expect(again.verdict).toBe('approved');
    expect(again.decision?.atRisk?.deadline).toBe(later(3, 1).toISOString());
    expect(t.notifier.messages).toHaveLength(4);
    expect(t.notifier.messages.at(-1)?.subject).toContain('at risk until 2026-11-26');

    t.gate.clock = later(3, 1);
    expect((await decideImage(deps, t.ref, scanTrigger('evt-5'))).verdict).toBe('quarantined');
  });
});

describe('decideImage: longer grace for an image in use', () => {
  it("adds the policy's extra days when someone else pulled the image, and keeps them", async () => {
    const t = await approvedThenCritical(IN_USE_POLICIES);
    t.registry.pull(t.ref, later(0, 0.5));
    const outcome = await decideImage(t.deps, t.ref, scanTrigger('evt-2'));
    expect(outcome.verdict).toBe('approved');
    expect(outcome.decision?.atRisk?.deadline).toBe(later(10, 1).toISOString());
    expect((await t.ledger.get(t.ref))?.findingHistory?.lastUsedAt).toBe(later(0, 0.5).toISOString());

    // Past the 3 days: ECR now shows only the gate's own reads, the recorded use still counts.
    t.gate.clock = later(3, 2);
    const within = await decideImage(t.deps, t.ref, scanTrigger('evt-3'));
    expect(within.verdict).toBe('approved');
    expect(within.decision?.atRisk?.deadline).toBe(later(10, 1).toISOString());
    expect(t.registry.tagsOf(t.ref)).toEqual(['1.0.0', 'approved-1.0.0']);

    t.gate.clock = later(10, 1);
    expect((await decideImage(t.deps, t.ref, scanTrigger('evt-4'))).verdict).toBe('quarantined');
    expect(t.registry.tagsOf(t.ref)).toEqual(['1.0.0', 'quarantined-1.0.0']);
  });

  it('gives no extra days when the policy is silent, in use or not', async () => {
    const t = await approvedThenCritical();
    t.registry.pull(t.ref, later(0, 0.5));
    const outcome = await decideImage(t.deps, t.ref, scanTrigger('evt-2'));
    expect(outcome.decision?.atRisk?.deadline).toBe(later(3, 1).toISOString());
    expect((await t.ledger.get(t.ref))?.findingHistory).not.toHaveProperty('lastUsedAt');
  });

  it("does not count the gate's own reads as use", async () => {
    const t = await approvedThenCritical(IN_USE_POLICIES);
    const first = await decideImage(t.deps, t.ref, scanTrigger('evt-2'));
    expect(first.decision?.atRisk?.deadline).toBe(later(3, 1).toISOString());
    // Every read so far was the gate's (at NOW, at NOW + 1 h, now at NOW + 1 day): still not in use.
    for (const [day, evt] of [
      [1, 'evt-3'],
      [2, 'evt-4'],
    ] as const) {
      t.gate.clock = later(day);
      const again = await decideImage(t.deps, t.ref, scanTrigger(evt));
      expect(again.decision?.atRisk?.deadline).toBe(later(3, 1).toISOString());
    }
    expect((await t.ledger.get(t.ref))?.findingHistory?.lastUsedAt).toBeNull();
    t.gate.clock = later(3, 1);
    expect((await decideImage(t.deps, t.ref, scanTrigger('evt-5'))).verdict).toBe('quarantined');
  });

  it('gives an image never approved no grace, in use or not', async () => {
    const t = await deadlineGate(IN_USE_POLICIES);
    const ref = t.registry.seed({ tags: ['2.0.0'], scan: completeScan([CRITICAL]) });
    t.registry.pull(ref, later(0, -1));
    expect((await decideImage(t.deps, ref, scanTrigger())).verdict).toBe('quarantined');
    t.gate.clock = later(1);
    t.registry.pull(ref, later(0, 12));
    expect((await decideImage(t.deps, ref, scanTrigger('evt-2'))).verdict).toBe('quarantined');
  });
});

describe('countedPull and inUseAt', () => {
  const at = (ms: number) => new Date(NOW.getTime() + ms).toISOString();
  it("counts a pull only well after the gate's recorded read, never without one or in the future", () => {
    const read = at(0);
    expect(
      countedPull({ lastPulledAt: at(OWN_READ_MARGIN_MS + 1), lastReadAt: read }, NOW.getTime() + DAY),
    ).toBe(NOW.getTime() + OWN_READ_MARGIN_MS + 1);
    expect(
      countedPull({ lastPulledAt: at(OWN_READ_MARGIN_MS), lastReadAt: read }, NOW.getTime() + DAY),
    ).toBeNull();
    expect(countedPull({ lastPulledAt: at(DAY), lastReadAt: null }, NOW.getTime() + 2 * DAY)).toBeNull();
    expect(countedPull({ lastPulledAt: at(2 * DAY), lastReadAt: read }, NOW.getTime() + DAY)).toBeNull();
    expect(countedPull({ lastPulledAt: null, lastReadAt: read }, NOW.getTime() + DAY)).toBeNull();
    expect(countedPull({ lastPulledAt: 'yesterday', lastReadAt: read }, NOW.getTime() + DAY)).toBeNull();
  });

  it('keeps the latest counted pull: never a gate read, never later than now, never going back', async () => {
    const set = await loadPolicySet(IN_USE_POLICIES);
    const offset = fc.integer({ min: -40 * DAY, max: 40 * DAY });
    fc.assert(
      fc.property(
        fc.array(fc.record({ pull: fc.option(offset), read: fc.option(offset), step: fc.nat(2 * DAY) }), {
          minLength: 1,
          maxLength: 8,
        }),
        (steps) => {
          let history = null as ReturnType<typeof mergeFindingHistory>;
          let nowMs = NOW.getTime();
          for (const { pull, read, step } of steps) {
            nowMs += step;
            const lastPulledAt = pull === null ? null : at(pull);
            const lastReadAt = read === null ? null : at(read);
            const before = history?.lastUsedAt ?? null;
            history = mergeFindingHistory(set, history, [CRITICAL], new Date(nowMs), {
              lastPulledAt,
              lastReadAt,
            });
            const used = history?.lastUsedAt ?? null;
            if (before !== null) expect(used !== null && used >= before).toBe(true);
            if (used !== null && used !== before) {
              // A new use is this pull, after the recorded read and its margin, not in the future.
              expect(used).toBe(lastPulledAt === null ? null : new Date(lastPulledAt).toISOString());
              expect(lastReadAt).not.toBeNull();
              expect(Date.parse(used)).toBeGreaterThan(Date.parse(lastReadAt ?? '') + OWN_READ_MARGIN_MS);
              expect(Date.parse(used)).toBeLessThanOrEqual(nowMs);
            }
          }
        },
      ),
    );
  });

  it('is in use while the recorded use is within the window', () => {
    const history = { firstSeen: {}, lastUsedAt: NOW.toISOString() };
    expect(inUseAt(history, later(IN_USE_WINDOW_DAYS))).toBe(true);
    expect(inUseAt(history, new Date(later(IN_USE_WINDOW_DAYS).getTime() + 1))).toBe(false);
    expect(inUseAt({ ...history, lastUsedAt: null }, NOW)).toBe(false);
    expect(inUseAt(null, NOW)).toBe(false);
  });
});

describe('mergeFindingHistory', () => {
  it("starts a new finding's clock at the scanner's first-observed date, never in the future", async () => {
    const set = await loadPolicySet('test/unit/gate/policies-deadlines');
    const observed = finding('CVE-2026-1', 'CRITICAL', { firstObservedAt: '2026-11-20T08:00:00Z' });
    const future = finding('CVE-2026-2', 'CRITICAL', { firstObservedAt: '2027-01-01T00:00:00Z' });
    const history = mergeFindingHistory(set, null, [observed, future], NOW);
    expect(history?.firstSeen).toEqual({
      [findingKey(observed)]: '2026-11-20T08:00:00.000Z',
      [findingKey(future)]: NOW.toISOString(),
    });
    // First-fixable dates are kept only where a policy counts from fixAvailable.
    expect(history?.firstFixable).toBeUndefined();
    const fromFix = {
      ...set,
      policies: set.policies.map((p) => ({
        ...p,
        deadlines: { from: 'fixAvailable' as const, CRITICAL: '3d' },
      })),
    };
    const unfixed = finding('CVE-2026-3', 'CRITICAL', { fixAvailable: 'NO', fixedIn: null });
    const withFix = mergeFindingHistory(fromFix, history, [observed, unfixed], later(1));
    // Not kept before: a finding already fixable counts from first seen (never later than the real date).
    expect(withFix?.firstFixable).toEqual({ [findingKey(observed)]: '2026-11-20T08:00:00.000Z' });
    expect(withFix?.firstSeen?.[findingKey(observed)]).toBe('2026-11-20T08:00:00.000Z');
    expect(Object.keys(withFix?.firstSeen ?? {})).not.toContain(findingKey(future));
    // Kept from then on: a fix that appears later is first fixable when it is first seen with the fix.
    const fixedLater = { ...unfixed, fixAvailable: 'YES' as const, fixedIn: '2.0.0' };
    const next = mergeFindingHistory(fromFix, withFix, [observed, fixedLater], later(2));
    expect(next?.firstFixable).toEqual({
      [findingKey(observed)]: '2026-11-20T08:00:00.000Z',
      [findingKey(unfixed)]: later(2).toISOString(),
    });
    expect(next?.firstSeen?.[findingKey(unfixed)]).toBe(later(1).toISOString());
  });

  it('keeps only findings a deadline covers, at most the bound, recorded keys first', async () => {
    const set = await loadPolicySet('test/unit/gate/policies-deadlines');
    const many: Finding[] = Array.from({ length: MAX_HISTORY_KEYS + 5 }, (_, i) =>
      finding(`CVE-2026-${String(i).padStart(5, '0')}`, 'CRITICAL'),
    );
    const last = many.at(-1) as Finding;
    const previous = { firstSeen: { [findingKey(last)]: '2026-11-01T00:00:00.000Z' } };
    const low = finding('CVE-2026-LOW', 'LOW');
    const history = mergeFindingHistory(set, previous, [...many, low], NOW);
    const keys = Object.keys(history?.firstSeen ?? {});
    expect(keys).toHaveLength(MAX_HISTORY_KEYS);
    expect(history?.firstSeen?.[findingKey(last)]).toBe('2026-11-01T00:00:00.000Z');
    expect(keys).not.toContain(findingKey(low));
    expect(mergeFindingHistory(await testPolicySet(), previous, many, NOW)).toBeNull();
  });
});
