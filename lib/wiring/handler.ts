/**
 * The one shape of every Lambda handler: Middy around one lib call, with the wiring done by middleware.
 *
 * - Cold-start wiring: a `before` middleware gets the container's dependencies (built on the first invocation,
 *   reused while the container is warm) and hands them to the flow.
 * - Log context: every line an invocation writes carries the Lambda request id and whether the invocation was a
 *   cold start, so the lines of one invocation can be found together beside the runtime's own REPORT line.
 *
 * What the middleware does not do, on purpose: classify or log errors. Whether a failure is retried, recorded or
 * alerted is decided inside the flows (lib/gate/handle-event.ts, lib/hygiene, lib/rejudge), because a final
 * failure is recorded and alerted with the decision's own context (image, policy version, ledger state) that a
 * middleware cannot see, and the flows already log what they rethrow at the level it deserves (a scan that is
 * not ready yet is an info line, not an error). What escapes a flow is always "let Lambda retry"; an onError
 * middleware could only log it a second time.
 */
import middy, { type MiddyfiedHandler } from '@middy/core';
import type { Context } from 'aws-lambda';
import type { Logger } from '../log/logger.ts';

/** How a flow's dependencies expose their logger, and how to give them one with more context. */
export interface LoggerSlot<D> {
  readonly get: (deps: D) => Logger;
  readonly set: (deps: D, logger: Logger) => D;
}

export interface LambdaHandlerOptions<D, R> {
  /** The container's dependencies (cached by the caller across invocations). */
  readonly load: () => Promise<D>;
  readonly logger: LoggerSlot<D>;
  /** The flow: one lib call. */
  readonly run: (deps: D, event: unknown, context: Context) => Promise<R>;
}

/** A container's dependencies, built on first use (cold start) and reused while the container is warm. */
export interface ColdStartCache<D> {
  /** The dependencies, built on the first call; a failed build is not kept, so the next invocation tries again. */
  readonly get: () => Promise<D>;
  /** Use `deps` instead of building them (local runs, tests with a moved clock or other client settings). */
  readonly use: (deps: D) => void;
  /** Forget the dependencies (tests, or after changing the environment). */
  readonly reset: () => void;
}

/**
 * The one cold-start cache of every function's dependencies. A build that fails (a configuration error, a
 * dependency that could not be built) is forgotten, so it is retried on the next invocation, not cached forever.
 * @example const gate = coldStartCache(() => buildGateDependencies(process.env)); await gate.get();
 */
export function coldStartCache<D>(build: () => Promise<D>): ColdStartCache<D> {
  let cached: Promise<D> | null = null;
  return {
    get: () => {
      if (cached === null) {
        const building: Promise<D> = build().catch((error: unknown) => {
          if (cached === building) cached = null;
          throw error;
        });
        cached = building;
      }
      return cached;
    },
    use: (deps) => {
      cached = Promise.resolve(deps);
    },
    reset: () => {
      cached = null;
    },
  };
}

/** Request id and cold-start flag of one invocation, as they appear on its log lines. */
export interface InvocationContext {
  readonly requestId: string | null;
  readonly coldStart: boolean;
}

/** The Lambda context as the flow receives it: the middleware sets the dependencies on it (Middy's convention). */
export type WiredContext<D> = Context & { gatekeeper?: WiredInvocation<D> };

interface WiredInvocation<D> {
  readonly deps: D;
}

type WiredRequest<D, R> = middy.Request<unknown, R, Error, WiredContext<D>>;

/**
 * A Middy handler that wires `run` to the container's dependencies with per-invocation log context.
 * @example export const handler = lambdaHandler({ load: getGateDependencies, logger: topLevelLogger(), run: (deps, event) => handleGateEvent(deps, 'image-pushed', ['image-pushed'], event) })
 */
export function lambdaHandler<D, R>(
  options: LambdaHandlerOptions<D, R>,
): MiddyfiedHandler<unknown, R, Error, WiredContext<D>> {
  let coldStart = true;
  const wiring: middy.MiddlewareObj<unknown, R, Error, WiredContext<D>> = {
    name: 'gatekeeper-wiring',
    before: async (request: WiredRequest<D, R>) => {
      const deps = await options.load();
      const invocation: InvocationContext = {
        requestId: request.context.awsRequestId ?? null,
        coldStart,
      };
      coldStart = false;
      const logger = options.logger.get(deps).child({ ...invocation });
      request.context.gatekeeper = { deps: options.logger.set(deps, logger) };
    },
  };
  return middy<unknown, R, Error, WiredContext<D>>()
    .use(wiring)
    .handler(async (event, context) => {
      const wired = context.gatekeeper;
      // The `before` middleware always runs first: a missing value is a wiring bug, never an input problem.
      if (!wired) throw new Error('lambdaHandler: the wiring middleware did not run');
      return options.run(wired.deps, event, context);
    });
}

/** The slot of dependencies that carry their logger at the top level (gate, sweep). */
export function topLevelLogger<D extends { readonly logger: Logger }>(): LoggerSlot<D> {
  return { get: (deps) => deps.logger, set: (deps, logger) => ({ ...deps, logger }) };
}
