/**
 * Counts the AWS requests made while one piece of work runs (the `AwsRequests` metric per handled event), with a
 * middleware on each client's own stack: every HTTP attempt the SDK sends passes the `deserialize` step, which
 * sits inside the retry loop, so retries are counted as the requests AWS bills and throttles.
 *
 * The count belongs to the work, not to the client: clients are built once per container and shared, so the
 * counter is found through AsyncLocalStorage, which follows the work's async calls (and keeps two concurrent
 * pieces of work in one process apart). Requests made outside any counted work are not counted.
 *
 * Not counted: the image config blob download (a plain HTTPS GET of a presigned URL, not an SDK request).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { MiddlewareStack } from '@smithy/types';

const current = new AsyncLocalStorage<RequestCounter>();

/** Any SDK v3 client (type-only: nothing of the SDK is imported at run time). */
export interface MiddlewareClient {
  readonly middlewareStack: { add: (...args: never[]) => void };
}

const MIDDLEWARE_NAME = 'gatekeeperRequestCount';

/**
 * Adds the counting middleware to `client` (once: adding it again replaces it) and returns the client.
 * @example const ecr = countAwsRequests(createEcrClient())
 */
export function countAwsRequests<C extends MiddlewareClient>(client: C): C {
  // The middleware only counts and passes the arguments on: it is the same for every client's types.
  (client.middlewareStack as unknown as MiddlewareStack<object, object>).add(
    (next) => async (args) => {
      const counter = current.getStore();
      if (counter) counter.requests += 1;
      return next(args);
    },
    { step: 'deserialize', name: MIDDLEWARE_NAME, override: true },
  );
  return client;
}

/** The requests of one piece of work. */
export class RequestCounter {
  requests = 0;

  /** Runs `work` with this counter as the current one; requests its SDK calls send are added to `requests`. */
  run<T>(work: () => Promise<T>): Promise<T> {
    return current.run(this, work);
  }
}
