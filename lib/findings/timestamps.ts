/**
 * Timestamps as the scanners write them, read into ISO-8601 UTC strings. ECR sends epoch seconds on the
 * wire (the CLI prints `1579839105.0`), boto3/CLI v2 print ISO strings with offsets, the AWS SDK v3 gives
 * Date objects, and Inspector events carry free-form strings such as `Dec 3, 2021, 6:02:30 PM` or
 * `Wed Sep 04 16:55:38.411 UTC 2024`. Free-form strings carry no offset; Inspector writes them in UTC
 * (the sample event's `time` is 18:02:30Z for "6:02:30 PM"), so they are read as UTC, as are ISO strings
 * without an offset. Dates never decide a verdict, so an unreadable one becomes null rather than an error.
 */

const MONTHS: ReadonlyMap<string, number> = new Map(
  ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'].map((m, i) => [m, i]),
);
// Compiled once: this runs for every finding.
const NUMERIC = /^\d{1,13}(?:\.\d+)?$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)?(Z|[+-]\d{2}:?\d{2})?$/i;
const US_LONG = /^([A-Za-z]{3})[a-z]* (\d{1,2}), (\d{4}),? (\d{1,2}):(\d{2})(?::(\d{2}))? ?([AP]M)$/i;
const UNIX_DATE =
  /^(?:[A-Za-z]{3} )?([A-Za-z]{3}) (\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))? UTC (\d{4})$/;
// Epoch values above this are milliseconds, not seconds (year 5138 in seconds).
const MILLIS_THRESHOLD = 1e11;

// Findings from one scan share a handful of distinct timestamps; parsing each string once keeps 10k
// findings fast. Bounded: cleared when full.
const CACHE_LIMIT = 4096;
const cache = new Map<string, string | null>();

/** Reads any supported timestamp form; null when absent or unreadable. */
export function toIsoTimestamp(value: unknown): string | null {
  if (value instanceof Date) return isoOrNull(value.getTime());
  if (typeof value === 'number') return fromEpoch(value);
  if (typeof value !== 'string') return null;
  const cached = cache.get(value);
  if (cached !== undefined) return cached;
  const parsed = parseText(value);
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(value, parsed);
  return parsed;
}

function parseText(value: string): string | null {
  const text = value.trim();
  if (text === '') return null;
  if (NUMERIC.test(text)) return fromEpoch(Number(text));
  const iso = ISO_DATE.exec(text);
  if (iso) {
    // No offset: read as UTC, not as the machine's local time, so results do not depend on TZ.
    const withZone = iso[1] === undefined ? `${text.replace(' ', 'T')}${text.length > 10 ? 'Z' : ''}` : text;
    return isoOrNull(Date.parse(withZone));
  }
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

function fromEpoch(n: number): string | null {
  if (!Number.isFinite(n) || n < 0) return null;
  return isoOrNull(n > MILLIS_THRESHOLD ? n : n * 1000);
}

function fromParts(
  year: string | undefined,
  monthName: string | undefined,
  day: string | undefined,
  hour: number,
  minute: string | undefined,
  second: string | undefined,
  millis: string,
): string | null {
  const month = MONTHS.get((monthName ?? '').slice(0, 3).toLowerCase());
  if (month === undefined) return null;
  const d = Number(day);
  const ms = Date.UTC(Number(year), month, d, hour, Number(minute), Number(second), Number(millis));
  const date = new Date(ms);
  // Reject impossible dates (Feb 30) instead of letting Date roll them over.
  if (date.getUTCDate() !== d || date.getUTCMonth() !== month) return null;
  if (hour > 23 || Number(minute) > 59 || Number(second) > 59) return null;
  return isoOrNull(ms);
}

function isoOrNull(ms: number): string | null {
  if (!Number.isFinite(ms)) return null;
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}
