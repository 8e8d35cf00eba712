/**
 * Collects problems for one file, with defensive readers for untrusted values (own properties only, every type
 * checked). Policy and Exceptions documents are checked by their generated schema validators instead
 * (lib/policy/check.ts); these readers serve the policy test cases, which are run only when fully understood.
 */
import { isRecord, type JsonRecord, own } from '../findings/json-reader.ts';
import type { PolicyProblem } from './errors.ts';
import { checkGlob, type GlobKind } from './glob.ts';
import { describeValue, joinPath } from './schema-problems.ts';

export { joinPath } from './schema-problems.ts';

const MAX_LIST = 1000;
const MAX_TEXT = 2000;

/** Collects problems for one file. */
export class Checker {
  readonly file: string;
  readonly problems: PolicyProblem[];

  constructor(file: string, problems: PolicyProblem[]) {
    this.file = file;
    this.problems = problems;
  }

  error(path: string, message: string): void {
    this.problems.push({ file: this.file, path, message, level: 'error' });
  }

  warn(path: string, message: string): void {
    this.problems.push({ file: this.file, path, message, level: 'warning' });
  }

  /** A mapping with only the allowed keys; null (after reporting) when it is not a mapping. */
  record(value: unknown, path: string, allowed: readonly string[]): JsonRecord | null {
    if (!isRecord(value)) {
      this.error(path, `must be a mapping, not ${describeValue(value)}`);
      return null;
    }
    for (const key of Object.keys(value)) {
      if (!allowed.includes(key))
        this.error(joinPath(path, key), `unknown key (expected one of ${allowed.join(', ')})`);
    }
    return value;
  }

  present(record: JsonRecord, key: string): boolean {
    const v = own(record, key);
    return v !== undefined && v !== null;
  }

  string(
    record: JsonRecord,
    key: string,
    path: string,
    options: { required?: boolean; pattern?: RegExp; patternText?: string; max?: number } = {},
  ): string | null {
    const p = joinPath(path, key);
    const v = own(record, key);
    if (v === undefined || v === null) {
      if (options.required) this.error(p, 'is required');
      return null;
    }
    if (typeof v !== 'string') {
      this.error(p, `must be a string, not ${describeValue(v)}`);
      return null;
    }
    if (options.required && v.trim().length === 0) {
      this.error(p, 'must not be empty');
      return null;
    }
    if (v.length > (options.max ?? MAX_TEXT)) {
      this.error(p, `must be at most ${options.max ?? MAX_TEXT} characters`);
      return null;
    }
    if (options.pattern && !options.pattern.test(v)) {
      this.error(p, `${describeValue(v)} must match ${options.patternText ?? options.pattern.source}`);
      return null;
    }
    return v;
  }

  boolean(record: JsonRecord, key: string, path: string, fallback: boolean): boolean {
    const v = own(record, key);
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'boolean') {
      this.error(joinPath(path, key), `must be true or false, not ${describeValue(v)}`);
      return fallback;
    }
    return v;
  }

  number(
    value: unknown,
    path: string,
    options: { min: number; max?: number; integer?: boolean; exclusiveMin?: boolean },
  ): number | null {
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      this.error(path, `must be a number, not ${describeValue(value)}`);
      return null;
    }
    if (options.integer && !Number.isInteger(value)) {
      this.error(path, 'must be a whole number');
      return null;
    }
    if (options.exclusiveMin ? value <= options.min : value < options.min) {
      this.error(path, `must be ${options.exclusiveMin ? '>' : '>='} ${options.min}`);
      return null;
    }
    if (options.max !== undefined && value > options.max) {
      this.error(path, `must be <= ${options.max}`);
      return null;
    }
    return value;
  }

  oneOf<T extends string>(
    record: JsonRecord,
    key: string,
    path: string,
    values: readonly T[],
    fallback: T,
  ): T {
    const v = own(record, key);
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) {
      this.error(joinPath(path, key), `must be one of ${values.join(', ')}, not ${describeValue(v)}`);
      return fallback;
    }
    return v as T;
  }

  list(record: JsonRecord, key: string, path: string, required: boolean): readonly unknown[] | null {
    const p = joinPath(path, key);
    const v = own(record, key);
    if (v === undefined || v === null) {
      if (required) this.error(p, 'is required');
      return null;
    }
    if (!Array.isArray(v)) {
      this.error(p, `must be a list, not ${describeValue(v)}`);
      return null;
    }
    if (v.length > MAX_LIST) {
      this.error(p, `has ${v.length} entries; the limit is ${MAX_LIST}`);
      return null;
    }
    return v;
  }

  /** A non-empty list of valid, distinct glob patterns; null when absent (or, after reporting, invalid). */
  globs(record: JsonRecord, key: string, path: string, kind: GlobKind, required = false): string[] | null {
    const items = this.list(record, key, path, required);
    if (items === null) return null;
    const p = joinPath(path, key);
    if (items.length === 0) {
      this.error(p, 'must list at least one pattern (omit the key to match everything)');
      return null;
    }
    const out: string[] = [];
    let ok = true;
    items.forEach((item, i) => {
      const problems = checkGlob(item, kind);
      for (const message of problems) this.error(joinPath(p, i), message);
      if (problems.length > 0) ok = false;
      else if (out.includes(item as string))
        this.warn(joinPath(p, i), `duplicate pattern ${describeValue(item)}`);
      else out.push(item as string);
    });
    return ok ? out : null;
  }
}
