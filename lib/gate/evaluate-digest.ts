/**
 * Evaluating one digest: its ledger record, the image and its scan (or, for an index, its children), the
 * verdict made by lib/policy and the plan that would project it. Writes nothing to ECR or SNS; the only ledger
 * writes are an index's links to its children and the record of a deleted image.
 */
import { createHash } from 'node:crypto';
import type { ImageRef } from '../events/image-ref.ts';
import type { Finding } from '../findings/finding.ts';
import type { LedgerRecord } from '../ledger/ledger.ts';
import type { Logger } from '../log/logger.ts';
import type { FindingHistory } from '../policy/deadlines.ts';
import type { Decision, ImageFacts, ImageUnderTest } from '../policy/decision.ts';
import type { PolicySet } from '../policy/policy-set.ts';
import { governingPolicy, judgeImage, needsImageFacts } from '../policy/runtime.ts';
import { isIndexMediaType } from '../registry/manifest.ts';
import type { ImageSummary, StoredManifest } from '../registry/registry.ts';
import type { GateDependencies, GateOutcome, GateTrigger } from './context.ts';
import { inUseAt, mergeFindingHistory } from './finding-history.ts';
import { findingMarks, findingVisible, sawFinding } from './finding-marks.ts';
import { fingerprintFindings } from './fingerprint.ts';
import { baseOutcome, triggerLabel } from './outcome.ts';
import { type DecisionPlan, planDecision } from './plan.ts';
import { readFacts, readIndex, readScan } from './read-image.ts';
import type { Readiness } from './readiness.ts';
import { linkChildren, markGone } from './record-decision.ts';
import { sourceTagsOf } from './tags.ts';

/**
 * Scan statuses that say nothing about a restored image: IMAGE_ARCHIVED (read while it was archived) and
 * SCAN_ELIGIBILITY_EXPIRED (continuous scanning stopped watching it). A restore re-scans instead of judging them.
 */
const STALE_AFTER_RESTORE: ReadonlySet<string> = new Set(['IMAGE_ARCHIVED', 'SCAN_ELIGIBILITY_EXPIRED']);

/** Options of one decision attempt that do not come from the trigger. */
export interface DecideOptions {
  /** The image was archived by the gatekeeper and pushed again (ECR restored it): archive it again. */
  readonly restoredByPush?: boolean;
}

/** Everything a decision of one digest rests on, and the plan it leads to. */
export interface Evaluation {
  /** The ledger record, read before anything else. */
  readonly record: LedgerRecord | null;
  readonly summary: ImageSummary;
  /** Null for an archived image (ECR refuses to read its manifest). */
  readonly manifest: StoredManifest | null;
  readonly archived: boolean;
  readonly isIndex: boolean;
  /** The children an index is judged from (empty for an image). */
  readonly children: string[];
  readonly now: Date;
  readonly readiness: Exclude<Readiness, { readonly kind: 'not-ready' }>;
  readonly findings: Finding[];
  readonly digestOfFindings: string;
  readonly findingHistory: FindingHistory | null;
  readonly decision: Decision;
  readonly seenFindings: string[] | null;
  readonly restoredByPush: boolean;
  readonly plan: DecisionPlan;
  /** Facts of an image manifest read now, to be kept in the record. */
  readonly newFacts: ImageFacts | null;
}

/**
 * Evaluates one digest. `done` when there is no verdict to apply: the outcome (not ready, gone, coalesced, left
 * archived) or null when the digest is not judged on its own (an untagged image listed by an index).
 */
export async function evaluateDigest(
  deps: GateDependencies,
  policySet: PolicySet,
  ref: ImageRef,
  trigger: GateTrigger,
  log: Logger,
  options: DecideOptions,
  prefetched?: LedgerRecord | null,
): Promise<Evaluation | { readonly done: GateOutcome | null }> {
  // The record first: every read a decision rests on happens after it, which orders decisions like their reads.
  const record = prefetched !== undefined ? prefetched : await deps.ledger.get(ref);

  if (trigger.kind === 'finding-changed' && record?.state === 'decided') {
    const announced = {
      findingArn: trigger.findingArn,
      status: trigger.findingStatus ?? null,
      updatedAt: trigger.findingUpdatedAt ?? null,
    };
    if (sawFinding(record.seenFindings, announced)) {
      return {
        done: baseOutcome(ref, 'coalesced', 'the last evaluation already saw this finding in this state'),
      };
    }
  }

  const summary = await deps.registry.describeImage(ref);
  if (!summary) return { done: await markGone(deps, ref, record, log) };
  const archived = summary.storageClass === 'ARCHIVE';
  if (archived && record?.state === 'decided' && record.archivedByGatekeeper) {
    // Archived by the quarantine option: it cannot be scanned or pulled, so there is nothing fresh to judge.
    return {
      done: {
        ...baseOutcome(
          ref,
          'unchanged',
          'archived by the gatekeeper after quarantine; restore it to have it re-scanned',
          summary.tags,
        ),
        verdict: record.decision?.verdict ?? null,
      },
    };
  }
  // ECR refuses BatchGetImage on an archived image; its scan status (IMAGE_ARCHIVED) is decided without it.
  const manifest = archived ? null : await deps.registry.getManifest(ref);
  if (!manifest && !archived) return { done: await markGone(deps, ref, record, log) };
  const isIndex = isIndexMediaType(manifest?.mediaType ?? summary.manifestMediaType ?? '');

  const listed = (record?.parentDigests.length ?? 0) > 0;
  if (!isIndex && listed && summary.tags.length === 0 && record?.state !== 'decided') {
    // An untagged image listed by an index: its indexes stand for it (they are decided next).
    return { done: null };
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
      return {
        done: baseOutcome(
          ref,
          'not-ready',
          'untagged image pushed moments ago: it may belong to a multi-arch index not seen yet',
        ),
      };
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
    return { done: baseOutcome(ref, 'not-ready', readiness.why, summary.tags) };
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
  const read = { record, summary, manifest, archived, isIndex, children, now, readiness };
  const judged = { findings, digestOfFindings, findingHistory, decision, seenFindings };
  return { ...read, ...judged, restoredByPush, plan, newFacts };
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

function hashText(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex').slice(0, 16);
}
