/** Helpers shared by the local endpoints. */

/** Deep copy where every Date becomes epoch seconds (the awsJson timestamp wire format). */
export function toWire(value: unknown): unknown {
  if (value instanceof Date) return value.getTime() / 1000;
  if (Array.isArray(value)) return value.map(toWire);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toWire(v);
    return out;
  }
  return value;
}

/** Accepts a Date, an ISO-8601 string or epoch seconds and returns a Date (throws on garbage). */
export function toDate(value: Date | string | number, what: string): Date {
  const d =
    value instanceof Date
      ? new Date(value.getTime())
      : typeof value === 'number'
        ? new Date(value * 1000)
        : new Date(value);
  if (Number.isNaN(d.getTime())) throw new Error(`${what}: not a date: ${String(value)}`);
  return d;
}

/** `*` matches any run of characters; everything else is literal (ECR WILDCARD filters). */
export function wildcardToRegExp(pattern: string): RegExp {
  const escaped = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\-]/g, '\\$&'));
  return new RegExp(`^${escaped.join('.*')}$`);
}

/** An injectable clock shared by the local services (scan limits, push times, lifecycle tests). */
export class LocalClock {
  #fixed: number | null = null;
  #offsetMs = 0;

  now(): Date {
    return new Date(this.#fixed ?? Date.now() + this.#offsetMs);
  }

  /** Freezes the clock at `at` (it no longer moves by itself). */
  set(at: Date | string | number): void {
    this.#fixed = toDate(at, 'clock.set').getTime();
  }

  /** Moves the clock forward (frozen or not). */
  advance(ms: number): void {
    if (this.#fixed !== null) this.#fixed += ms;
    else this.#offsetMs += ms;
  }

  /** Back to real time. */
  reset(): void {
    this.#fixed = null;
    this.#offsetMs = 0;
  }
}
