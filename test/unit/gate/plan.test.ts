import { describe, expect, it } from 'vitest';
import { imageKey } from '../../../lib/events/image-ref.ts';
import { type PlanInput, planDecision } from '../../../lib/gate/plan.ts';
import { DEFAULT_TAG_SCHEME } from '../../../lib/gate/tags.ts';
import { type LedgerRecord, newLedgerRecord } from '../../../lib/ledger/ledger.ts';
import type { Decision, Verdict } from '../../../lib/policy/decision.ts';

const DIGEST = `sha256:${'ab'.repeat(32)}`;
const REF = { registryId: '123456789012', region: 'us-east-1', repository: 'app', digest: DIGEST };
const NOW = new Date('2026-11-23T12:00:00Z');

function decision(verdict: Verdict, reason?: string): Decision {
  return {
    verdict,
    image: { repository: 'app', tags: [], digest: DIGEST },
    policy: {
      name: 'default',
      file: 'policies/default.yaml',
      version: `sha256:${'1'.repeat(64)}`,
      mode: 'enforce',
    },
    summary: {},
    violations:
      verdict === 'quarantined'
        ? [
            {
              rule: 'maxSeverity.CRITICAL',
              findingId: 'CVE-1',
              severity: 'CRITICAL',
              package: 'x',
              message: 'm',
            },
          ]
        : [],
    waived: [],
    ...(reason ? { reason } : {}),
  };
}

function record(ownTags: string[], extra: Partial<LedgerRecord> = {}): LedgerRecord {
  return { ...newLedgerRecord(imageKey(REF), REF, NOW), version: 3, ownTags, ...extra };
}

function plan(overrides: Partial<PlanInput>) {
  return planDecision({
    scheme: DEFAULT_TAG_SCHEME,
    decision: decision('approved'),
    digest: DIGEST,
    currentTags: ['1.0.0'],
    storageClass: 'STANDARD',
    record: null,
    actions: { removeSourceTags: false, archiveQuarantined: false },
    findingsDigest: 'sha256:f',
    ...overrides,
  });
}

describe('planDecision', () => {
  it.each([
    {
      name: 'first approval',
      input: {},
      put: ['approved-1.0.0'],
      remove: [],
    },
    {
      name: 'quarantine of an approved image removes its approved tags (own) after writing quarantined ones',
      input: {
        decision: decision('quarantined'),
        currentTags: ['1.0.0', 'approved-1.0.0'],
        record: record(['approved-1.0.0']),
      },
      put: ['quarantined-1.0.0'],
      remove: [{ tag: 'approved-1.0.0', why: 'opposite-decision' }],
    },
    {
      name: 'approval after quarantine removes the quarantined tags',
      input: { currentTags: ['1.0.0', 'quarantined-1.0.0'], record: record(['quarantined-1.0.0']) },
      put: ['approved-1.0.0'],
      remove: [{ tag: 'quarantined-1.0.0', why: 'opposite-decision' }],
    },
    {
      name: 'a reserved tag the gatekeeper never wrote is a spoof even when it matches the verdict-opposite',
      input: { decision: decision('quarantined'), currentTags: ['1.0.0', 'approved-1.0.0'], record: null },
      put: ['quarantined-1.0.0'],
      remove: [{ tag: 'approved-1.0.0', why: 'spoofed' }],
    },
    {
      name: 'a same-verdict reserved tag neither written nor wanted is a spoof',
      input: { currentTags: ['1.0.0', 'approved-9.9.9'], record: null },
      put: ['approved-1.0.0'],
      remove: [{ tag: 'approved-9.9.9', why: 'spoofed' }],
    },
    {
      name: 'quarantine with removeSourceTags removes the source tags too',
      input: {
        decision: decision('quarantined'),
        actions: { removeSourceTags: true, archiveQuarantined: false },
      },
      put: ['quarantined-1.0.0'],
      remove: [{ tag: '1.0.0', why: 'source-tag' }],
    },
  ])('$name', ({ input, put, remove }) => {
    const result = plan(input as Partial<PlanInput>);
    expect(result.putTags).toEqual(put);
    expect(result.removeTags).toEqual(remove);
  });

  it('after applying, planning again is empty (idempotent) and owes nothing once notified', () => {
    const recorded = record(['approved-1.0.0'], {
      state: 'decided',
      decisionSeq: 1,
      appliedSeq: 1,
      decision: {
        verdict: 'approved',
        mode: 'enforce',
        policyName: 'default',
        policyFile: 'policies/default.yaml',
        policyVersion: `sha256:${'1'.repeat(64)}`,
        findingsDigest: 'sha256:f',
        scanStatus: 'COMPLETE',
        reason: null,
        summary: {},
        violationCount: 0,
        violations: [],
        waived: [],
        earliestWaiverExpiry: null,
        sourceTags: ['1.0.0'],
        desiredTags: ['approved-1.0.0'],
        decidedAt: NOW.toISOString(),
        trigger: 't',
        refusedTags: [],
        problems: [],
      },
      notification: {
        dedupeKey: 'k',
        stateKey: 'approved||clean',
        state: 'sent',
        claimedAt: null,
        messageId: 'm',
        sentAt: NOW.toISOString(),
      },
    });
    const again = plan({ currentTags: ['1.0.0', 'approved-1.0.0'], record: recorded });
    expect(again).toMatchObject({
      putTags: [],
      removeTags: [],
      storageClass: null,
      changed: false,
      notify: false,
      spoofed: [],
    });
    // a new policy version is a change, but the same announced state owes no new message
    const newPolicy = plan({
      currentTags: ['1.0.0', 'approved-1.0.0'],
      record: recorded,
      decision: {
        ...decision('approved'),
        policy: { ...decision('approved').policy, version: `sha256:${'2'.repeat(64)}` },
      },
    });
    expect(newPolicy.changed).toBe(true);
    expect(newPolicy.notify).toBe(false);
  });

  it('archives on quarantine only when the policy asks for it, and never twice', () => {
    const actions = { removeSourceTags: false, archiveQuarantined: true };
    expect(plan({ decision: decision('quarantined'), actions }).storageClass).toBe('ARCHIVE');
    expect(
      plan({ decision: decision('quarantined'), actions, storageClass: 'ARCHIVE' }).storageClass,
    ).toBeNull();
    expect(plan({ decision: decision('quarantined') }).storageClass).toBeNull();
    expect(plan({ actions }).storageClass).toBeNull();
  });

  it('keeps naming source tags the gatekeeper removed, so approval restores approved-<tag>', () => {
    const result = plan({
      currentTags: ['quarantined-1.0.0'],
      record: record(['quarantined-1.0.0'], { removedSourceTags: ['1.0.0'] }),
    });
    expect(result.putTags).toEqual(['approved-1.0.0']);
    expect(result.removeTags).toEqual([{ tag: 'quarantined-1.0.0', why: 'opposite-decision' }]);
  });

  it('uses the digest tag alone when per-source tags would exceed 1,000 tags', () => {
    const many = Array.from({ length: 600 }, (_, i) => `t${i}`);
    const result = plan({ currentTags: many });
    expect(result.desiredTags).toEqual([`approved-sha256-${'ab'.repeat(6)}`]);
    expect(result.problems[0]).toMatch(/1000 tags/);
  });

  it('a notification is owed for a new state and for a state never sent', () => {
    expect(plan({}).notify).toBe(true);
    const pending = record([], {
      notification: {
        dedupeKey: 'k',
        stateKey: 'approved||clean',
        state: 'pending',
        claimedAt: null,
        messageId: null,
        sentAt: null,
      },
    });
    expect(plan({ record: pending }).notify).toBe(true);
    expect(plan({ record: pending, decision: decision('quarantined') }).stateKey).toBe(
      'quarantined||violations',
    );
  });
});
