/**
 * Hostile-safe access to parsed JSON. Every value is type-checked before use, so wrong types at any depth
 * become an InvalidInputError instead of a TypeError. Fields are read by fixed names that Object.prototype
 * does not have (`severity`, `findings` …), and a reader refuses to start when Object.prototype carries
 * enumerable properties (prototype pollution), so a missing field can never fall through to an inherited
 * value; a `__proto__` key in the input is just an own data property that is never read. Dynamic keys go
 * through {@link own}. Plain property reads keep 10k findings in a few milliseconds; `Object.hasOwn` on
 * every field would cost several times more.
 */
import { GatekeeperError } from '../errors/gatekeeper-error.ts';
import { InvalidInputError } from './errors.ts';

export type JsonRecord = Readonly<Record<string, unknown>>;

export function isRecord(value: unknown): value is JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/** Own property or undefined; never an inherited one. */
export function own(record: JsonRecord, key: string): unknown {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** Short, safe description of a value for error messages (strings are quoted and cut). */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Date) return 'a date';
  switch (typeof value) {
    case 'string': {
      const cut = value.length > 60 ? `${value.slice(0, 60)}…` : value;
      return JSON.stringify(cut);
    }
    case 'number':
    case 'boolean':
      return String(value);
    case 'object':
      return 'an object';
    default:
      return typeof value;
  }
}

/** Joins a parent path and a key: `a.b` or `a[3]`; the root is ''. */
export function at(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path === '' ? key : `${path}.${key}`;
}

/**
 * Reads parsed JSON for one source file, raising errors that name the file and the field. Each check takes
 * the parent path and the key separately so the path string is only built when there is an error: this
 * runs for every field of every finding.
 */
export class JsonReader {
  /**
   * @param tracking when false (the fast first pass) no paths are built: {@link JsonReader.at} returns ''
   *   and a failure throws {@link PATHS_NEEDED}, after which the caller re-reads with tracking on to
   *   produce the error with its exact path. Reading is deterministic, so the second pass fails at the
   *   same place.
   */
  constructor(
    readonly source: string,
    readonly tracking = true,
  ) {
    assertPristineObjectPrototype();
  }

  /** The child path, or '' in the fast pass. */
  at(path: string, key: string | number): string {
    return this.tracking ? at(path, key) : '';
  }

  fail(path: string, problem: string): never {
    if (!this.tracking) throw PATHS_NEEDED;
    throw new InvalidInputError(this.source, path === '' ? null : path, problem);
  }

  expected(path: string, what: string, got: unknown): never {
    this.fail(path, `expected ${what}, got ${describeValue(got)}`);
  }

  record(value: unknown, parent: string, key?: Key): JsonRecord {
    if (!isRecord(value)) this.expected(join(parent, key), 'an object', value);
    return value;
  }

  array(value: unknown, parent: string, key?: Key): readonly unknown[] {
    if (!Array.isArray(value)) this.expected(join(parent, key), 'an array', value);
    return value;
  }

  /** An array, or [] when the key is absent or null (AWS omits empty lists). */
  optionalArray(value: unknown, parent: string, key?: Key): readonly unknown[] {
    if (value === undefined || value === null) return EMPTY;
    return this.array(value, parent, key);
  }

  /** An array of strings, or [] when absent or null; an item that is not a string is an error naming its index. */
  optionalStrings(value: unknown, parent: string, key?: Key): string[] {
    const items = this.optionalArray(value, parent, key);
    const strings: string[] = [];
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      if (typeof item !== 'string') this.expected(at(join(parent, key), i), 'a string', item);
      strings.push(item);
    }
    return strings;
  }

  string(value: unknown, parent: string, key?: Key): string {
    if (typeof value !== 'string') this.expected(join(parent, key), 'a string', value);
    return value;
  }

  /** A non-empty string, or null when absent/null/empty. Any other type is an error. */
  optionalString(value: unknown, parent: string, key?: Key): string | null {
    if (value === undefined || value === null || value === '') return null;
    if (typeof value !== 'string') this.expected(join(parent, key), 'a string', value);
    return value;
  }

  /**
   * A number in [min, max], or null when absent/null/''. Decimal strings are accepted ("4.6", as ECR basic
   * attributes and some EPSS feeds write them); blank, hex, "Infinity" and other non-decimal strings are not.
   */
  optionalNumber(value: unknown, min: number, max: number, parent: string, key?: Key): number | null {
    if (value === undefined || value === null || value === '') return null;
    const n =
      typeof value === 'number'
        ? value
        : typeof value === 'string' && DECIMAL.test(value)
          ? Number(value)
          : Number.NaN;
    if (!Number.isFinite(n) || n < min || n > max) {
      this.expected(join(parent, key), `a number from ${min} to ${max}`, value);
    }
    return n;
  }

  /** A vulnerability id: a string with a visible character (a blank id would name nothing). */
  id(value: unknown, parent: string, key?: Key): string {
    const id = this.string(value, parent, key);
    if (id.trim() === '') this.expected(join(parent, key), 'a vulnerability id', id);
    return id;
  }

  /** One of the allowed strings, mapped; absent/null gives `fallback`. */
  oneOf<T>(value: unknown, allowed: ReadonlyMap<string, T>, fallback: T, parent: string, key?: Key): T {
    if (value === undefined || value === null) return fallback;
    if (typeof value === 'string') {
      const mapped = allowed.get(value);
      if (mapped !== undefined) return mapped;
    }
    this.expected(join(parent, key), `one of ${[...allowed.keys()].join(', ')}`, value);
  }
}

/** Thrown by a non-tracking reader on the first problem; never escapes {@link readTwice}. */
export const PATHS_NEEDED: unique symbol = Symbol('paths needed');

/** Runs `read` fast (no paths); if it finds a problem, runs it again with paths to report exactly where. */
export function readTwice<T>(source: string, read: (reader: JsonReader) => T): T {
  try {
    return read(new JsonReader(source, false));
  } catch (error) {
    if (error !== PATHS_NEEDED) throw error;
  }
  return read(new JsonReader(source, true));
}

type Key = string | number;
/** A plain decimal number as text, optionally signed, with an optional exponent. */
const DECIMAL = /^\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*$/;
const EMPTY: readonly unknown[] = Object.freeze([]);

function join(parent: string, key: Key | undefined): string {
  return key === undefined ? parent : at(parent, key);
}

/** Throws when something has added enumerable properties to Object.prototype (prototype pollution). */
export function assertPristineObjectPrototype(): void {
  for (const key in Object.prototype) {
    throw new GatekeeperError(
      `Object.prototype has an enumerable property ${JSON.stringify(key)} (prototype pollution); refusing to read findings`,
    );
  }
}
