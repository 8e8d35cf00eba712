/**
 * Property: after every completed decision a digest carries approved tags xor quarantined tags, never both,
 * never neither, whatever order events arrive in, however often they are delivered, whether they race each
 * other, and whether ECR writes fail half-way (the failed invocation is redelivered, as Lambda does).
 * A seeded generator drives the whole gate (fake registry with ECR's tag semantics, real policy engine,
 * in-memory ledger) through random histories; a failing seed is printed so the history can be replayed.
 * A second property: one verdict message per announced state change, never a duplicate.
 */
import { describe, expect, it } from 'vitest';
import type { ImageRef } from '../../../lib/events/image-ref.ts';
import type { GateTrigger } from '../../../lib/gate/context.ts';
import { decideImage } from '../../../lib/gate/decide-image.ts';
import { handleImagePushed } from '../../../lib/gate/handle-push.ts';
import { recordedStateKey } from '../../../lib/gate/plan.ts';
import { RegistryUnavailableError } from '../../../lib/registry/errors.ts';
import type { ScanResult } from '../../../lib/registry/registry.ts';
import { completeScan, finding, NOW, type TestGate, testGate } from './support.ts';

/** mulberry32: small, fast, reproducible. */
function generator(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T,
    chance: (p: number) => next() < p,
  };
}
type Random = ReturnType<typeof generator>;

const SCANS: Record<string, () => ScanResult> = {
  clean: () => completeScan([]),
  low: () => completeScan([finding('CVE-2099-100', 'LOW')]),
  critical: () => completeScan([finding('CVE-2099-200', 'CRITICAL')]),
  waived: () => completeScan([finding('CVE-2099-0001', 'CRITICAL')]),
  highNoFix: () => completeScan([finding('CVE-2099-300', 'HIGH', { fixAvailable: 'NO', fixedIn: null })]),
  failed: () => completeScan([], { status: 'FAILED', description: 'scan failed (test)' }),
  unsupported: () => completeScan([], { status: 'UNSUPPORTED_IMAGE', description: 'unsupported (test)' }),
  inProgress: () => completeScan([], { status: 'IN_PROGRESS' }),
};

type Step =
  | { kind: 'scan'; scan: string; deliveries: number }
  | { kind: 'race'; scan: string; racers: number }
  | { kind: 'finding'; scan: string }
  | { kind: 'sweep' }
  | { kind: 'push-new-tag'; tag: string }
  | { kind: 'push-known-tag' }
  | { kind: 'push-own-tag' }
  | { kind: 'spoof'; tag: string };

function randomStep(r: Random, i: number): Step {
  const scan = r.pick(Object.keys(SCANS));
  switch (r.int(8)) {
    case 0:
    case 1:
      return { kind: 'scan', scan, deliveries: 1 + r.int(3) };
    case 2:
      return { kind: 'race', scan, racers: 2 + r.int(3) };
    case 3:
      return { kind: 'finding', scan };
    case 4:
      return { kind: 'sweep' };
    case 5:
      return r.chance(0.5) ? { kind: 'push-new-tag', tag: `v${i}` } : { kind: 'push-known-tag' };
    case 6:
      return { kind: 'push-own-tag' };
    default:
      return { kind: 'spoof', tag: `${r.pick(['approved', 'quarantined'])}-spoof${i}` };
  }
}

const decisionKinds = (tags: readonly string[]) => ({
  approved: tags.filter((t) => t.startsWith('approved-')),
  quarantined: tags.filter((t) => t.startsWith('quarantined-')),
});

/** Runs `act` as Lambda would: a retryable failure is redelivered (later, after any notification lease). */
async function delivered(gate: TestGate, act: () => Promise<unknown>): Promise<void> {
  for (let attempt = 1; attempt <= 8; attempt++) {
    try {
      await act();
      return;
    } catch (error) {
      if (!(error instanceof Error) || !('retryable' in error) || error.retryable !== true) throw error;
      gate.clock = new Date(gate.clock.getTime() + gate.deps.settings.notificationLeaseMs + 1_000);
    }
  }
  throw new Error('an event never converged after 8 deliveries');
}

/** Arms a one-shot transient ECR failure on a random write, or none. */
function maybeFault(gate: TestGate, r: Random): void {
  if (!r.chance(0.25)) return;
  const op = r.pick(['putTag', 'removeTags', 'getManifest', 'describeImage'] as const);
  let armed = true;
  gate.registry.before[op] = () => {
    if (!armed) return;
    armed = false;
    throw new RegistryUnavailableError(op, 'ServerException', 'HTTP 500 (injected)');
  };
}

async function runHistory(seed: number, steps: number): Promise<void> {
  const r = generator(seed);
  const gate = await testGate();
  const sourceTags = Array.from({ length: 1 + r.int(3) }, (_, i) => `1.${i}.0`);
  const ref: ImageRef = gate.registry.seed({ tags: sourceTags, scan: SCANS[r.pick(Object.keys(SCANS))]?.() });
  const repoTags = gate.registry.repoTags(ref.repository);
  let eventSeq = 0;
  const trigger = (): GateTrigger => ({
    kind: 'scan-completed',
    id: `evt-${++eventSeq}`,
    time: gate.clock.toISOString(),
    scanner: 'basic',
    scanStatus: 'COMPLETE',
    severityCountsHint: {},
  });
  const push = (tag: string | null) =>
    handleImagePushed(gate.deps, {
      kind: 'image-pushed',
      eventId: `push-${++eventSeq}`,
      time: gate.clock.toISOString(),
      replayName: null,
      image: ref,
      tag,
    });

  let lastStateKey: string | null = null;
  let stateChanges = 0;
  const history: string[] = [];
  for (let i = 0; i < steps; i++) {
    const step = randomStep(r, i);
    history.push(JSON.stringify(step));
    gate.clock = new Date(gate.clock.getTime() + r.int(40) * 60_000);
    for (const op of Object.keys(gate.registry.before)) gate.registry.before[op] = undefined;
    maybeFault(gate, r);

    switch (step.kind) {
      case 'scan':
        gate.registry.setScan(ref, SCANS[step.scan]?.() ?? null);
        for (let d = 0; d < step.deliveries; d++)
          await delivered(gate, () => decideImage(gate.deps, ref, trigger()));
        break;
      case 'race': {
        gate.registry.setScan(ref, SCANS[step.scan]?.() ?? null);
        const racers = Array.from({ length: step.racers }, () => trigger());
        await Promise.all(racers.map((t) => delivered(gate, () => decideImage(gate.deps, ref, t))));
        break;
      }
      case 'finding':
        gate.registry.setScan(ref, SCANS[step.scan]?.() ?? null);
        await delivered(gate, () =>
          decideImage(gate.deps, ref, {
            kind: 'finding-changed',
            id: `finding-${++eventSeq}`,
            time: gate.clock.toISOString(),
            findingArn: 'arn:aws:inspector2:us-east-1:123456789012:finding/test',
          }),
        );
        break;
      case 'sweep':
        await delivered(gate, () =>
          decideImage(gate.deps, ref, { kind: 'sweep', id: 's', reason: 'undecided' }),
        );
        break;
      case 'push-new-tag':
        repoTags.set(step.tag, ref.digest);
        await delivered(gate, () => push(step.tag));
        break;
      case 'push-known-tag':
        await delivered(gate, () => push(r.pick(sourceTags)));
        break;
      case 'push-own-tag': {
        const own = gate.registry.tagsOf(ref).filter((t) => /^(approved|quarantined)-/.test(t));
        if (own.length > 0) await delivered(gate, () => push(r.pick(own)));
        break;
      }
      case 'spoof':
        repoTags.set(step.tag, ref.digest);
        await delivered(gate, () => push(step.tag));
        break;
    }

    const record = await gate.ledger.get(ref);
    const tags = gate.registry.tagsOf(ref);
    const { approved, quarantined } = decisionKinds(tags);
    const where = `seed ${seed}, after step ${i} (${history.join(' → ')}); tags ${tags.join(',')}`;
    if (record?.state === 'decided' && record.decision) {
      // The invariant: exactly one kind of decision tag, the recorded verdict's, at least one of it.
      const expectedKind = record.decision.verdict === 'approved' ? approved : quarantined;
      const otherKind = record.decision.verdict === 'approved' ? quarantined : approved;
      expect(otherKind, where).toEqual([]);
      expect(expectedKind.length, where).toBeGreaterThan(0);
      // Nothing owed at quiescence: the latest state is the announced one, its message sent.
      expect(record.announced?.stateKey, where).toBe(recordedStateKey(record.decision));
      expect(record.notification === null || record.notification.state === 'sent', where).toBe(true);
      if (record.announced?.stateKey !== lastStateKey) {
        stateChanges += 1;
        lastStateKey = record.announced?.stateKey ?? null;
      }
    } else {
      // Undecided: never an approved tag (a spoofed one is removed by its push).
      expect(approved, where).toEqual([]);
    }
    // Verdict messages: decisions, and fail-closed outcomes (scan failed …), which are announced as errors.
    const verdictMessages = gate.notifier.messages.filter((m) => /^(decision|error):/.test(m.dedupeKey));
    expect(verdictMessages.length, where).toBe(stateChanges);
  }
}

describe('invariant: approved xor quarantined after every completed decision', () => {
  const seeds = Array.from({ length: 60 }, (_, i) => 1 + i * 7919);
  it.each(seeds)(
    'random history, seed %i (30 steps: redeliveries, races, pushes, spoofs, faults)',
    async (seed) => {
      await runHistory(seed, 30);
    },
  );

  it('the generator is reproducible (a failing seed replays the same history)', () => {
    const a = generator(42);
    const b = generator(42);
    const draws = Array.from({ length: 5 }, () => [a.next(), b.next()]);
    for (const [x, y] of draws) expect(x).toBe(y);
    expect(NOW.toISOString()).toBe('2026-11-23T12:00:00.000Z');
  });
});
