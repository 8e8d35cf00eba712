/**
 * Deciding one image: fresh findings by digest → readiness → fail-closed table or evaluation → plan → record
 * the intent in the ledger → apply → record what was written → publish the notification once.
 *
 * Exactly-once effects across redeliveries come from the ledger record (conditional writes on its version):
 * - the decision and the tags it intends to write are recorded BEFORE any ECR write, so the push events of the
 *   gatekeeper's own PutImage calls are recognised as its own (never re-evaluated, never taken for spoofs);
 * - planning compares the digest's actual tags with the decision, so a redelivered event plans nothing and
 *   makes no ECR write;
 * - a notification is owed when the announced state (verdict, reason, clean/violations) changes; it is claimed
 *   (lease), published, then marked sent. A retry after an SNS failure finds the tags in place and publishes
 *   once; a crash between PutImage and Publish is completed by the retry with one message.
 */
import { createHash } from 'node:crypto';
import { type ImageRef, imageKey } from '../events/image-ref.ts';
import type { Finding } from '../findings/finding.ts';
import { LedgerConflictError } from '../ledger/errors.ts';
import {
  GONE_RECORD_TTL_SECONDS,
  type LedgerRecord,
  newLedgerRecord,
  type RecordedDecision,
} from '../ledger/ledger.ts';
import type { Logger } from '../log/logger.ts';
import type { OutboundMessage } from '../notify/notifier.ts';
import type { Decision, ImageFacts, ImageUnderTest, Violation } from '../policy/decision.ts';
import type { PolicyDefinition, PolicySet } from '../policy/policy-set.ts';
import { decideWithoutFindings, evaluate, selectPolicy } from '../policy/runtime.ts';
import { ImageFactsUnavailableError } from '../registry/errors.ts';
import { childManifests, isIndexMediaType } from '../registry/manifest.ts';
import type { ImageSummary, StoredManifest } from '../registry/registry.ts';
import { applyPlan } from './apply.ts';
import type { GateDependencies, GateOutcome, GateTrigger } from './context.ts';
import { GateContentionError, NotificationInFlightError, PolicySetUnavailableError } from './errors.ts';
import { findingsDigest, uniqueFindings } from './fingerprint.ts';
import { archiveKey, type DecisionPlan, planDecision } from './plan.ts';
import { classifyScan, type Readiness } from './readiness.ts';
import { sourceTagsOf } from './tags.ts';

/**
 * Scan statuses that say nothing about a restored image: IMAGE_ARCHIVED (read while it was archived) and
 * SCAN_ELIGIBILITY_EXPIRED (continuous scanning stopped watching it). A restore re-scans instead of judging them.
 */
const STALE_AFTER_RESTORE: ReadonlySet<string> = new Set(['IMAGE_ARCHIVED', 'SCAN_ELIGIBILITY_EXPIRED']);

/** How many violations a ledger record keeps (the count is always exact). */
const RECORDED_VIOLATIONS = 20;

/**
 * Decides one image through the whole gate. Used by the scan and finding handlers, by pushes of a new tag
 * onto a decided digest, and by the hygiene sweep's safety net. Never throws "not ready" (it returns
 * `not-ready`); throws only retryable errors (registry, ledger or SNS unavailable, lost races).
 *
 * @example
 *   const outcome = await decideImage(await getGateDependencies(), ref, { kind: 'sweep', id: 'sweep-1', reason: 'undecided' });
 *   if (outcome.outcome === 'decided') console.log(outcome.verdict);
 */
export async function decideImage(
  deps: GateDependencies,
  ref: ImageRef,
  trigger: GateTrigger,
): Promise<GateOutcome> {
  if (!deps.policySet) {
    throw new PolicySetUnavailableError(
      `policy set unavailable, nothing is approved: ${deps.policySetProblem ?? 'not loaded'}`,
    );
  }
  const log = deps.logger.child({ repository: ref.repository, digest: ref.digest });
  for (let attempt = 1; ; attempt++) {
    try {
      return await decideOnce(deps, deps.policySet, ref, trigger, log, true);
    } catch (error) {
      if (!(error instanceof LedgerConflictError)) throw error;
      if (attempt >= deps.settings.contentionAttempts) {
        throw new GateContentionError(`${imageKey(ref)}: ledger record kept changing concurrently`, {
          cause: error,
        });
      }
      log.debug('ledger record changed concurrently; deciding again', { attempt });
    }
  }
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

async function decideOnce(
  deps: GateDependencies,
  policySet: PolicySet,
  ref: ImageRef,
  trigger: GateTrigger,
  log: Logger,
  followParent: boolean,
): Promise<GateOutcome> {
  const record = await deps.ledger.get(ref);

  if (record?.parentDigest && followParent) {
    const parent: ImageRef = { ...ref, digest: record.parentDigest };
    log.info('image is part of a multi-arch index: deciding the index', { index: parent.digest });
    const outcome = await decideOnce(
      deps,
      policySet,
      parent,
      trigger,
      log.child({ digest: parent.digest }),
      false,
    );
    return { ...outcome, decidedVia: ref.digest };
  }

  if (trigger.kind === 'finding-changed' && record?.state === 'decided' && record.lastEvaluatedAt) {
    const lead = Date.parse(record.lastEvaluatedAt) - Date.parse(trigger.time);
    if (lead >= deps.settings.coalesceMarginMs) {
      return baseOutcome(
        ref,
        'coalesced',
        `findings were read ${Math.round(lead / 1000)} s after this event`,
      );
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

  const now = deps.now();
  const sourceTags = sourceTagsOf(deps.scheme, [...summary.tags, ...(record?.removedSourceTags ?? [])]);
  const image: ImageUnderTest = { repository: ref.repository, tags: sourceTags, digest: ref.digest };
  const policy = selectPolicy(policySet, image);

  const isIndex = isIndexMediaType(manifest?.mediaType ?? summary.manifestMediaType ?? '');
  let readiness: Readiness;
  let facts: ImageFacts | null = null;
  let factsProblem: string | null = null;
  let children: string[] = [];
  if (isIndex && manifest) {
    children = childManifests(manifest)
      .filter((c) => !c.attestation)
      .map((c) => c.digest);
    if (!sameSet(record?.childDigests ?? [], children)) await linkChildren(deps, ref, children, now, log);
    const read = await readIndex(deps, ref, children, trigger, now);
    readiness = read.readiness;
    facts = read.facts;
    factsProblem = read.factsProblem;
  } else {
    if (
      summary.tags.length === 0 &&
      trigger.kind !== 'sweep' &&
      now.getTime() - Date.parse(summary.pushedAt) < deps.settings.parentWaitMs
    ) {
      return {
        ...baseOutcome(
          ref,
          'not-ready',
          'untagged image pushed moments ago: it may belong to a multi-arch index not seen yet',
        ),
      };
    }
    readiness = await readScan(deps, ref, summary, trigger, now);
    if (readiness.kind === 'findings' && manifest) {
      const got = await readFacts(deps, ref, manifest);
      facts = got.facts;
      factsProblem = got.problem;
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
  if (readiness.kind === 'not-ready') {
    log.info('scan not ready: no verdict yet', { why: readiness.why, trigger: triggerLabel(trigger) });
    return baseOutcome(ref, 'not-ready', readiness.why, summary.tags);
  }

  const findings = readiness.kind === 'findings' ? uniqueFindings(readiness.findings) : [];
  let decision =
    readiness.kind === 'findings'
      ? evaluate(findings, image, facts, policySet, now)
      : decideWithoutFindings(readiness.status, readiness.description, image, policySet, now);
  if (factsProblem && imageRulesActive(policy)) decision = failClosedOnFacts(decision, factsProblem, policy);
  const digestOfFindings =
    readiness.kind === 'findings'
      ? findingsDigest(findings)
      : `status:${readiness.status}:${hashText(readiness.description ?? '')}`;

  const plan = planDecision({
    scheme: deps.scheme,
    decision,
    digest: ref.digest,
    currentTags: summary.tags,
    storageClass: summary.storageClass,
    record,
    actions: policy.actions,
    findingsDigest: digestOfFindings,
  });

  const noEffects =
    !plan.changed &&
    plan.putTags.length === 0 &&
    plan.removeTags.length === 0 &&
    plan.storageClass === null &&
    !plan.notify &&
    record !== null;
  if (noEffects) {
    // Nothing to write to ECR or SNS; remember when findings were read so finding bursts coalesce.
    await deps.ledger.put(
      {
        ...record,
        lastEvaluatedAt: now.toISOString(),
        // A restored image is no longer the gatekeeper's archive.
        archivedByGatekeeper: archived && record.archivedByGatekeeper,
      },
      record.version,
    );
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

  // 1. Record the intent before touching ECR.
  const base = record ?? newLedgerRecord(imageKey(ref), ref, now);
  const seq = plan.changed ? base.decisionSeq + 1 : base.decisionSeq;
  const key = imageKey(ref);
  const previousNotification = base.notification;
  let notification = previousNotification;
  if (
    plan.notify &&
    (previousNotification?.stateKey !== plan.stateKey || previousNotification.state === 'sent')
  ) {
    notification = {
      dedupeKey: `${key}#${seq}`,
      stateKey: plan.stateKey,
      state: 'pending',
      claimedAt: null,
      messageId: null,
      sentAt: null,
    };
  }
  const recorded = recordDecision(
    decision,
    plan,
    digestOfFindings,
    readiness,
    triggerLabel(trigger),
    now,
    base,
  );
  let current = await deps.ledger.put(
    {
      ...base,
      state: 'decided',
      pendingSince: null,
      decisionSeq: seq,
      decision: recorded,
      notification,
      lastEvaluatedAt: now.toISOString(),
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
          'Found on the image while it was being decided; the gatekeeper did not write it for this digest, so it is removed here and not moved anywhere.',
      },
    });
  }

  // 3. Apply.
  const applied = await applyPlan(deps.registry, ref, manifest, plan, summary.tags, [
    deps.scheme.approvedPrefix,
    deps.scheme.quarantinedPrefix,
  ]);
  if (applied.gone) return markGone(deps, ref, current, log);
  const problems = [...plan.problems, ...applied.problems];

  // 4. Record what is on the digest now.
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
  current = await putRetrying(deps, current, (latest) => ({
    ...latest,
    appliedSeq: Math.max(latest.appliedSeq, seq),
    ownTags: latest.decisionSeq === seq ? ownTags : latest.ownTags,
    removedSourceTags,
    archivedByGatekeeper,
    archivedFor,
    decision:
      latest.decision && latest.decisionSeq === seq
        ? {
            ...latest.decision,
            problems,
            refusedTags: [...new Set([...latest.decision.refusedTags, ...applied.refused])],
          }
        : latest.decision,
  }));

  // Which digest holds each decision tag the gatekeeper wrote, so a spoofed push that moves one off can be undone.
  // (After a crash the retry writes no tag, so every desired tag in place is recorded when the plan changed.)
  const holders = plan.changed ? plan.desiredTags.filter((t) => present.has(t)) : applied.written;
  for (const tag of holders) await deps.ledger.putTagHolder(ref, tag);

  // 5. Notify once.
  const decisionMessage = (scanStatus: string | null, refusedTags: readonly string[]) =>
    deps.messages.decision({
      decision,
      image: ref,
      tagsBefore: summary.tags,
      tagsAfter: applied.tagsAfter,
      previousVerdict: record?.decision?.verdict ?? null,
      findings,
      scanStatus,
      refusedTags,
      problems,
      archived: archivedByGatekeeper,
    });
  let notified: string | null = null;
  if (
    current.notification &&
    current.notification.state !== 'sent' &&
    current.notification.stateKey === plan.stateKey
  ) {
    const message = decisionMessage(
      readiness.kind === 'no-findings' ? readiness.status : null,
      current.decision?.refusedTags ?? applied.refused,
    );
    await deliverOnce(deps, current, message, log);
    notified = message.subject;
  } else if (applied.refused.length > 0) {
    // A new tag refused outside a state change (e.g. a new source tag): the immutable alert, once per refusal.
    const message = decisionMessage(null, applied.refused);
    await deps.notifier.publish(message);
    notified = message.subject;
  }
  if (plan.problems.length > 0 && plan.changed) {
    // Also when a verdict message went out: it does not carry the problems (tag quota, a kept last tag).
    const alert = await publishAlert(deps, {
      kind: 'tag-limit',
      image: ref,
      tagsBefore: summary.tags,
      tagsAfter: applied.tagsAfter,
      tags: plan.desiredTags,
      detail: problems.join('; '),
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
    tagsAfter: applied.tagsAfter,
    problems,
    trigger: triggerLabel(trigger),
  });
  return {
    outcome: plan.changed ? 'decided' : 'unchanged',
    image: ref,
    verdict: decision.verdict,
    detail: decision.reason ?? null,
    tagsBefore: summary.tags,
    tagsAfter: applied.tagsAfter,
    plan,
    notified,
    problems,
    decision,
  };
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
    enhanced = (await deps.registry.getRepositoryScanning(ref.repository)).scanType === 'ENHANCED';
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
 */
async function readIndex(
  deps: GateDependencies,
  index: ImageRef,
  children: readonly string[],
  trigger: GateTrigger,
  now: Date,
): Promise<{ readiness: Readiness; facts: ImageFacts | null; factsProblem: string | null }> {
  if (children.length === 0) {
    return {
      readiness: {
        kind: 'no-findings',
        status: 'UNSUPPORTED_IMAGE',
        description: 'the index lists no runnable image',
      },
      facts: null,
      factsProblem: null,
    };
  }
  const findings: Finding[] = [];
  const childFacts: ImageFacts[] = [];
  let factsProblem: string | null = null;
  let failure: Readiness | null = null;
  for (const digest of children) {
    const child: ImageRef = { ...index, digest };
    const summary = await deps.registry.describeImage(child);
    const manifest = summary ? await deps.registry.getManifest(child) : null;
    if (!summary || !manifest) {
      failure ??= {
        kind: 'no-findings',
        status: 'FINDINGS_UNAVAILABLE',
        description: `child image ${digest} does not exist`,
      };
      continue;
    }
    const readiness = await readScan(deps, child, summary, trigger, now);
    if (readiness.kind === 'not-ready') {
      return {
        readiness: { kind: 'not-ready', why: `child ${digest}: ${readiness.why}` },
        facts: null,
        factsProblem,
      };
    }
    if (readiness.kind === 'no-findings') {
      failure ??= {
        kind: 'no-findings',
        status: readiness.status,
        description: `child ${digest}${readiness.description ? `: ${readiness.description}` : ''}`,
      };
      continue;
    }
    findings.push(...readiness.findings);
    const got = await readFacts(deps, child, manifest);
    if (got.facts) childFacts.push(got.facts);
    else factsProblem ??= `child ${digest}: ${got.problem}`;
  }
  if (failure) return { readiness: failure, facts: null, factsProblem };
  return {
    readiness: { kind: 'findings', status: 'COMPLETE', findings },
    facts: combineFacts(childFacts),
    factsProblem,
  };
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

function imageRulesActive(policy: PolicyDefinition): boolean {
  const rules = policy.rules.image;
  return rules.runsAsRoot === 'deny' || rules.requiredLabels.length > 0 || rules.maxSizeBytes !== null;
}

/** Image rules cannot be checked without facts: fail closed (enforce) or record it (audit). */
function failClosedOnFacts(decision: Decision, problem: string, policy: PolicyDefinition): Decision {
  const message = `image rules cannot be checked: ${problem}`;
  const violation: Violation = {
    rule: 'image.facts',
    findingId: null,
    severity: null,
    package: null,
    message,
  };
  return {
    ...decision,
    verdict: policy.mode === 'audit' ? decision.verdict : 'quarantined',
    violations: [...decision.violations, violation],
    reason: decision.reason ?? message,
  };
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
  };
}

/** Children of an index point at it, so their scan and finding events decide the index. */
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
      if (existing?.parentDigest === index.digest) break;
      const base = existing ?? newLedgerRecord(imageKey(child), child, now);
      try {
        await deps.ledger.put({ ...base, parentDigest: index.digest }, base.version);
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

/** Claim → publish → mark sent. A fresh claim by another invocation means "try again later". */
async function deliverOnce(
  deps: GateDependencies,
  record: LedgerRecord,
  message: OutboundMessage,
  log: Logger,
) {
  const notification = record.notification;
  if (!notification) return;
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
  const claimed = await deps.ledger.put(
    { ...record, notification: { ...notification, state: 'publishing', claimedAt: now.toISOString() } },
    record.version,
  );
  let messageId: string;
  try {
    messageId = await deps.notifier.publish(message);
  } catch (error) {
    try {
      await deps.ledger.put(
        { ...claimed, notification: { ...notification, state: 'pending', claimedAt: null } },
        claimed.version,
      );
    } catch (releaseError) {
      log.warn('could not release the notification claim; it expires by itself', {
        error: releaseError instanceof Error ? releaseError.message : String(releaseError),
      });
    }
    throw error;
  }
  await putRetrying(deps, claimed, (latest) =>
    latest.notification?.dedupeKey === notification.dedupeKey
      ? {
          ...latest,
          notification: {
            ...notification,
            state: 'sent',
            claimedAt: null,
            messageId,
            sentAt: deps.now().toISOString(),
          },
        }
      : latest,
  );
  log.info('notification published', {
    subject: message.subject,
    dedupeKey: notification.dedupeKey,
    messageId,
  });
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

function hashText(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex').slice(0, 16);
}
