/**
 * Every ECR scan status × policy mode through the whole gate (fake registry, real policy engine): the
 * outcome, the tags and the alert. Harbor-style decision matrix.
 */
import { describe, expect, it } from 'vitest';
import { decideImage } from '../../../lib/gate/decide-image.ts';
import { SCAN_STATUSES, type ScanStatus } from '../../../lib/registry/registry.ts';
import { completeScan, finding, NOW, scanTrigger, testGate } from './support.ts';

type Expected =
  | { outcome: 'not-ready' }
  | { outcome: 'decided'; verdict: 'approved' | 'quarantined'; reason: RegExp | null };

const FAIL_CLOSED = [
  'FAILED',
  'UNSUPPORTED_IMAGE',
  'FINDINGS_UNAVAILABLE',
  'SCAN_ELIGIBILITY_EXPIRED',
  'IMAGE_ARCHIVED',
];

type Mode = 'enforce' | 'audit' | 'audit-opt-in';

function expected(status: ScanStatus, mode: Mode): Expected {
  if (status === 'IN_PROGRESS' || status === 'PENDING') return { outcome: 'not-ready' };
  if (status === 'COMPLETE' || status === 'ACTIVE')
    return { outcome: 'decided', verdict: 'approved', reason: null };
  if (FAIL_CLOSED.includes(status)) {
    // Audit mode relaxes verdicts on findings, never on their absence: no approved tag without a scan,
    // unless the policy opts in per status (onScanFailure.<STATUS>: approve).
    if (mode === 'audit-opt-in')
      return {
        outcome: 'decided',
        verdict: 'approved',
        reason: new RegExp(`onScanFailure.${status} is approve`),
      };
    return mode === 'enforce'
      ? { outcome: 'decided', verdict: 'quarantined', reason: new RegExp(`scan ${status}`) }
      : {
          outcome: 'decided',
          verdict: 'quarantined',
          reason: new RegExp(`scan ${status}.*even in audit mode`),
        };
  }
  // LIMIT_EXCEEDED: no scan ran; not a policy outcome, so it always fails closed.
  return { outcome: 'decided', verdict: 'quarantined', reason: /LIMIT_EXCEEDED/ };
}

const cases = SCAN_STATUSES.flatMap((status) =>
  (['enforce', 'audit', 'audit-opt-in'] as const).map((mode) => ({
    status,
    mode,
    expected: expected(status, mode),
  })),
);

describe('scan status matrix (10 statuses × enforce / audit / audit with opt-in)', () => {
  it('covers all ten ECR scan statuses', () => {
    expect(SCAN_STATUSES).toHaveLength(10);
    expect(cases).toHaveLength(30);
  });

  it.each(cases)('$status in $mode mode', async ({ status, mode, expected: want }) => {
    const gate = await testGate();
    const repository = mode === 'enforce' ? 'app' : `${mode}/app`;
    const ref = gate.registry.seed({
      repository,
      tags: ['1.0.0'],
      scan: completeScan(status === 'COMPLETE' || status === 'ACTIVE' ? [finding('CVE-2099-1', 'LOW')] : [], {
        status,
        description: `status ${status} from the scanner`,
        enhanced: status === 'ACTIVE',
      }),
    });

    const outcome = await decideImage(gate.deps, ref, scanTrigger());

    expect(outcome.outcome).toBe(want.outcome);
    if (want.outcome === 'not-ready') {
      expect(gate.registry.writes()).toBe(0);
      expect(gate.notifier.messages).toHaveLength(0);
      expect(await gate.ledger.get(ref)).toBeNull();
      return;
    }
    expect(outcome.verdict).toBe(want.verdict);
    const prefix = want.verdict === 'approved' ? 'approved-' : 'quarantined-';
    expect(gate.registry.tagsOf(ref)).toEqual(['1.0.0', `${prefix}1.0.0`]);
    if (want.reason) expect(outcome.detail).toMatch(want.reason);
    else expect(outcome.detail).toBeNull();
    expect(gate.notifier.messages).toHaveLength(1);
    const record = await gate.ledger.get(ref);
    expect(record?.decision?.scanStatus).toBe(status);
  });
});

describe('empty results right after an enhanced scan', () => {
  const enhancedEmpty = (minutesAgo: number) =>
    completeScan([], {
      severityCounts: null,
      enhanced: false,
      completedAt: new Date(NOW.getTime() - minutesAgo * 60_000).toISOString(),
    });

  it.each<{ name: string; minutes: number; hint: Record<string, number>; want: string }>([
    {
      name: 'enhanced event, empty result seconds after the scan',
      minutes: 0.1,
      hint: { CRITICAL: 2, TOTAL: 5 },
      want: 'not-ready',
    },
    {
      name: 'enhanced event whose counts are all zero',
      minutes: 0.1,
      hint: { CRITICAL: 0, HIGH: 0, MEDIUM: 0, TOTAL: 0 },
      want: 'decided',
    },
    { name: 'enhanced, empty long after the scan (a clean image)', minutes: 60, hint: {}, want: 'decided' },
  ])('$name → $want', async ({ minutes, hint, want }) => {
    const gate = await testGate();
    const ref = gate.registry.seed({ tags: ['1.0.0'], scan: enhancedEmpty(minutes) });
    const outcome = await decideImage(gate.deps, ref, {
      kind: 'scan-completed',
      id: 'e1',
      time: NOW.toISOString(),
      scanner: 'enhanced',
      scanStatus: 'INITIAL_SCAN_COMPLETE',
      severityCountsHint: hint,
    });
    expect(outcome.outcome).toBe(want);
  });

  it('uses the registry scanning configuration when neither the result nor the event says enhanced', async () => {
    const gate = await testGate();
    gate.registry.scanning = { scanType: 'ENHANCED', frequency: 'SCAN_ON_PUSH' };
    const ref = gate.registry.seed({ tags: ['1.0.0'], scan: enhancedEmpty(0.1) });
    expect((await decideImage(gate.deps, ref, { kind: 'sweep', id: 's', reason: 'undecided' })).outcome).toBe(
      'not-ready',
    );
    gate.registry.scanning = { scanType: 'BASIC', frequency: 'SCAN_ON_PUSH' };
    expect((await decideImage(gate.deps, ref, { kind: 'sweep', id: 's', reason: 'undecided' })).verdict).toBe(
      'approved',
    );
  });

  it('severity counts without findings are never judged on counts alone', async () => {
    const gate = await testGate();
    const ref = gate.registry.seed({
      tags: ['1.0.0'],
      scan: completeScan([], { severityCounts: { HIGH: 3 } }),
    });
    expect((await decideImage(gate.deps, ref, scanTrigger())).outcome).toBe('not-ready');
  });
});
