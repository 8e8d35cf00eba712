/**
 * Canonical JSON (object keys sorted by code unit, no whitespace, arrays in order) and the policy-set version
 * derived from it, so the version depends on what the policies say, not on file order or YAML formatting.
 */
import { createHash } from 'node:crypto';
import type { ExceptionDefinition, PolicyDefinition } from './policy-set.ts';

export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError('non-finite number');
    return value === undefined ? 'null' : JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record)
    .filter((k) => record[k] !== undefined)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`).join(',')}}`;
}

/** Sort key order used everywhere in the set: file, then name / id (code-unit order, locale-independent). */
export function byFileThen<T extends { file: string }>(key: (item: T) => string): (a: T, b: T) => number {
  return (a, b) => {
    if (a.file !== b.file) return a.file < b.file ? -1 : 1;
    const ka = key(a);
    const kb = key(b);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  };
}

/** `sha256:<hex>` of the canonical policies and exceptions (file paths relative to the policies directory). */
export function policySetVersion(
  policies: readonly PolicyDefinition[],
  exceptions: readonly ExceptionDefinition[],
): string {
  const sortedPolicies = [...policies].sort(byFileThen((p) => p.name));
  const sortedExceptions = [...exceptions].sort(byFileThen((e) => e.id));
  const text = canonicalJson({ exceptions: sortedExceptions, policies: sortedPolicies });
  return `sha256:${createHash('sha256').update(text, 'utf8').digest('hex')}`;
}
