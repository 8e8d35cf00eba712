/**
 * The decision record: what the ledger keeps of a decision and of the message it owes, and the ledger steps
 * around it (optimistic writes re-applied on a conflict, index links, a deleted image).
 */
import type { ImageRef } from '../events/image-ref.ts';
import { imageKey } from '../events/image-ref.ts';
import { LedgerConflictError } from '../ledger/errors.ts';
import {
  GONE_RECORD_TTL_SECONDS,
  type LedgerRecord,
  newLedgerRecord,
  type RecordedDecision,
} from '../ledger/ledger.ts';
import type { Logger } from '../log/logger.ts';
import type { Decision } from '../policy/decision.ts';
import type { GateDependencies, GateOutcome } from './context.ts';
import { baseOutcome } from './outcome.ts';
import { type DecisionPlan, lastAnnounced } from './plan.ts';
import type { Readiness } from './readiness.ts';

/** How many violations a ledger record keeps (the count is always exact). */
const RECORDED_VIOLATIONS = 20;

/** The decision as the ledger records it; unchanged facts of the previous one (when it, too, is the same) kept. */
export function recordDecision(
  decision: Decision,
  plan: DecisionPlan,
  digestOfFindings: string,
  readiness: Readiness,
  trigger: string,
  now: Date,
  base: LedgerRecord,
): RecordedDecision {
  const expiries = decision.waived.map((w) => w.exception.expires).sort();
  const previous = base.decision;
  const same =
    previous !== null &&
    previous.verdict === decision.verdict &&
    previous.policyVersion === decision.policy.version &&
    previous.findingsDigest === digestOfFindings;
  return {
    verdict: decision.verdict,
    mode: decision.policy.mode,
    policyName: decision.policy.name,
    policyFile: decision.policy.file,
    policyVersion: decision.policy.version,
    findingsDigest: digestOfFindings,
    scanStatus: readiness.kind === 'not-ready' ? 'NOT_READY' : readiness.status,
    reason: decision.reason ?? null,
    summary: decision.summary,
    violationCount: decision.violations.length,
    violations: decision.violations.slice(0, RECORDED_VIOLATIONS).map((v) => ({
      rule: v.rule,
      findingId: v.findingId,
      severity: v.severity,
      package: v.package,
      ...(v.deadline !== undefined ? { deadline: v.deadline } : {}),
    })),
    waived: decision.waived.slice(0, RECORDED_VIOLATIONS).map((w) => ({
      findingId: w.findingId,
      exception: `${w.exception.file}#${w.exception.id}`,
      expires: w.exception.expires,
    })),
    earliestWaiverExpiry: expiries[0] ?? null,
    sourceTags: plan.sourceTags,
    desiredTags: plan.desiredTags,
    decidedAt: same && previous ? previous.decidedAt : now.toISOString(),
    trigger: same && previous ? previous.trigger : trigger,
    refusedTags: same && previous ? previous.refusedTags : [],
    problems: plan.problems,
    ...(decision.atRisk
      ? { atRisk: { deadline: decision.atRisk.deadline, violations: decision.atRisk.violations } }
      : {}),
  };
}

/**
 * The notification a new intent carries, and the announced state beside it. A message is owed when the state
 * differs from the last announced (or possibly announced) one; a pending message for the same state keeps its
 * dedupe key, so a retry sends the same message.
 */
export function nextNotification(
  record: LedgerRecord,
  plan: DecisionPlan,
  dedupeKey: string,
  recorded: RecordedDecision,
  tagsBefore: readonly string[],
): Pick<LedgerRecord, 'notification' | 'announced' | 'unconfirmed'> {
  const announced = lastAnnounced(record);
  const existing = record.notification;
  const earlier = record.unconfirmed ?? [];
  const attempted =
    existing !== null &&
    (existing.state === 'publishing' || (existing.state === 'pending' && Boolean(existing.payload)));
  if (announced?.stateKey === plan.stateKey) {
    // Nothing new to say. An unconfirmed publish of this very state stays, to be completed (same bytes).
    return { notification: attempted ? existing : null, announced, unconfirmed: earlier };
  }
  if (existing?.state === 'pending' && !existing.payload && existing.stateKey === plan.stateKey) {
    return { notification: existing, announced, unconfirmed: earlier };
  }
  return {
    notification: {
      dedupeKey,
      stateKey: plan.stateKey,
      state: 'pending',
      claimedAt: null,
      messageId: null,
      sentAt: null,
      previousVerdict: announced?.verdict ?? null,
      at: recorded.decidedAt,
      tagsBefore: [...tagsBefore],
      tagsAfter: null,
    },
    announced,
    // A superseded message that may have gone out is completed first, so the changes reach people in order.
    unconfirmed: attempted && existing ? [...earlier, existing] : earlier,
  };
}

/** Children of an index list it among their parents, so events about a child re-decide every index above it. */
export async function linkChildren(
  deps: GateDependencies,
  index: ImageRef,
  children: readonly string[],
  now: Date,
  log: Logger,
) {
  for (const digest of children) {
    const child: ImageRef = { ...index, digest };
    for (let attempt = 0; attempt < deps.settings.contentionAttempts; attempt++) {
      const existing = await deps.ledger.get(child);
      if (existing?.parentDigests.includes(index.digest)) break;
      const base = existing ?? newLedgerRecord(imageKey(child), child, now);
      try {
        await deps.ledger.put(
          { ...base, parentDigests: [...base.parentDigests, index.digest].sort() },
          base.version,
        );
        break;
      } catch (error) {
        if (!(error instanceof LedgerConflictError)) throw error;
        log.debug('child link raced; retrying', { child: digest });
      }
    }
  }
}

/** Re-reads and reapplies `change` when the record moved on since it was read. */
export async function putRetrying(
  deps: GateDependencies,
  record: LedgerRecord,
  change: (latest: LedgerRecord) => LedgerRecord,
): Promise<LedgerRecord> {
  let latest = record;
  for (let attempt = 1; ; attempt++) {
    try {
      return await deps.ledger.put(change(latest), latest.version);
    } catch (error) {
      if (!(error instanceof LedgerConflictError) || attempt >= deps.settings.contentionAttempts) throw error;
      const reread = await deps.ledger.get(latest.image);
      if (!reread) throw error;
      latest = reread;
    }
  }
}

/** A deleted image: its record is marked gone (expiring after the redelivery window); nothing is retried. */
export async function markGone(
  deps: GateDependencies,
  ref: ImageRef,
  record: LedgerRecord | null,
  log: Logger,
): Promise<GateOutcome> {
  log.info('image no longer exists: nothing to do (no retry)');
  if (record && record.state !== 'gone') {
    const now = deps.now();
    try {
      await deps.ledger.put(
        { ...record, state: 'gone', expiresAt: Math.floor(now.getTime() / 1000) + GONE_RECORD_TTL_SECONDS },
        record.version,
      );
    } catch (error) {
      if (!(error instanceof LedgerConflictError)) throw error;
    }
  }
  return baseOutcome(ref, 'gone', 'the image was deleted');
}
