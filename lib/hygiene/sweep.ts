/**
 * The hygiene sweep's run loop: every repository in scope is compared with the baseline (lifecycle, scanning, tag
 * mutability); drift is reported and, in `enforce` mode, applied; and images the event pipeline missed are
 * decided through the gate (the safety net, safety-net.ts). One summary alert per sweep, structured logs
 * throughout. Its ports (what the wiring hands it) are in sweep-ports.ts.
 *
 * Scale: repositories are listed once per invocation (DescribeRepositories, 1,000 per page), sorted by name and
 * processed in that order; a checkpoint (ledger item `hygiene-sweep#<registryId>/<region>`) records the last
 * repository done. When the Lambda time budget runs low the run stops at a repository boundary and returns
 * `incomplete`; the next `resume` invocation (a short schedule) continues from the cursor. A repository without
 * drift costs 2 ECR calls (GetLifecyclePolicy, one DescribeImages page per 1,000 images) plus its share of
 * DescribeRepositories and checkpoint writes. `report` mode never calls a write operation of the registry.
 */
import type { Logger } from '../log/index.ts';
import type { HygieneSweepSummary } from '../notify/index.ts';
import type {
  RegistryAdmin,
  RegistryScanningConfiguration,
  RepositorySummary,
} from '../registry/registry.ts';
import { settingsFor } from './baseline.ts';
import { type PlannedChange, planRepository, type RepositoryPlan } from './drift.ts';
import { CheckpointConflictError } from './errors.ts';
import { imageFromSummary, type LifecycleImage } from './lifecycle-images.ts';
import {
  checkDeadlinesAlone,
  checkDeadlinesInSweep,
  reevaluateExpiredWaivers,
  SafetyNet,
  type SafetyNetCounts,
} from './safety-net.ts';
import { globMatch } from './scope.ts';
import type { SweepDependencies, SweepMode, SweepSettings } from './sweep-ports.ts';

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
  safetyNet: SafetyNetCounts;
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
    await checkDeadlinesInSweep(deps, state, log);
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

/** The `deadlines` request: the fix-deadline check alone. */
async function checkDeadlinesOnly(deps: SweepDependencies): Promise<SweepRunResult> {
  const { runId, checked } = await checkDeadlinesAlone(deps);
  if (checked === null) {
    return { status: 'idle', sweepId: runId, processed: 0, counters: null, plans: [], summarySent: false };
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
