/**
 * The scheduled fix-deadline check. Images kept approved within fix deadlines (at risk) must be looked at again
 * without waiting for an event: at each escalation alert (entered, halfway, one day before) and at the deadline.
 * The ledger lists the records whose next check time has come (`Ledger.listDecisionsPastDeadline`, a sparse index:
 * no table scan). Each is re-judged through the gate's own path (`decideImage`, trigger `sweep`/`fix-deadline`):
 * at the deadline the policy quarantines it unless it was fixed or waived, and that decision's message announces
 * the quarantine (the last escalation step). While it stays at risk, the alert stage that has come is claimed in
 * the ledger record (a conditional write on the record's version: concurrent checks claim it once), published,
 * then marked sent. A claim whose publish outcome is unknown (crash) is claimed again after
 * `AT_RISK_CLAIM_TIMEOUT_MS` and the very same message is sent again (same dedupe key and text).
 */
import { isRepositoryInScope } from '../config/repository-scope.ts';
import { type ImageRef, imageKey } from '../events/image-ref.ts';
import {
  AT_RISK_CLAIM_TIMEOUT_MS,
  AT_RISK_STAGES,
  type AtRiskAlerts,
  type AtRiskStage,
  type AtRiskStageState,
  atRiskDeadlineOf,
  atRiskStageTimes,
} from '../ledger/deadline-checks.ts';
import { LedgerConflictError } from '../ledger/errors.ts';
import type { LedgerRecord } from '../ledger/ledger.ts';
import { atRiskAlertMessage } from '../notify/at-risk-alert.ts';
import type { GateDependencies } from './context.ts';
import { decideImage } from './decide-image.ts';

export interface DeadlineCheckOptions {
  /** The run's id (the sweep id, or the schedule's event id): the trigger recorded with a re-judgement. */
  readonly runId: string;
  /** At most this many images per run; the rest stay due and are taken by the next run. */
  readonly maxImages: number;
  /** Region for console links in the alerts; null: none. */
  readonly consoleRegion: string | null;
}

export interface DeadlineCheckResult {
  /** Images listed as due and in scope. */
  readonly due: number;
  /** Re-judged images whose verdict is now quarantined (the deadline passed). */
  readonly quarantined: number;
  /** Escalation alerts published by this run, by stage. */
  readonly alerts: Readonly<Record<AtRiskStage, number>>;
  /** Images left for the next run (over `maxImages`). */
  readonly deferred: number;
  /** Images whose check failed (left due: the next run tries again). */
  readonly errors: number;
}

/**
 * Runs one deadline check over every due image.
 * @example await checkDeadlines(gate, { runId: 'deadline-check:2026-12-02T12', maxImages: 500, consoleRegion: null })
 */
export async function checkDeadlines(
  deps: GateDependencies,
  options: DeadlineCheckOptions,
): Promise<DeadlineCheckResult> {
  const alerts: Record<AtRiskStage, number> = { entered: 0, halfway: 0, 'one-day-before': 0 };
  let due = 0;
  let quarantined = 0;
  let deferred = 0;
  let errors = 0;
  for await (const ref of deps.ledger.listDecisionsPastDeadline(deps.now())) {
    if (!isRepositoryInScope(deps.repositoryScope, ref.repository)) continue;
    if (due >= options.maxImages) {
      deferred += 1;
      continue;
    }
    due += 1;
    const log = deps.logger.child({ repository: ref.repository, digest: ref.digest });
    try {
      const outcome = await decideImage(deps, ref, {
        kind: 'sweep',
        id: options.runId,
        reason: 'fix-deadline',
      });
      if (outcome.verdict === 'quarantined') quarantined += 1;
      const sent = await sendDueAlert(deps, ref, options.consoleRegion);
      if (sent) alerts[sent] += 1;
      log.info('fix deadline checked', { outcome: outcome.outcome, verdict: outcome.verdict, alert: sent });
    } catch (error) {
      errors += 1;
      log.error('fix deadline check failed: the image stays due for the next run', error as Error);
    }
  }
  return { due, quarantined, alerts, deferred, errors };
}

/**
 * Sends the escalation alert that has come for an image at risk, once per image, deadline and stage. Returns the
 * stage sent, or null when none was owed (not at risk any more, deadline passed, nothing due, or another
 * invocation holds a fresh claim).
 */
export async function sendDueAlert(
  deps: GateDependencies,
  ref: ImageRef,
  consoleRegion: string | null,
): Promise<AtRiskStage | null> {
  for (let attempt = 1; attempt <= deps.settings.contentionAttempts; attempt++) {
    const record = await deps.ledger.get(ref);
    if (!record) return null;
    const now = deps.now();
    const claim = claimDueStage(record, now);
    if (!claim) return null;
    let claimed: LedgerRecord;
    try {
      claimed = await deps.ledger.put({ ...record, atRiskAlerts: claim.alerts }, record.version);
    } catch (error) {
      if (error instanceof LedgerConflictError) continue;
      throw error;
    }
    const state = claim.alerts.stages[claim.stage] as AtRiskStageState;
    const decision = record.decision;
    if (!decision) return null;
    await deps.notifier.publish(
      atRiskAlertMessage({
        stage: claim.stage,
        image: ref,
        sourceTags: decision.sourceTags,
        policyName: decision.policyName,
        deadline: claim.alerts.deadline,
        at: state.at,
        findings: decision.violations,
        total: decision.violationCount,
        dedupeKey: state.dedupeKey,
        consoleRegion,
      }),
    );
    await markSent(deps, claimed, claim.alerts.deadline, claim.stage, state.dedupeKey);
    return claim.stage;
  }
  return null;
}

/**
 * The alert stage to claim now, and the record's alert series with the claim in it; null when nothing is owed.
 * Only the latest stage that has come is sent: earlier ones never sent (the check did not run in time) are
 * recorded as skipped, so a late check sends one truthful alert, not a burst.
 */
export function claimDueStage(
  record: LedgerRecord,
  now: Date,
): { stage: AtRiskStage; alerts: AtRiskAlerts } | null {
  const deadline = atRiskDeadlineOf(record);
  const nowIso = now.toISOString();
  if (deadline === null || deadline <= nowIso) return null;
  const current = record.atRiskAlerts;
  const decidedAt = record.decision?.decidedAt ?? nowIso;
  const alerts: AtRiskAlerts =
    current && current.deadline === deadline
      ? current
      : { deadline, since: decidedAt < nowIso ? decidedAt : nowIso, stages: {} };
  const times = atRiskStageTimes(alerts.since, deadline);
  const owed = AT_RISK_STAGES.filter((stage) => {
    if (times[stage] > nowIso) return false;
    const done = alerts.stages[stage];
    if (done === undefined) return true;
    return (
      done.state === 'publishing' &&
      Date.parse(done.claimedAt ?? done.at) + AT_RISK_CLAIM_TIMEOUT_MS <= now.getTime()
    );
  });
  const stage = owed.at(-1);
  if (stage === undefined) return null;
  const stages: Partial<Record<AtRiskStage, AtRiskStageState>> = { ...alerts.stages };
  for (const earlier of owed.slice(0, -1)) {
    if (stages[earlier] === undefined) {
      stages[earlier] = { state: 'skipped', at: nowIso, dedupeKey: alertKey(record, deadline, earlier) };
    }
  }
  const previous = stages[stage];
  // A claim taken again keeps the alert's time and key: the message re-sent is the same.
  stages[stage] = {
    state: 'publishing',
    at: previous?.at ?? nowIso,
    claimedAt: nowIso,
    dedupeKey: previous?.dedupeKey ?? alertKey(record, deadline, stage),
  };
  return { stage, alerts: { ...alerts, stages } };
}

function alertKey(record: LedgerRecord, deadline: string, stage: AtRiskStage): string {
  return `${imageKey(record.image)}#at-risk#${deadline}#${stage}`;
}

async function markSent(
  deps: GateDependencies,
  claimed: LedgerRecord,
  deadline: string,
  stage: AtRiskStage,
  dedupeKey: string,
): Promise<void> {
  let latest: LedgerRecord | null = claimed;
  for (let attempt = 1; latest && attempt <= deps.settings.contentionAttempts; attempt++) {
    const alerts = latest.atRiskAlerts;
    const state = alerts?.deadline === deadline ? alerts.stages[stage] : undefined;
    if (!alerts || state?.dedupeKey !== dedupeKey || state.state !== 'publishing') return;
    const sent: AtRiskStageState = { state: 'sent', at: state.at, dedupeKey };
    try {
      await deps.ledger.put(
        { ...latest, atRiskAlerts: { ...alerts, stages: { ...alerts.stages, [stage]: sent } } },
        latest.version,
      );
      return;
    } catch (error) {
      if (!(error instanceof LedgerConflictError)) throw error;
      latest = await deps.ledger.get(claimed.image);
    }
  }
}
