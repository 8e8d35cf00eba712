/**
 * Builds the rejudge function's dependencies once per cold start: the gate's (lib/wiring/gate-dependencies.ts)
 * plus the re-judgement queue (SQS, GATEKEEPER_REJUDGE_QUEUE_URL). Tests call `buildRejudgeDependencies` with a
 * queue override.
 */

import type { MiddyfiedHandler } from '@middy/core';
import type { Context } from 'aws-lambda';
import { countAwsRequests } from '../aws/request-count.ts';
import { loadConfig } from '../config/index.ts';
import type { GateDependencies } from '../gate/context.ts';
import {
  DEFAULT_REJUDGE_SETTINGS,
  type RejudgeDependencies,
  type RejudgeSettings,
} from '../rejudge/context.ts';
import type { RejudgeQueue } from '../rejudge/queue.ts';
import { createSqsClient, SqsRejudgeQueue } from '../rejudge/sqs-queue.ts';
import { getGateDependencies } from './gate-dependencies.ts';
import { coldStartCache, lambdaHandler, type WiredContext } from './handler.ts';

export interface RejudgeDependencyOverrides {
  readonly queue?: RejudgeQueue;
  readonly settings?: Partial<RejudgeSettings>;
}

/** The rejudge function's dependencies from `env` and already built gate dependencies. */
export async function buildRejudgeDependencies(
  env: NodeJS.ProcessEnv,
  gate: GateDependencies,
  overrides: RejudgeDependencyOverrides = {},
): Promise<RejudgeDependencies> {
  const config = loadConfig(env, { requireAws: false });
  let queue = overrides.queue;
  if (!queue) {
    if (config.rejudgeQueueUrl === null) throw new Error('GATEKEEPER_REJUDGE_QUEUE_URL must be set');
    queue = new SqsRejudgeQueue({
      client: countAwsRequests(createSqsClient()),
      queueUrl: config.rejudgeQueueUrl,
    });
  }
  return {
    gate,
    queue,
    settings: {
      ...DEFAULT_REJUDGE_SETTINGS,
      maxReceiveCount: config.rejudgeMaxReceiveCount,
      ...overrides.settings,
    },
    ...(config.consoleUrlRegion
      ? { consoleRegion: config.consoleUrlRegion }
      : { consoleRegion: env.AWS_REGION ?? '' }),
  };
}

const dependencies = coldStartCache(() =>
  getGateDependencies().then((gate) => buildRejudgeDependencies(process.env, gate)),
);

/** This container's dependencies, built on first use; a configuration error is retried on the next invocation. */
export function getRejudgeDependencies(): Promise<RejudgeDependencies> {
  return dependencies.get();
}

/** Makes the handler use `deps` (tests, local runs). */
export function useRejudgeDependencies(deps: RejudgeDependencies): void {
  dependencies.use(deps);
}

/** Forgets the cached dependencies. */
export function resetRejudgeDependencies(): void {
  dependencies.reset();
}

/** The re-judgement function: its logger is the gate's. */
export function rejudgeHandler<R>(
  run: (deps: RejudgeDependencies, event: unknown, context: Context) => Promise<R>,
): MiddyfiedHandler<unknown, R, Error, WiredContext<RejudgeDependencies>> {
  return lambdaHandler({
    load: getRejudgeDependencies,
    logger: {
      get: (deps) => deps.gate.logger,
      set: (deps, logger) => ({ ...deps, gate: { ...deps.gate, logger } }),
    },
    run,
  });
}
