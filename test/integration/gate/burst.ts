/**
 * A burst of push and scan events through the gate against the local AWS, with ECR's PutImage quota
 * (10/s) enforced (reliability requirement 21). Shared by test/integration/gate/burst.test.ts (scaled down)
 * and bench/burst.ts (500 + 500).
 *
 * Concurrency is modelled on the deployment (serverless.yml): each function runs at most its reserved
 * concurrency of invocations at once (image-pushed 5, basic-scan-completed 4), and each concurrent execution
 * is its own "container" with its own production-built clients (createEcrClient: adaptive retries, 5
 * attempts), so the adaptive rate limiters are per container as in Lambda. Excess events wait in a queue, as
 * in Lambda's asynchronous queue. An invocation that throws is retried at most twice (maximumRetryAttempts
 * 2) after `retryDelayMs` (Lambda waits about 1 and 2 minutes; compressed here); an event that fails three
 * times is what would go to the on-failure destination (DLQ).
 */

import type { GateDependencies } from '../../../lib/gate/context.ts';
import { type GateEventKind, handleGateEvent } from '../../../lib/gate/handle-event.ts';
import { buildGateDependencies } from '../../../lib/wiring/gate-dependencies.ts';
import { basicFindings, type LocalAws, type OperationStats } from '../../support/local-aws.ts';
import { gateEnv, pushEvent, type RawEvent, scanEvent, seedImage } from './local-gate.ts';

export interface BurstOptions {
  /** Images; each gets one push and one scan event. */
  readonly images: number;
  readonly repositories?: number;
  /** Reserved concurrency of image-pushed and basic-scan-completed (serverless.yml: 5 and 4). */
  readonly pushConcurrency?: number;
  readonly scanConcurrency?: number;
  /** Delay before Lambda's retry of a failed invocation (compressed from ~60 s). */
  readonly retryDelayMs?: number;
  readonly putImagePerSecond?: number;
  /** Source tags per image, i.e. PutImage calls per decision (serverless.yml sizing assumes 1–3; default 3). */
  readonly tagsPerImage?: number;
}

export interface BurstReport {
  readonly images: number;
  readonly events: number;
  readonly durationMs: number;
  /** Images whose digest carries an approved- or quarantined- tag afterwards. */
  readonly decided: number;
  readonly approved: number;
  readonly quarantined: number;
  /** Invocations that threw (and were retried by "Lambda"). */
  readonly failedInvocations: number;
  /** Events that failed all three attempts: what would land in the DLQ. */
  readonly deadLettered: number;
  readonly errorNames: Readonly<Record<string, number>>;
  readonly notifications: number;
  readonly calls: Readonly<Record<string, Record<string, number>>>;
  readonly throttled: Readonly<Record<string, number>>;
  readonly attempts: Readonly<Record<string, number>>;
}

interface Queued {
  readonly event: RawEvent;
  readonly fn: 'image-pushed' | 'basic-scan-completed';
  attempt: number;
}

const ACCEPTS: Record<Queued['fn'], readonly GateEventKind[]> = {
  'image-pushed': ['image-pushed'],
  'basic-scan-completed': ['scan-completed'],
};

/**
 * Seeds `images` images (every fifth with a critical finding), sends a push and a scan event for each,
 * interleaved, and drains them with the deployment's concurrency. Sets the PutImage rate limit.
 */
export async function runBurst(aws: LocalAws, options: BurstOptions): Promise<BurstReport> {
  const repositories = options.repositories ?? 10;
  const env = gateEnv(aws);
  const seeded = Array.from({ length: options.images }, (_, i) => {
    const repository = `burst/repo-${i % repositories}`;
    const tags = Array.from({ length: options.tagsPerImage ?? 3 }, (_, t) =>
      t === 0 ? `1.0.${i}` : `1.0.${i}-r${t}`,
    );
    const critical = i % 5 === 0;
    const { digest } = seedImage(aws, repository, tags, {
      status: 'COMPLETE',
      findings: critical ? basicFindings(1, 'CRITICAL') : basicFindings(2, 'LOW'),
    });
    return { repository, tag: tags[0] as string, tags, digest, critical };
  });
  const queues: Record<Queued['fn'], Queued[]> = { 'image-pushed': [], 'basic-scan-completed': [] };
  for (const image of seeded) {
    queues['image-pushed'].push({
      event: pushEvent(aws, image.repository, image.digest, image.tag),
      fn: 'image-pushed',
      attempt: 1,
    });
    queues['basic-scan-completed'].push({
      event: scanEvent(aws, image.repository, image.digest, image.tags),
      fn: 'basic-scan-completed',
      attempt: 1,
    });
  }

  aws.faults.ecr.rateLimit('PutImage', { perSecond: options.putImagePerSecond ?? 10 });
  aws.resetCounts();
  const publishedBefore = aws.sns.publishes().length;
  const retryDelayMs = options.retryDelayMs ?? 1_000;
  const errorNames: Record<string, number> = {};
  let failedInvocations = 0;
  let deadLettered = 0;
  let inFlightRetries = 0;

  // Environment-built dependencies with the production client factories, one set per container.
  const saved = { ...process.env };
  Object.assign(process.env, env);
  const containers = async (n: number, name: string): Promise<GateDependencies[]> =>
    Promise.all(Array.from({ length: n }, () => buildGateDependencies(env, { functionName: name })));
  const pushContainers = await containers(options.pushConcurrency ?? 5, 'image-pushed');
  const scanContainers = await containers(options.scanConcurrency ?? 4, 'basic-scan-completed');

  const started = performance.now();
  const worker = async (fn: Queued['fn'], deps: GateDependencies) => {
    for (;;) {
      const next = queues[fn].shift();
      if (!next) {
        if (inFlightRetries === 0) return;
        await sleep(20);
        continue;
      }
      try {
        await handleGateEvent(deps, fn, ACCEPTS[fn], structuredClone(next.event));
      } catch (error) {
        failedInvocations += 1;
        const errorName = error instanceof Error ? error.name : 'unknown';
        errorNames[errorName] = (errorNames[errorName] ?? 0) + 1;
        if (next.attempt >= 3) {
          deadLettered += 1;
          continue;
        }
        inFlightRetries += 1;
        setTimeout(() => {
          queues[fn].push({ ...next, attempt: next.attempt + 1 });
          inFlightRetries -= 1;
        }, retryDelayMs);
      }
    }
  };
  try {
    await Promise.all([
      ...pushContainers.map((deps) => worker('image-pushed', deps)),
      ...scanContainers.map((deps) => worker('basic-scan-completed', deps)),
    ]);
  } finally {
    process.env = saved;
  }
  const durationMs = performance.now() - started;

  let approved = 0;
  let quarantined = 0;
  for (const image of seeded) {
    const tags = aws.ecr.tagsOf(image.repository, image.digest) ?? [];
    const want = image.critical ? 'quarantined' : 'approved';
    const complete = image.tags.every((t) => tags.includes(`${want}-${t}`));
    if (complete && !tags.some((t) => t.startsWith(image.critical ? 'approved-' : 'quarantined-'))) {
      if (image.critical) quarantined += 1;
      else approved += 1;
    }
  }
  const stats: Record<string, Record<string, OperationStats>> = { ...aws.callStats() };
  const per = (pick: (s: { calls: number; throttled: number; attempts: number }) => number) =>
    Object.fromEntries(
      Object.entries(stats).flatMap(([service, ops]) =>
        Object.entries(ops)
          .filter(([, s]) => pick(s) > 0)
          .map(([op, s]) => [`${service}:${op}`, pick(s)]),
      ),
    );
  return {
    images: options.images,
    events: options.images * 2,
    durationMs,
    decided: approved + quarantined,
    approved,
    quarantined,
    failedInvocations,
    deadLettered,
    errorNames,
    notifications: aws.sns.publishes().length - publishedBefore,
    calls: Object.fromEntries(
      Object.entries(stats).map(([s, ops]) => [
        s,
        Object.fromEntries(Object.entries(ops).map(([o, v]) => [o, v.calls])),
      ]),
    ),
    throttled: per((s) => s.throttled),
    attempts: per((s) => s.attempts),
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
