/**
 * The fix-deadline check's alert bookkeeping (lib/gate/deadline-check.ts `claimDueStage`, lib/ledger/deadline-checks.ts):
 * each escalation stage is claimed at most once per deadline, in order, never after the deadline, and a record
 * just handled is not due again before its next stage: properties over random grace periods and check times.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { imageKey } from '../../../lib/events/image-ref.ts';
import { claimDueStage } from '../../../lib/gate/deadline-check.ts';
import {
  AT_RISK_CLAIM_TIMEOUT_MS,
  AT_RISK_STAGES,
  atRiskStageTimes,
  nextDeadlineCheck,
} from '../../../lib/ledger/deadline-checks.ts';
import { type LedgerRecord, newLedgerRecord } from '../../../lib/ledger/ledger.ts';
import { atRiskAlertMessage, daysLeft } from '../../../lib/notify/at-risk-alert.ts';
import { decided } from '../ledger/ledger-contract.ts';

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const START = Date.parse('2026-12-01T00:00:00.000Z');
const REF = {
  registryId: '123456789012',
  region: 'us-east-1',
  repository: 'team/app',
  digest: `sha256:${'a'.repeat(64)}`,
};

function atRiskRecord(decidedAt: number, deadline: number): LedgerRecord {
  const base = decided(newLedgerRecord(imageKey(REF), REF, new Date(decidedAt)), null);
  const decision = base.decision;
  if (!decision) throw new Error('decided record expected');
  return {
    ...base,
    version: 1,
    decision: {
      ...decision,
      decidedAt: new Date(decidedAt).toISOString(),
      violationCount: 1,
      violations: [
        {
          rule: 'maxSeverity.CRITICAL',
          findingId: 'CVE-2026-7001',
          severity: 'CRITICAL',
          package: 'openssl',
          deadline: new Date(deadline).toISOString(),
        },
      ],
      atRisk: { deadline: new Date(deadline).toISOString(), violations: 1 },
    },
  };
}

/** Runs checks at `times` (sorted), marking every claim sent at once unless `crashAt` says the publish was lost. */
function runChecks(record: LedgerRecord, times: readonly number[]) {
  let current = record;
  const claims: { stage: string; at: number }[] = [];
  for (const t of times) {
    const claim = claimDueStage(current, new Date(t));
    if (!claim) continue;
    claims.push({ stage: claim.stage, at: t });
    const stage = claim.alerts.stages[claim.stage];
    if (!stage) throw new Error('claimed stage missing');
    current = {
      ...current,
      atRiskAlerts: {
        ...claim.alerts,
        stages: { ...claim.alerts.stages, [claim.stage]: { ...stage, state: 'sent' } },
      },
    };
    const next = nextDeadlineCheck(current);
    // Just handled: not due again before a later stage (no tight loop through the index).
    expect(next === null || Date.parse(next) > t).toBe(true);
  }
  return { claims, record: current };
}

describe('claimDueStage', () => {
  it('claims entered, halfway and one day before once each, in order, and nothing after the deadline', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 30 * 24 }), // grace in hours
        fc.array(fc.integer({ min: 0, max: 40 * 24 * 60 }), { maxLength: 60 }), // check times, minutes after start
        (graceHours, minutes) => {
          const deadline = START + graceHours * HOUR;
          const times = [...minutes].sort((a, b) => a - b).map((m) => START + m * 60_000);
          const { claims, record } = runChecks(atRiskRecord(START, deadline), times);
          const order = claims.map((c) => AT_RISK_STAGES.indexOf(c.stage as (typeof AT_RISK_STAGES)[number]));
          expect(new Set(order).size).toBe(order.length);
          expect([...order].sort()).toEqual(order);
          for (const c of claims) expect(c.at).toBeLessThan(deadline);
          // Every stage whose time came before the last check before the deadline is sent or skipped.
          const lastBefore = times.filter((t) => t < deadline).at(-1);
          if (lastBefore !== undefined) {
            const stageTimes = atRiskStageTimes(
              new Date(START).toISOString(),
              new Date(deadline).toISOString(),
            );
            for (const stage of AT_RISK_STAGES) {
              if (Date.parse(stageTimes[stage]) <= lastBefore) {
                expect(record.atRiskAlerts?.stages[stage]?.state, stage).toMatch(/^(sent|skipped)$/);
              }
            }
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  it('keeps the stages in order when the grace is shorter than two days', () => {
    const record = atRiskRecord(START, START + 12 * HOUR);
    const { claims } = runChecks(record, [START + 10 * 60_000, START + 7 * HOUR, START + 11 * HOUR]);
    expect(claims.map((c) => c.stage)).toEqual(['entered', 'one-day-before']);
  });

  it('sends only the latest stage that has come when the check runs late, recording the others skipped', () => {
    const record = atRiskRecord(START, START + 10 * DAY);
    const claim = claimDueStage(record, new Date(START + 9.5 * DAY));
    expect(claim?.stage).toBe('one-day-before');
    expect(claim?.alerts.stages.entered?.state).toBe('skipped');
    expect(claim?.alerts.stages.halfway?.state).toBe('skipped');
    expect(claim?.alerts.stages['one-day-before']?.state).toBe('publishing');
  });

  it('claims a lost publish again after the timeout, with the same time and dedupe key', () => {
    const record = atRiskRecord(START, START + 10 * DAY);
    const first = claimDueStage(record, new Date(START + HOUR));
    if (!first) throw new Error('entered expected');
    const claimed = { ...record, atRiskAlerts: first.alerts };
    expect(claimDueStage(claimed, new Date(START + HOUR + AT_RISK_CLAIM_TIMEOUT_MS - 1))).toBeNull();
    const again = claimDueStage(claimed, new Date(START + HOUR + AT_RISK_CLAIM_TIMEOUT_MS));
    expect(again?.stage).toBe('entered');
    expect(again?.alerts.stages.entered?.dedupeKey).toBe(first.alerts.stages.entered?.dedupeKey);
    expect(again?.alerts.stages.entered?.at).toBe(first.alerts.stages.entered?.at);
  });

  it('resumes the series of the same deadline after a waived spell, sending no stage twice', () => {
    const record = atRiskRecord(START, START + 7 * DAY);
    const before = runChecks(record, [START + HOUR]);
    expect(before.claims.map((c) => c.stage)).toEqual(['entered']);
    // Waived from day 2: approved without violations, not at risk; the alert record stays with the item.
    const decision = record.decision;
    if (!decision) throw new Error('decision expected');
    const waived: LedgerRecord = {
      ...before.record,
      decision: { ...decision, violationCount: 0, violations: [], atRisk: undefined },
    };
    expect(claimDueStage(waived, new Date(START + 4 * DAY))).toBeNull();
    expect(nextDeadlineCheck(waived)).toBeNull();
    // The waiver expires on day 5: at risk again with the same deadline (same first sighting).
    const again = {
      ...atRiskRecord(START + 5 * DAY, START + 7 * DAY),
      atRiskAlerts: before.record.atRiskAlerts,
    };
    const after = runChecks(again, [
      START + 5 * DAY + HOUR,
      START + 5 * DAY + 2 * HOUR,
      START + 6 * DAY + HOUR,
    ]);
    expect(after.claims.map((c) => c.stage)).toEqual(['halfway', 'one-day-before']);
  });

  it('starts a new series when the deadline changes, and owes nothing once quarantined', () => {
    const record = atRiskRecord(START, START + 10 * DAY);
    const first = claimDueStage(record, new Date(START + HOUR));
    if (!first) throw new Error('entered expected');
    const moved = atRiskRecord(START + 2 * DAY, START + 5 * DAY);
    const second = claimDueStage({ ...moved, atRiskAlerts: first.alerts }, new Date(START + 2 * DAY + HOUR));
    expect(second?.stage).toBe('entered');
    expect(second?.alerts.deadline).toBe(new Date(START + 5 * DAY).toISOString());
    const decision = record.decision;
    if (!decision) throw new Error('decision expected');
    const quarantined: LedgerRecord = {
      ...record,
      decision: { ...decision, verdict: 'quarantined', atRisk: undefined },
    };
    expect(claimDueStage(quarantined, new Date(START + HOUR))).toBeNull();
    expect(nextDeadlineCheck(quarantined)).toBeNull();
  });
});

describe('atRiskAlertMessage', () => {
  it('names the deadline, the days left and the findings responsible, with a per-stage dedupe key', () => {
    const message = atRiskAlertMessage({
      stage: 'halfway',
      image: REF,
      sourceTags: ['1.0.0'],
      policyName: 'default',
      deadline: '2026-12-11T00:00:00.000Z',
      at: '2026-12-06T00:00:00.000Z',
      findings: [
        {
          rule: 'maxSeverity.CRITICAL',
          findingId: 'CVE-2026-7001',
          severity: 'CRITICAL',
          package: 'openssl',
        },
      ],
      total: 1,
      dedupeKey: 'k#halfway',
      consoleRegion: null,
    });
    expect(message.subject).toBe(
      'AT RISK (halfway to its fix deadline): team/app:1.0.0 quarantined on 2026-12-11 unless fixed',
    );
    expect(message.bodies.email).toContain('2026-12-11T00:00:00.000Z (5 days left)');
    expect(message.bodies.email).toContain('CVE-2026-7001  CRITICAL  openssl');
    expect(JSON.parse(message.bodies.default)).toMatchObject({
      stage: 'halfway',
      daysLeft: 5,
      dedupeKey: 'k#halfway',
    });
    expect(message.attributes).toMatchObject({ kind: 'at-risk', stage: 'halfway', severity: ['CRITICAL'] });
    expect(message.dedupeKey).toBe('k#halfway');
    expect(daysLeft('2026-12-10T00:00:01.000Z', '2026-12-11T00:00:00.000Z')).toBe(1);
    expect(daysLeft('2026-12-11T00:00:01.000Z', '2026-12-11T00:00:00.000Z')).toBe(0);
  });
});
