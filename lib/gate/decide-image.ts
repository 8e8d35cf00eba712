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
 */
import { createHash } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { type ImageRef, imageKey } from '../events/image-ref.ts';
import type { Finding } from '../findings/finding.ts';
import { LedgerConflictError } from '../ledger/errors.ts';
import {
  GONE_RECORD_TTL_SECONDS,
  type LedgerRecord,
  type NotificationRecord,
  newLedgerRecord,
  type RecordedDecision,
} from '../ledger/ledger.ts';
import type { Logger } from '../log/logger.ts';
import type { OutboundMessage } from '../notify/notifier.ts';
import type { Decision, ImageFacts, ImageUnderTest } from '../policy/decision.ts';
import type { PolicySet } from '../policy/policy-set.ts';
import { governingPolicy, judgeImage, needsImageFacts } from '../policy/runtime.ts';
import { ImageFactsUnavailableError } from '../registry/errors.ts';
import { childManifests, isIndexMediaType, parseManifest } from '../registry/manifest.ts';
import type { ImageSummary, StoredManifest } from '../registry/registry.ts';
import { applyPlan, applyTagChanges } from './apply.ts';
import type { GateDependencies, GateOutcome, GateTrigger } from './context.ts';
import { duplicateBlocker, eventMark, withHandledEvent } from './duplicate.ts';
import { GateContentionError, NotificationInFlightError, PolicySetUnavailableError } from './errors.ts';
import { inUseAt, mergeFindingHistory, sameFindingHistory } from './finding-history.ts';
import { findingMarks, findingVisible, sawFinding } from './finding-marks.ts';
import { fingerprintFindings } from './fingerprint.ts';
import { onlyPolicyVersionChanged } from './ledger-update.ts';
import {
  archiveKey,
  type DecisionPlan,
  lastAnnounced,
  planDecision,
  planProjection,
  recordedStateKey,
} from './plan.ts';
import { classifyScan, type Readiness } from './readiness.ts';
import { repositoryScanning } from './scanning-cache.ts';
import { sourceTagsOf, type TagScheme } from './tags.ts';

/**
 * Scan statuses that say nothing about a restored image: IMAGE_ARCHIVED (read while it was archived) and
 * SCAN_ELIGIBILITY_EXPIRED (continuous scanning stopped watching it). A restore re-scans instead of judging them.
 */
const STALE_AFTER_RESTORE: ReadonlySet<string> = new Set(['IMAGE_ARCHIVED', 'SCAN_ELIGIBILITY_EXPIRED']);

/** How many violations a ledger record keeps (the count is always exact). */
const RECORDED_VIOLATIONS = 20;

/** Indexes above one image that one event re-decides at most (nested indexes included). */
const MAX_INDEXES_ABOVE = 50;

/** How deep indexes may nest (an index listing an index …) before the gate refuses to judge them. */
const MAX_INDEX_DEPTH = 4;

/** Options of one decision attempt that do not come from the trigger. */
interface DecideOptions {
  /** The image was archived by the gatekeeper and pushed again (ECR restored it): archive it again. */
  readonly restoredByPush?: boolean;
}

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

function triggerLabel(trigger: GateTrigger): string {
  return trigger.kind === 'sweep' ? `sweep:${trigger.reason}:${trigger.id}` : `${trigger.kind}:${trigger.id}`;
}

/** An outcome without a verdict or actions (not ready, gone, ignored …); also used by the push flow. */
export function baseOutcome(
  ref: ImageRef,
  outcome: GateOutcome['outcome'],
  detail: string | null,
  tags: readonly string[] = [],
): GateOutcome {
  return {
    outcome,
    image: ref,
    verdict: null,
    detail,
    tagsBefore: tags,
    tagsAfter: tags,
    plan: null,
    notified: null,
    problems: [],
  };
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
  // The record first: every read a decision rests on happens after it, which orders decisions like their reads.
  const record = prefetched !== undefined ? prefetched : await deps.ledger.get(ref);

  if (trigger.kind === 'finding-changed' && record?.state === 'decided') {
    const announced = {
      findingArn: trigger.findingArn,
      status: trigger.findingStatus ?? null,
      updatedAt: trigger.findingUpdatedAt ?? null,
    };
    if (sawFinding(record.seenFindings, announced)) {
      return baseOutcome(ref, 'coalesced', 'the last evaluation already saw this finding in this state');
    }
  }

  const summary = await deps.registry.describeImage(ref);
  if (!summary) return markGone(deps, ref, record, log);
  const archived = summary.storageClass === 'ARCHIVE';
  if (archived && record?.state === 'decided' && record.archivedByGatekeeper) {
    // Archived by the quarantine option: it cannot be scanned or pulled, so there is nothing fresh to judge.
    return {
      ...baseOutcome(
        ref,
        'unchanged',
        'archived by the gatekeeper after quarantine; restore it to have it re-scanned',
        summary.tags,
      ),
      verdict: record.decision?.verdict ?? null,
    };
  }
  // ECR refuses BatchGetImage on an archived image; its scan status (IMAGE_ARCHIVED) is decided without it.
  const manifest = archived ? null : await deps.registry.getManifest(ref);
  if (!manifest && !archived) return markGone(deps, ref, record, log);
  const isIndex = isIndexMediaType(manifest?.mediaType ?? summary.manifestMediaType ?? '');

  const listed = (record?.parentDigests.length ?? 0) > 0;
  if (!isIndex && listed && summary.tags.length === 0 && record?.state !== 'decided') {
    // An untagged image listed by an index: its indexes stand for it (they are decided next).
    return null;
  }

  const now = deps.now();
  const sourceTags = sourceTagsOf(deps.scheme, [...summary.tags, ...(record?.removedSourceTags ?? [])]);
  const image: ImageUnderTest = { repository: ref.repository, tags: sourceTags, digest: ref.digest };

  let readiness: Readiness;
  let facts: ImageFacts | null = null;
  let factsProblem: string | null = null;
  let children: string[] = [];
  if (isIndex && manifest) {
    const read = await readIndex(deps, ref, manifest, trigger, now, 1);
    children = read.children;
    if (!sameSet(record?.childDigests ?? [], children)) await linkChildren(deps, ref, children, now, log);
    readiness = read.readiness;
    facts = read.facts;
    factsProblem = read.factsProblem;
  } else {
    if (
      summary.tags.length === 0 &&
      !listed &&
      trigger.kind !== 'sweep' &&
      trigger.kind !== 'rejudge' &&
      now.getTime() - Date.parse(summary.pushedAt) < deps.settings.parentWaitMs
    ) {
      return baseOutcome(
        ref,
        'not-ready',
        'untagged image pushed moments ago: it may belong to a multi-arch index not seen yet',
      );
    }
    readiness = await readScan(deps, ref, summary, trigger, now);
    if (readiness.kind === 'findings' && manifest) {
      if (record?.imageFacts) {
        // Content-addressed: the facts read once for this digest are its facts for good.
        facts = record.imageFacts;
      } else if (needsImageFacts(policySet, image)) {
        const got = await readFacts(deps, ref, manifest);
        facts = got.facts;
        factsProblem = got.problem;
      } else {
        // No policy judging the image reads facts. Said as a problem, so one that did would still fail closed.
        factsProblem = 'image facts not read: no policy selected for the image has image rules';
      }
    }
  }

  const awaitingRescan = !archived && (trigger.kind === 'restored' || Boolean(record?.restoredAt));
  if (awaitingRescan && readiness.kind === 'no-findings' && STALE_AFTER_RESTORE.has(readiness.status)) {
    // The scan result describes the image as it was before (or while) it was archived: not a basis for a
    // verdict now. The restore flow makes sure a scan runs; its event (or the sweep) decides the image.
    readiness = {
      kind: 'not-ready',
      why: `restored image: its scan status ${readiness.status} predates the restore; it needs a new scan`,
    };
  }
  if (
    readiness.kind === 'findings' &&
    trigger.kind === 'finding-changed' &&
    (trigger.findingStatus ?? 'ACTIVE') === 'ACTIVE' &&
    findingMarks(readiness.findings) !== null &&
    !findingVisible(readiness.findings, trigger.findingArn) &&
    now.getTime() - Date.parse(trigger.time) < deps.settings.notReadyRetryWindowMs
  ) {
    // Inspector announced a finding the findings API does not show yet: judging now would miss it.
    readiness = {
      kind: 'not-ready',
      why: `finding ${trigger.findingArn} is not visible in the findings yet`,
    };
  }
  if (readiness.kind === 'not-ready') {
    log.info('scan not ready: no verdict yet', { why: readiness.why, trigger: triggerLabel(trigger) });
    return baseOutcome(ref, 'not-ready', readiness.why, summary.tags);
  }

  // One pass: the unique findings and their digest (the decision's identity with the policy version).
  let findings: Finding[] = [];
  let digestOfFindings: string;
  if (readiness.kind === 'findings') {
    ({ findings, digest: digestOfFindings } = fingerprintFindings(readiness.findings));
  } else {
    digestOfFindings = `status:${readiness.status}:${hashText(readiness.description ?? '')}`;
  }
  // Fix deadlines: first-seen/first-fixable dates merged before judging (kept while the finding stays) and
  // recorded with the decision. Only an image whose latest decision approved it gets grace; one in use (an ECR
  // pull other than the gate's own reads, finding-history.ts) gets `deadlines.inUse` more where a policy says so.
  const findingHistory =
    readiness.kind === 'findings'
      ? mergeFindingHistory(policySet, record?.findingHistory, findings, now, {
          lastPulledAt: summary.lastPulledAt,
          lastReadAt: record?.lastEvaluatedAt ?? null,
        })
      : (record?.findingHistory ?? null);
  const previouslyApproved = record?.state === 'decided' && record.decision?.verdict === 'approved';
  // The verdict is made in lib/policy alone: the strictest over every source tag (a tag never loosens it),
  // failing closed when image rules cannot be checked.
  const decision = judgeImage({
    image,
    policySet,
    now,
    scan:
      readiness.kind === 'findings'
        ? { kind: 'findings', findings }
        : { kind: 'no-findings', status: readiness.status, description: readiness.description ?? null },
    facts,
    factsProblem,
    ...(findingHistory ? { history: findingHistory } : {}),
    inUse: inUseAt(findingHistory, now),
    previouslyApproved,
  });
  const policy = governingPolicy(policySet, decision);
  const seenFindings = readiness.kind === 'findings' ? findingMarks(readiness.findings) : [];

  const restoredByPush =
    options.restoredByPush === true && !archived && record?.archivedByGatekeeper === true;
  const plan = planDecision({
    scheme: deps.scheme,
    decision,
    digest: ref.digest,
    currentTags: summary.tags,
    storageClass: summary.storageClass,
    record,
    actions: policy.actions,
    findingsDigest: digestOfFindings,
    restoredByPush,
  });

  // Facts of an image manifest, kept in the record once read.
  const newFacts = !isIndex && facts ? facts : null;
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
    return {
      ...baseOutcome(ref, 'unchanged', decision.reason ?? null, summary.tags),
      verdict: decision.verdict,
      plan,
      decision,
    };
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
      return {
        ...baseOutcome(ref, 'unchanged', decision.reason ?? null, summary.tags),
        verdict: decision.verdict,
        plan,
        decision,
      };
    }
  }

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

/**
 * The notification a new intent carries, and the announced state beside it. A message is owed when the state
 * differs from the last announced (or possibly announced) one; a pending message for the same state keeps its
 * dedupe key, so a retry sends the same message.
 */
function nextNotification(
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

/**
 * Fencing. Re-reads the record after this invocation's tag writes; while a newer decision than the one last
 * projected is recorded, makes the digest show it. Returns the record read last and the tags it left.
 * @throws GateContentionError when decisions keep changing (a retry converges)
 */
async function reconcileToLatest(
  deps: GateDependencies,
  ref: ImageRef,
  projected: number,
  log: Logger,
): Promise<{ record: LedgerRecord | null; tagsAfter: readonly string[] | null }> {
  let seq = projected;
  let tagsAfter: readonly string[] | null = null;
  for (let round = 1; round <= deps.settings.contentionAttempts; round++) {
    const latest = await deps.ledger.get(ref);
    if (!latest || latest.decisionSeq <= seq || latest.state !== 'decided')
      return { record: latest, tagsAfter };
    log.warn('a newer decision was recorded while tags were written: reconciling the digest to it', {
      projected: seq,
      latest: latest.decisionSeq,
      verdict: latest.decision?.verdict ?? null,
    });
    const tags = await projectRecord(deps, ref, latest);
    if (tags === 'gone') return { record: latest, tagsAfter };
    tagsAfter = tags;
    seq = latest.decisionSeq;
  }
  throw new GateContentionError(`${imageKey(ref)}: decisions kept changing while tags were written`);
}

/**
 * Records `ref.digest` as the holder of each tag about to be written, and returns the other digests that held one
 * (they lose it when it is written here).
 */
async function claimTagHolders(
  deps: GateDependencies,
  ref: ImageRef,
  tags: readonly string[],
): Promise<{ displaced: string[]; claimed: string[] }> {
  const displaced: string[] = [];
  for (const tag of tags) {
    const previous = await deps.ledger.getTagHolder(ref, tag);
    if (previous && previous !== ref.digest && !displaced.includes(previous)) displaced.push(previous);
    if (previous !== ref.digest) await deps.ledger.putTagHolder(ref, tag);
  }
  return { displaced, claimed: [...tags] };
}

/**
 * Whether the ledger stands behind the decision tags `tags` seen on the digest (reads only, for the sweep):
 * `undecided` when no decision is recorded — every decision tag is then a spoof, also when it is the image's
 * only tag —, `drift` when the tags do not show the recorded decision (a tag of the other verdict, a decision
 * tag the gatekeeper did not write, or none of the desired tags), `consistent` otherwise.
 * @example await checkDecisionTags(deps, ref, ['approved-1.0']) // 'undecided' when the ledger has no decision
 */
export async function checkDecisionTags(
  deps: GateDependencies,
  ref: ImageRef,
  tags: readonly string[],
): Promise<'consistent' | 'drift' | 'undecided'> {
  return tagCheck(deps.scheme, await deps.ledger.get(ref), tags);
}

/**
 * {@link checkDecisionTags} for many images with one ledger read per 100 (the sweep batches across
 * repositories); the answers in the order of `items`.
 */
export async function checkDecisionTagsMany(
  deps: GateDependencies,
  items: readonly { readonly ref: ImageRef; readonly tags: readonly string[] }[],
): Promise<readonly ('consistent' | 'drift' | 'undecided')[]> {
  const records = await deps.ledger.getMany(items.map((item) => item.ref));
  return items.map((item, i) => tagCheck(deps.scheme, records[i] ?? null, item.tags));
}

function tagCheck(
  scheme: TagScheme,
  record: LedgerRecord | null,
  tags: readonly string[],
): 'consistent' | 'drift' | 'undecided' {
  if (record?.state !== 'decided' || !record.decision) return 'undecided';
  const plan = planProjection(scheme, record, tags);
  if (!plan) return 'undecided';
  return plan.putTags.length === 0 && plan.removeTags.length === 0 ? 'consistent' : 'drift';
}

/**
 * Writes and removes tags so that the digest shows the decision recorded in `record`; the tags after, or
 * 'gone'. Exported for the hygiene sweep's drift repair and the push flow.
 */
export async function projectRecord(
  deps: GateDependencies,
  ref: ImageRef,
  record: LedgerRecord,
): Promise<readonly string[] | 'gone'> {
  const summary = await deps.registry.describeImage(ref);
  if (!summary) return 'gone';
  const plan = planProjection(deps.scheme, record, summary.tags);
  if (!plan || (plan.putTags.length === 0 && plan.removeTags.length === 0)) return summary.tags;
  const manifest =
    plan.putTags.length > 0 && summary.storageClass !== 'ARCHIVE'
      ? await deps.registry.getManifest(ref)
      : null;
  if (plan.putTags.length > 0 && summary.storageClass !== 'ARCHIVE' && !manifest) return 'gone';
  await claimTagHolders(deps, ref, plan.putTags);
  const applied = await applyTagChanges(
    deps.registry,
    ref,
    manifest,
    { put: plan.putTags, remove: plan.removeTags },
    summary.tags,
    [deps.scheme.approvedPrefix, deps.scheme.quarantinedPrefix],
  );
  return applied.gone ? 'gone' : applied.tagsAfter;
}

async function readScan(
  deps: GateDependencies,
  ref: ImageRef,
  summary: ImageSummary,
  trigger: GateTrigger,
  now: Date,
): Promise<Readiness> {
  const result = await deps.registry.getScanResult(ref);
  let enhanced =
    result?.enhanced === true || (trigger.kind === 'scan-completed' && trigger.scanner === 'enhanced');
  const empty =
    result !== null &&
    (result.status === 'COMPLETE' || result.status === 'ACTIVE') &&
    result.findings.length === 0 &&
    !Object.values(result.severityCounts ?? {}).some((n) => n > 0);
  if (empty && !enhanced) {
    // Only an empty result needs to know the scan type: ask the registry configuration.
    // A cached ENHANCED only delays (not ready); a BASIC answer approves an empty result, so it is read fresh.
    const scanning = await repositoryScanning(deps, ref.repository, (s) => s.scanType === 'ENHANCED');
    enhanced = scanning.scanType === 'ENHANCED';
  }
  const completedAt = Date.parse(result?.completedAt ?? summary.pushedAt);
  const hint =
    trigger.kind === 'scan-completed' && trigger.scanner === 'enhanced' ? trigger.severityCountsHint : null;
  const hintSaysClean =
    hint !== null && Object.keys(hint).length > 0 && Object.values(hint).every((n) => n === 0);
  return classifyScan(result, {
    enhanced,
    sinceScanMs: Number.isFinite(completedAt) ? now.getTime() - completedAt : 0,
    enhancedSettleMs: deps.settings.enhancedSettleMs,
    hintSaysClean,
  });
}

async function readFacts(
  deps: GateDependencies,
  ref: ImageRef,
  manifest: StoredManifest,
): Promise<{ facts: ImageFacts | null; problem: string | null }> {
  try {
    return { facts: await deps.registry.getImageFacts(ref, manifest), problem: null };
  } catch (error) {
    if (error instanceof ImageFactsUnavailableError) return { facts: null, problem: error.message };
    throw error;
  }
}

/**
 * A multi-arch index is decided from its children: every child must be ready; a child whose scan failed
 * decides the index through the fail-closed table; otherwise the union of the children's findings is
 * evaluated. Facts combine conservatively (largest size, root if any child runs as root, labels all share).
 * A child that is itself an index is judged the same way (nested, up to MAX_INDEX_DEPTH).
 *
 * Which children count: every child, except one that no runtime could run AND that really is an attestation —
 * platform `unknown/unknown` and a manifest whose layers are all in-toto statements. A runnable child with an
 * attestation annotation is judged like any other, so an annotation cannot hide an image from the gate.
 */
async function readIndex(
  deps: GateDependencies,
  index: ImageRef,
  manifest: StoredManifest,
  trigger: GateTrigger,
  now: Date,
  depth: number,
): Promise<{
  readiness: Readiness;
  facts: ImageFacts | null;
  factsProblem: string | null;
  children: string[];
}> {
  const unusable = (status: string, description: string) => ({
    readiness: { kind: 'no-findings', status, description } as Readiness,
    facts: null,
    factsProblem: null,
    children: [] as string[],
  });
  if (depth > MAX_INDEX_DEPTH) {
    return unusable('UNSUPPORTED_IMAGE', `indexes nested deeper than ${MAX_INDEX_DEPTH} levels`);
  }
  const listed = childManifests(manifest);
  const children: string[] = [];
  const findings: Finding[] = [];
  const childFacts: ImageFacts[] = [];
  let factsProblem: string | null = null;
  let failure: Readiness | null = null;
  for (const entry of listed) {
    const child: ImageRef = { ...index, digest: entry.digest };
    const summary = await deps.registry.describeImage(child);
    const childManifest = summary ? await deps.registry.getManifest(child) : null;
    if (!summary || !childManifest) {
      if (entry.attestation && unknownPlatform(entry.platform)) continue; // nothing runnable is missing
      children.push(entry.digest);
      failure ??= {
        kind: 'no-findings',
        status: 'FINDINGS_UNAVAILABLE',
        description: `child image ${entry.digest} does not exist`,
      };
      continue;
    }
    if (unknownPlatform(entry.platform) && isAttestationManifest(childManifest)) continue;
    children.push(entry.digest);
    if (isIndexMediaType(childManifest.mediaType)) {
      const nested = await readIndex(deps, child, childManifest, trigger, now, depth + 1);
      if (nested.readiness.kind === 'not-ready') {
        return { ...nested, children };
      }
      if (nested.readiness.kind === 'no-findings') {
        failure ??= {
          ...nested.readiness,
          description: `child index ${entry.digest}: ${nested.readiness.description ?? nested.readiness.status}`,
        };
        continue;
      }
      findings.push(...nested.readiness.findings);
      if (nested.facts) childFacts.push(nested.facts);
      if (nested.factsProblem) factsProblem ??= `child index ${entry.digest}: ${nested.factsProblem}`;
      continue;
    }
    const readiness = await readScan(deps, child, summary, trigger, now);
    if (readiness.kind === 'not-ready') {
      return {
        readiness: { kind: 'not-ready', why: `child ${entry.digest}: ${readiness.why}` },
        facts: null,
        factsProblem,
        children,
      };
    }
    if (readiness.kind === 'no-findings') {
      failure ??= {
        kind: 'no-findings',
        status: readiness.status,
        description: `child ${entry.digest}${readiness.description ? `: ${readiness.description}` : ''}`,
      };
      continue;
    }
    findings.push(...readiness.findings);
    const got = await readFacts(deps, child, childManifest);
    if (got.facts) childFacts.push(got.facts);
    else factsProblem ??= `child ${entry.digest}: ${got.problem}`;
  }
  if (children.length === 0) {
    return unusable('UNSUPPORTED_IMAGE', 'the index lists no runnable image');
  }
  if (failure) return { readiness: failure, facts: null, factsProblem, children };
  return {
    readiness: { kind: 'findings', status: 'COMPLETE', findings },
    facts: combineFacts(childFacts),
    factsProblem,
    children,
  };
}

function unknownPlatform(platform: { os: string; architecture: string } | null): boolean {
  return platform !== null && platform.os === 'unknown' && platform.architecture === 'unknown';
}

/** An image manifest whose every layer is an in-toto statement (SBOM, provenance): nothing to run. */
function isAttestationManifest(manifest: StoredManifest): boolean {
  const parsed = parseManifest(manifest.manifest, manifest.mediaType);
  return (
    parsed.kind === 'image' &&
    parsed.layers.length > 0 &&
    parsed.layers.every((l) => (l.mediaType ?? '').startsWith('application/vnd.in-toto'))
  );
}

function combineFacts(all: readonly ImageFacts[]): ImageFacts | null {
  if (all.length === 0) return null;
  const sizes = all.map((f) => f.sizeBytes).filter((n): n is number => typeof n === 'number');
  const root = all.find((f) => f.user === undefined || f.user === '' || f.user === 'root' || f.user === '0');
  const [first, ...rest] = all;
  const labels: Record<string, string> = {};
  for (const [name, value] of Object.entries(first?.labels ?? {})) {
    if (rest.every((f) => f.labels?.[name] !== undefined)) labels[name] = value;
  }
  const combined: { sizeBytes?: number; user?: string; labels?: Record<string, string> } = { labels };
  if (sizes.length > 0) combined.sizeBytes = Math.max(...sizes);
  combined.user = root ? (root.user ?? '') : (first?.user ?? '');
  return combined;
}

function recordDecision(
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

/** Children of an index list it among their parents, so events about a child re-decide every index above it. */
async function linkChildren(
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
async function putRetrying(
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

/**
 * Publishes the message the record owes, once: claim (lease) → publish → mark sent and announced. A fresh claim
 * by another invocation means "try again later"; an expired one (a crash after or during the publish) is
 * claimed again and the same message is sent again, byte for byte, with the same dedupe key.
 * Returns the subject published, or null when nothing was owed.
 */
async function deliverOwed(
  deps: GateDependencies,
  initial: LedgerRecord,
  render: (notification: NotificationRecord) => OutboundMessage,
  log: Logger,
): Promise<string | null> {
  let record = initial;
  for (const earlier of initial.unconfirmed ?? []) {
    // Sent again as it was first handed to SNS, then forgotten: its state is already announced.
    if (earlier.payload) await deps.notifier.publish(unpackMessage(earlier.payload));
    record = await putRetrying(deps, record, (latest) => ({
      ...latest,
      unconfirmed: (latest.unconfirmed ?? []).filter((u) => u.dedupeKey !== earlier.dedupeKey),
    }));
    log.info('earlier message with an unknown outcome sent again', { dedupeKey: earlier.dedupeKey });
  }
  const notification = record.notification;
  if (!notification || notification.state === 'sent' || !record.decision) return null;
  if (notification.stateKey !== recordedStateKey(record.decision)) return null;
  const now = deps.now();
  if (
    notification.state === 'publishing' &&
    notification.claimedAt &&
    now.getTime() - Date.parse(notification.claimedAt) < deps.settings.notificationLeaseMs
  ) {
    throw new NotificationInFlightError(
      `${record.key}: notification ${notification.dedupeKey} is being published`,
    );
  }
  // The same bytes every time: a claim that expired (its outcome unknown) is completed with the stored message.
  const message = notification.payload ? unpackMessage(notification.payload) : render(notification);
  const claimed = await deps.ledger.put(
    {
      ...record,
      notification: {
        ...notification,
        state: 'publishing',
        claimedAt: now.toISOString(),
        payload: notification.payload ?? packMessage(message),
      },
    },
    record.version,
  );
  let messageId: string;
  try {
    messageId = await deps.notifier.publish(message);
  } catch (error) {
    try {
      await deps.ledger.put(
        // The outcome is unknown (a lost response can follow an accepted publish): the claim is released, the
        // stored message is kept, and the next attempt sends exactly these bytes.
        {
          ...claimed,
          notification: { ...notification, state: 'pending', claimedAt: null, payload: packMessage(message) },
        },
        claimed.version,
      );
    } catch (releaseError) {
      log.warn('could not release the notification claim; it expires by itself', {
        error: releaseError instanceof Error ? releaseError.message : String(releaseError),
      });
    }
    throw error;
  }
  const announced = {
    stateKey: notification.stateKey,
    verdict: record.decision.verdict,
    dedupeKey: notification.dedupeKey,
  };
  await putRetrying(deps, claimed, (latest) =>
    latest.notification?.dedupeKey === notification.dedupeKey
      ? {
          ...latest,
          announced,
          notification: {
            ...notification,
            state: 'sent',
            claimedAt: null,
            messageId,
            sentAt: deps.now().toISOString(),
            payload: null,
          },
        }
      : latest,
  );
  log.info('notification published', {
    subject: message.subject,
    dedupeKey: notification.dedupeKey,
    messageId,
  });
  return message.subject;
}

function packMessage(message: OutboundMessage): string {
  return deflateRawSync(Buffer.from(JSON.stringify(message), 'utf8')).toString('base64');
}

function unpackMessage(payload: string): OutboundMessage {
  return JSON.parse(inflateRawSync(Buffer.from(payload, 'base64')).toString('utf8')) as OutboundMessage;
}

/** Publishes an alert that is not a verdict (at least once). */
export async function publishAlert(
  deps: GateDependencies,
  input: Parameters<GateDependencies['messages']['alert']>[0],
): Promise<OutboundMessage> {
  const message = deps.messages.alert(input);
  const messageId = await deps.notifier.publish(message);
  deps.logger.info('alert published', {
    kind: input.kind,
    repository: input.image?.repository ?? null,
    digest: input.image?.digest ?? null,
    subject: message.subject,
    messageId,
  });
  return message;
}

async function markGone(
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

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

function sameList(a: readonly string[] | null, b: readonly string[] | null): boolean {
  if (a === null || b === null) return a === b;
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function hashText(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex').slice(0, 16);
}
