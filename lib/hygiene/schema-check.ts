/**
 * A small JSON Schema (draft-07) checker for the keywords policies/schema/hygiene.schema.json uses, so the sweep
 * can validate its baseline against the published schema without bundling a general validator (ajv adds ~130 KB
 * to a Lambda bundle). The schema stays the single source of truth; errors have ajv's shape and wording
 * (`instancePath`, `keyword`, `params`, `message`), so reports read the same as with ajv.
 *
 * Supported: type, const, enum, required, properties, additionalProperties (false or a schema), items (one
 * schema), minItems, maxItems, uniqueItems, minLength, maxLength, pattern, minimum, maximum, $ref to
 * `#/definitions/…`, oneOf, if/then/else, and the annotations ($schema, $id, title, description, default,
 * examples). A schema using any other keyword is refused when the checker is built, so a schema change can
 * never be silently ignored.
 */

export interface SchemaError {
  /** JSON Pointer of the offending value, `''` for the document (as ajv). */
  readonly instancePath: string;
  readonly keyword: string;
  readonly params: Record<string, unknown>;
  readonly message: string;
}

type Schema = Readonly<Record<string, unknown>>;

const SUPPORTED = new Set([
  'type',
  'const',
  'enum',
  'required',
  'properties',
  'additionalProperties',
  'items',
  'minItems',
  'maxItems',
  'uniqueItems',
  'minLength',
  'maxLength',
  'pattern',
  'minimum',
  'maximum',
  '$ref',
  'oneOf',
  'if',
  'then',
  'else',
  'definitions',
  '$schema',
  '$id',
  'title',
  'description',
  'default',
  'examples',
]);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Structural equality of JSON values (const, enum, uniqueItems). */
function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((v, i) => jsonEqual(v, b[i]));
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return (
      keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k], b[k]))
    );
  }
  return false;
}

function typeMatches(type: string, value: unknown): boolean {
  switch (type) {
    case 'object':
      return isObject(value);
    case 'array':
      return Array.isArray(value);
    case 'string':
      return typeof value === 'string';
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'null':
      return value === null;
    default:
      throw new Error(`schema type "${type}" is not supported`);
  }
}

function pointer(path: string, key: string | number): string {
  return `${path}/${String(key).replace(/~/g, '~0').replace(/\//g, '~1')}`;
}

/**
 * The first duplicate pair, found the way ajv does (so messages name the same indexes): from the end, by value
 * for items of a declared scalar type, else pairwise.
 */
function findDuplicate(value: readonly unknown[], items: unknown): { i: number; j: number } | null {
  const scalar = isObject(items) && typeof items.type === 'string' ? items.type : null;
  if (scalar === 'string' || scalar === 'number' || scalar === 'integer' || scalar === 'boolean') {
    const seen = new Map<unknown, number>();
    for (let i = value.length - 1; i >= 0; i -= 1) {
      const item = value[i];
      if (!typeMatches(scalar, item)) continue;
      const j = seen.get(item);
      if (j !== undefined) return { i, j };
      seen.set(item, i);
    }
    return null;
  }
  for (let i = value.length - 1; i > 0; i -= 1) {
    for (let j = i - 1; j >= 0; j -= 1) if (jsonEqual(value[i], value[j])) return { i, j };
  }
  return null;
}

/** Refuses schemas with keywords this checker does not implement; compiles patterns once. */
function prepare(schema: unknown, where: string, patterns: Map<string, RegExp>): void {
  if (typeof schema === 'boolean') return;
  if (!isObject(schema)) throw new Error(`${where}: a schema must be an object`);
  for (const [key, value] of Object.entries(schema)) {
    if (!SUPPORTED.has(key)) throw new Error(`${where}: schema keyword "${key}" is not supported`);
    if (key === 'pattern' && typeof value === 'string' && !patterns.has(value))
      patterns.set(value, new RegExp(value, 'u'));
    if (key === 'properties' || key === 'definitions') {
      for (const [name, sub] of Object.entries(value as Record<string, unknown>))
        prepare(sub, `${where}/${key}/${name}`, patterns);
    } else if (key === 'oneOf') {
      for (const [i, sub] of (value as unknown[]).entries()) prepare(sub, `${where}/oneOf/${i}`, patterns);
    } else if (
      ['items', 'if', 'then', 'else'].includes(key) ||
      (key === 'additionalProperties' && typeof value !== 'boolean')
    ) {
      prepare(value, `${where}/${key}`, patterns);
    }
  }
}

/**
 * Builds a checker for `root`; the returned function lists every error (ajv's `allErrors: true`), [] when valid.
 * @example const check = compileSchemaCheck(schema); const errors = check(JSON.parse(text));
 * @throws Error when the schema uses a keyword this checker does not support
 */
export function compileSchemaCheck(root: Schema): (value: unknown) => SchemaError[] {
  const patterns = new Map<string, RegExp>();
  prepare(root, '#', patterns);
  const definitions = (root.definitions ?? {}) as Record<string, Schema>;

  const resolve = (ref: string): Schema => {
    const name = /^#\/definitions\/([^/]+)$/.exec(ref)?.[1];
    const target = name === undefined ? undefined : definitions[name];
    if (!target) throw new Error(`schema $ref "${ref}" cannot be resolved`);
    return target;
  };

  const check = (schema: Schema | boolean, value: unknown, path: string, out: SchemaError[]): void => {
    if (schema === true) return;
    if (schema === false) {
      out.push({
        instancePath: path,
        keyword: 'false schema',
        params: {},
        message: 'boolean schema is false',
      });
      return;
    }
    const err = (keyword: string, params: Record<string, unknown>, message: string, at = path) =>
      out.push({ instancePath: at, keyword, params, message });
    if (typeof schema.$ref === 'string') {
      // draft-07: $ref ignores its siblings.
      check(resolve(schema.$ref), value, path, out);
      return;
    }
    if (typeof schema.type === 'string' && !typeMatches(schema.type, value)) {
      // ajv skips the type-specific keywords of a value of the wrong type.
      err('type', { type: schema.type }, `must be ${schema.type}`);
      return;
    }
    if ('const' in schema && !jsonEqual(value, schema.const))
      err('const', { allowedValue: schema.const }, 'must be equal to constant');
    if (Array.isArray(schema.enum) && !schema.enum.some((v) => jsonEqual(value, v)))
      err('enum', { allowedValues: schema.enum }, 'must be equal to one of the allowed values');
    if (typeof value === 'string') {
      const length = [...value].length;
      if (typeof schema.minLength === 'number' && length < schema.minLength)
        err(
          'minLength',
          { limit: schema.minLength },
          `must NOT have fewer than ${schema.minLength} characters`,
        );
      if (typeof schema.maxLength === 'number' && length > schema.maxLength)
        err(
          'maxLength',
          { limit: schema.maxLength },
          `must NOT have more than ${schema.maxLength} characters`,
        );
      if (typeof schema.pattern === 'string' && !(patterns.get(schema.pattern) as RegExp).test(value))
        err('pattern', { pattern: schema.pattern }, `must match pattern "${schema.pattern}"`);
    }
    if (typeof value === 'number') {
      if (typeof schema.minimum === 'number' && !(value >= schema.minimum))
        err('minimum', { comparison: '>=', limit: schema.minimum }, `must be >= ${schema.minimum}`);
      if (typeof schema.maximum === 'number' && !(value <= schema.maximum))
        err('maximum', { comparison: '<=', limit: schema.maximum }, `must be <= ${schema.maximum}`);
    }
    if (Array.isArray(value)) {
      if (typeof schema.minItems === 'number' && value.length < schema.minItems)
        err('minItems', { limit: schema.minItems }, `must NOT have fewer than ${schema.minItems} items`);
      if (typeof schema.maxItems === 'number' && value.length > schema.maxItems)
        err('maxItems', { limit: schema.maxItems }, `must NOT have more than ${schema.maxItems} items`);
      if (schema.uniqueItems === true) {
        const duplicate = findDuplicate(value, schema.items);
        if (duplicate)
          err(
            'uniqueItems',
            duplicate,
            `must NOT have duplicate items (items ## ${duplicate.j} and ${duplicate.i} are identical)`,
          );
      }
      if (schema.items !== undefined) {
        const items = schema.items as Schema | boolean;
        for (const [i, item] of value.entries()) check(items, item, pointer(path, i), out);
      }
    }
    if (isObject(value)) {
      if (Array.isArray(schema.required)) {
        for (const name of schema.required as string[]) {
          if (!Object.hasOwn(value, name))
            err('required', { missingProperty: name }, `must have required property '${name}'`);
        }
      }
      const properties = (schema.properties ?? {}) as Record<string, Schema>;
      for (const [name, item] of Object.entries(value)) {
        const sub = Object.hasOwn(properties, name) ? properties[name] : undefined;
        if (sub !== undefined) check(sub, item, pointer(path, name), out);
        else if (schema.additionalProperties === false)
          err('additionalProperties', { additionalProperty: name }, 'must NOT have additional properties');
        else if (isObject(schema.additionalProperties))
          check(schema.additionalProperties, item, pointer(path, name), out);
      }
    }
    if (Array.isArray(schema.oneOf)) {
      const branchErrors: SchemaError[] = [];
      let passing = 0;
      for (const sub of schema.oneOf as (Schema | boolean)[]) {
        const errors: SchemaError[] = [];
        check(sub, value, path, errors);
        if (errors.length === 0) passing += 1;
        else branchErrors.push(...errors);
      }
      if (passing === 0) out.push(...branchErrors);
      if (passing !== 1) err('oneOf', { passingSchemas: passing }, 'must match exactly one schema in oneOf');
    }
    if (schema.if !== undefined) {
      const probe: SchemaError[] = [];
      check(schema.if as Schema | boolean, value, path, probe);
      const branch = probe.length === 0 ? 'then' : 'else';
      const next = schema[branch] as Schema | boolean | undefined;
      if (next !== undefined) {
        const before = out.length;
        check(next, value, path, out);
        if (out.length > before) err('if', { failingKeyword: branch }, `must match "${branch}" schema`);
      }
    }
  };

  return (value: unknown) => {
    const out: SchemaError[] = [];
    check(root, value, '', out);
    return out;
  };
}
