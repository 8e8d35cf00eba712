import { beforeEach, describe, expect, it } from 'vitest';
import type { ImageRef } from '../../../lib/events/image-ref.ts';
import { baselineFromJson, compileLifecycle, settingsFor } from '../../../lib/hygiene/baseline.ts';
import { serializeLifecyclePolicy } from '../../../lib/hygiene/lifecycle-policy.ts';
import { runSweep } from '../../../lib/hygiene/sweep.ts';
import {
  DEFAULT_SWEEP_SETTINGS,
  type HygieneSweepSummary,
  type SweepDependencies,
  type SweepGate,
  type SweepMode,
} from '../../../lib/hygiene/sweep-ports.ts';
import { MemoryLedger } from '../../../lib/ledger/memory-ledger.ts';
import { createLogger } from '../../../lib/log/index.ts';
import type { OutboundMessage } from '../../../lib/notify/notifier.ts';
import { emfProblems, metricLines } from '../../support/emf.ts';
import { FakeRegistryAdmin, imageSummary } from './fake-registry-admin.ts';

const NOW = new Date('2026-01-10T02:00:00Z');
const DOC = {
  apiVersion: 'gatekeeper/v1',
  kind: 'HygieneBaseline',
  defaults: {
    lifecycle: { untagged: { expireAfterDays: 7 }, tagged: { keepLast: 10 } },
    tagMutability: { expect: 'IMMUTABLE_WITH_EXCLUSION', exclusions: ['approved-*', 'quarantined-*'] },
  },
};
const baseline = baselineFromJson(DOC, 'hygiene.yaml');
const COMPLIANT = serializeLifecyclePolicy({ rules: compileLifecycle(settingsFor(baseline, 'x').lifecycle) });

let admin: FakeRegistryAdmin;
let ledger: MemoryLedger;
let published: OutboundMessage[];
let summaries: HygieneSweepSummary[];
let logs: Record<string, unknown>[];
let decided: { ref: ImageRef; reason: string }[];

function deps(
  mode: SweepMode,
  gate: SweepGate | null = null,
  over: Partial<SweepDependencies['settings']> = {},
): SweepDependencies {
  return {
    admin,
    baseline,
    checkpoints: ledger,
    notifier: {
      publish: async (m) => {
        published.push(m);
        return `msg-${published.length}`;
      },
    },
    formatSummary: (s) => {
      summaries.push(s);
      return {
        subject: `hygiene ${s.mode}`,
        bodies: { default: JSON.stringify(s) },
        attributes: { kind: 'hygiene-summary' },
        dedupeKey: s.startedAt,
      };
    },
    gate,
    logger: createLogger({ level: 'debug', sink: (line) => logs.push(JSON.parse(line)), now: () => NOW }),
    now: () => NOW,
    settings: {
      ...DEFAULT_SWEEP_SETTINGS,
      mode,
      scope: ['*'],
      region: 'eu-west-1',
      registryKey: '123456789012',
      ...over,
    },
  };
}

const forever = () => 900_000;

beforeEach(() => {
  admin = new FakeRegistryAdmin();
  ledger = new MemoryLedger();
  published = [];
  summaries = [];
  logs = [];
  decided = [];
});

function seedMixed(): void {
  admin.add('team/compliant', {}, COMPLIANT);
  admin.add('team/no-policy', {}, null);
  admin.add('team/mutable', { tagMutability: 'MUTABLE', tagMutabilityExclusions: [] }, COMPLIANT);
}

describe('hygiene sweep', () => {
  it('report mode detects drift and changes nothing (no write call at all); one summary alert', async () => {
    seedMixed();
    const result = await runSweep(deps('report'), { kind: 'start' }, forever);
    expect(result.status).toBe('complete');
    expect(result.counters).toMatchObject({ scanned: 3, compliant: 1, drifted: 2, applied: 0 });
    expect(admin.writes()).toBe(0);
    expect(published).toHaveLength(1);
    expect(summaries[0]?.repositories).toMatchObject({ scanned: 3, compliant: 1, drifted: 2, applied: 0 });
    expect(summaries[0]?.topDrift.map((d) => d.repository).sort()).toEqual([
      'team/mutable',
      'team/no-policy',
    ]);
    expect(logs.some((l) => l.message === 'drift' && l.repository === 'team/no-policy')).toBe(true);
  });

  it('enforce mode applies the drift; the next sweep finds everything compliant', async () => {
    seedMixed();
    const first = await runSweep(deps('enforce'), { kind: 'start' }, forever);
    expect(first.counters).toMatchObject({ drifted: 2, applied: 2 });
    expect(admin.calls.PutLifecyclePolicy).toBe(1);
    expect(admin.calls.PutImageTagMutability).toBe(1);
    expect(admin.repositories.get('team/no-policy')?.policy).toBe(COMPLIANT);
    const second = await runSweep(deps('enforce'), { kind: 'start' }, forever);
    expect(second.counters).toMatchObject({ scanned: 3, compliant: 3, drifted: 0, applied: 0 });
    expect(published).toHaveLength(2);
  });

  it('a repository with no drift costs at most 3 API calls (1,000 compliant repositories)', async () => {
    for (let i = 0; i < 1000; i++)
      admin.add(`svc/r${String(i).padStart(4, '0')}`, {}, COMPLIANT, [
        imageSummary('a', ['approved-v1', 'v1'], '2026-01-01T00:00:00Z'),
      ]);
    await runSweep(deps('enforce'), { kind: 'start' }, forever);
    const ledgerWrites =
      ledger.checkpoints.size > 0 ? Math.ceil(1000 / DEFAULT_SWEEP_SETTINGS.checkpointEvery) + 3 : 0;
    expect(admin.writes()).toBe(0);
    expect((admin.total() + ledgerWrites + 1) / 1000).toBeLessThanOrEqual(3);
    expect(admin.calls).toMatchObject({
      DescribeRepositories: 1,
      GetLifecyclePolicy: 1000,
      DescribeImages: 1000,
      GetRegistryScanningConfiguration: 1,
    });
  });

  it('reads in-use data only for a repository whose planned lifecycle policy would remove approved images', async () => {
    // No approved-* protection rule, keepLast 10 on tagged images: of 12 approved images the two oldest would go.
    const unprotected = baselineFromJson(
      { ...DOC, defaults: { ...DOC.defaults, lifecycle: { ...DOC.defaults.lifecycle, approved: false } } },
      'hygiene.yaml',
    );
    const compliant = serializeLifecyclePolicy({
      rules: compileLifecycle(settingsFor(unprotected, 'x').lifecycle),
    });
    const old = Array.from({ length: 12 }, (_, i) =>
      imageSummary(
        'abcdefghijkl'[i] ?? 'z',
        [`approved-v${i}`, `v${i}`],
        `2025-12-${String(10 + i).padStart(2, '0')}T00:00:00Z`,
      ),
    );
    admin.add('team/compliant', {}, compliant, old); // no drift: the policy is already the baseline's
    admin.add('team/quarantined-only', {}, null, [
      imageSummary('q', ['quarantined-v1', 'v1'], '2025-12-01T00:00:00Z'),
    ]); // drift, but no approved image is affected
    admin.add('team/endangered', {}, null, old); // drift that would expire two approved images
    const asked: string[] = [];
    const withUsage: SweepDependencies = {
      ...deps('enforce'),
      baseline: unprotected,
      usage: {
        usage: async (repository) => {
          asked.push(repository);
          // The two oldest run on ECS: the change must be refused.
          return new Map([
            [`sha256:${'a'.repeat(64)}`, { lastInUseAt: null, inUseCount: 2 }],
            [`sha256:${'b'.repeat(64)}`, { lastInUseAt: null, inUseCount: 1 }],
          ]);
        },
      },
    };

    const result = await runSweep(withUsage, { kind: 'start' }, forever);

    expect(asked).toEqual(['team/endangered']);
    expect(result.counters).toMatchObject({ scanned: 3, compliant: 1, refused: 1 });
    expect(admin.repositories.get('team/endangered')?.policy).toBeNull();
    expect(admin.repositories.get('team/quarantined-only')?.policy).toBe(compliant);
  });

  it('checkpoints when the time budget runs low and resumes where it stopped; one summary for the whole sweep', async () => {
    for (let i = 0; i < 1000; i++) admin.add(`svc/r${String(i).padStart(4, '0')}`, {}, null);
    let budget = 0;
    const remaining = () => {
      budget += 1;
      return budget > 400 ? 1000 : 900_000; // after 400 repositories: below the safety margin
    };
    const first = await runSweep(deps('enforce'), { kind: 'start' }, remaining);
    expect(first).toMatchObject({ status: 'incomplete', processed: 400 });
    expect(published).toHaveLength(0);
    budget = 0;
    const second = await runSweep(deps('enforce'), { kind: 'resume' }, remaining);
    expect(second).toMatchObject({ status: 'incomplete', processed: 400 });
    const third = await runSweep(deps('enforce'), { kind: 'resume' }, forever);
    expect(third).toMatchObject({ status: 'complete', processed: 200 });
    expect(admin.calls.PutLifecyclePolicy).toBe(1000); // each repository exactly once
    expect(published).toHaveLength(1);
    expect(summaries[0]?.repositories).toMatchObject({ scanned: 1000, applied: 1000 });
    const idle = await runSweep(deps('enforce'), { kind: 'resume' }, forever);
    expect(idle.status).toBe('idle');
  });

  it('resume with nothing open costs one checkpoint read and no ECR call', async () => {
    seedMixed();
    const result = await runSweep(deps('report'), { kind: 'resume' }, forever);
    expect(result.status).toBe('idle');
    expect(admin.total()).toBe(0);
  });

  it('a concurrent invocation that loses the checkpoint race stops without touching ECR', async () => {
    seedMixed();
    const racing = {
      getCheckpoint: ledger.getCheckpoint.bind(ledger),
      putCheckpoint: async () => {
        throw Object.assign(new Error('conditional check failed'), { name: 'LedgerConflictError' });
      },
    };
    const result = await runSweep({ ...deps('enforce'), checkpoints: racing }, { kind: 'start' }, forever);
    expect(result.status).toBe('busy');
    expect(admin.total()).toBe(0);
  });

  it('a failing repository is counted and the sweep goes on', async () => {
    seedMixed();
    admin.failPolicyFor.add('team/mutable');
    const result = await runSweep(deps('report'), { kind: 'start' }, forever);
    expect(result.counters).toMatchObject({ scanned: 3, failed: 1 });
    expect(summaries[0]?.repositories.failed).toBe(1);
  });

  it('an unconfirmed summary (publish failed) is sent by the next invocation, once', async () => {
    seedMixed();
    const d = deps('report');
    let fail = true;
    const flaky = {
      publish: async (m: OutboundMessage) => {
        if (fail) throw new Error('SNS unavailable');
        published.push(m);
        return 'id';
      },
    };
    await expect(runSweep({ ...d, notifier: flaky }, { kind: 'start' }, forever)).rejects.toThrow(
      'SNS unavailable',
    );
    fail = false;
    const retry = await runSweep({ ...d, notifier: flaky }, { kind: 'resume' }, forever);
    expect(retry).toMatchObject({ status: 'complete', summarySent: true });
    expect(published).toHaveLength(1);
    expect((await runSweep({ ...d, notifier: flaky }, { kind: 'resume' }, forever)).status).toBe('idle');
  });

  it('safety net: undecided images (no decision tag, past the grace period) go through the gate; expired exceptions too', async () => {
    admin.add('team/app', {}, COMPLIANT, [
      imageSummary('a', ['v1'], '2026-01-09T00:00:00Z'), // undecided, old enough
      imageSummary('b', ['v2', 'approved-v2'], '2026-01-09T00:00:00Z'), // decided
      imageSummary('c', ['quarantined-v3', 'v3'], '2026-01-09T00:00:00Z'), // decided
      imageSummary('d', [], '2026-01-10T01:30:00Z'), // pushed 30 min ago: events may still come
      imageSummary('e', [], '2026-01-08T00:00:00Z', { storageClass: 'ARCHIVE' }), // archived: not pullable, skip
    ]);
    const expiredRef: ImageRef = {
      registryId: '123456789012',
      region: 'eu-west-1',
      repository: 'team/app',
      digest: `sha256:${'b'.repeat(64)}`,
    };
    const gate: SweepGate = {
      decide: async (ref, reason) => {
        decided.push({ ref, reason });
        return { outcome: 'decided' };
      },
      async *listExpiredWaiverDecisions() {
        yield expiredRef;
        yield { ...expiredRef, repository: 'out/of-scope' };
      },
    };
    const result = await runSweep(deps('report', gate, { scope: ['team/*'] }), { kind: 'start' }, forever);
    expect(result.status).toBe('complete');
    expect(decided).toEqual([
      {
        ref: {
          registryId: '123456789012',
          region: 'eu-west-1',
          repository: 'team/app',
          digest: `sha256:${'a'.repeat(64)}`,
        },
        reason: 'undecided',
      },
      { ref: expiredRef, reason: 'exception-expired' },
    ]);
    expect(summaries[0]?.safetyNet).toEqual({ undecidedDecided: 1, exceptionExpiredDecided: 1 });
    // Once per completed sweep, valid EMF: the summary alert and the re-judgement; no failure.
    const metrics = metricLines(logs);
    expect(metrics).toEqual([
      expect.objectContaining({ AlertsSent: 1, Rejudgements: 1, Reason: 'exception-expired' }),
    ]);
    for (const line of metrics) expect(emfProblems(JSON.stringify(line))).toEqual([]);
  });

  it('safety net: decision tags are checked against the ledger in batches of 100 across repositories', async () => {
    // 250 repositories of one decision-tagged image each; in two of them the ledger stands behind nothing.
    const spoofed = new Set(['svc/r0042', 'svc/r0217']);
    for (let i = 0; i < 250; i++)
      admin.add(`svc/r${String(i).padStart(4, '0')}`, {}, COMPLIANT, [
        imageSummary(String(i % 10), ['approved-v1', 'v1'], '2026-01-01T00:00:00Z'),
      ]);
    const batches: number[] = [];
    const gate: SweepGate = {
      decide: async (ref, reason) => {
        decided.push({ ref, reason });
        return { outcome: 'decided' };
      },
      checkTagsMany: async (items) => {
        batches.push(items.length);
        return items.map((item) => (spoofed.has(item.ref.repository) ? 'undecided' : 'consistent'));
      },
      checkTags: async () => {
        throw new Error('one read per image: the sweep must batch');
      },
    };

    const result = await runSweep(
      deps('report', gate, { checkpointEvery: 1_000 }),
      { kind: 'start' },
      forever,
    );

    expect(result.status).toBe('complete');
    expect(batches).toEqual([100, 100, 50]);
    expect(decided.map((d) => [d.ref.repository, d.reason])).toEqual([
      ['svc/r0042', 'undecided'],
      ['svc/r0217', 'undecided'],
    ]);
  });

  it('safety net: a checkpoint never passes images that were not checked (flushed before every save)', async () => {
    for (let i = 0; i < 30; i++)
      admin.add(`svc/r${String(i).padStart(4, '0')}`, {}, COMPLIANT, [
        imageSummary('a', ['approved-v1', 'v1'], '2026-01-01T00:00:00Z'),
      ]);
    const checked: string[] = [];
    const gate: SweepGate = {
      decide: async () => ({ outcome: 'decided' }),
      checkTagsMany: async (items) => {
        checked.push(...items.map((item) => item.ref.repository));
        return items.map(() => 'consistent' as const);
      },
    };
    let budget = 12;
    // Time runs out after 12 repositories: the saved cursor covers exactly the repositories checked so far.
    const first = await runSweep(deps('report', gate, { checkpointEvery: 5 }), { kind: 'start' }, () =>
      budget-- > 0 ? 900_000 : 0,
    );
    expect(first.status).toBe('incomplete');
    const saved = [...ledger.checkpoints.values()][0]?.value as { cursor: string };
    expect(checked.at(-1)).toBe(saved.cursor);
    const second = await runSweep(deps('report', gate), { kind: 'resume' }, forever);
    expect(second.status).toBe('complete');
    expect([...checked].sort()).toEqual(
      Array.from({ length: 30 }, (_, i) => `svc/r${String(i).padStart(4, '0')}`),
    );
  });

  it('checks fix deadlines alone on the hourly request, and once more at the end of every sweep', async () => {
    // Prepare: a gate whose deadline check reports one due image.
    const runs: string[] = [];
    const gate: SweepGate = {
      decide: async () => ({ outcome: 'unchanged' }),
      checkDeadlines: async (runId) => {
        runs.push(runId);
        return { due: 1, quarantined: 0, alertsSent: 1, deferred: 0, errors: 0 };
      },
    };
    admin.add('team/app', {}, COMPLIANT, []);
    // Act: the hourly request.
    const hourly = await runSweep(deps('report', gate), { kind: 'deadlines' }, forever);
    // Assess: the check alone: no repository listed, no checkpoint, no summary.
    expect(hourly).toMatchObject({ status: 'complete', processed: 1, summarySent: false });
    expect(runs).toEqual([`deadline-check-${NOW.toISOString()}`]);
    expect(ledger.checkpoints.size).toBe(0);
    expect(summaries).toHaveLength(0);
    // A nightly sweep runs it too (the safety net), once.
    const nightly = await runSweep(deps('report', gate), { kind: 'start' }, forever);
    expect(nightly.status).toBe('complete');
    expect(runs).toHaveLength(2);
    expect(runs[1]).toMatch(/^sweep-/);
  });

  it('metrics: failed safety-net decisions are errors of their own kind', async () => {
    admin.add('team/app', {}, COMPLIANT, [
      imageSummary('a', ['v1'], '2026-01-09T00:00:00Z'),
      imageSummary('b', ['v2'], '2026-01-09T00:00:00Z'),
    ]);
    const gate: SweepGate = {
      decide: async () => {
        throw new Error('ledger unavailable');
      },
    };

    await runSweep(deps('report', gate), { kind: 'start' }, forever);

    const metrics = metricLines(logs);
    expect(metrics).toEqual([
      expect.objectContaining({ AlertsSent: 1, Rejudgements: 0 }),
      expect.objectContaining({ Errors: 2, Kind: 'safety-net' }),
    ]);
    for (const line of metrics) expect(emfProblems(JSON.stringify(line))).toEqual([]);
  });

  it('dry run in enforce mode: no registry write, no gate call, no checkpoint, no alert', async () => {
    seedMixed();
    admin.add('team/app', {}, COMPLIANT, [imageSummary('a', ['v1'], '2026-01-09T00:00:00Z')]);
    const gate: SweepGate = {
      decide: async (ref, reason) => {
        decided.push({ ref, reason });
        return { outcome: 'decided' };
      },
    };
    const result = await runSweep(deps('enforce', gate), { kind: 'start', dryRun: true }, forever);
    expect(result.counters).toMatchObject({ drifted: 2, applied: 0 });
    expect(admin.writes()).toBe(0);
    expect(decided).toEqual([]);
    expect(result.summary).toMatchObject({ mode: 'report', dryRun: true });
    expect(summaries).toHaveLength(0);
    expect(published).toHaveLength(0);
    expect(ledger.checkpoints.size).toBe(0);
  });

  it('repository creation: only that repository is swept, no checkpoint, no alert', async () => {
    seedMixed();
    const result = await runSweep(
      deps('enforce'),
      { kind: 'repositories', repositories: ['team/no-policy'] },
      forever,
    );
    expect(result.plans.map((p) => p.repository)).toEqual(['team/no-policy']);
    expect(admin.calls.PutLifecyclePolicy).toBe(1);
    expect(published).toHaveLength(0);
    expect(ledger.checkpoints.size).toBe(0);
  });
});
