/**
 * Re-judgement after a policy change, at registry scale. Every decided image whose latest decision was made
 * under another policy version than the deployed one is decided again through the gate (`decideImage` with a
 * `rejudge` trigger), fanned out over an SQS queue to the rejudge function (bounded concurrency, partial batch
 * failures).
 *
 * - Trigger (`checkPolicyVersions`, run by the rejudge function's schedule): the first invocation that sees the
 *   deployed version records it in the `policy-versions` checkpoint (conditional write), then looks, per known
 *   older version, for one image still decided under it (usually one index query each). Any found → a run
 *   starts (`rejudge-run` checkpoint, conditional create) and one `plan` message is sent. The same check on
 *   every tick is the safety net: images decided by a container still running the old version during a deploy,
 *   a rollback to a version seen before, a run that stalled.
 * - Planning (`plan` message): pages through the ledger's `byPolicyVersion` index for each old version and
 *   sends one `image` message per image (SendMessageBatch, 10 per call). The run checkpoint records the cursor
 *   after each page; a crash re-sends at most one page (duplicates are harmless: the second decision of an image
 *   is `unchanged`). A bounded number of pages per invocation, then a continuation `plan` message.
 * - Worker (`image` message): reads the record; an image no longer decided under an old version is skipped,
 *   others are decided again. An unchanged verdict rewrites the ledger record only (no ECR write, no message);
 *   a changed verdict is applied and announced like any decision.
 * - Summary: each batch adds its counts to the run checkpoint; the batch that completes the run (everything
 *   planned was processed) claims the summary and publishes one message: how many flipped, by repository.
 *   An image message that fails on its last receive (SQS's ApproximateReceiveCount reached the queue's redrive
 *   maxReceiveCount, `settings.maxReceiveCount`) is reported failed, so SQS dead-letters it, and is counted as
 *   dead-lettered in its run: the run still completes and its summary names the image.
 */
import { imageKey } from '../events/image-ref.ts';
import { decideImage } from '../gate/decide-image.ts';
import { PolicySetUnavailableError } from '../gate/errors.ts';
import { LedgerConflictError } from '../ledger/errors.ts';
import { POLICY_VERSIONS_CHECKPOINT, type RejudgeDependencies, RUN_CHECKPOINT } from './context.ts';
import { RejudgeMessageError } from './errors.ts';
import { parseRejudgeMessage, type RejudgeMessage } from './messages.ts';
import { addToRun, finished, type RunState, summarizeIfDone, type Tally, updateRun } from './run.ts';

interface KnownVersions {
  readonly versions: readonly { readonly version: string; readonly firstSeenAt: string }[];
}

export interface CheckOutcome {
  readonly started: string | null;
  readonly detail: string;
}

/**
 * The scheduled check: records the deployed policy version, and starts a run when images decided under an
 * older version exist and no run is under way.
 * @example await checkPolicyVersions(deps) // { started: 'rejudge-…', detail: '…' }
 */
export async function checkPolicyVersions(deps: RejudgeDependencies): Promise<CheckOutcome> {
  const version = deployedVersion(deps);
  const now = deps.gate.now();
  const known = await recordVersion(deps, version, now);
  const runCheckpoint = await deps.gate.ledger.getCheckpoint(RUN_CHECKPOINT);
  const run = runCheckpoint ? (runCheckpoint.value as RunState) : null;
  if (run && !finished(run) && now.getTime() - Date.parse(run.startedAt) < deps.settings.staleRunMs) {
    return { started: null, detail: `run ${run.id} is under way` };
  }
  const stale: string[] = [];
  for (const old of known.filter((v) => v !== version)) {
    if (await anyDecidedUnder(deps, old)) stale.push(old);
  }
  if (stale.length === 0)
    return { started: null, detail: 'every decided image is judged by the deployed policy' };
  const id = `rejudge-${version.replace(/^sha256:/, '').slice(0, 12)}-${now.toISOString()}`;
  const fresh: RunState = {
    id,
    policyVersion: version,
    startedAt: now.toISOString(),
    versions: stale,
    cursor: null,
    planned: false,
    enqueued: 0,
    processed: 0,
    unchanged: 0,
    flipped: {},
    deadLettered: 0,
    deadLetteredImages: [],
    summarized: false,
  };
  try {
    await deps.gate.ledger.putCheckpoint(RUN_CHECKPOINT, fresh, runCheckpoint?.version ?? 0, now);
  } catch (error) {
    if (error instanceof LedgerConflictError) return { started: null, detail: 'another check started a run' };
    throw error;
  }
  await deps.queue.send([{ kind: 'plan', run: id }]);
  deps.gate.logger.info('re-judgement started', { run: id, policyVersion: version, oldVersions: stale });
  return { started: id, detail: `images decided under ${stale.length} older policy version(s)` };
}

/**
 * The rejudge function's entry: an SQS batch (`Records`, each with `messageId` and `body`) is handled with
 * partial batch failures; any other event (the schedule) runs the policy version check.
 * @example await handleRejudgeEvent(deps, event, () => context.getRemainingTimeInMillis())
 */
export async function handleRejudgeEvent(
  deps: RejudgeDependencies,
  event: unknown,
  remainingMs: () => number,
): Promise<BatchResponse | CheckOutcome> {
  const records = (event as { Records?: unknown } | null)?.Records;
  if (!Array.isArray(records)) return checkPolicyVersions(deps);
  const parsed: QueueRecord[] = [];
  for (const [i, record] of records.entries()) {
    const { messageId, body, attributes } = (record ?? {}) as {
      messageId?: unknown;
      body?: unknown;
      attributes?: { ApproximateReceiveCount?: unknown };
    };
    if (typeof messageId !== 'string' || typeof body !== 'string') {
      throw new RejudgeMessageError(`SQS event: Records[${i}] lacks messageId or body`);
    }
    const count = attributes?.ApproximateReceiveCount;
    const receiveCount = typeof count === 'string' && /^\d+$/.test(count) ? Number(count) : undefined;
    parsed.push({ messageId, body, ...(receiveCount !== undefined ? { receiveCount } : {}) });
  }
  return handleRejudgeBatch(deps, parsed, remainingMs);
}

/** Whether any image is still decided under `version` (pages skip the records of deleted images). */
async function anyDecidedUnder(deps: RejudgeDependencies, version: string): Promise<boolean> {
  let after: string | null = null;
  do {
    const page = await deps.gate.ledger.listDecidedByPolicyVersion(version, after, deps.settings.pageSize);
    if (page.images.length > 0) return true;
    after = page.next;
  } while (after !== null);
  return false;
}

/** SQS batch response (Lambda's ReportBatchItemFailures). */
export interface BatchResponse {
  readonly batchItemFailures: { readonly itemIdentifier: string }[];
}

export interface QueueRecord {
  readonly messageId: string;
  readonly body: string;
  /** SQS's ApproximateReceiveCount attribute of this delivery, when the event carries it. */
  readonly receiveCount?: number;
}

/**
 * Handles one SQS batch: each record on its own; the ids of failed records are returned so only they are
 * delivered again (then the dead-letter queue). Never throws for one record's failure.
 * @example const { batchItemFailures } = await handleRejudgeBatch(deps, event.Records, () => 60_000)
 */
export async function handleRejudgeBatch(
  deps: RejudgeDependencies,
  records: readonly QueueRecord[],
  remainingMs: () => number,
): Promise<BatchResponse> {
  const failures: { itemIdentifier: string }[] = [];
  const tallies = new Map<string, Tally>();
  const tallyOf = (run: string): Tally => {
    const tally = tallies.get(run) ?? { processed: 0, unchanged: 0, flipped: {}, deadLettered: [] };
    tallies.set(run, tally);
    return tally;
  };
  for (const record of records) {
    const log = deps.gate.logger.child({ messageId: record.messageId });
    let message: RejudgeMessage | null = null;
    try {
      message = parseRejudgeMessage(record.body);
      if (message.kind === 'plan') {
        await planRun(deps, message.run, remainingMs);
        continue;
      }
      const started = Date.now();
      const result = await rejudgeImage(deps, message);
      await pace(deps, result.putTags, Date.now() - started);
      const tally = tallyOf(message.run);
      tally.processed += 1;
      if (result.flippedTo) {
        const repository = `${message.image.registryId}/${message.image.repository}`;
        const flips = tally.flipped[repository] ?? { approved: 0, quarantined: 0 };
        tally.flipped[repository] = flips;
        flips[result.flippedTo] += 1;
      } else {
        tally.unchanged += 1;
      }
    } catch (error) {
      const last =
        message?.kind === 'image' &&
        deps.settings.maxReceiveCount !== null &&
        record.receiveCount !== undefined &&
        record.receiveCount >= deps.settings.maxReceiveCount;
      log.error(
        last
          ? 're-judgement message failed on its last receive; it goes to the dead-letter queue'
          : 're-judgement message failed; it is delivered again',
        {
          error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
          ...(record.receiveCount !== undefined ? { receiveCount: record.receiveCount } : {}),
        },
      );
      if (last && message?.kind === 'image') tallyOf(message.run).deadLettered.push(imageKey(message.image));
      failures.push({ itemIdentifier: record.messageId });
    }
  }
  for (const [run, tally] of tallies) {
    try {
      await addToRun(deps, run, tally);
    } catch (error) {
      // The images are decided; only the run's counts (and so its summary) are behind.
      deps.gate.logger.error('re-judgement run counts not updated', {
        run,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
  return { batchItemFailures: failures };
}

/** One image: skipped when no longer decided under an old version, else decided again through the gate. */
async function rejudgeImage(
  deps: RejudgeDependencies,
  message: Extract<RejudgeMessage, { kind: 'image' }>,
): Promise<{ flippedTo: 'approved' | 'quarantined' | null; putTags: number }> {
  const version = deployedVersion(deps);
  const record = await deps.gate.ledger.get(message.image);
  const decision = record?.state === 'decided' ? record.decision : null;
  if (!decision || decision.policyVersion === version) {
    return { flippedTo: null, putTags: 0 };
  }
  const before = decision.verdict;
  const outcome = await decideImage(deps.gate, message.image, {
    kind: 'rejudge',
    id: message.run,
    reason: 'policy-version',
  });
  const after = outcome.verdict;
  deps.gate.logger.info('image re-judged', {
    image: imageKey(message.image),
    run: message.run,
    outcome: outcome.outcome,
    before,
    after,
  });
  return { flippedTo: after && after !== before ? after : null, putTags: outcome.plan?.putTags.length ?? 0 };
}

/** Keeps this worker under `putImagesPerSecond`: an image that wrote tags takes at least n / rate seconds. */
async function pace(deps: RejudgeDependencies, putTags: number, elapsedMs: number): Promise<void> {
  if (putTags === 0) return;
  const wait = (putTags * 1000) / deps.settings.putImagesPerSecond - elapsedMs;
  if (wait <= 0) return;
  await (deps.sleep ?? ((ms: number) => new Promise<void>((done) => setTimeout(done, ms))))(wait);
}

/** Pages through the index for the run's old versions, sending image messages; continues itself when long. */
async function planRun(deps: RejudgeDependencies, runId: string, remainingMs: () => number): Promise<void> {
  for (let page = 0; page < deps.settings.pagesPerInvocation; page++) {
    const checkpoint = await deps.gate.ledger.getCheckpoint(RUN_CHECKPOINT);
    const run = checkpoint?.value as RunState | undefined;
    if (!checkpoint || !run || run.id !== runId || run.planned) return; // superseded or already planned
    const version = run.versions[0];
    if (version === undefined) {
      await updateRun(deps, runId, (r) => ({ ...r, planned: true }));
      return;
    }
    const found = await deps.gate.ledger.listDecidedByPolicyVersion(
      version,
      run.cursor,
      deps.settings.pageSize,
    );
    await deps.queue.send(found.images.map((image) => ({ kind: 'image', run: runId, image })));
    const moved = await updateRun(deps, runId, (r) => {
      // Another delivery of this plan message moved on meanwhile: its pages count, not this one's copy.
      if (r.versions[0] !== version || r.cursor !== run.cursor) return null;
      const versions = found.next === null ? r.versions.slice(1) : r.versions;
      return {
        ...r,
        versions,
        cursor: found.next,
        enqueued: r.enqueued + found.images.length,
        planned: versions.length === 0,
      };
    });
    if (!moved || moved.planned) {
      if (moved) await summarizeIfDone(deps, moved);
      return;
    }
    if (remainingMs() < deps.settings.reserveMs) break;
  }
  await deps.queue.send([{ kind: 'plan', run: runId }]);
}

/** Adds the deployed version to the known versions (conditional write); returns every known version. */
async function recordVersion(deps: RejudgeDependencies, version: string, now: Date): Promise<string[]> {
  for (let attempt = 1; ; attempt++) {
    const checkpoint = await deps.gate.ledger.getCheckpoint(POLICY_VERSIONS_CHECKPOINT);
    const known = (checkpoint?.value as KnownVersions | undefined)?.versions ?? [];
    if (known.some((v) => v.version === version)) return known.map((v) => v.version);
    // First check ever: the versions of decisions made before versions were recorded (one read of the index).
    const earlier = checkpoint
      ? []
      : (await deps.gate.ledger.listPolicyVersionsInUse())
          .filter((v) => v !== version)
          .map((v) => ({ version: v, firstSeenAt: now.toISOString() }));
    const versions = [...known, ...earlier, { version, firstSeenAt: now.toISOString() }];
    try {
      await deps.gate.ledger.putCheckpoint(
        POLICY_VERSIONS_CHECKPOINT,
        { versions },
        checkpoint?.version ?? 0,
        now,
      );
      deps.gate.logger.info('new policy version recorded', { policyVersion: version });
      return versions.map((v) => v.version);
    } catch (error) {
      if (!(error instanceof LedgerConflictError) || attempt >= deps.settings.checkpointAttempts) throw error;
    }
  }
}

function deployedVersion(deps: RejudgeDependencies): string {
  const set = deps.gate.policySet;
  if (!set) {
    throw new PolicySetUnavailableError(
      `policy set unavailable, nothing is re-judged: ${deps.gate.policySetProblem ?? 'not loaded'}`,
    );
  }
  return set.version;
}
