/**
 * The run checkpoint of a re-judgement: counts added by each batch under optimistic concurrency, and the one
 * summary claimed and published by the batch that completes the run.
 */
import { LedgerConflictError } from '../ledger/errors.ts';
import type { Checkpoint } from '../ledger/ledger.ts';
import { rejudgeSummaryMessage } from '../notify/rejudge-summary.ts';
import { type RejudgeDependencies, RUN_CHECKPOINT } from './context.ts';

/** Flips of one repository in a run, by the verdict the images flipped to. */
export interface RepositoryFlips {
  approved: number;
  quarantined: number;
}

export interface RunState {
  readonly id: string;
  /** The version images are re-judged against. */
  readonly policyVersion: string;
  readonly startedAt: string;
  /** Old versions still to page through; the first is being paged. */
  readonly versions: readonly string[];
  /** Index key to continue after in `versions[0]`. */
  readonly cursor: string | null;
  /** Every image message was sent. */
  readonly planned: boolean;
  readonly enqueued: number;
  readonly processed: number;
  readonly unchanged: number;
  /** By `registryId/repository`. */
  readonly flipped: Readonly<Record<string, RepositoryFlips>>;
  /** Image messages that failed on their last receive (dead-lettered); absent in runs started before. */
  readonly deadLettered?: number;
  /** Their image keys (`registryId/repository@digest`), the first {@link LISTED_DEAD_LETTERS}. */
  readonly deadLetteredImages?: readonly string[];
  readonly summarized: boolean;
}

/** Dead-lettered images named in the run checkpoint and its summary (the count is always complete). */
export const LISTED_DEAD_LETTERS = 50;

export interface Tally {
  processed: number;
  unchanged: number;
  flipped: Record<string, RepositoryFlips>;
  /** Image keys of messages that failed on their last receive. */
  deadLettered: string[];
}

export async function addToRun(deps: RejudgeDependencies, runId: string, tally: Tally): Promise<void> {
  const updated = await updateRun(deps, runId, (r) => {
    const flipped: Record<string, RepositoryFlips> = structuredClone({ ...r.flipped });
    for (const [repository, flips] of Object.entries(tally.flipped)) {
      const sum = flipped[repository] ?? { approved: 0, quarantined: 0 };
      flipped[repository] = sum;
      sum.approved += flips.approved;
      sum.quarantined += flips.quarantined;
    }
    const listed = r.deadLetteredImages ?? [];
    return {
      ...r,
      processed: r.processed + tally.processed,
      unchanged: r.unchanged + tally.unchanged,
      flipped,
      deadLettered: (r.deadLettered ?? 0) + tally.deadLettered.length,
      deadLetteredImages: [...listed, ...tally.deadLettered.filter((k) => !listed.includes(k))].slice(
        0,
        LISTED_DEAD_LETTERS,
      ),
    };
  });
  if (updated) await summarizeIfDone(deps, updated);
}

/** Once everything planned was processed, one batch claims the summary (conditional write) and publishes it. */
export async function summarizeIfDone(deps: RejudgeDependencies, run: RunState): Promise<void> {
  if (!finished(run) || run.summarized) return;
  const claimed = await updateRun(deps, run.id, (r) =>
    finished(r) && !r.summarized ? { ...r, summarized: true } : null,
  );
  if (!claimed) return;
  const flippedTotal = Object.values(claimed.flipped).reduce((n, f) => n + f.approved + f.quarantined, 0);
  deps.gate.logger.info('re-judgement complete', {
    run: claimed.id,
    policyVersion: claimed.policyVersion,
    images: claimed.processed,
    unchanged: claimed.unchanged,
    flipped: flippedTotal,
    byRepository: claimed.flipped,
    deadLettered: claimed.deadLettered ?? 0,
    deadLetteredImages: claimed.deadLetteredImages ?? [],
  });
  try {
    await deps.gate.notifier.publish(
      rejudgeSummaryMessage({
        run: claimed.id,
        policyVersion: claimed.policyVersion,
        startedAt: claimed.startedAt,
        images: claimed.processed,
        unchanged: claimed.unchanged,
        flipped: claimed.flipped,
        deadLettered: claimed.deadLettered ?? 0,
        deadLetteredImages: claimed.deadLetteredImages ?? [],
        region: deps.consoleRegion ?? null,
      }),
    );
  } catch (error) {
    // Claimed but not published: the per-image messages went out; the summary is in the log line above.
    deps.gate.logger.error('re-judgement summary not published', {
      run: claimed.id,
      error: error instanceof Error ? error.message : String(error),
    });
  }
}

export function finished(run: RunState): boolean {
  return run.planned && run.processed + (run.deadLettered ?? 0) >= run.enqueued;
}

/**
 * Applies `change` to the run checkpoint with optimistic concurrency (batches race on it). `change` returning
 * null means nothing to write. Returns the stored run, or null when the run is not the latest or unchanged.
 */
export async function updateRun(
  deps: RejudgeDependencies,
  runId: string,
  change: (run: RunState) => RunState | null,
): Promise<RunState | null> {
  for (let attempt = 1; ; attempt++) {
    const checkpoint: Checkpoint | null = await deps.gate.ledger.getCheckpoint(RUN_CHECKPOINT);
    const run = checkpoint?.value as RunState | undefined;
    if (!checkpoint || !run || run.id !== runId) return null;
    const next = change(run);
    if (!next) return null;
    try {
      await deps.gate.ledger.putCheckpoint(RUN_CHECKPOINT, next, checkpoint.version, deps.gate.now());
      return next;
    } catch (error) {
      if (!(error instanceof LedgerConflictError) || attempt >= deps.settings.checkpointAttempts) throw error;
    }
  }
}
