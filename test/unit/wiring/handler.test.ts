/**
 * lambdaHandler: Middy around one flow call. The wiring middleware loads the container's dependencies before
 * the flow and gives every log line of the invocation its request id and cold-start flag.
 */
import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createLogger, type Logger } from '../../../lib/log/index.ts';
import { coldStartCache, lambdaHandler, topLevelLogger } from '../../../lib/wiring/handler.ts';

interface Deps {
  readonly logger: Logger;
  readonly name: string;
}

function context(awsRequestId: string): Context {
  return { awsRequestId, getRemainingTimeInMillis: () => 60_000 } as unknown as Context;
}

function recordingDeps(lines: string[]): Deps {
  return {
    name: 'deps',
    logger: createLogger({ level: 'info', context: { function: 'f' }, sink: (line) => lines.push(line) }),
  };
}

describe('lambdaHandler', () => {
  it('loads the dependencies before the flow and hands the flow the event and the context', async () => {
    const lines: string[] = [];
    const deps = recordingDeps(lines);
    const seen: unknown[] = [];
    const handler = lambdaHandler({
      load: async () => deps,
      logger: topLevelLogger<Deps>(),
      run: async (wired, event, ctx) => {
        seen.push(wired.name, event, ctx.awsRequestId);
        return 'done';
      },
    });

    await expect(handler({ id: 1 }, context('req-1'))).resolves.toBe('done');
    expect(seen).toEqual(['deps', { id: 1 }, 'req-1']);
  });

  it('every line of an invocation carries its request id; only the first invocation is a cold start', async () => {
    const lines: string[] = [];
    const deps = recordingDeps(lines);
    const handler = lambdaHandler({
      load: async () => deps,
      logger: topLevelLogger<Deps>(),
      run: async (wired) => {
        wired.logger.child({ eventId: 'e' }).info('handled');
      },
    });

    await handler({}, context('req-1'));
    await handler({}, context('req-2'));

    const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(parsed.map((p) => [p.function, p.requestId, p.coldStart, p.eventId, p.message])).toEqual([
      ['f', 'req-1', true, 'e', 'handled'],
      ['f', 'req-2', false, 'e', 'handled'],
    ]);
    // The container's logger itself is not changed: the next invocation does not inherit the last request id.
    deps.logger.info('container line');
    expect(JSON.parse(lines[2] ?? '{}')).not.toHaveProperty('requestId');
  });

  it('a failed load fails the invocation unchanged, and the next invocation loads again', async () => {
    let attempts = 0;
    const lines: string[] = [];
    const handler = lambdaHandler({
      load: async () => {
        attempts += 1;
        if (attempts === 1) throw new Error('GATEKEEPER_LEDGER_TABLE is not set');
        return recordingDeps(lines);
      },
      logger: topLevelLogger<Deps>(),
      run: async (wired) => wired.name,
    });

    await expect(handler({}, context('req-1'))).rejects.toThrow('GATEKEEPER_LEDGER_TABLE is not set');
    await expect(handler({}, context('req-2'))).resolves.toBe('deps');
    expect(attempts).toBe(2);
  });

  it('an error of the flow reaches Lambda unchanged (the flow decides what is retried)', async () => {
    const failure = new Error('ledger unavailable');
    const handler = lambdaHandler({
      load: async () => recordingDeps([]),
      logger: topLevelLogger<Deps>(),
      run: async () => {
        throw failure;
      },
    });

    await expect(handler({}, context('req-1'))).rejects.toBe(failure);
  });

  it('a nested logger slot gives the nested dependencies the invocation context', async () => {
    const lines: string[] = [];
    const inner = recordingDeps(lines);
    const handler = lambdaHandler({
      load: async () => ({ gate: inner, queue: 'q' }),
      logger: {
        get: (deps: { gate: Deps; queue: string }) => deps.gate.logger,
        set: (deps, logger) => ({ ...deps, gate: { ...deps.gate, logger } }),
      },
      run: async (wired) => {
        wired.gate.logger.info('nested');
        return wired.queue;
      },
    });

    await expect(handler({}, context('req-9'))).resolves.toBe('q');
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({ requestId: 'req-9', coldStart: true });
  });
});

describe('coldStartCache: the dependencies of a container', () => {
  it('builds once and reuses the build while the container is warm, even for concurrent first calls', async () => {
    let builds = 0;
    const cache = coldStartCache(async () => ({ build: ++builds }));
    const [a, b] = await Promise.all([cache.get(), cache.get()]);
    expect(a).toBe(b);
    expect(await cache.get()).toBe(a);
    expect(builds).toBe(1);
  });

  it('forgets a failed build, so the next invocation tries again', async () => {
    let builds = 0;
    const cache = coldStartCache(async () => {
      builds += 1;
      if (builds === 1) throw new Error('GATEKEEPER_TABLE is not set');
      return { build: builds };
    });
    await expect(cache.get()).rejects.toThrow('GATEKEEPER_TABLE is not set');
    expect(await cache.get()).toEqual({ build: 2 });
  });

  it('uses given dependencies instead of building, and builds again after a reset', async () => {
    let builds = 0;
    const cache = coldStartCache(async () => ({ build: ++builds }));
    const given = { build: 0 };
    cache.use(given);
    expect(await cache.get()).toBe(given);
    cache.reset();
    expect(await cache.get()).toEqual({ build: 1 });
  });

  it('a failing build started before `use` does not forget the dependencies given since', async () => {
    let fail: (error: Error) => void = () => {};
    const cache = coldStartCache(
      () =>
        new Promise<{ build: number }>((_resolve, reject) => {
          fail = reject;
        }),
    );
    const first = cache.get();
    const given = { build: 0 };
    cache.use(given);
    fail(new Error('timed out'));
    await expect(first).rejects.toThrow('timed out');
    expect(await cache.get()).toBe(given);
  });
});
