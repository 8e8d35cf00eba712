/** Read-modify-write of one image's ledger record under its optimistic version, retried on lost races. */
import { type ImageRef, imageKey } from '../events/image-ref.ts';
import { LedgerConflictError } from '../ledger/errors.ts';
import { type LedgerRecord, newLedgerRecord, type RecordedDecision } from '../ledger/ledger.ts';
import type { GateDependencies } from './context.ts';
import { GateContentionError } from './errors.ts';
import type { DecisionPlan } from './plan.ts';

/**
 * Applies `change` to the image's record (a fresh one when it has none) and writes it; `change` returning
 * null means "nothing to write". A lost race re-reads and re-applies, up to `settings.contentionAttempts`.
 * @example await updateLedgerRecord(deps, ref, (r) => ({ ...r, ownTags: [...r.ownTags, tag] }))
 */
export async function updateLedgerRecord(
  deps: GateDependencies,
  ref: ImageRef,
  change: (record: LedgerRecord) => LedgerRecord | null,
): Promise<LedgerRecord | null> {
  for (let attempt = 1; ; attempt++) {
    const record = (await deps.ledger.get(ref)) ?? newLedgerRecord(imageKey(ref), ref, deps.now());
    const next = change(record);
    if (next === null) return record;
    try {
      return await deps.ledger.put(next, record.version);
    } catch (error) {
      if (!(error instanceof LedgerConflictError)) throw error;
      if (attempt >= deps.settings.contentionAttempts) {
        throw new GateContentionError(`${imageKey(ref)}: ledger record kept changing concurrently`, {
          cause: error,
        });
      }
    }
  }
}

/**
 * True when a new judgement differs from the recorded decision in its policy version alone: same verdict,
 * reason, findings, violations, waivers, deadlines and desired tags, the tags already in place (nothing to put,
 * remove or archive), no message owed, and no writer between its intent and its completion (`appliedSeq` has
 * caught up with `decisionSeq`). Such a decision (a re-judgement after a policy change that judges the image the
 * same) is recorded with one conditional write of the record: no ECR call, no message, no tag-holder write.
 * @example if (onlyPolicyVersionChanged(record, plan, recorded)) await deps.ledger.put(…, record.version)
 */
export function onlyPolicyVersionChanged(
  record: LedgerRecord,
  plan: DecisionPlan,
  recorded: RecordedDecision,
): boolean {
  const previous = record.decision;
  if (record.state !== 'decided' || previous === null) return false;
  if (record.appliedSeq !== record.decisionSeq || (record.unconfirmed ?? []).length > 0) return false;
  if (record.notification?.state === 'pending') return false;
  if (plan.putTags.length > 0 || plan.removeTags.length > 0 || plan.spoofed.length > 0) return false;
  if (plan.storageClass !== null || plan.notify || plan.problems.length > 0) return false;
  if (previous.policyVersion === recorded.policyVersion) return false;
  const judged = (d: RecordedDecision) =>
    JSON.stringify([
      d.verdict,
      d.mode,
      d.reason,
      d.findingsDigest,
      d.scanStatus,
      d.violationCount,
      d.violations,
      d.waived,
      d.atRisk ?? null,
      d.sourceTags,
      d.desiredTags,
    ]);
  return judged(previous) === judged(recorded);
}
