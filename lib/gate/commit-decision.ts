/**
 * The effects of a new decision, in order: record the intent in the ledger, alert spoofed tags, apply the plan
 * (claiming the tag holders first), record what is on the digest, fence against newer decisions, and send the
 * one message the state change owes (plus the alerts the plan calls for).
 */
import { type ImageRef, imageKey } from '../events/image-ref.ts';
import { newLedgerRecord } from '../ledger/ledger.ts';
import type { Logger } from '../log/logger.ts';
import { applyPlan } from './apply.ts';
import type { GateDependencies, GateOutcome, GateTrigger } from './context.ts';
import { deliverOwed, publishAlert } from './deliver.ts';
import { eventMark, withHandledEvent } from './duplicate.ts';
import type { Evaluation } from './evaluate-digest.ts';
import { triggerLabel } from './outcome.ts';
import { archiveKey, lastAnnounced } from './plan.ts';
import { claimTagHolders, reconcileToLatest } from './projection.ts';
import { markGone, nextNotification, putRetrying, recordDecision } from './record-decision.ts';

/** Applies and announces the decision of `evaluation` (one that changes something besides the ledger). */
export async function commitDecision(
  deps: GateDependencies,
  ref: ImageRef,
  trigger: GateTrigger,
  log: Logger,
  eventSubject: boolean,
  evaluation: Evaluation,
): Promise<GateOutcome> {
  const { record, summary, manifest, archived, isIndex, children, now, readiness } = evaluation;
  const { findings, digestOfFindings, findingHistory, decision, seenFindings } = evaluation;
  const { restoredByPush, plan, newFacts } = evaluation;
  // 1. Record the intent before touching ECR.
  const base = record ?? newLedgerRecord(imageKey(ref), ref, now);
  const seq = plan.changed ? base.decisionSeq + 1 : base.decisionSeq;
  const key = imageKey(ref);
  const recorded = recordDecision(
    decision,
    plan,
    digestOfFindings,
    readiness,
    triggerLabel(trigger),
    now,
    base,
  );
  const { notification, announced, unconfirmed } = nextNotification(
    base,
    plan,
    `${key}#${seq}`,
    recorded,
    summary.tags,
  );
  let current = await deps.ledger.put(
    {
      ...base,
      state: 'decided',
      pendingSince: null,
      decisionSeq: seq,
      decision: recorded,
      notification,
      announced,
      unconfirmed,
      lastEvaluatedAt: now.toISOString(),
      seenFindings,
      findingHistory,
      // This event's evidence is accounted for by a recorded decision: a redelivery may be answered from here.
      handledEvents: withHandledEvent(base.handledEvents, eventMark(trigger)),
      imageFacts: newFacts ?? base.imageFacts ?? null,
      childDigests: isIndex ? children : base.childDigests,
      expiresAt: null,
      restoredAt: null,
    },
    base.version,
  );

  // 2. Security alert for spoofed tags before they are removed (at least once: a retry re-detects them).
  if (plan.spoofed.length > 0) {
    await publishAlert(deps, {
      kind: 'spoofed-tag',
      image: ref,
      tagsBefore: summary.tags,
      tagsAfter: summary.tags.filter((t) => !plan.spoofed.includes(t)),
      tags: plan.spoofed,
      detail: `reserved-prefix tags not written by the gatekeeper were found on the image and are removed: ${plan.spoofed.join(', ')}`,
      decision: null,
      spoof: {
        writtenOn: null,
        putBack: false,
        explanation:
          'Found on the image while it was being decided; the ledger holds no decision of the gatekeeper behind it for this digest, so it is removed here and not moved anywhere.',
      },
    });
  }

  // 3. Apply. Tag names are repository-wide: a decision tag the gatekeeper had written on another digest (its
  // source tag moved here) leaves that digest when it is written here, so that digest is decided again after.
  // The holder is claimed before the write, so a crash in between cannot hide the move from the next writer.
  const { displaced, claimed } = await claimTagHolders(deps, ref, plan.putTags);
  const applied = await applyPlan(deps.registry, ref, manifest, plan, summary.tags, [
    deps.scheme.approvedPrefix,
    deps.scheme.quarantinedPrefix,
  ]);
  if (applied.gone) return markGone(deps, ref, current, log);
  const problems = [...plan.problems, ...applied.problems];

  // 4. Record what is on the digest now, and complete the message's record.
  const present = new Set(applied.tagsAfter);
  const ownTags = [...new Set([...current.ownTags, ...applied.written, ...plan.desiredTags])]
    .filter((t) => present.has(t))
    .sort();
  const removedSourceTags =
    decision.verdict === 'quarantined'
      ? [...new Set([...current.removedSourceTags, ...applied.removedSourceTags])].sort()
      : current.removedSourceTags;
  const archivedByGatekeeper =
    applied.storageClass === 'ARCHIVE' || (archived && current.archivedByGatekeeper);
  const archivedFor =
    applied.storageClass === 'ARCHIVE'
      ? archiveKey(decision, digestOfFindings)
      : (current.archivedFor ?? null);
  if (plan.keptRestored) {
    log.info('quarantined again by the decision it was archived for: left restored, not archived again', {
      archivedFor,
    });
  }
  current = await putRetrying(deps, current, (latest) => {
    const mine = latest.decisionSeq === seq;
    const n = latest.notification;
    return {
      ...latest,
      appliedSeq: mine ? Math.max(latest.appliedSeq, seq) : latest.appliedSeq,
      ownTags: mine ? ownTags : latest.ownTags,
      removedSourceTags: mine ? removedSourceTags : latest.removedSourceTags,
      archivedByGatekeeper,
      archivedFor,
      decision:
        latest.decision && mine
          ? {
              ...latest.decision,
              problems,
              refusedTags: [...new Set([...latest.decision.refusedTags, ...applied.refused])],
            }
          : latest.decision,
      notification:
        mine && n && n.state === 'pending' && n.stateKey === plan.stateKey && n.tagsAfter == null
          ? {
              ...n,
              tagsAfter: applied.tagsAfter,
              refusedTags: [...new Set([...(latest.decision?.refusedTags ?? []), ...applied.refused])],
              problems,
              archived: archivedByGatekeeper,
            }
          : n,
    };
  });

  // Which digest holds each decision tag the gatekeeper wrote, so a spoofed push that moves one off can be undone.
  // (After a crash the retry writes no tag, so every desired tag in place is recorded when the plan changed.)
  const holders = plan.changed ? plan.desiredTags.filter((t) => present.has(t)) : applied.written;
  for (const tag of holders) {
    if (!claimed.includes(tag)) await deps.ledger.putTagHolder(ref, tag);
  }

  // 5. Fence: a newer decision recorded while the tags were written wins; make the digest show it.
  const fenced = await reconcileToLatest(deps, ref, seq, log);
  const tagsAfter = fenced.tagsAfter ?? applied.tagsAfter;

  // 6. Notify once, only for the latest decision (a superseded decision's message would not be true any more).
  let notified: string | null = null;
  const latest = fenced.record ?? current;
  if (latest.decisionSeq === seq) {
    notified = await deliverOwed(
      deps,
      latest,
      (n) =>
        deps.messages.decision({
          decision,
          image: ref,
          tagsBefore: n.tagsBefore ?? summary.tags,
          tagsAfter: n.tagsAfter ?? tagsAfter,
          previousVerdict: n.previousVerdict ?? null,
          findings,
          scanStatus: readiness.kind === 'no-findings' ? readiness.status : null,
          refusedTags: n.refusedTags ?? latest.decision?.refusedTags ?? applied.refused,
          problems: n.problems ?? problems,
          archived: n.archived ?? archivedByGatekeeper,
          stateChange: n.dedupeKey,
          ...(n.at ? { at: n.at } : {}),
        }),
      log,
    );
  }
  if (!notified && applied.refused.length > 0) {
    // A new tag refused outside a state change (e.g. a new source tag): the immutable alert, once per refusal.
    const message = deps.messages.decision({
      decision,
      image: ref,
      tagsBefore: summary.tags,
      tagsAfter,
      previousVerdict: lastAnnounced(latest)?.verdict ?? null,
      findings,
      scanStatus: null,
      refusedTags: applied.refused,
      problems,
      archived: archivedByGatekeeper,
    });
    await deps.notifier.publish(message);
    notified = message.subject;
  }
  if (plan.problems.length > 0 && plan.changed) {
    // Also when a verdict message went out: it does not carry the problems (tag quota, a kept last tag).
    const alert = await publishAlert(deps, {
      kind: 'tag-limit',
      image: ref,
      tagsBefore: summary.tags,
      tagsAfter,
      tags: plan.desiredTags,
      detail: problems.join('; '),
      decision,
    });
    notified ??= alert.subject;
  }
  if (restoredByPush && applied.storageClass === 'ARCHIVE') {
    const alert = await publishAlert(deps, {
      kind: 'archive-bypassed',
      image: ref,
      tagsBefore: summary.tags,
      tagsAfter,
      tags: summary.tags,
      detail:
        'The image was archived after its quarantine and someone pushed it again, which restored it; it is archived again.',
      decision,
    });
    notified ??= alert.subject;
  }

  log.info('image decided', {
    verdict: decision.verdict,
    policy: decision.policy.name,
    policyVersion: decision.policy.version,
    reason: decision.reason ?? null,
    violations: decision.violations.length,
    waived: decision.waived.length,
    tagsBefore: summary.tags,
    tagsAfter,
    problems,
    trigger: triggerLabel(trigger),
    ...(eventSubject ? {} : { asIndex: true }),
  });
  return {
    outcome: plan.changed ? 'decided' : 'unchanged',
    image: ref,
    verdict: latest.decision?.verdict ?? decision.verdict,
    detail: decision.reason ?? null,
    tagsBefore: summary.tags,
    tagsAfter,
    plan,
    notified,
    problems,
    decision,
    ...(displaced.length > 0 ? { displaced } : {}),
  };
}
