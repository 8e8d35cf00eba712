/**
 * Timestamps as the scanners write them, read into ISO-8601 UTC strings. ECR sends epoch seconds on the
 * wire (the CLI prints `1579839105.0`), boto3/CLI v2 print ISO strings with offsets, the AWS SDK v3 gives
 * Date objects, and Inspector events carry free-form strings such as `Dec 3, 2021, 6:02:30 PM` or
 * `Wed Sep 04 16:55:38.411 UTC 2024`. Free-form strings carry no offset; Inspector writes them in UTC
 * (the sample event's `time` is 18:02:30Z for "6:02:30 PM"), so they are read as UTC, as are ISO strings
 * without an offset. Dates never decide a verdict, so an unreadable one becomes null rather than an error.
 * One parser for the whole project: events, Inspector usage and the lifecycle engine (push and pull times in
 * DescribeImages dumps, via {@link epochMillis}) read timestamps here.
 */

const MONTHS: ReadonlyMap<string, number> = new Map(
  ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'].map((m, i) => [m, i]),
);
// Compiled once: this runs for every finding.
const NUMERIC = /^\d{1,13}(?:\.\d+)?$/;
const ISO_DATE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;
const US_LONG = /^([A-Za-z]{3})[a-z]* (\d{1,2}), (\d{4}),? (\d{1,2}):(\d{2})(?::(\d{2}))? ?([AP]M)$/i;
const UNIX_DATE =
  /^(?:[A-Za-z]{3} )?([A-Za-z]{3}) (\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))? UTC (\d{4})$/;
// Epoch values above this are milliseconds, not seconds (year 5138 in seconds).
const MILLIS_THRESHOLD = 1e11;

// Findings from one scan share a handful of distinct timestamps; parsing each string once keeps 10k
// findings fast. Bounded: cleared when full.
const CACHE_LIMIT = 4096;
const cache = new Map<string, { readonly ms: number; readonly iso: string } | null>();

/**
 * Reads any supported timestamp form into an ISO-8601 UTC string; null when absent or unreadable.
 * @example toIsoTimestamp('Dec 3, 2021, 6:02:30 PM') // '2021-12-03T18:02:30.000Z'
 */
export function toIsoTimestamp(value: unknown): string | null {
  if (value instanceof Date) return isoOrNull(value.getTime());
  if (typeof value === 'number') return isoOrNull(fromEpoch(value));
  if (typeof value !== 'string') return null;
  return cachedText(value)?.iso ?? null;
}

/**
 * The same forms as {@link toIsoTimestamp}, as milliseconds since the epoch (what time arithmetic wants).
 * @example epochMillis(1565128275.0) // 1565128275000
 */
export function epochMillis(value: unknown): number | null {
  if (value instanceof Date) {
    const ms = value.getTime();
    return Number.isFinite(ms) ? ms : null;
  }
  if (typeof value === 'number') return fromEpoch(value);
  if (typeof value !== 'string') return null;
  return cachedText(value)?.ms ?? null;
}

function cachedText(value: string): { readonly ms: number; readonly iso: string } | null {
  const cached = cache.get(value);
  if (cached !== undefined) return cached;
  const ms = parseText(value);
  const iso = isoOrNull(ms);
  const entry = ms === null || iso === null ? null : { ms, iso };
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(value, entry);
  return entry;
}

function parseText(value: string): number | null {
  const text = value.trim();
  if (text === '') return null;
  if (NUMERIC.test(text)) return fromEpoch(Number(text));
  const iso = ISO_DATE.exec(text);
  if (iso) return fromIsoParts(iso);
  const us = US_LONG.exec(text);
  if (us) {
    let hour = Number(us[4]);
    if (hour < 1 || hour > 12) return null;
    if (hour === 12) hour = 0;
    if ((us[7] ?? '').toUpperCase() === 'PM') hour += 12;
    return fromParts(us[3], us[1], us[2], hour, us[5], us[6] ?? '0', '0');
  }
  const unix = UNIX_DATE.exec(text);
  if (unix) {
    const ms = (unix[6] ?? '0').padEnd(3, '0').slice(0, 3);
    return fromParts(unix[7], unix[1], unix[2], Number(unix[3]), unix[4], unix[5], ms);
  }
  return null;
}

function fromEpoch(n: number): number | null {
  if (!Number.isFinite(n) || n < 0) return null;
  return n > MILLIS_THRESHOLD ? Math.round(n) : Math.round(n * 1000);
}

/** Calendar-checked ISO-8601 parts; no offset means UTC, so results never depend on the machine's zone. */
function fromIsoParts(m: RegExpExecArray): number | null {
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', zone] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return null;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day < 1 || day > daysInMonth) return null;
  const ms = frac ? Math.round(Number(`0.${frac}`) * 1000) : 0;
  let offsetMinutes = 0;
  if (zone && zone !== 'Z' && zone !== 'z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2));
    const om = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
    if (oh > 23 || om > 59) return null;
    offsetMinutes = sign * (oh * 60 + om);
  }
  return Date.UTC(year, month - 1, day, hour, minute, second, ms) - offsetMinutes * 60_000;
}

function fromParts(
  year: string | undefined,
  monthName: string | undefined,
  day: string | undefined,
  hour: number,
  minute: string | undefined,
  second: string | undefined,
  millis: string,
): number | null {
  const month = MONTHS.get((monthName ?? '').slice(0, 3).toLowerCase());
  if (month === undefined) return null;
  const d = Number(day);
  const ms = Date.UTC(Number(year), month, d, hour, Number(minute), Number(second), Number(millis));
  const date = new Date(ms);
  // Reject impossible dates (Feb 30) instead of letting Date roll them over.
  if (date.getUTCDate() !== d || date.getUTCMonth() !== month) return null;
  if (hour > 23 || Number(minute) > 59 || Number(second) > 59) return null;
  return ms;
}

function isoOrNull(ms: number | null): string | null {
  if (ms === null || !Number.isFinite(ms)) return null;
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}
