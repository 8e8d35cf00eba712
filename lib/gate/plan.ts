/**
 * Planning (pure): from a Decision, the digest's current tags and storage class, and the ledger record, the
 * actions that bring the digest to the decided state. Applying a plan and planning again gives an empty plan,
 * which is why redeliveries cause no ECR write.
 *
 * Invariants the plan keeps:
 * - after it is applied the digest carries decision tags of one verdict only (approved xor quarantined);
 * - new tags are written before any tag is removed, and a removal never takes the digest's last tag (ECR
 *   deletes an image whose last tag is removed);
 * - reserved-prefix tags the gatekeeper did not write (not in the record) are spoofs: removed and reported.
 */
import type { AnnouncedState, LedgerRecord } from '../ledger/ledger.ts';
import type { Decision, Verdict } from '../policy/decision.ts';
import {
  decisionTags,
  digestDecisionTag,
  fitUnderTagLimit,
  prefixFor,
  reservedKind,
  sourceTagsOf,
  type TagScheme,
} from './tags.ts';

/** Per-policy gate options (`actions` in a policy file). */
export interface PolicyActions {
  readonly removeSourceTags: boolean;
  readonly archiveQuarantined: boolean;
}

export interface PlanInput {
  readonly scheme: TagScheme;
  readonly decision: Decision;
  readonly digest: string;
  /** Tags on the digest now (DescribeImages), decision tags included. */
  readonly currentTags: readonly string[];
  /** STANDARD or ARCHIVE. */
  readonly storageClass: string;
  readonly record: LedgerRecord | null;
  readonly actions: PolicyActions;
  readonly findingsDigest: string;
  /**
   * The image was archived by the gatekeeper and someone pushed it again (ECR restores an archived image on
   * push): a quarantine archives it again even for the decision it was archived for.
   */
  readonly restoredByPush?: boolean;
}

export type RemovalReason = 'opposite-decision' | 'spoofed' | 'source-tag';

export interface TagRemoval {
  readonly tag: string;
  readonly why: RemovalReason;
}

export interface DecisionPlan {
  readonly verdict: Verdict;
  /** Source tags the decision covers (current ones plus those the gatekeeper removed earlier). */
  readonly sourceTags: readonly string[];
  /** Decision tags that must be on the digest once applied. */
  readonly desiredTags: readonly string[];
  /** Desired tags missing now, in write order. */
  readonly putTags: readonly string[];
  /** Removals by tag, applied after the puts. */
  readonly removeTags: readonly TagRemoval[];
  /** Reserved-prefix tags on the digest that the gatekeeper never wrote. */
  readonly spoofed: readonly string[];
  /**
   * ARCHIVE after a quarantine when the policy asks for it (`actions.archiveQuarantined`), at most once per
   * decision: an image restored after being archived for this same decision stays restored.
   */
  readonly storageClass: 'ARCHIVE' | null;
  /** True when the policy archives quarantined images but this decision already archived the image once. */
  readonly keptRestored: boolean;
  /** True when the decision differs from the recorded one (verdict, policy version, findings, reason, tags). */
  readonly changed: boolean;
  /** `verdict|reason|clean-or-violations`: the state a notification announces. */
  readonly stateKey: string;
  /** True when a message is owed: the state differs from the last announced one, or its publish is unconfirmed. */
  readonly notify: boolean;
  /** Problems to report (tag quota reached …). */
  readonly problems: readonly string[];
}

/** The state a notification announces; a new message is owed only when it changes. */
export function notificationStateKey(decision: Decision): string {
  return `${decision.verdict}|${decision.reason ?? ''}|${decision.violations.length > 0 ? 'violations' : 'clean'}`;
}

/**
 * The identity of a decision for the archive option (`<policy version>|<findings digest>`): the gatekeeper
 * archives a quarantined image at most once per decision, so restoring it never starts an archive loop.
 */
export function archiveKey(decision: Decision, findingsDigest: string): string {
  return `${decision.policy.version}|${findingsDigest}`;
}

/** Reserved-prefix tags the gatekeeper wrote or is about to write for this digest, per its ledger record. */
export function ownTagsOf(record: LedgerRecord | null): Set<string> {
  const own = new Set<string>(record?.ownTags ?? []);
  for (const tag of record?.decision?.desiredTags ?? []) own.add(tag);
  return own;
}

/**
 * Plans the actions for one decision.
 * @example planDecision({ scheme, decision, digest, currentTags: ['v1'], storageClass: 'STANDARD', record: null,
 *   actions: { removeSourceTags: false, archiveQuarantined: false }, findingsDigest }).putTags // ['approved-v1']
 */
export function planDecision(input: PlanInput): DecisionPlan {
  const { scheme, decision, digest, record } = input;
  const verdict = decision.verdict;
  const current = [...new Set(input.currentTags)];

  const currentSources = sourceTagsOf(scheme, current);
  const sourceTags = sourceTagsOf(scheme, [...currentSources, ...(record?.removedSourceTags ?? [])]);
  const wanted = decisionTags(scheme, verdict, sourceTags, digest);

  const problems: string[] = [];
  const own = ownTagsOf(record);
  const wantedSet = new Set(wanted);
  // Tags that stay once opposite and spoofed decision tags are gone: what counts against the 1,000-tag quota.
  const keptCount = current.filter((t) => {
    const kind = reservedKind(scheme, t);
    return kind === null || (kind === verdict && (own.has(t) || wantedSet.has(t)));
  }).length;
  const fitted = fitUnderTagLimit(
    wanted,
    digestDecisionTag(prefixFor(scheme, verdict), digest),
    keptCount,
    new Set(current),
  );
  if (fitted.limited) {
    problems.push(
      fitted.tags.length > 0
        ? `the image would exceed 1000 tags with one ${verdict} tag per source tag; only ${fitted.tags[0]} is used`
        : `the image already carries 1000 tags: no ${verdict} tag can be added`,
    );
  }
  const desiredTags = fitted.tags;
  // Tags an immutable repository refused for this very decision are not tried again on redeliveries.
  const previous = record?.decision ?? null;
  const sameDecision =
    previous !== null &&
    previous.verdict === verdict &&
    previous.policyVersion === decision.policy.version &&
    previous.findingsDigest === input.findingsDigest;
  const tags = planTagActions({
    scheme,
    verdict,
    desiredTags,
    currentTags: current,
    own,
    refused: new Set(sameDecision ? (previous?.refusedTags ?? []) : []),
    removeSourceTags: verdict === 'quarantined' && input.actions.removeSourceTags,
  });
  problems.push(...tags.problems);

  let storageClass: DecisionPlan['storageClass'] = null;
  let keptRestored = false;
  if (verdict === 'quarantined' && input.actions.archiveQuarantined && input.storageClass !== 'ARCHIVE') {
    const archivedForThis = (record?.archivedFor ?? null) === archiveKey(decision, input.findingsDigest);
    // Restored by a push (ECR restores an archived image that is pushed again): archived again, whatever it
    // was archived for. Only a deliberate restore (UPDATE_STORAGE_CLASS) keeps a restored image restored.
    if (archivedForThis && !input.restoredByPush) keptRestored = true;
    else storageClass = 'ARCHIVE';
  }

  const changed =
    previous === null ||
    record?.state !== 'decided' ||
    previous.verdict !== verdict ||
    previous.policyVersion !== decision.policy.version ||
    previous.findingsDigest !== input.findingsDigest ||
    (previous.reason ?? null) !== (decision.reason ?? null) ||
    !sameList(previous.desiredTags, desiredTags);

  const stateKey = notificationStateKey(decision);
  return {
    verdict,
    sourceTags,
    desiredTags,
    putTags: tags.putTags,
    removeTags: tags.removeTags,
    spoofed: tags.spoofed,
    storageClass,
    keptRestored,
    changed,
    stateKey,
    notify: notificationOwed(record, stateKey),
    problems,
  };
}

/** Input of the tag actions shared by a decision's plan and the projection of a recorded decision. */
interface TagActionInput {
  readonly scheme: TagScheme;
  readonly verdict: Verdict;
  /** Decision tags the digest must carry. */
  readonly desiredTags: readonly string[];
  readonly currentTags: readonly string[];
  /** Reserved-prefix tags the gatekeeper wrote for this digest (ledger). */
  readonly own: ReadonlySet<string>;
  /** Desired tags not to write (refused by an immutable repository for this decision). */
  readonly refused: ReadonlySet<string>;
  /** Quarantine option: also remove the source tags. */
  readonly removeSourceTags: boolean;
}

/**
 * The tag writes and removals that make the digest show one verdict: desired tags written first; every
 * decision tag of the other verdict removed (own or spoofed); same-verdict tags the gatekeeper neither wrote
 * nor wants removed as spoofs; never the digest's last tag (ECR deletes an image whose last tag is removed).
 */
function planTagActions(input: TagActionInput): {
  putTags: string[];
  removeTags: TagRemoval[];
  spoofed: string[];
  problems: string[];
} {
  const { scheme, verdict } = input;
  const current = [...new Set(input.currentTags)];
  const currentSet = new Set(current);
  const wantedSet = new Set(input.desiredTags);
  const removals: TagRemoval[] = [];
  const spoofed: string[] = [];
  for (const tag of current) {
    const kind = reservedKind(scheme, tag);
    if (kind === null) continue;
    const isOwn = input.own.has(tag);
    if (kind !== verdict) {
      removals.push({ tag, why: isOwn ? 'opposite-decision' : 'spoofed' });
      if (!isOwn) spoofed.push(tag);
    } else if (!isOwn && !wantedSet.has(tag)) {
      // Same verdict, but neither written nor wanted by the gatekeeper: it does not vouch for this digest.
      removals.push({ tag, why: 'spoofed' });
      spoofed.push(tag);
    }
  }
  const putTags = input.desiredTags.filter((t) => !currentSet.has(t) && !input.refused.has(t));
  if (input.removeSourceTags && input.desiredTags.length > 0) {
    for (const tag of sourceTagsOf(scheme, current)) removals.push({ tag, why: 'source-tag' });
  }
  const problems: string[] = [];
  // Never take the last tag: ECR deletes an image whose last tag is removed.
  const kept = current.filter((t) => !removals.some((r) => r.tag === t));
  const removeTags =
    kept.length + putTags.length > 0 ? removals : keepOne(removals, problems, verdict === 'quarantined');
  return { putTags, removeTags, spoofed, problems };
}

/**
 * The actions that make the digest show the decision recorded in its ledger record: what a writer runs when it
 * finds, after writing tags, that a newer decision was recorded meanwhile (fencing). Null when the record holds
 * no decision.
 * @example planProjection(scheme, record, ['1.0', 'approved-1.0'])?.removeTags // [{ tag: 'approved-1.0', … }] when quarantined
 */
export function planProjection(
  scheme: TagScheme,
  record: LedgerRecord,
  currentTags: readonly string[],
): Pick<DecisionPlan, 'putTags' | 'removeTags' | 'spoofed' | 'desiredTags' | 'problems'> | null {
  const decision = record.decision;
  if (record.state !== 'decided' || decision === null) return null;
  const tags = planTagActions({
    scheme,
    verdict: decision.verdict,
    desiredTags: decision.desiredTags,
    currentTags,
    own: ownTagsOf(record),
    refused: new Set(decision.refusedTags),
    removeSourceTags: false,
  });
  return { ...tags, desiredTags: decision.desiredTags };
}

/**
 * The last state announced to people, or possibly announced: a message whose publish was attempted and whose
 * outcome is unknown (a crash, or a lost response after SNS accepted it) counts as announced, so the next change
 * is measured against what subscribers may have read.
 */
export function lastAnnounced(record: LedgerRecord | null): AnnouncedState | null {
  const n = record?.notification ?? null;
  if (n && (n.state === 'publishing' || n.state === 'sent' || n.payload)) {
    return { stateKey: n.stateKey, verdict: verdictOfStateKey(n.stateKey), dedupeKey: n.dedupeKey };
  }
  return record?.announced ?? null;
}

/** True when a message is owed for `stateKey`: it differs from the last announced state, or its publish is unconfirmed. */
export function notificationOwed(record: LedgerRecord | null, stateKey: string): boolean {
  const n = record?.notification ?? null;
  if (n && n.stateKey === stateKey && n.state !== 'sent') return true;
  return lastAnnounced(record)?.stateKey !== stateKey;
}

/** The announced state of a recorded decision (same key as `notificationStateKey` of the Decision). */
export function recordedStateKey(decision: NonNullable<LedgerRecord['decision']>): string {
  return `${decision.verdict}|${decision.reason ?? ''}|${decision.violationCount > 0 ? 'violations' : 'clean'}`;
}

function verdictOfStateKey(stateKey: string): Verdict {
  return stateKey.startsWith('approved|') ? 'approved' : 'quarantined';
}

function keepOne(removals: TagRemoval[], problems: string[], quarantine: boolean): TagRemoval[] {
  // Prefer keeping a source tag (or a spoof) over an opposite decision tag, so an approved tag never survives
  // a quarantine when anything else can hold the image.
  const order: RemovalReason[] = quarantine
    ? ['source-tag', 'spoofed', 'opposite-decision']
    : ['source-tag', 'opposite-decision', 'spoofed'];
  let keep: TagRemoval | undefined;
  for (const why of order) {
    keep = removals.find((r) => r.why === why);
    if (keep) break;
  }
  if (!keep) return removals;
  problems.push(`tag ${keep.tag} is kept: removing it would delete the image (it is the image's last tag)`);
  return removals.filter((r) => r !== keep);
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const sa = [...a].sort();
  const sb = [...b].sort();
  return sa.every((v, i) => v === sb[i]);
}
