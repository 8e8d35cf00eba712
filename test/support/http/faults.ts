/**
 * Fault injection for the local AWS endpoints: per-operation token-bucket rate limits, added latency,
 * scripted one-shot failures (5xx, throttling, dropped connections, any service error) and call counts.
 * One `FaultController` per endpoint; `'*'` applies to every operation of that endpoint.
 */

/** What a request is answered with instead of reaching the service. */
export type FaultKind =
  /** The endpoint's own throttling error (ECR: 400 ThrottlingException "Rate exceeded"). */
  | 'throttle'
  /** HTTP 500 with the endpoint's server error (ECR: ServerException, SNS: InternalError). */
  | 'server-error'
  /** HTTP 503 ServiceUnavailable. */
  | 'unavailable'
  /** The socket is destroyed before any response byte is written. */
  | 'drop'
  /** The request is held for `hangMs` and then the socket is destroyed: a client-side timeout. */
  | { readonly hangMs: number }
  /** Any error the endpoint can express, e.g. `{ status: 400, code: 'KmsException' }`. */
  | { readonly status: number; readonly code: string; readonly message?: string }
  /**
   * A paginated JSON call answered by the service, then its page rewritten: `repeat-token` makes the next page
   * of this operation carry this page's nextToken again (a service looping on one token); `empty` answers a page
   * with no items whose nextToken leads back to where this request started (nothing is lost, one page more).
   */
  | PageFault;

export interface PageFault {
  readonly page: 'repeat-token' | 'empty';
}

/** Faults answered with an HTTP response built by the protocol adapter (the others never answer, or rewrite one). */
export type ReplyFault = Exclude<FaultKind, 'drop' | { readonly hangMs: number } | PageFault>;

/** Options of {@link FaultController.failNext}. */
export interface FailNextOptions {
  /** Requests of the operation let through before the scripted faults start (e.g. 1: fail the second page). */
  readonly after?: number;
}

export interface RateLimit {
  /** Tokens added per second. */
  readonly perSecond: number;
  /** Bucket size; defaults to `perSecond` (a one-second burst). */
  readonly burst?: number;
}

export interface OperationStats {
  /** Every HTTP request that named this operation. */
  attempts: number;
  /** Requests that reached the service logic (succeeded or failed with a service error). */
  calls: number;
  /** Requests refused by a rate limit (not counted in `calls`). */
  throttled: number;
  /** Requests answered by a scripted fault or dropped (not counted in `calls`). */
  faulted: number;
}

interface Bucket {
  readonly perSecond: number;
  readonly burst: number;
  tokens: number;
  updatedAt: number;
}

interface Scripted {
  remaining: number;
  skip: number;
  readonly kind: FaultKind;
}

/** The decision for one request. */
export type FaultDecision = (
  | { readonly action: 'pass'; readonly delayMs: number }
  | {
      readonly action: 'fail';
      readonly delayMs: number;
      readonly kind: FaultKind;
      readonly throttled: boolean;
    }
) & {
  /** The request waits for this before it is answered (see `FaultController.holdNext`). */
  readonly hold?: Promise<void>;
};

/** A request held at the endpoint until released: `arrived` resolves once it reached the endpoint. */
export interface HeldRequest {
  readonly arrived: Promise<void>;
  /** Lets the request through to the service (or to its scripted fault). */
  release(): void;
}

interface Hold {
  readonly arrive: () => void;
  readonly released: Promise<void>;
  readonly release: () => void;
}

export class FaultController {
  readonly #buckets = new Map<string, Bucket>();
  readonly #latency = new Map<string, number>();
  readonly #scripted = new Map<string, Scripted[]>();
  readonly #stats = new Map<string, OperationStats>();
  readonly #holds = new Map<string, Hold[]>();
  readonly #clock: () => number;

  /** @param clock monotonic milliseconds; real time by default (rate limits use wall time, not the seeded clock). */
  constructor(clock: () => number = () => performance.now()) {
    this.#clock = clock;
  }

  /** Token bucket for `operation` (or `'*'`): e.g. `rateLimit('PutImage', { perSecond: 10 })`. */
  rateLimit(operation: string, limit: RateLimit): this {
    if (!(limit.perSecond > 0)) throw new Error(`rateLimit(${operation}): perSecond must be > 0`);
    const burst = limit.burst ?? Math.max(1, Math.floor(limit.perSecond));
    this.#buckets.set(operation, {
      perSecond: limit.perSecond,
      burst,
      tokens: burst,
      updatedAt: this.#clock(),
    });
    return this;
  }

  /** Adds `ms` of latency before every request of `operation` (or `'*'`) is answered. */
  latency(operation: string, ms: number): this {
    if (ms <= 0) this.#latency.delete(operation);
    else this.#latency.set(operation, ms);
    return this;
  }

  /**
   * The next `count` requests of `operation` (or `'*'`) fail with `kind`, after `options.after` requests that pass;
   * queued after earlier scripts.
   */
  failNext(operation: string, count: number, kind: FaultKind, options: FailNextOptions = {}): this {
    if (!Number.isInteger(count) || count < 1) throw new Error(`failNext(${operation}): count must be >= 1`);
    const skip = options.after ?? 0;
    if (!Number.isInteger(skip) || skip < 0) throw new Error(`failNext(${operation}): after must be >= 0`);
    const list = this.#scripted.get(operation) ?? [];
    list.push({ remaining: count, skip, kind });
    this.#scripted.set(operation, list);
    return this;
  }

  /**
   * Holds the next request of `operation` at the endpoint until `release()`: the service sees it only then, so a
   * test can order a slow write after other invocations deterministically (a race without timing guesses).
   */
  holdNext(operation: string): HeldRequest {
    let arrive = () => {};
    const arrived = new Promise<void>((resolve) => {
      arrive = resolve;
    });
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const list = this.#holds.get(operation) ?? [];
    list.push({ arrive, released, release });
    this.#holds.set(operation, list);
    return { arrived, release };
  }

  /** Removes every rate limit, latency and pending scripted failure, and releases held requests (counts are kept). */
  clear(): this {
    this.#buckets.clear();
    this.#latency.clear();
    this.#scripted.clear();
    for (const list of this.#holds.values()) for (const hold of list) hold.release();
    this.#holds.clear();
    return this;
  }

  /** Number of scripted failures not yet used, for `operation` or in total. */
  pendingFailures(operation?: string): number {
    let total = 0;
    for (const [op, list] of this.#scripted) {
      if (operation !== undefined && op !== operation) continue;
      for (const s of list) total += s.remaining;
    }
    return total;
  }

  /** Decides what happens to one request and records it in the counts. */
  decide(operation: string): FaultDecision {
    const stats = this.#statsFor(operation);
    stats.attempts += 1;
    const delayMs = this.#latency.get(operation) ?? this.#latency.get('*') ?? 0;
    const held = this.#takeHold(operation);
    const hold = held ? { hold: held } : {};
    const scripted = this.#takeScripted(operation) ?? this.#takeScripted('*');
    if (scripted) {
      stats.faulted += 1;
      return { action: 'fail', delayMs, kind: scripted, throttled: scripted === 'throttle', ...hold };
    }
    for (const key of [operation, '*']) {
      const bucket = this.#buckets.get(key);
      if (bucket && !this.#take(bucket)) {
        stats.throttled += 1;
        return { action: 'fail', delayMs, kind: 'throttle', throttled: true, ...hold };
      }
    }
    stats.calls += 1;
    return { action: 'pass', delayMs, ...hold };
  }

  #takeHold(operation: string): Promise<void> | undefined {
    const list = this.#holds.get(operation);
    const head = list?.shift();
    if (!head) return undefined;
    if (list?.length === 0) this.#holds.delete(operation);
    head.arrive();
    return head.released;
  }

  /** A copy of the per-operation statistics. */
  stats(): Record<string, OperationStats> {
    const out: Record<string, OperationStats> = {};
    for (const [op, s] of [...this.#stats].sort(([a], [b]) => a.localeCompare(b))) out[op] = { ...s };
    return out;
  }

  /** Calls that reached the service logic, per operation (throttled and faulted requests excluded). */
  callCounts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [op, s] of Object.entries(this.stats())) if (s.calls > 0) out[op] = s.calls;
    return out;
  }

  resetCounts(): void {
    this.#stats.clear();
  }

  #statsFor(operation: string): OperationStats {
    let s = this.#stats.get(operation);
    if (!s) {
      s = { attempts: 0, calls: 0, throttled: 0, faulted: 0 };
      this.#stats.set(operation, s);
    }
    return s;
  }

  #takeScripted(key: string): FaultKind | undefined {
    const list = this.#scripted.get(key);
    const head = list?.[0];
    if (!list || !head) return undefined;
    if (head.skip > 0) {
      head.skip -= 1;
      return undefined;
    }
    head.remaining -= 1;
    if (head.remaining <= 0) list.shift();
    if (list.length === 0) this.#scripted.delete(key);
    return head.kind;
  }

  #take(bucket: Bucket): boolean {
    const now = this.#clock();
    const elapsed = Math.max(0, now - bucket.updatedAt) / 1000;
    bucket.tokens = Math.min(bucket.burst, bucket.tokens + elapsed * bucket.perSecond);
    bucket.updatedAt = now;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return true;
    }
    return false;
  }
}
