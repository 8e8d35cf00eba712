/**
 * Deciding one image: fresh findings by digest → readiness → verdict (lib/policy) → plan → record the intent in
 * the ledger → apply → fence → publish the notification once. Then every index above the image (multi-arch
 * graph) is decided the same way.
 *
 * The model (docs/gate.md, "The model"):
 * - The decision tags on a digest are a projection of the latest decision in its ledger record. Decisions carry
 *   a sequence number (`decisionSeq`); the record is written with optimistic concurrency, and every read that a
 *   decision rests on (findings, tags) happens after the record was read, so decisions are ordered like the
 *   reads they were made on.
 * - Fencing: after writing tags, a writer re-reads the record. When a newer decision was recorded meanwhile, it
 *   reconciles the digest to that decision (planProjection) and checks again, until the latest decision is one
 *   it has projected. Whatever order concurrent invocations finish in, the last one leaves the digest showing
 *   the latest decision.
 * - A message is owed when the latest decision's announced state (verdict, reason, clean/violations) differs
 *   from the last announced one. Everything the message shows besides the decision is recorded with it, so a
 *   copy re-sent after a crash is byte-identical. Only the invocation whose decision is the latest publishes.
 * - Graph: the ledger keeps, for each digest, the indexes that list it (`parentDigests`, many-to-many). Events
 *   about a digest decide the digest itself (when it carries tags or a decision of its own) and every index
 *   above it, nested indexes included.
 *
 * This file is the flow; its steps live beside it: evaluate-digest.ts (reads and verdict, via read-image.ts),
 * commit-decision.ts (intent → apply → fence → notify), record-decision.ts (the ledger record),
 * projection.ts (tags shown from the record, tag holders) and deliver.ts (messages and alerts).
 */
import type { ImageRef } from '../events/image-ref.ts';
import { imageKey } from '../events/image-ref.ts';
import { LedgerConflictError } from '../ledger/errors.ts';
import type { LedgerRecord } from '../ledger/ledger.ts';
import type { Logger } from '../log/logger.ts';
import type { PolicySet } from '../policy/policy-set.ts';
import { commitDecision } from './commit-decision.ts';
import type { GateDependencies, GateOutcome, GateTrigger } from './context.ts';
import { duplicateBlocker, eventMark, withHandledEvent } from './duplicate.ts';
import { GateContentionError, PolicySetUnavailableError } from './errors.ts';
import { type DecideOptions, evaluateDigest } from './evaluate-digest.ts';
import { sameFindingHistory } from './finding-history.ts';
import { onlyPolicyVersionChanged } from './ledger-update.ts';
import { baseOutcome, triggerLabel } from './outcome.ts';
import { recordDecision } from './record-decision.ts';

/** Indexes above one image that one event re-decides at most (nested indexes included). */
const MAX_INDEXES_ABOVE = 50;

/**
 * Decides one image through the whole gate, then every index above it. Used by the scan and finding handlers,
 * by pushes of a new tag onto a decided digest, and by the hygiene sweep's safety net. Never throws "not
 * ready" (it returns `not-ready`); throws only retryable errors (registry, ledger or SNS unavailable, lost
 * races).
 *
 * @example
 *   const outcome = await decideImage(await getGateDependencies(), ref, { kind: 'sweep', id: 'sweep-1', reason: 'undecided' });
 *   if (outcome.outcome === 'decided') console.log(outcome.verdict);
 */
export async function decideImage(
  deps: GateDependencies,
  ref: ImageRef,
  trigger: GateTrigger,
  options: DecideOptions = {},
): Promise<GateOutcome> {
  const policySet = deps.policySet;
  if (!policySet) {
    throw new PolicySetUnavailableError(
      `policy set unavailable, nothing is approved: ${deps.policySetProblem ?? 'not loaded'}`,
    );
  }
  const log = deps.logger.child({ repository: ref.repository, digest: ref.digest });
  // The record first: every read a decision rests on happens after it, which orders decisions like their reads.
  let prefetched: LedgerRecord | null | undefined = await deps.ledger.get(ref);
  const mark = eventMark(trigger);
  const blocker = duplicateBlocker(prefetched, mark, policySet.version, deps.now());
  if (blocker === null && prefetched?.decision) {
    log.info('event already handled: answered from the ledger (no ECR read, no write)', {
      trigger: triggerLabel(trigger),
    });
    return {
      ...baseOutcome(ref, 'coalesced', 'event already handled; its decision is applied and announced'),
      verdict: prefetched.decision.verdict,
    };
  }
  const solitary = (prefetched?.parentDigests.length ?? 0) === 0;
  const own = await contended(deps, ref, log, () => {
    // The first attempt uses the record read above; a retry after a lost race reads it again.
    const record = prefetched;
    prefetched = undefined;
    return decideDigest(deps, policySet, ref, trigger, log, options, true, record);
  });
  const indexes: { digest: string; outcome: GateOutcome['outcome']; verdict: GateOutcome['verdict'] }[] = [];
  let first: GateOutcome | null = null;
  const displaced: string[] = [...(own?.displaced ?? [])];
  // A finding event the image's last evaluation already covered changed nothing: with no index above, no re-read.
  const above = own?.outcome === 'coalesced' && solitary ? [] : await indexesAbove(deps, ref);
  for (const digest of above) {
    const index: ImageRef = { ...ref, digest };
    const indexLog = log.child({ index: digest });
    const outcome = await contended(deps, index, indexLog, () =>
      decideDigest(deps, policySet, index, trigger, indexLog, {}, false),
    );
    if (!outcome) continue;
    first ??= outcome;
    displaced.push(...(outcome.displaced ?? []));
    indexes.push({ digest, outcome: outcome.outcome, verdict: outcome.verdict });
  }
  // Digests that lost a decision tag to this decision (its source tag moved here) are decided again.
  for (const digest of [...new Set(displaced)].slice(0, MAX_INDEXES_ABOVE)) {
    const other: ImageRef = { ...ref, digest };
    const otherLog = log.child({ displaced: digest });
    await contended(deps, other, otherLog, () =>
      // Judged as the sweep would repair drift: it lost a tag, it was not pushed.
      decideDigest(
        deps,
        policySet,
        other,
        { kind: 'sweep', id: triggerLabel(trigger), reason: 'drift' },
        otherLog,
        {},
        false,
      ),
    );
  }
  if (own) return indexes.length > 0 ? { ...own, indexes } : own;
  if (first) return { ...first, decidedVia: ref.digest, indexes };
  return baseOutcome(ref, 'pending', 'untagged image listed by an index: decided through its index');
}

/** Re-runs a decision attempt when the ledger record changed under it (another invocation won the race). */
async function contended<T>(
  deps: GateDependencies,
  ref: ImageRef,
  log: Logger,
  attempt: () => Promise<T>,
): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof LedgerConflictError)) throw error;
      if (n >= deps.settings.contentionAttempts) {
        throw new GateContentionError(`${imageKey(ref)}: ledger record kept changing concurrently`, {
          cause: error,
        });
      }
      log.debug('ledger record changed concurrently; deciding again', { attempt: n });
    }
  }
}

/** Every index above `ref` in the ledger's graph (parents, their parents …), nearest first, each once. */
async function indexesAbove(deps: GateDependencies, ref: ImageRef): Promise<string[]> {
  const found: string[] = [];
  const seen = new Set<string>([ref.digest]);
  let frontier = [ref.digest];
  while (frontier.length > 0 && found.length < MAX_INDEXES_ABOVE) {
    const next: string[] = [];
    for (const digest of frontier) {
      const record = await deps.ledger.get({ ...ref, digest });
      for (const parent of record?.parentDigests ?? []) {
        if (seen.has(parent)) continue;
        seen.add(parent);
        found.push(parent);
        next.push(parent);
      }
    }
    frontier = next;
  }
  return found.slice(0, MAX_INDEXES_ABOVE);
}

/**
 * One attempt at deciding one digest. Returns null when the digest is not judged on its own: an untagged
 * image listed by an index, which its indexes stand for.
 */
async function decideDigest(
  deps: GateDependencies,
  policySet: PolicySet,
  ref: ImageRef,
  trigger: GateTrigger,
  log: Logger,
  options: DecideOptions,
  eventSubject: boolean,
  prefetched?: LedgerRecord | null,
): Promise<GateOutcome | null> {
  const evaluation = await evaluateDigest(deps, policySet, ref, trigger, log, options, prefetched);
  if ('done' in evaluation) return evaluation.done;
  const { record, summary, archived, now, readiness, digestOfFindings } = evaluation;
  const { findingHistory, decision, seenFindings, restoredByPush, plan, newFacts } = evaluation;
  /** The outcome of a decision that changes nothing in ECR and sends nothing. */
  const unchanged = (): GateOutcome => ({
    ...baseOutcome(ref, 'unchanged', decision.reason ?? null, summary.tags),
    verdict: decision.verdict,
    plan,
    decision,
  });
  const noEffects =
    record !== null &&
    !plan.changed &&
    plan.putTags.length === 0 &&
    plan.removeTags.length === 0 &&
    plan.storageClass === null &&
    !plan.notify &&
    (record.unconfirmed ?? []).length === 0;
  if (noEffects) {
    const archivedByGatekeeper = archived && record.archivedByGatekeeper;
    if (
      !sameList(record.seenFindings ?? null, seenFindings) ||
      archivedByGatekeeper !== record.archivedByGatekeeper ||
      !sameFindingHistory(record.findingHistory, findingHistory) ||
      // Use is tracked: record this read, or ECR's record of it would later count as use.
      findingHistory?.lastUsedAt !== undefined ||
      (newFacts !== null && !record.imageFacts)
    ) {
      // Nothing to write to ECR or SNS; remember what was seen so finding events already covered are skipped.
      await deps.ledger.put(
        {
          ...record,
          lastEvaluatedAt: now.toISOString(),
          seenFindings,
          archivedByGatekeeper,
          findingHistory,
          handledEvents: withHandledEvent(record.handledEvents, eventMark(trigger)),
          imageFacts: newFacts ?? record.imageFacts ?? null,
        },
        record.version,
      );
    }
    log.info('decision unchanged: no ECR write, no notification', {
      verdict: decision.verdict,
      trigger: triggerLabel(trigger),
    });
    return unchanged();
  }

  // Judged the same under a new policy version (re-judgement): one conditional write, no ECR call, no message.
  if (record !== null && !restoredByPush) {
    const refreshed = recordDecision(
      decision,
      plan,
      digestOfFindings,
      readiness,
      triggerLabel(trigger),
      now,
      record,
    );
    if (onlyPolicyVersionChanged(record, plan, refreshed)) {
      await deps.ledger.put(
        { ...record, decision: refreshed, lastEvaluatedAt: now.toISOString(), seenFindings, findingHistory },
        record.version,
      );
      log.info('decision unchanged under a new policy version: ledger only', {
        verdict: decision.verdict,
        policyVersion: decision.policy.version,
        trigger: triggerLabel(trigger),
      });
      return unchanged();
    }
  }

  return commitDecision(deps, ref, trigger, log, eventSubject, evaluation);
}

function sameList(a: readonly string[] | null, b: readonly string[] | null): boolean {
  if (a === null || b === null) return a === b;
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
