/** Re-judgement settings, dependencies and checkpoint names (the flow: rejudge.ts; run bookkeeping: run.ts). */
import type { GateDependencies } from '../gate/context.ts';
import type { RejudgeQueue } from './queue.ts';

/** Checkpoint of every policy version the gatekeeper has run with. */
export const POLICY_VERSIONS_CHECKPOINT = 'policy-versions';
/** Checkpoint of the latest re-judgement run. */
export const RUN_CHECKPOINT = 'rejudge-run';

export interface RejudgeSettings {
  /** Images per index query (one page = one Query + ⌈n/10⌉ SendMessageBatch calls + one checkpoint write). */
  readonly pageSize: number;
  /** Pages per `plan` message before a continuation is sent (bounds one invocation's work). */
  readonly pagesPerInvocation: number;
  /** Stop planning when less than this is left of the invocation, and send a continuation. */
  readonly reserveMs: number;
  /** A run that has not completed after this long no longer blocks a new one. */
  readonly staleRunMs: number;
  /** Attempts when batches race on the run checkpoint. */
  readonly checkpointAttempts: number;
  /**
   * PutImage calls per second one worker may make (pacing under ECR's 10/s account quota): after an image whose
   * decision wrote `n` tags, the worker waits until `n / rate` seconds have passed since it started that image.
   * With the function's reserved concurrency 2 and 2/s here, re-judgement uses at most 4 of the 10 PutImage per
   * second and leaves 6 for the pushes going on meanwhile (docs/gate.md, "Re-judgement after a policy change").
   */
  readonly putImagesPerSecond: number;
  /**
   * The queue's redrive maxReceiveCount (GATEKEEPER_REJUDGE_MAX_RECEIVE_COUNT, from serverless.yml): an image
   * message failing on that receive goes to the dead-letter queue next and counts as dead-lettered in its run.
   * Null: unknown; the run waits for such an image until `staleRunMs`.
   */
  readonly maxReceiveCount: number | null;
}

export const DEFAULT_REJUDGE_SETTINGS: RejudgeSettings = Object.freeze({
  pageSize: 100,
  pagesPerInvocation: 50,
  reserveMs: 20_000,
  staleRunMs: 6 * 3_600_000,
  checkpointAttempts: 8,
  putImagesPerSecond: 2,
  maxReceiveCount: null,
});

export interface RejudgeDependencies {
  readonly gate: GateDependencies;
  readonly queue: RejudgeQueue;
  readonly settings: RejudgeSettings;
  /** Console links in the summary (region of the registry). */
  readonly consoleRegion?: string;
  /** Waits `ms` (pacing); a test passes a recorder. Default: a timer. */
  readonly sleep?: (ms: number) => Promise<void>;
}
