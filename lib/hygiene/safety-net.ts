/**
 * The sweep's safety net: images the event pipeline missed are decided through the gate. An image with neither an
 * approved- nor a quarantined- tag, pushed more than `undecidedGraceMinutes` ago, has no completed decision (the
 * gate's invariant) → `gate.decide(ref, 'undecided')`; an image whose decision tags the ledger does not stand
 * behind → `'undecided'` or `'drift'`. Decisions relying on an exception that has since expired are listed by the
 * gate's ledger and re-decided once per sweep, and the fix-deadline check runs with them. All capped per
 * invocation; failures are counted and logged, never thrown.
 */
import type { ImageRef } from '../events/image-ref.ts';
import type { Logger } from '../log/index.ts';
import type { LifecycleImage } from './lifecycle-images.ts';
import { globMatch } from './scope.ts';
import type { DeadlineCheckSummary, SweepDependencies, SweepGate } from './sweep-ports.ts';

/** What the safety net did in one sweep (kept in the sweep's checkpoint). */
export interface SafetyNetCounts {
  undecidedDecided: number;
  exceptionExpiredDecided: number;
  notReady: number;
  errors: number;
  deferred: number;
}

/** The part of the sweep's state the safety net reads and counts into. */
export interface SafetyNetState {
  readonly sweepId: string;
  readonly dryRun: boolean;
  /** Invocations of this sweep so far: the per-invocation cap grows with them. */
  readonly invocations: number;
  readonly safetyNet: SafetyNetCounts;
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
export class SafetyNet {
  readonly #pending: SafetyNetCandidate[] = [];
  readonly #deps: SweepDependencies;
  readonly #state: SafetyNetState;

  constructor(deps: SweepDependencies, state: SafetyNetState) {
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

export async function reevaluateExpiredWaivers(
  deps: SweepDependencies,
  state: SafetyNetState,
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

/** The fix-deadline check as part of a sweep (the safety net of the hourly `deadlines` schedule). */
export async function checkDeadlinesInSweep(
  deps: SweepDependencies,
  state: SafetyNetState,
  log: Logger,
): Promise<void> {
  if (deps.gate?.checkDeadlines) {
    // Same check as the hourly schedule, same once-only claims.
    const checked = await deps.gate.checkDeadlines(state.sweepId);
    state.safetyNet.errors += checked.errors;
    state.safetyNet.deferred += checked.deferred;
    log.info('safety net: fix deadlines checked', { ...checked });
  }
}

/**
 * The `deadlines` request: the fix-deadline check alone, under its own run id. Null when the gate does not
 * provide the check (logged).
 */
export async function checkDeadlinesAlone(
  deps: SweepDependencies,
): Promise<{ readonly runId: string; readonly checked: DeadlineCheckSummary | null }> {
  const runId = `deadline-check-${deps.now().toISOString()}`;
  if (!deps.gate?.checkDeadlines) {
    deps.logger.warn('fix-deadline check requested but the gate does not provide it', { runId });
    return { runId, checked: null };
  }
  const checked = await deps.gate.checkDeadlines(runId);
  deps.logger.info('fix deadlines checked', { runId, ...checked });
  if (checked.errors > 0) {
    deps.logger.metric?.({ values: { Errors: checked.errors }, dimensions: { Kind: 'safety-net' } });
  }
  return { runId, checked };
}
