/**
 * EventBridge pattern matching, enough to prove our rules match the real AWS payloads in test/fixtures/aws
 * and nothing else: exact values, `exists`, `prefix`, `anything-but`, nested objects, arrays in the
 * event (a field matches when any element matches, which is how `detail.resources[].type` is filtered), and
 * `$or` (the object matches when its other fields match and at least one of the listed sub-patterns does).
 */
type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isObject(value: unknown): value is Record<string, Json> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Values of `key` in the event object(s); arrays of objects are flattened as EventBridge does. */
function valuesAt(event: Json | undefined, key: string): Json[] | undefined {
  if (Array.isArray(event)) {
    const found = event.flatMap((item) => valuesAt(item, key) ?? []);
    return found.length > 0 ? found : undefined;
  }
  if (!isObject(event) || !(key in event)) return undefined;
  const value = event[key] as Json;
  return Array.isArray(value) ? value : [value];
}

function matchesCondition(condition: Json, values: Json[] | undefined): boolean {
  if (isObject(condition)) {
    if ('exists' in condition) return condition.exists === (values !== undefined);
    if (values === undefined) return false;
    if ('prefix' in condition)
      return values.some((v) => typeof v === 'string' && v.startsWith(String(condition.prefix)));
    if ('anything-but' in condition) {
      const excluded = Array.isArray(condition['anything-but'])
        ? condition['anything-but']
        : [condition['anything-but']];
      return values.some((v) => !excluded.includes(v));
    }
    throw new Error(`unsupported pattern operator ${JSON.stringify(condition)}`);
  }
  return values?.some((v) => v === condition) ?? false;
}

/** Whether an EventBridge event matches a pattern. */
export function matchesPattern(pattern: Json, event: Json): boolean {
  if (!isObject(pattern)) throw new Error('pattern must be an object');
  return Object.entries(pattern).every(([key, expected]) => {
    if (key === '$or') {
      if (!Array.isArray(expected) || expected.length < 2 || !expected.every(isObject))
        throw new Error('$or must list at least two sub-patterns');
      return expected.some((branch) => matchesPattern(branch, event));
    }
    if (Array.isArray(expected)) {
      const values = valuesAt(event, key);
      return expected.some((condition) => matchesCondition(condition, values));
    }
    if (isObject(expected)) {
      const inner = Array.isArray(event) ? event : isObject(event) ? event[key] : undefined;
      if (inner === undefined) return false;
      if (Array.isArray(inner)) return inner.some((item) => matchesPattern(expected, item));
      return matchesPattern(expected, inner);
    }
    throw new Error(`pattern value for ${key} must be a list or an object`);
  });
}
