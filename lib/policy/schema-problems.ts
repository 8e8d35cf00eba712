/**
 * The wording of what a generated validator (lib/policy/generated, lib/hygiene/generated) finds: every ajv error
 * becomes one problem with a dotted path (`rules.maxSeverity.HIGH`, `exceptions[0].id`) and a sentence that names
 * the allowed values, the offending value and, for an unknown key, the keys allowed there. The validators carry no
 * messages of their own; this is the one place that words them, for the policy files and the hygiene baseline.
 */
import type { SchemaError } from './generated/policy-validators.js';

export interface SchemaProblem {
  readonly path: string;
  readonly message: string;
}

/** How one format words its schema's errors beyond the generic sentences. */
export interface SchemaWording {
  /** `pattern` → what it means, read as "must be <meaning>" (e.g. `a number of days such as 3d`). */
  readonly patterns?: Readonly<Record<string, string>>;
  /** ajv `schemaPath` → a sentence replacing the generic one; `key` reports it on that child of the value. */
  readonly at?: Readonly<Record<string, { readonly key?: string; readonly message: string }>>;
}

type Json = Readonly<Record<string, unknown>>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `parent.key`, or `parent[3]` for an index. */
export function joinPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  return parent ? `${parent}.${key}` : key;
}

function segments(pointer: string): string[] {
  return pointer
    .split('/')
    .slice(1)
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
}

/** `/rules/maxSeverity/HIGH` → `rules.maxSeverity.HIGH`; `/exceptions/0/id` → `exceptions[0].id`. */
export function pointerToPath(pointer: string): string {
  return segments(pointer).reduce<string>((path, s) => joinPath(path, /^\d+$/.test(s) ? Number(s) : s), '');
}

/** A value as a problem sentence shows it: strings quoted (and cut at 40), structures by their kind. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'object') return 'a mapping';
  return String(value);
}

function valueAt(doc: unknown, pointer: string): unknown {
  let value = doc;
  for (const s of segments(pointer)) {
    if (Array.isArray(value)) value = value[Number(s)];
    else if (isObject(value) && Object.hasOwn(value, s)) value = value[s];
    else return undefined;
  }
  return value;
}

/** The subschemas that may describe the value at `pointer` (following $ref, properties, items, combinators). */
function schemasAt(root: Json, pointer: string): Json[] {
  const resolve = (schema: unknown, depth = 0): Json[] => {
    if (!isObject(schema) || depth > 20) return [];
    if (typeof schema.$ref === 'string') {
      let target: unknown = root;
      for (const s of segments(schema.$ref.replace(/^#/, '')))
        target = isObject(target) ? target[s] : undefined;
      return resolve(target, depth + 1);
    }
    const branches = ['oneOf', 'anyOf', 'allOf']
      .flatMap((k) => (Array.isArray(schema[k]) ? (schema[k] as unknown[]) : []))
      .concat(['then', 'else'].map((k) => schema[k]).filter((s) => s !== undefined));
    return [schema, ...branches.flatMap((b) => resolve(b, depth + 1))];
  };
  let current = resolve(root);
  for (const s of segments(pointer)) {
    current = current.flatMap((schema) => {
      const properties = isObject(schema.properties) ? schema.properties : {};
      if (Object.hasOwn(properties, s)) return resolve(properties[s]);
      if (/^\d+$/.test(s) && schema.items !== undefined) return resolve(schema.items);
      return [];
    });
  }
  return current;
}

/** The keys the schema allows in the mapping at `pointer`, in the schema's order. */
export function keysAllowedAt(root: Json, pointer: string): string[] {
  const keys = new Set<string>();
  for (const schema of schemasAt(root, pointer))
    if (isObject(schema.properties)) for (const k of Object.keys(schema.properties)) keys.add(k);
  return [...keys];
}

const TYPE_NAMES: Readonly<Record<string, string>> = {
  object: 'a mapping',
  array: 'a list',
  string: 'a string',
  integer: 'a whole number',
  number: 'a number',
  boolean: 'true or false',
  null: 'null',
};

function plain(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** What the value at an error's place must be, for joining the forms of a oneOf (`deny or a mapping`). */
function expectation(error: SchemaError): string | null {
  const params = error.params;
  if (error.keyword === 'const') return plain(params.allowedValue);
  if (error.keyword === 'enum') return (params.allowedValues as unknown[]).map(plain).join(', ');
  if (error.keyword === 'type')
    return String(params.type)
      .split(',')
      .map((t) => TYPE_NAMES[t] ?? t)
      .join(' or ');
  return null;
}

function sentence(error: SchemaError, value: unknown, root: Json, wording: SchemaWording): string {
  const params = error.params;
  const not = `, not ${describeValue(value)}`;
  switch (error.keyword) {
    case 'type':
    case 'const':
      return `must be ${expectation(error)}${not}`;
    case 'enum':
      return `must be one of ${expectation(error)}${not}`;
    case 'additionalProperties':
      return `unknown key (expected one of ${keysAllowedAt(root, error.instancePath).join(', ')})`;
    case 'required':
      return 'is required';
    case 'minimum':
      return `must be >= ${params.limit}`;
    case 'exclusiveMinimum':
      return `must be > ${params.limit}`;
    case 'maximum':
      return `must be <= ${params.limit}`;
    case 'exclusiveMaximum':
      return `must be < ${params.limit}`;
    case 'minLength':
      return params.limit === 1 ? 'must not be empty' : `must be at least ${params.limit} characters`;
    case 'maxLength':
      return `must be at most ${params.limit} characters`;
    case 'minItems':
      return params.limit === 1
        ? 'must list at least one entry (omit the key instead)'
        : `must list at least ${params.limit} entries`;
    case 'maxItems':
      return `has ${Array.isArray(value) ? value.length : 'too many'} entries; the limit is ${params.limit}`;
    case 'uniqueItems':
      return `entries ${params.j} and ${params.i} are the same`;
    case 'pattern': {
      const meaning = wording.patterns?.[String(params.pattern)];
      return meaning ? `must be ${meaning}${not}` : `${describeValue(value)} must match ${params.pattern}`;
    }
    default:
      return `fails the schema's ${error.keyword} rule`;
  }
}

/**
 * Every error of one validation run, worded (see the module comment), in the validator's order, without repeats.
 * `doc` is the validated value; `root` the schema it was validated against (for the keys allowed at a place).
 * @example schemaProblems(validatePolicy.errors ?? [], doc, policySchema, POLICY_WORDING)
 */
export function schemaProblems(
  errors: readonly SchemaError[],
  doc: unknown,
  root: Json,
  wording: SchemaWording = {},
): SchemaProblem[] {
  const out: SchemaProblem[] = [];
  const seen = new Set<string>();
  const add = (path: string, message: string) => {
    const key = `${path}\u0000${message}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ path, message });
  };
  // A oneOf fails as a whole: its forms' errors are joined below, or (for a value of the right shape) kept deeper.
  const oneOfs = errors.filter((e) => e.keyword === 'oneOf');
  const branchOf = (e: SchemaError) =>
    oneOfs.find((o) => e !== o && e.schemaPath.startsWith(`${o.schemaPath}/`));
  for (const e of errors) {
    if (e.keyword === 'if') continue; // the failing then/else is reported on its own
    const value = valueAt(doc, e.instancePath);
    const path = pointerToPath(e.instancePath);
    const owner = branchOf(e);
    if (owner) {
      const siblings = errors.filter((s) => branchOf(s) === owner);
      const deeper = siblings.some((s) => s.instancePath !== owner.instancePath);
      if (!deeper || e.instancePath === owner.instancePath) continue;
    }
    if (e.keyword === 'oneOf') {
      const siblings = errors.filter((s) => branchOf(s) === e);
      if (siblings.some((s) => s.instancePath !== e.instancePath)) continue;
      const forms = siblings.map(expectation).filter((f): f is string => f !== null);
      add(
        path,
        forms.length > 0
          ? `must be ${forms.join(' or ')}, not ${describeValue(value)}`
          : 'matches none of its forms',
      );
      continue;
    }
    const special = wording.at?.[e.schemaPath];
    const child =
      e.keyword === 'required'
        ? String(e.params.missingProperty)
        : e.keyword === 'additionalProperties'
          ? String(e.params.additionalProperty)
          : special?.key;
    add(
      child === undefined ? path : joinPath(path, child),
      special?.message ?? sentence(e, value, root, wording),
    );
  }
  return out;
}
