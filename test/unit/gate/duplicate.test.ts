/**
 * Duplicate deliveries are answered from the ledger record only when it proves nothing is left to do: a table of
 * the ways a record can still owe work, and a property over every combination of them.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { GateTrigger } from '../../../lib/gate/context.ts';
import {
  duplicateBlocker,
  eventMark,
  MAX_HANDLED_EVENTS,
  withHandledEvent,
} from '../../../lib/gate/duplicate.ts';
import { type LedgerRecord, newLedgerRecord, type RecordedDecision } from '../../../lib/ledger/ledger.ts';

const NOW = new Date('2026-06-01T12:00:00Z');
const POLICY = `sha256:${'a'.repeat(64)}`;
const REF = {
  registryId: '123456789012',
  region: 'eu-west-1',
  repository: 'team/api',
  digest: `sha256:${'1'.repeat(64)}`,
};

const scan: GateTrigger = {
  kind: 'scan-completed',
  id: 'event-1',
  time: '2026-06-01T11:59:00Z',
  scanner: 'basic',
  scanStatus: 'COMPLETE',
  severityCountsHint: { HIGH: 1, LOW: 2 },
};
const finding: GateTrigger = {
  kind: 'finding-changed',
  id: 'event-2',
  time: '2026-06-01T11:59:00Z',
  findingArn: 'arn:aws:inspector2:eu-west-1:123456789012:finding/abc',
  findingStatus: 'ACTIVE',
  findingUpdatedAt: '2026-06-01T11:58:00Z',
};

const decision: RecordedDecision = {
  verdict: 'approved',
  mode: 'enforce',
  policyName: 'default',
  policyFile: 'policies/default.yaml',
  policyVersion: POLICY,
  findingsDigest: `sha256:${'f'.repeat(64)}`,
  scanStatus: 'COMPLETE',
  reason: null,
  summary: { HIGH: 1, LOW: 2 },
  violationCount: 0,
  violations: [],
  waived: [],
  earliestWaiverExpiry: null,
  sourceTags: ['1.0.0'],
  desiredTags: ['approved-1.0.0'],
  decidedAt: '2026-06-01T11:59:30Z',
  trigger: 'scan-completed:event-1',
  refusedTags: [],
  problems: [],
};

/** A record after the scan event was fully handled: decided, applied, announced. */
function handled(trigger: GateTrigger = scan): LedgerRecord {
  const base = newLedgerRecord('123456789012/team/api@sha256:1', REF, NOW);
  return {
    ...base,
    state: 'decided',
    version: 4,
    pendingSince: null,
    decisionSeq: 1,
    appliedSeq: 1,
    decision,
    ownTags: ['approved-1.0.0'],
    notification: {
      dedupeKey: 'k#1',
      stateKey: 'approved||clean',
      state: 'sent',
      claimedAt: null,
      messageId: 'm-1',
      sentAt: '2026-06-01T11:59:31Z',
    },
    announced: { stateKey: 'approved||clean', verdict: 'approved', dedupeKey: 'k#1' },
    handledEvents: withHandledEvent(null, eventMark(trigger)),
  };
}

/** Each way a record can still owe work to a redelivered event (or say nothing about it). */
const variations: Record<string, (r: LedgerRecord) => LedgerRecord> = {
  'event never handled': (r) => ({ ...r, handledEvents: [] }),
  'record from before handledEvents': (r) => {
    const { handledEvents: _h, ...rest } = r;
    return rest;
  },
  'a newer policy version is deployed': (r) => ({
    ...r,
    decision: { ...decision, policyVersion: `sha256:${'b'.repeat(64)}` },
  }),
  'tags of the latest decision not applied': (r) => ({ ...r, decisionSeq: 2 }),
  'alert pending, not sent': (r) => ({
    ...r,
    notification: { ...(r.notification as NonNullable<LedgerRecord['notification']>), state: 'pending' },
  }),
  'alert publish claimed, outcome unknown': (r) => ({
    ...r,
    notification: {
      ...(r.notification as NonNullable<LedgerRecord['notification']>),
      state: 'publishing',
      claimedAt: NOW.toISOString(),
    },
  }),
  'an earlier message unconfirmed': (r) => ({
    ...r,
    unconfirmed: [r.notification as NonNullable<LedgerRecord['notification']>],
  }),
  'decision never announced': (r) => ({ ...r, notification: null, announced: null }),
  'announced state differs from the decision': (r) => ({
    ...r,
    decision: { ...decision, verdict: 'quarantined', reason: 'policy' },
  }),
  'restored, awaiting a rescan': (r) => ({ ...r, restoredAt: NOW.toISOString() }),
  'archived by the gatekeeper': (r) => ({ ...r, archivedByGatekeeper: true }),
  'listed by an index': (r) => ({ ...r, parentDigests: [`sha256:${'2'.repeat(64)}`] }),
  'an index': (r) => ({ ...r, childDigests: [`sha256:${'3'.repeat(64)}`] }),
  'a tag refused': (r) => ({ ...r, decision: { ...decision, refusedTags: ['approved-1.0.0'] } }),
  'a problem outstanding': (r) => ({ ...r, decision: { ...decision, problems: ['tag quota'] } }),
  'approval within a fix deadline': (r) => ({
    ...r,
    decision: { ...decision, atRisk: { deadline: '2026-07-01T00:00:00Z', violations: 1 } },
  }),
  'a violation with a deadline': (r) => ({
    ...r,
    decision: {
      ...decision,
      violations: [{ rule: 'r', findingId: 'CVE-1', severity: 'HIGH', package: 'p', deadline: null }],
    },
  }),
  'a waiver expired since': (r) => ({
    ...r,
    decision: {
      ...decision,
      earliestWaiverExpiry: '2026-05-31',
      waived: [{ findingId: 'CVE-2', exception: 'policies/x.yaml#1', expires: '2026-05-31' }],
    },
  }),
  'image pending again': (r) => ({ ...r, state: 'pending' }),
  'image gone': (r) => ({ ...r, state: 'gone' }),
};

describe('duplicateBlocker', () => {
  it('short-cuts a redelivered event that was fully handled (scan and finding events)', () => {
    expect(duplicateBlocker(handled(scan), eventMark(scan), POLICY, NOW)).toBeNull();
    expect(duplicateBlocker(handled(finding), eventMark(finding), POLICY, NOW)).toBeNull();
  });

  it('keeps a waiver that is still valid from blocking the short-cut', () => {
    const record = handled();
    const waived = {
      ...record,
      decision: {
        ...decision,
        earliestWaiverExpiry: '2026-12-31',
        waived: [{ findingId: 'CVE-2', exception: 'policies/x.yaml#1', expires: '2026-12-31' }],
      },
    };
    expect(duplicateBlocker(waived, eventMark(scan), POLICY, NOW)).toBeNull();
  });

  it.each(Object.entries(variations))('takes the full path when %s', (_name, vary) => {
    expect(duplicateBlocker(vary(handled()), eventMark(scan), POLICY, NOW)).toEqual(expect.any(String));
  });

  it('takes the full path for another event or other evidence under the same id', () => {
    const record = handled();
    const other: GateTrigger[] = [
      { ...scan, id: 'event-9' },
      { ...scan, scanStatus: 'FAILED' },
      { ...scan, scanner: 'enhanced' },
      { ...scan, severityCountsHint: { HIGH: 2, LOW: 2 } },
      { ...finding, id: 'event-1' },
    ];
    for (const trigger of other) {
      expect(duplicateBlocker(record, eventMark(trigger), POLICY, NOW)).toEqual(expect.any(String));
    }
  });

  it('never short-cuts pushes, restores, the sweep or re-judgements', () => {
    const never: GateTrigger[] = [
      { kind: 'push', id: 'event-1', time: scan.time, tag: '1.0.0' },
      { kind: 'push', id: 'event-1', time: scan.time, tag: 'approved-1.0.0' },
      { kind: 'restored', id: 'event-1', time: scan.time },
      { kind: 'sweep', id: 'event-1', reason: 'drift' },
      { kind: 'rejudge', id: 'event-1', reason: 'policy-version' },
    ];
    for (const trigger of never) {
      expect(eventMark(trigger)).toBeNull();
      expect(duplicateBlocker(handled(), eventMark(trigger), POLICY, NOW)).toEqual(expect.any(String));
    }
  });

  it('short-cuts exactly when no variation applies (every combination)', () => {
    const names = Object.keys(variations);
    fc.assert(
      fc.property(fc.subarray(names), fc.boolean(), (applied, asFinding) => {
        const trigger = asFinding ? finding : scan;
        let record = handled(trigger);
        for (const name of applied) record = (variations[name] as (r: LedgerRecord) => LedgerRecord)(record);
        const blocker = duplicateBlocker(record, eventMark(trigger), POLICY, NOW);
        expect(blocker === null).toBe(applied.length === 0);
      }),
    );
  });

  it('remembers the latest events, bounded', () => {
    let handledEvents: string[] = [];
    for (let i = 0; i < MAX_HANDLED_EVENTS + 5; i++) {
      handledEvents = withHandledEvent(handledEvents, eventMark({ ...scan, id: `e-${i}` }));
    }
    expect(handledEvents).toHaveLength(MAX_HANDLED_EVENTS);
    expect(handledEvents.at(-1)).toBe(eventMark({ ...scan, id: `e-${MAX_HANDLED_EVENTS + 4}` }));
    expect(handledEvents).not.toContain(eventMark({ ...scan, id: 'e-0' }));
  });
});
