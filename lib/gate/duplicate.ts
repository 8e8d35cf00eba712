/**
 * Duplicate deliveries. EventBridge and Lambda deliver at least once, so the same scan-completed or Inspector
 * finding event can arrive again after it was fully handled. Such a copy is answered from the ledger record
 * alone (one read, no write) when the record proves that nothing the event could still cause is left to do:
 *
 * - the event itself (same id, same evidence: scan status and severity counts, or finding ARN, status and update
 *   time) is among the events a recorded decision was made after (`handledEvents`, written with the decision's
 *   intent, so no extra write);
 * - that decision is the latest, made under the policy version deployed now, and its tags are in place per the
 *   ledger (`appliedSeq === decisionSeq`);
 * - no message is owed or unconfirmed (the notification is sent, or none was owed);
 * - nothing in it depends on the clock (no waiver, fix deadline or grace to run out), it is not awaiting a rescan
 *   after a restore, not archived, not part of a multi-arch graph (indexes above would need deciding too) and
 *   has no problem or refused tag outstanding.
 *
 * Anything else, or anything unknown, takes the full path (fail closed). A new scan or a changed finding comes
 * as a new event (a new id), never as a duplicate; pushes are not short-cut here (a push of a decision tag
 * always runs the spoof check in handle-push.ts).
 */
import { createHash } from 'node:crypto';
import type { LedgerRecord } from '../ledger/ledger.ts';
import type { GateTrigger } from './context.ts';
import { lastAnnounced, recordedStateKey } from './plan.ts';

/** Events remembered per image: newest last. Redeliveries come within hours, after few other events. */
export const MAX_HANDLED_EVENTS = 16;

/**
 * The mark of an event's identity and evidence (`<kind>:<16 hex>`), or null for triggers that are never
 * short-cut (pushes, restores, the sweep, re-judgements).
 * @example eventMark({ kind: 'scan-completed', id: 'e-1', time: '…', scanner: 'basic', scanStatus: 'COMPLETE', severityCountsHint: {} })
 */
export function eventMark(trigger: GateTrigger): string | null {
  let evidence: unknown[];
  if (trigger.kind === 'scan-completed') {
    const counts = Object.entries(trigger.severityCountsHint).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
    evidence = [trigger.id, trigger.scanner, trigger.scanStatus, counts];
  } else if (trigger.kind === 'finding-changed') {
    evidence = [
      trigger.id,
      trigger.findingArn,
      trigger.findingStatus ?? null,
      trigger.findingUpdatedAt ?? null,
    ];
  } else {
    return null;
  }
  const hash = createHash('sha256').update(JSON.stringify(evidence), 'utf8').digest('hex').slice(0, 16);
  return `${trigger.kind}:${hash}`;
}

/** `handled` with `mark` added last (moved last when present), bounded to MAX_HANDLED_EVENTS. */
export function withHandledEvent(
  handled: readonly string[] | null | undefined,
  mark: string | null,
): string[] {
  const kept = (handled ?? []).filter((m) => m !== mark);
  if (mark !== null) kept.push(mark);
  return kept.slice(-MAX_HANDLED_EVENTS);
}

/**
 * Why the event marked `mark` must take the full path, or null when it is a duplicate of an event already
 * fully handled (answer it from `record`, write nothing).
 * @example if (duplicateBlocker(record, eventMark(trigger), policySet.version, now) === null) return coalesced
 */
export function duplicateBlocker(
  record: LedgerRecord | null,
  mark: string | null,
  policyVersion: string,
  now: Date,
): string | null {
  if (mark === null) return 'this kind of event is never short-cut';
  if (record?.state !== 'decided' || !record.decision) return 'no decision recorded';
  if (!(record.handledEvents ?? []).includes(mark)) return 'event not handled before';
  const decision = record.decision;
  if (decision.policyVersion !== policyVersion) return 'decided under another policy version';
  if (record.appliedSeq !== record.decisionSeq) return 'tags of the latest decision not applied yet';
  const notification = record.notification;
  if (notification && notification.state !== 'sent') return 'a message is owed or its publish is unconfirmed';
  if ((record.unconfirmed ?? []).length > 0) return 'an earlier message is unconfirmed';
  if (lastAnnounced(record)?.stateKey !== recordedStateKey(decision)) return 'the decision is not announced';
  if (record.restoredAt) return 'restored: awaiting a new scan';
  if (record.archivedByGatekeeper) return 'archived by the gatekeeper';
  if (record.parentDigests.length > 0 || record.childDigests.length > 0) return 'part of a multi-arch graph';
  if (decision.problems.length > 0 || decision.refusedTags.length > 0) return 'a problem is outstanding';
  if (decision.atRisk || decision.violations.some((v) => v.deadline !== undefined)) {
    return 'the verdict depends on a fix deadline';
  }
  const today = now.toISOString().slice(0, 10);
  if (decision.earliestWaiverExpiry !== null && decision.earliestWaiverExpiry <= today) {
    return 'a waiver has expired';
  }
  if (decision.waived.some((w) => w.expires <= today)) return 'a waiver has expired';
  return null;
}
