/**
 * The hygiene sweep's ports: what lib/wiring (and tests) hand to `runSweep` — the gate, the checkpoint store, the
 * optional image-usage source, the summary alert's notifier and formatter — and the settings it runs with.
 * Nothing here runs; sweep.ts is the run loop, safety-net.ts the safety net.
 */
import type { ImageRef } from '../events/image-ref.ts';
import type { Logger } from '../log/index.ts';
import type { HygieneSweepSummary, Notifier, OutboundMessage } from '../notify/index.ts';
import type { RegistryAdmin } from '../registry/registry.ts';
import type { HygieneBaseline } from './baseline.ts';
import type { ImageUsage } from './drift.ts';

/** The summary type is lib/notify's (the alert renders it); re-exported so the sweep's callers need not know. */
export type { HygieneSweepSummary };

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
