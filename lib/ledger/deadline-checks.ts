/**
 * When an at-risk image (approved within fix deadlines, `RecordedDecision.atRisk`) must be looked at again
 * without an event: at each escalation alert (entered, halfway, one day before) and at the deadline itself,
 * when the gate re-judges it and quarantines it unless it was fixed or waived. The ledger indexes each record
 * by the earliest of these times that is still to come (`nextDeadlineCheck`), so the scheduled check queries
 * the records whose time has come instead of scanning the table.
 */
import type { LedgerRecord } from './ledger.ts';

/** The escalation alerts sent while an image is at risk, in order. The last step, expiry, is the quarantine. */
export const AT_RISK_STAGES = ['entered', 'halfway', 'one-day-before'] as const;
export type AtRiskStage = (typeof AT_RISK_STAGES)[number];

/** What became of one stage's alert: claimed and being published, sent, or passed over (its time was missed). */
export interface AtRiskStageState {
  readonly state: 'publishing' | 'sent' | 'skipped';
  /** The alert's time, which its text shows (ISO-8601): the first claim, or when the stage was skipped. */
  readonly at: string;
  /** While `publishing`: when the latest claim was made (a claim older than the timeout may be made again). */
  readonly claimedAt?: string;
  /** The alert's dedupe key (also on the SNS message). */
  readonly dedupeKey: string;
}

/** The escalation alerts of one at-risk period: one series per image and deadline. */
export interface AtRiskAlerts {
  /** The deadline (ISO-8601) the series is about; a new deadline starts a new series. */
  readonly deadline: string;
  /** When the image was first recorded at risk with this deadline (ISO-8601): the start of the grace period. */
  readonly since: string;
  readonly stages: Readonly<Partial<Record<AtRiskStage, AtRiskStageState>>>;
}

const DAY_MS = 24 * 3600 * 1000;
/** A claimed alert whose publish outcome is unknown (crash) is published again, same dedupe key, after this. */
export const AT_RISK_CLAIM_TIMEOUT_MS = 15 * 60 * 1000;

/**
 * When each stage falls due: entered at the start, halfway through the grace period, one day before the
 * deadline, but never before halfway (with a grace of two days or less it falls at halfway, and the check sends
 * only the later of the two).
 * @example atRiskStageTimes('2026-01-01T00:00:00.000Z', '2026-01-11T00:00:00.000Z').halfway // 2026-01-06T00:00:00.000Z
 */
export function atRiskStageTimes(since: string, deadline: string): Record<AtRiskStage, string> {
  const start = Date.parse(since);
  const end = Date.parse(deadline);
  const at = (ms: number) => new Date(Math.max(start, Math.min(ms, end))).toISOString();
  const halfway = start + Math.floor((end - start) / 2);
  return {
    entered: at(start),
    halfway: at(halfway),
    // Never before halfway: the stages stay in order when the grace is two days or less.
    'one-day-before': at(Math.max(halfway, end - DAY_MS)),
  };
}

/** The deadline of an at-risk decided record, normalised to ISO-8601; null when it is not at risk with a deadline. */
export function atRiskDeadlineOf(record: LedgerRecord): string | null {
  if (record.state !== 'decided' || record.decision?.verdict !== 'approved') return null;
  const deadline = record.decision.atRisk?.deadline;
  if (!deadline) return null;
  const ms = Date.parse(deadline);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}

/**
 * The next time the deadline check must look at this record (ISO-8601): the earliest alert stage not yet sent
 * (or a claim that timed out), else the deadline; null when the record is not at risk with a deadline.
 * The ledger adapters index records by it (DynamoDB: the `deadlineCheckAt` attribute, present only then).
 */
export function nextDeadlineCheck(record: LedgerRecord): string | null {
  const deadline = atRiskDeadlineOf(record);
  if (deadline === null) return null;
  const alerts = record.atRiskAlerts;
  if (!alerts || alerts.deadline !== deadline) {
    // A new series: the entered alert is due now (at the decision that put the image at risk).
    const decided = record.decision?.decidedAt ?? deadline;
    return decided < deadline ? new Date(Date.parse(decided)).toISOString() : deadline;
  }
  const times = atRiskStageTimes(alerts.since, deadline);
  let next = deadline;
  for (const stage of AT_RISK_STAGES) {
    const done = alerts.stages[stage];
    const due =
      done === undefined
        ? times[stage]
        : done.state === 'publishing'
          ? new Date(Date.parse(done.claimedAt ?? done.at) + AT_RISK_CLAIM_TIMEOUT_MS).toISOString()
          : null;
    if (due !== null && due < next) next = due;
  }
  return next;
}
