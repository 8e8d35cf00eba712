/**
 * The hygiene sweep: every repository in scope is compared with the baseline (lifecycle, scanning, tag
 * mutability); drift is reported and, in `enforce` mode, applied; and images the event pipeline missed are
 * decided through the gate (safety net). One summary alert per sweep, structured logs throughout.
 *
 * Scale: repositories are listed once per invocation (DescribeRepositories, 1,000 per page), sorted by name and
 * processed in that order; a checkpoint (ledger item `hygiene-sweep#<registryId>/<region>`) records the last
 * repository done. When the Lambda time budget runs low the run stops at a repository boundary and returns
 * `incomplete`; the next `resume` invocation (a short schedule) continues from the cursor. A repository without
 * drift costs 2 ECR calls (GetLifecyclePolicy, one DescribeImages page per 1,000 images) plus its share of
 * DescribeRepositories and checkpoint writes. `report` mode never calls a write operation of the registry.
 *
 * Safety net: an image with neither an approved- nor a quarantined- tag, pushed more than `undecidedGraceMinutes`
 * ago, has no completed decision (the gate's invariant) → `gate.decide(ref, 'undecided')`; the gate re-reads the
 * scan and returns not-ready when it is not complete. Decisions relying on an exception that has since expired are
 * listed by the gate's ledger and re-decided once per sweep. Both are capped per invocation.
 */
import type { ImageRef } from '../events/image-ref.ts';
import type { Logger } from '../log/index.ts';
import type { HygieneSweepSummary, Notifier, OutboundMessage } from '../notify/index.ts';

/** The summary type is lib/notify's (the alert renders it); re-exported so the sweep's callers need not know. */
export type { HygieneSweepSummary };

import type {
  RegistryAdmin,
  RegistryScanningConfiguration,
  RepositorySummary,
} from '../registry/registry.ts';
import { type HygieneBaseline, settingsFor } from './baseline.ts';
import { type ImageUsage, type PlannedChange, planRepository, type RepositoryPlan } from './drift.ts';
import { CheckpointConflictError } from './errors.ts';
import { imageFromSummary, type LifecycleImage } from './lifecycle-images.ts';
import { globMatch } from './scope.ts';

/** What a sweep does with drift: list it (report) or correct it (enforce). */
export type SweepMode = HygieneSweepSummary['mode'];

/** What the sweep needs from the gate (lib/gate `decideImage` and the ledger behind it). */
export interface SweepGate {
  decide(
    ref: ImageRef,
    reason: 'undecided' | 'exception-expired' | 'drift',
    sweepId: string,
  ): Promise<{ outcome: string }>;
  listExpiredWaiverDecisions?(now: Date): AsyncIterable<ImageRef>;
  /**
   * The fix-deadline check (lib/gate deadline-check.ts): re-judges the images at risk whose alert stage or
   * deadline has come and sends the escalation alerts owed. Run by the `deadlines` schedule and by every sweep.
   */
  checkDeadlines?(runId: string): Promise<DeadlineCheckSummary>;
  /**
   * For an image that carries decision tags: whether the ledger stands behind them. `undecided` when no
   * decision is recorded (the tags are spoofs, e.g. pushed by hand while the events were lost), `drift` when
   * the tags do not show the recorded decision, `consistent` otherwise. Reads only.
   */
  checkTags?(ref: ImageRef, tags: readonly string[]): Promise<'consistent' | 'drift' | 'undecided'>;
  /** {@link checkTags} for many images in one ledger read per 100; the answers in the order of `items`. */
  checkTagsMany?(
    items: readonly { readonly ref: ImageRef; readonly tags: readonly string[] }[],
  ): Promise<readonly ('consistent' | 'drift' | 'undecided')[]>;
}

/** What one fix-deadline check did (counts). */
export interface DeadlineCheckSummary {
  readonly due: number;
  readonly quarantined: number;
  readonly alertsSent: number;
  readonly deferred: number;
  readonly errors: number;
}

/** Where the checkpoint lives (the ledger's checkpoint methods). */
export interface CheckpointStore {
  getCheckpoint(name: string): Promise<{ value: unknown; version: number } | null>;
  /** Optimistic: `expectedVersion` 0 creates; a lost race throws (any error named LedgerConflictError). */
  putCheckpoint(
    name: string,
    value: unknown,
    expectedVersion: number,
    now: Date,
  ): Promise<{ version: number }>;
}

/** What the sweep tells a usage source about the request (lets an adapter cache per sweep run, filter by account). */
export interface UsageRequestContext {
  /** The sweep run; the same across the resumed invocations of one sweep. */
  readonly sweepId?: string;
  /** The registry (account id) the repository belongs to. */
  readonly registryId?: string;
}

/**
 * Optional Inspector in-use data per repository (lastInUseAt / inUseCount by digest); lib/inspector
 * `InspectorImageUsage` implements it. Digests missing from the map fall back to ECR's last recorded pull.
 * Resolves to an empty map when the source has no data (e.g. Inspector not enabled); rejects when data it should
 * have could not be read (the repository is then counted as failed and left unchanged for this run).
 */
export interface ImageUsageSource {
  usage(repository: string, context?: UsageRequestContext): Promise<ReadonlyMap<string, ImageUsage>>;
}

export interface SweepSettings {
  readonly mode: SweepMode;
  readonly scope: readonly string[];
  readonly approvedPrefix: string;
  readonly quarantinedPrefix: string;
  readonly region: string;
  /** Checkpoint name suffix; the account id when known. */
  readonly registryKey: string;
  readonly undecidedGraceMinutes: number;
  readonly maxSafetyNetPerRun: number;
  readonly checkpointEvery: number;
  /** Stop starting repositories when less than this remains. */
  readonly safetyMarginMs: number;
  readonly topDriftLimit: number;
}

export const DEFAULT_SWEEP_SETTINGS: Omit<SweepSettings, 'mode' | 'scope' | 'region' | 'registryKey'> = {
  approvedPrefix: 'approved-',
  quarantinedPrefix: 'quarantined-',
  undecidedGraceMinutes: 60,
  maxSafetyNetPerRun: 200,
  checkpointEvery: 50,
  safetyMarginMs: 60_000,
  topDriftLimit: 20,
};

export interface SweepDependencies {
  readonly admin: RegistryAdmin;
  readonly baseline: HygieneBaseline;
  readonly checkpoints: CheckpointStore;
  readonly notifier: Notifier;
  /** Renders the summary alert (lib/notify `formatHygieneSummary`). */
  readonly formatSummary: (summary: HygieneSweepSummary, now: Date) => OutboundMessage;
  readonly gate: SweepGate | null;
  readonly usage?: ImageUsageSource;
  readonly logger: Logger;
  readonly now: () => Date;
  readonly settings: SweepSettings;
}

export interface SweepCounters {
  scanned: number;
  compliant: number;
  drifted: number;
  applied: number;
  refused: number;
  conflict: number;
  optedOut: number;
  failed: number;
}

interface SweepState {
  sweepId: string;
  mode: SweepMode;
  startedAt: string;
  status: 'running' | 'complete';
  cursor: string | null;
  counters: SweepCounters;
  topDrift: { repository: string; kind: string; message: string }[];
  safetyNet: {
    undecidedDecided: number;
    exceptionExpiredDecided: number;
    notReady: number;
    errors: number;
    deferred: number;
  };
  exceptionsChecked: boolean;
  finishedAt: string | null;
  summarySent: boolean;
  invocations: number;
  registryId: string | null;
  dryRun: boolean;
}

/** A repository's current settings, as the sweep compares them with the baseline. */
interface RepositorySettings {
  scanOnPush: boolean;
  tagMutability: string;
  exclusions: readonly string[];
  registryId: string;
}

function repositorySettings(repo: RepositorySummary): RepositorySettings {
  return {
    scanOnPush: repo.scanOnPush,
    tagMutability: repo.tagMutability,
    exclusions: repo.tagMutabilityExclusions,
    registryId: repo.registryId,
  };
}

/** A sweep that has not looked at any repository yet. */
function newSweepState(sweepId: string, mode: SweepMode, now: Date, dryRun: boolean): SweepState {
  return {
    sweepId,
    mode,
    startedAt: now.toISOString(),
    status: 'running',
    cursor: null,
    counters: zeroCounters(),
    topDrift: [],
    safetyNet: { undecidedDecided: 0, exceptionExpiredDecided: 0, notReady: 0, errors: 0, deferred: 0 },
    exceptionsChecked: false,
    finishedAt: null,
    summarySent: false,
    invocations: 0,
    registryId: null,
    dryRun,
  };
}

export type SweepRequest =
  /** `dryRun`: report mode AND no safety-net decisions: nothing at all is written to the registry. */
  | { readonly kind: 'start'; readonly dryRun?: boolean }
  | { readonly kind: 'resume' }
  /** The fix-deadline check alone (an hourly schedule): no repository sweep, no checkpoint, no summary. */
  | { readonly kind: 'deadlines' }
  /** Repository creation: sweep these repositories now, without checkpoint or summary. */
  | { readonly kind: 'repositories'; readonly repositories: readonly string[] };

export interface SweepRunResult {
  readonly status: 'complete' | 'incomplete' | 'idle' | 'busy';
  readonly sweepId: string | null;
  readonly processed: number;
  readonly counters: SweepCounters | null;
  readonly plans: readonly RepositoryPlan[];
  readonly summarySent: boolean;
  /** A completed dry run's summary: it is returned (and logged), never published. */
  readonly summary?: HygieneSweepSummary;
}

const zeroCounters = (): SweepCounters => ({
  scanned: 0,
  compliant: 0,
  drifted: 0,
  applied: 0,
  refused: 0,
  conflict: 0,
  optedOut: 0,
  failed: 0,
});

function checkpointName(settings: SweepSettings): string {
  return `hygiene-sweep#${settings.registryKey}/${settings.region}`;
}

function isConflict(error: unknown): boolean {
  return (
    error instanceof Error &&
    (error.name === 'LedgerConflictError' || error instanceof CheckpointConflictError)
  );
}

/**
 * Runs one sweep invocation. `remainingMs` is the Lambda context's getRemainingTimeInMillis.
 * @example await runSweep(deps, { kind: 'start' }, () => context.getRemainingTimeInMillis())
 */
export async function runSweep(
  deps: SweepDependencies,
  request: SweepRequest,
  remainingMs: () => number,
): Promise<SweepRunResult> {
  if (request.kind === 'repositories') return sweepNamed(deps, request.repositories);
  if (request.kind === 'deadlines') return checkDeadlinesOnly(deps);
  const { settings, logger } = deps;
  const name = checkpointName(settings);
  const stored = await deps.checkpoints.getCheckpoint(name);
  let version = stored?.version ?? 0;
  let state = (stored?.value ?? null) as SweepState | null;
  if (state && state.status === 'complete' && !state.summarySent) {
    // A previous run finished but its alert was not confirmed: send it now.
    return finish(deps, state, version, name, 0, []);
  }
  if (!state || state.status === 'complete') {
    if (request.kind === 'resume') {
      return runResult('idle', state, 0, []);
    }
    const now = deps.now();
    const dryRun = request.kind === 'start' && request.dryRun === true;
    state = newSweepState(`sweep-${now.toISOString()}`, dryRun ? 'report' : settings.mode, now, dryRun);
  }
  state.invocations += 1;
  const net = new SafetyNet(deps, state);
  const log = logger.child({ sweepId: state.sweepId, mode: state.mode });
  // A dry run changes nothing at all: no checkpoint (a sweep in progress keeps its own), no summary alert.
  const dryRun = state.dryRun;
  // Claim the sweep: a concurrent invocation loses this conditional write and stops.
  try {
    if (!dryRun) version = (await deps.checkpoints.putCheckpoint(name, state, version, deps.now())).version;
  } catch (error) {
    if (isConflict(error)) {
      log.warn('another invocation holds the sweep checkpoint; stopping', { checkpoint: name });
      return runResult('busy', state, 0, []);
    }
    throw error;
  }
  const save = async () => {
    // Every repository up to the cursor has had its images looked at before the cursor is saved.
    await net.flush();
    if (dryRun) return;
    try {
      version = (await deps.checkpoints.putCheckpoint(name, state, version, deps.now())).version;
    } catch (error) {
      if (isConflict(error))
        throw new CheckpointConflictError(`sweep checkpoint ${name} changed under this invocation`, {
          cause: error,
        });
      throw error;
    }
  };

  const names: string[] = [];
  const summaries = new Map<string, RepositorySettings>();
  for await (const repo of deps.admin.listRepositories()) {
    if (!globMatch(settings.scope, repo.name)) continue;
    names.push(repo.name);
    state.registryId ??= repo.registryId;
    summaries.set(repo.name, repositorySettings(repo));
  }
  names.sort();
  const todo = state.cursor === null ? names : names.filter((n) => n > (state?.cursor ?? ''));
  log.info('sweep invocation started', {
    repositories: names.length,
    remaining: todo.length,
    invocation: state.invocations,
  });
  const registryScanning = await deps.admin.getRegistryScanning();
  const plans: RepositoryPlan[] = [];
  let processed = 0;
  let sinceSave = 0;
  /** Out of time: the checkpoint is saved and the next invocation resumes after `state.cursor`. */
  const saveIncomplete = async (): Promise<SweepRunResult> => {
    await save();
    return runResult('incomplete', state, processed, plans);
  };
  for (const repository of todo) {
    if (remainingMs() < settings.safetyMarginMs) {
      const result = await saveIncomplete();
      log.info('time budget low: checkpoint saved, resume will continue', {
        cursor: state.cursor,
        processed,
      });
      return result;
    }
    const summary = summaries.get(repository);
    if (!summary) continue;
    const plan = await sweepRepository(deps, state, net, repository, summary, registryScanning, log);
    if (plan) plans.push(plan);
    state.cursor = repository;
    processed += 1;
    sinceSave += 1;
    if (sinceSave >= settings.checkpointEvery) {
      await save();
      sinceSave = 0;
    }
  }
  await net.flush();
  if (
    !state.exceptionsChecked &&
    !state.dryRun &&
    (deps.gate?.listExpiredWaiverDecisions || deps.gate?.checkDeadlines)
  ) {
    if (remainingMs() < settings.safetyMarginMs) return saveIncomplete();
    await reevaluateExpiredWaivers(deps, state, log);
    if (deps.gate?.checkDeadlines) {
      // The safety net of the hourly deadline schedule: same check, same once-only claims.
      const checked = await deps.gate.checkDeadlines(state.sweepId);
      state.safetyNet.errors += checked.errors;
      state.safetyNet.deferred += checked.deferred;
      log.info('safety net: fix deadlines checked', { ...checked });
    }
  }
  state.exceptionsChecked = true;
  state.status = 'complete';
  state.finishedAt = deps.now().toISOString();
  await save();
  return finish(deps, state, version, name, processed, plans);
}

async function finish(
  deps: SweepDependencies,
  state: SweepState,
  version: number,
  name: string,
  processed: number,
  plans: RepositoryPlan[],
): Promise<SweepRunResult> {
  const summary = toSummary(state, deps.settings);
  if (state.dryRun) {
    // Reported in the result and the log only: a dry run publishes nothing and writes no checkpoint.
    deps.logger.info('dry-run sweep complete: nothing was changed or sent', { summary });
    return runResult('complete', state, processed, plans, { summary });
  }
  const message = deps.formatSummary(summary, deps.now());
  await deps.notifier.publish(message);
  state.summarySent = true;
  await deps.checkpoints.putCheckpoint(name, state, version, deps.now());
  deps.logger.info('sweep complete', {
    sweepId: state.sweepId,
    mode: state.mode,
    counters: state.counters,
    safetyNet: state.safetyNet,
    invocations: state.invocations,
  });
  writeSweepMetrics(deps.logger, state);
  return runResult('complete', state, processed, plans, { summarySent: true });
}

/** A run's result: what it processed, the counters and plans so far (none for an idle or busy run). */
function runResult(
  status: SweepRunResult['status'],
  state: SweepState | null,
  processed: number,
  plans: readonly RepositoryPlan[],
  extra: { readonly summarySent?: boolean; readonly summary?: HygieneSweepSummary } = {},
): SweepRunResult {
  const ran = state !== null && status !== 'idle' && status !== 'busy';
  return {
    status,
    sweepId: state?.sweepId ?? null,
    processed,
    counters: ran ? { ...state.counters } : null,
    plans,
    summarySent: extra.summarySent ?? false,
    ...(extra.summary ? { summary: extra.summary } : {}),
  };
}

/** The sweep's metrics, once per completed sweep: its summary alert, re-judgements and failures by kind. */
function writeSweepMetrics(log: Logger, state: SweepState): void {
  log.metric?.({
    values: { AlertsSent: 1, Rejudgements: state.safetyNet.exceptionExpiredDecided },
    dimensions: { Reason: 'exception-expired' },
  });
  const failures = { 'sweep-repository': state.counters.failed, 'safety-net': state.safetyNet.errors };
  for (const [kind, count] of Object.entries(failures)) {
    if (count > 0) log.metric?.({ values: { Errors: count }, dimensions: { Kind: kind } });
  }
}

function toSummary(state: SweepState, settings: SweepSettings): HygieneSweepSummary {
  const c = state.counters;
  return {
    mode: state.mode,
    startedAt: state.startedAt,
    finishedAt: state.finishedAt ?? state.startedAt,
    registryId: state.registryId ?? null,
    region: settings.region,
    repositories: {
      scanned: c.scanned,
      compliant: c.compliant + c.optedOut,
      drifted: c.drifted + c.conflict + c.refused,
      applied: c.applied,
      refused: c.refused,
      failed: c.failed,
    },
    topDrift: state.topDrift,
    safetyNet: {
      undecidedDecided: state.safetyNet.undecidedDecided,
      exceptionExpiredDecided: state.safetyNet.exceptionExpiredDecided,
    },
    dryRun: state.dryRun,
  };
}

async function sweepRepository(
  deps: SweepDependencies,
  state: SweepState,
  net: SafetyNet,
  repository: string,
  summary: RepositorySettings,
  registryScanning: RegistryScanningConfiguration,
  parent: Logger,
): Promise<RepositoryPlan | null> {
  const log = parent.child({ repository });
  const { settings } = deps;
  state.counters.scanned += 1;
  try {
    const policyText = await deps.admin.getLifecyclePolicy(repository);
    const summaries = [];
    for await (const image of deps.admin.listImages(repository)) summaries.push(image);
    const images: LifecycleImage[] = summaries.map(imageFromSummary);
    const state0 = {
      name: repository,
      lifecyclePolicyText: policyText,
      tagMutability: summary.tagMutability,
      tagMutabilityExclusions: summary.exclusions,
      scanOnPush: summary.scanOnPush,
      images,
    };
    const options = {
      now: deps.now().getTime(),
      registryScanning,
      approvedPrefix: settings.approvedPrefix,
      quarantinedPrefix: settings.quarantinedPrefix,
    };
    const repositorySettings = settingsFor(deps.baseline, repository);
    let plan = planRepository(state0, repositorySettings, options);
    // In-use data matters only when a planned lifecycle policy would expire or archive approved images (in-use
    // protection): read it then, and plan again with it. A repository without such a change costs no usage call.
    if (plan.usageConsulted && deps.usage) {
      const usage = await deps.usage.usage(repository, {
        sweepId: state.sweepId,
        registryId: summary.registryId,
      });
      plan = planRepository({ ...state0, usage }, repositorySettings, options);
    }
    countPlan(state, plan, settings.topDriftLimit);
    if (plan.status !== 'compliant' && plan.status !== 'opted-out') {
      log.info('drift', { status: plan.status, items: plan.items, changes: plan.changes.map((c) => c.kind) });
    }
    if (state.mode === 'enforce' && plan.changes.length > 0) {
      for (const change of plan.changes) await applyChange(deps.admin, repository, change);
      state.counters.applied += 1;
      log.info('drift applied', { changes: plan.changes.map((c) => c.kind) });
    }
    await net.collect(repository, summary.registryId, images, log);
    return plan;
  } catch (error) {
    state.counters.failed += 1;
    log.error('repository sweep failed; continuing with the next repository', error as Error);
    return null;
  }
}

function countPlan(state: SweepState, plan: RepositoryPlan, limit: number): void {
  const c = state.counters;
  if (plan.status === 'compliant') c.compliant += 1;
  else if (plan.status === 'opted-out') c.optedOut += 1;
  else if (plan.status === 'drift') c.drifted += 1;
  else if (plan.status === 'conflict') c.conflict += 1;
  else c.refused += 1;
  for (const item of plan.items) {
    if (item.level === 'note' || state.topDrift.length >= limit) continue;
    state.topDrift.push({
      repository: plan.repository,
      kind: `${item.aspect}:${item.level}`,
      message: item.message,
    });
  }
}

async function applyChange(admin: RegistryAdmin, repository: string, change: PlannedChange): Promise<void> {
  switch (change.kind) {
    case 'put-lifecycle-policy':
      return admin.putLifecyclePolicy(repository, change.policyText);
    case 'put-tag-mutability':
      return admin.putTagMutability(repository, change.mutability, change.exclusions);
    case 'put-scan-on-push':
      return admin.putScanOnPush(repository, true);
  }
}

/** An image the safety net looks at: undecided-looking, or carrying decision tags the ledger must stand behind. */
interface SafetyNetCandidate {
  readonly ref: ImageRef;
  readonly tags: readonly string[];
  readonly carriesDecisionTags: boolean;
  readonly log: Logger;
}

/** How many decision-tagged images one ledger read checks (DynamoDB BatchGetItem reads 100 items). */
export const SAFETY_NET_BATCH = 100;

/**
 * The safety net of one sweep invocation. Repositories hand it their images; images that carry decision tags are
 * checked against the ledger in batches across repositories (one read per {@link SAFETY_NET_BATCH} images, not
 * one per image), then undecided and drifted images go through the gate. The sweep flushes it before every
 * checkpoint, so a saved cursor never passes a repository whose images were not looked at.
 */
class SafetyNet {
  readonly #pending: SafetyNetCandidate[] = [];
  readonly #deps: SweepDependencies;
  readonly #state: SweepState;

  constructor(deps: SweepDependencies, state: SweepState) {
    this.#deps = deps;
    this.#state = state;
  }

  /** Takes a repository's images; checks and decides once enough decision-tagged images wait. */
  async collect(
    repository: string,
    registryId: string,
    images: readonly LifecycleImage[],
    log: Logger,
  ): Promise<void> {
    const { settings } = this.#deps;
    if (!this.#deps.gate) return;
    const cutoff = this.#deps.now().getTime() - settings.undecidedGraceMinutes * 60_000;
    for (const img of images) {
      if (img.storageClass !== 'standard' || img.pushedAt > cutoff) continue;
      this.#pending.push({
        ref: { registryId, region: settings.region, repository, digest: img.digest },
        tags: img.tags,
        carriesDecisionTags: img.tags.some(
          (t) => t.startsWith(settings.approvedPrefix) || t.startsWith(settings.quarantinedPrefix),
        ),
        log,
      });
    }
    if (this.#pending.filter((c) => c.carriesDecisionTags).length >= SAFETY_NET_BATCH) await this.flush();
  }

  /** Checks and decides every image taken so far. Never throws: failures are counted and logged. */
  async flush(): Promise<void> {
    const candidates = this.#pending.splice(0, this.#pending.length);
    const gate = this.#deps.gate;
    if (!gate || candidates.length === 0) return;
    const reasons = await this.#reasons(gate, candidates);
    for (const [i, candidate] of candidates.entries()) {
      const reason = reasons[i];
      if (reason === null || reason === undefined) continue;
      await this.#decide(gate, candidate, reason);
    }
  }

  /** Per candidate: why it goes through the gate, null when it does not, undefined when the check failed. */
  async #reasons(
    gate: SweepGate,
    candidates: readonly SafetyNetCandidate[],
  ): Promise<('undecided' | 'drift' | null | undefined)[]> {
    const reasons: ('undecided' | 'drift' | null | undefined)[] = candidates.map((c) =>
      c.carriesDecisionTags ? undefined : 'undecided',
    );
    const tagged = candidates.flatMap((c, i) => (c.carriesDecisionTags ? [i] : []));
    for (let start = 0; start < tagged.length; start += SAFETY_NET_BATCH) {
      const batch = tagged.slice(start, start + SAFETY_NET_BATCH);
      const items = batch.map((i) => candidates[i] as SafetyNetCandidate);
      try {
        // A decision tag proves nothing by itself: only a decision in the ledger stands behind it.
        const checks = gate.checkTagsMany
          ? await gate.checkTagsMany(items.map((c) => ({ ref: c.ref, tags: c.tags })))
          : gate.checkTags
            ? await Promise.all(items.map((c) => gate.checkTags?.(c.ref, c.tags) ?? 'consistent'))
            : items.map(() => 'consistent' as const);
        for (const [k, i] of batch.entries()) {
          const check = checks[k];
          reasons[i] = check === 'consistent' ? null : (check ?? 'undecided');
        }
      } catch (error) {
        this.#state.safetyNet.errors += items.length;
        (items[0]?.log ?? this.#deps.logger).error(
          'safety net: could not check the decision tags against the ledger',
          { images: items.length, error: error as Error },
        );
      }
    }
    return reasons;
  }

  async #decide(
    gate: SweepGate,
    candidate: SafetyNetCandidate,
    reason: 'undecided' | 'drift',
  ): Promise<void> {
    const state = this.#state;
    if (state.dryRun) {
      // Dry run: count what would be decided, decide nothing.
      state.safetyNet.deferred += 1;
      return;
    }
    const used = state.safetyNet.undecidedDecided + state.safetyNet.notReady + state.safetyNet.errors;
    if (used >= this.#deps.settings.maxSafetyNetPerRun * state.invocations) {
      state.safetyNet.deferred += 1;
      return;
    }
    try {
      const outcome = await gate.decide(candidate.ref, reason, state.sweepId);
      if (outcome.outcome === 'not-ready') state.safetyNet.notReady += 1;
      else state.safetyNet.undecidedDecided += 1;
      candidate.log.info(
        reason === 'drift'
          ? 'safety net: decision tags that do not show the recorded decision, repaired through the gate'
          : 'safety net: undecided image sent through the gate',
        { digest: candidate.ref.digest, reason, outcome: outcome.outcome },
      );
    } catch (error) {
      state.safetyNet.errors += 1;
      candidate.log.error('safety net: gate failed for an image', error as Error);
    }
  }
}

/** The `deadlines` request: the fix-deadline check alone. */
async function checkDeadlinesOnly(deps: SweepDependencies): Promise<SweepRunResult> {
  const runId = `deadline-check-${deps.now().toISOString()}`;
  if (!deps.gate?.checkDeadlines) {
    deps.logger.warn('fix-deadline check requested but the gate does not provide it', { runId });
    return { status: 'idle', sweepId: runId, processed: 0, counters: null, plans: [], summarySent: false };
  }
  const checked = await deps.gate.checkDeadlines(runId);
  deps.logger.info('fix deadlines checked', { runId, ...checked });
  if (checked.errors > 0) {
    deps.logger.metric?.({ values: { Errors: checked.errors }, dimensions: { Kind: 'safety-net' } });
  }
  return {
    status: 'complete',
    sweepId: runId,
    processed: checked.due,
    counters: null,
    plans: [],
    summarySent: false,
  };
}

async function reevaluateExpiredWaivers(
  deps: SweepDependencies,
  state: SweepState,
  log: Logger,
): Promise<void> {
  const gate = deps.gate;
  if (!gate?.listExpiredWaiverDecisions) return;
  let count = 0;
  for await (const ref of gate.listExpiredWaiverDecisions(deps.now())) {
    if (!globMatch(deps.settings.scope, ref.repository)) continue;
    if (count >= deps.settings.maxSafetyNetPerRun) {
      state.safetyNet.deferred += 1;
      continue;
    }
    count += 1;
    try {
      const outcome = await gate.decide(ref, 'exception-expired', state.sweepId);
      state.safetyNet.exceptionExpiredDecided += 1;
      log.info('safety net: decision with an expired exception re-evaluated', {
        repository: ref.repository,
        digest: ref.digest,
        outcome: outcome.outcome,
      });
    } catch (error) {
      state.safetyNet.errors += 1;
      log.error('safety net: re-evaluation failed', error as Error);
    }
  }
}

/** Repository-creation path: plan (and in enforce mode apply) the named repositories now; no checkpoint, no alert. */
async function sweepNamed(deps: SweepDependencies, repositories: readonly string[]): Promise<SweepRunResult> {
  const wanted = new Set(repositories.filter((r) => globMatch(deps.settings.scope, r)));
  const now = deps.now();
  // No waiver re-evaluation on this path, and it is its own single invocation.
  const state: SweepState = {
    ...newSweepState(`create-${now.toISOString()}`, deps.settings.mode, now, false),
    exceptionsChecked: true,
    invocations: 1,
  };
  const plans: RepositoryPlan[] = [];
  if (wanted.size === 0) return runResult('complete', state, 0, plans);
  const registryScanning = await deps.admin.getRegistryScanning();
  const net = new SafetyNet(deps, state);
  for await (const repo of deps.admin.listRepositories()) {
    if (!wanted.has(repo.name)) continue;
    const plan = await sweepRepository(
      deps,
      state,
      net,
      repo.name,
      repositorySettings(repo),
      registryScanning,
      deps.logger.child({ sweepId: state.sweepId }),
    );
    if (plan) plans.push(plan);
  }
  await net.flush();
  return runResult('complete', state, plans.length, plans);
}
