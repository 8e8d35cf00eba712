/**
 * Validates every resource of a template against the CloudFormation resource specification shipped in npm
 * `@aws-cdk/aws-service-spec` (the registry schemas AWS publishes, compiled into one database): the type
 * exists, every property exists and has the right shape (nested types included), required properties are
 * present, enumerated values are allowed, and every Ref / Fn::GetAtt / DependsOn / Condition points at
 * something that exists (GetAtt attributes included). Intrinsic functions whose result cannot be known
 * offline are accepted wherever a scalar is expected.
 */
import { loadAwsServiceSpec } from '@aws-cdk/aws-service-spec';
import {
  getAttParts,
  intrinsicName,
  isNoValue,
  isObject,
  type Json,
  PSEUDO_PARAMETERS,
  type Template,
  type Violation,
} from './template.ts';

export const SPEC_RULE = 'cloudformation-spec';

// The parts of the spec database's types used here (see @aws-cdk/service-spec-types).
type PropertyType =
  | { type: 'string'; allowedValues?: string[] }
  | { type: 'number' }
  | { type: 'integer'; allowedValues?: number[] }
  | { type: 'boolean' }
  | { type: 'json' }
  | { type: 'date-time' }
  | { type: 'null' }
  | { type: 'tag' }
  | { type: 'ref'; reference: { $ref: string } }
  | { type: 'array'; element: PropertyType }
  | { type: 'map'; element: PropertyType }
  | { type: 'union'; types: PropertyType[] };
interface SpecProperty {
  type: PropertyType;
  required?: boolean;
}
interface SpecResource {
  cloudFormationType: string;
  properties: Record<string, SpecProperty>;
  attributes: Record<string, unknown>;
}
interface SpecTypeDefinition {
  name: string;
  properties: Record<string, SpecProperty>;
}
export interface SpecDatabase {
  lookup(
    key: 'resource',
    index: 'cloudFormationType',
    lookup: 'equals',
    value: string,
  ): readonly SpecResource[];
  get(key: 'typeDefinition', id: string): SpecTypeDefinition;
}

let cached: Promise<SpecDatabase> | null = null;

/** Loads the specification database once per process (~1 s). */
export function loadSpec(): Promise<SpecDatabase> {
  cached ??= loadAwsServiceSpec() as unknown as Promise<SpecDatabase>;
  return cached;
}

const RESOURCE_ATTRIBUTES = new Set([
  'Type',
  'Properties',
  'DependsOn',
  'Condition',
  'DeletionPolicy',
  'UpdateReplacePolicy',
  'Metadata',
  'CreationPolicy',
  'UpdatePolicy',
]);
const DELETION_POLICIES = new Set(['Delete', 'Retain', 'RetainExceptOnCreate', 'Snapshot']);

/** Intrinsics that always produce a string, and those that always produce a list. */
const STRING_INTRINSICS = new Set(['Fn::Sub', 'Fn::Join', 'Fn::Base64', 'Fn::ImportValue', 'Fn::Select']);
const LIST_INTRINSICS = new Set(['Fn::Split', 'Fn::GetAZs', 'Fn::Cidr']);

class Checker {
  readonly violations: Violation[] = [];

  constructor(
    private readonly spec: SpecDatabase,
    private readonly template: Template,
  ) {}

  private add(resource: string | null, path: string, message: string): void {
    this.violations.push({ rule: SPEC_RULE, resource, path, message });
  }

  checkTemplate(): void {
    const resources = this.template.Resources;
    if (!isObject(resources as unknown as Json) || Object.keys(resources).length === 0) {
      this.add(null, 'Resources', 'the template has no resources');
      return;
    }
    for (const [id, resource] of Object.entries(resources)) this.checkResource(id, resource);
    this.checkReferences(null, 'Outputs', this.template.Outputs ?? null);
    this.checkReferences(null, 'Conditions', this.template.Conditions ?? null);
  }

  private checkResource(id: string, resource: Template['Resources'][string]): void {
    for (const key of Object.keys(resource)) {
      if (!RESOURCE_ATTRIBUTES.has(key)) this.add(id, key, `unknown resource attribute "${key}"`);
    }
    for (const policy of ['DeletionPolicy', 'UpdateReplacePolicy'] as const) {
      const value = resource[policy];
      if (value !== undefined && !DELETION_POLICIES.has(value)) {
        this.add(id, policy, `"${value}" is not one of ${[...DELETION_POLICIES].join(', ')}`);
      }
    }
    if (resource.Condition !== undefined && !(resource.Condition in (this.template.Conditions ?? {}))) {
      this.add(id, 'Condition', `condition "${resource.Condition}" is not defined in Conditions`);
    }
    for (const dependency of resource.DependsOn === undefined ? [] : [resource.DependsOn].flat()) {
      if (!(dependency in this.template.Resources)) {
        this.add(id, 'DependsOn', `depends on "${dependency}", which is not a resource of the template`);
      }
    }
    this.checkReferences(id, 'Properties', resource.Properties ?? null);

    const type = resource.Type;
    if (typeof type !== 'string') {
      this.add(id, 'Type', 'missing resource type');
      return;
    }
    if (type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource') return;
    const [spec] = this.spec.lookup('resource', 'cloudFormationType', 'equals', type);
    if (!spec) {
      this.add(id, 'Type', `"${type}" is not a resource type in the CloudFormation specification`);
      return;
    }
    const properties = resource.Properties ?? {};
    if (!isObject(properties)) {
      this.add(id, 'Properties', 'must be an object');
      return;
    }
    this.checkObject(id, 'Properties', properties, spec.properties, type);
  }

  /** Every Ref, Fn::GetAtt and Fn::Sub `${Name}` must point at a resource, parameter or pseudo parameter. */
  private checkReferences(id: string | null, path: string, value: Json | null): void {
    if (Array.isArray(value)) {
      value.forEach((item, i) => {
        this.checkReferences(id, `${path}.${i}`, item);
      });
      return;
    }
    if (!isObject(value)) return;
    const parameters = this.template.Parameters ?? {};
    const known = (name: string) =>
      name in this.template.Resources || name in parameters || PSEUDO_PARAMETERS.has(name);
    if (typeof value.Ref === 'string' && !known(value.Ref)) {
      this.add(id, path, `Ref to "${value.Ref}", which is not a resource, parameter or pseudo parameter`);
    }
    const getAtt = getAttParts(value);
    if (getAtt) this.checkGetAtt(id, path, getAtt);
    const sub = value['Fn::Sub'];
    const subText =
      typeof sub === 'string' ? sub : Array.isArray(sub) && typeof sub[0] === 'string' ? sub[0] : null;
    if (subText !== null) {
      const bound = Array.isArray(sub) && isObject(sub[1]) ? Object.keys(sub[1]) : [];
      for (const match of subText.matchAll(/\$\{([^}!][^}]*)\}/g)) {
        const name = match[1] ?? '';
        const [target] = name.split('.') as [string];
        if (bound.includes(name)) continue;
        if (!known(target)) this.add(id, path, `Fn::Sub refers to \${${name}}, which is not defined`);
        else if (name.includes('.')) this.checkGetAtt(id, path, [target, name.slice(target.length + 1)]);
      }
    }
    for (const [key, child] of Object.entries(value)) this.checkReferences(id, `${path}.${key}`, child);
  }

  private checkGetAtt(id: string | null, path: string, [target, attribute]: [string, string]): void {
    const resource = this.template.Resources[target];
    if (!resource) {
      this.add(id, path, `Fn::GetAtt on "${target}", which is not a resource of the template`);
      return;
    }
    if (resource.Type.startsWith('Custom::')) return;
    const [spec] = this.spec.lookup('resource', 'cloudFormationType', 'equals', resource.Type);
    if (spec && !(attribute in spec.attributes)) {
      this.add(id, path, `${resource.Type} "${target}" has no attribute "${attribute}"`);
    }
  }

  private checkObject(
    id: string,
    path: string,
    value: Record<string, Json>,
    properties: Record<string, SpecProperty>,
    typeName: string,
  ): void {
    for (const [name, child] of Object.entries(value)) {
      const property = properties[name];
      if (!property) {
        this.add(id, `${path}.${name}`, `${typeName} has no property "${name}"`);
        continue;
      }
      if (isNoValue(child)) continue;
      this.checkValue(id, `${path}.${name}`, child, property.type);
    }
    for (const [name, property] of Object.entries(properties)) {
      if (property.required && value[name] === undefined) {
        this.add(id, `${path}.${name}`, `${typeName} requires property "${name}"`);
      }
    }
  }

  /** Checks one value; returns false when it does not fit (used to try union members). */
  private checkValue(id: string, path: string, value: Json, type: PropertyType): void {
    const intrinsic = intrinsicName(value);
    if (intrinsic !== null) {
      this.checkIntrinsic(id, path, value as Record<string, Json>, intrinsic, type);
      return;
    }
    switch (type.type) {
      case 'string':
        if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
          this.add(id, path, `expected a string, got ${describe(value)}`);
        } else if (type.allowedValues && !type.allowedValues.includes(String(value))) {
          this.add(id, path, `"${String(value)}" is not one of ${type.allowedValues.join(', ')}`);
        }
        return;
      case 'number':
      case 'integer': {
        const number =
          typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : Number.NaN;
        if (
          typeof value === 'boolean' ||
          Number.isNaN(number) ||
          (typeof value === 'string' && value.trim() === '')
        ) {
          this.add(id, path, `expected a number, got ${describe(value)}`);
        } else if (type.type === 'integer' && !Number.isInteger(number)) {
          this.add(id, path, `expected an integer, got ${String(value)}`);
        } else if (type.type === 'integer' && type.allowedValues && !type.allowedValues.includes(number)) {
          this.add(id, path, `${number} is not one of ${type.allowedValues.join(', ')}`);
        }
        return;
      }
      case 'boolean':
        if (typeof value !== 'boolean' && value !== 'true' && value !== 'false') {
          this.add(id, path, `expected a boolean, got ${describe(value)}`);
        }
        return;
      case 'json':
        if (!isObject(value) && typeof value !== 'string' && !Array.isArray(value)) {
          this.add(id, path, `expected a JSON object, got ${describe(value)}`);
        }
        return;
      case 'date-time':
        if (typeof value !== 'string')
          this.add(id, path, `expected a date-time string, got ${describe(value)}`);
        return;
      case 'null':
        if (value !== null) this.add(id, path, `expected null, got ${describe(value)}`);
        return;
      case 'tag':
        if (!isObject(value) || value.Key === undefined || value.Value === undefined) {
          this.add(id, path, 'expected a tag { Key, Value }');
        }
        return;
      case 'array':
        if (!Array.isArray(value)) {
          this.add(id, path, `expected a list, got ${describe(value)}`);
          return;
        }
        value.forEach((item, i) => {
          if (!isNoValue(item)) this.checkValue(id, `${path}.${i}`, item, type.element);
        });
        return;
      case 'map':
        if (!isObject(value)) {
          this.add(id, path, `expected a map, got ${describe(value)}`);
          return;
        }
        for (const [key, item] of Object.entries(value))
          this.checkValue(id, `${path}.${key}`, item, type.element);
        return;
      case 'ref': {
        const definition = this.spec.get('typeDefinition', type.reference.$ref);
        if (!isObject(value)) {
          this.add(id, path, `expected an object (${definition.name}), got ${describe(value)}`);
          return;
        }
        this.checkObject(id, path, value, definition.properties, definition.name);
        return;
      }
      case 'union': {
        // Members whose shape fits the value (list, structure, scalar). A free-form `json` member (often a
        // legacy type kept for compatibility) only decides when no structured member has the same shape, so
        // a typo inside a structured value is not waved through as "any JSON".
        const fitting = type.types.filter((member) => shapeFits(member, value));
        const structured = fitting.filter((member) => member.type !== 'json');
        const candidates = structured.length > 0 ? structured : fitting;
        if (candidates.length === 0) {
          this.add(
            id,
            path,
            `${describe(value)} fits none of the allowed types (${type.types.map((t) => t.type).join(', ')})`,
          );
          return;
        }
        // Accept the first candidate that fits without problems; otherwise report the closest one.
        let best: Violation[] | null = null;
        for (const member of candidates) {
          const trial = new Checker(this.spec, this.template);
          trial.checkValue(id, path, value, member);
          if (trial.violations.length === 0) return;
          if (best === null || trial.violations.length < best.length) best = trial.violations;
        }
        this.violations.push(...(best ?? []));
        return;
      }
    }
  }

  private checkIntrinsic(
    id: string,
    path: string,
    value: Record<string, Json>,
    intrinsic: string,
    type: PropertyType,
  ): void {
    if (intrinsic === 'Fn::If') {
      const args = value['Fn::If'];
      if (!Array.isArray(args) || args.length !== 3 || typeof args[0] !== 'string') {
        this.add(id, path, 'Fn::If takes [condition, value if true, value if false]');
        return;
      }
      if (!(args[0] in (this.template.Conditions ?? {}))) {
        this.add(id, path, `Fn::If on condition "${args[0]}", which is not defined in Conditions`);
      }
      for (const [i, branch] of [args[1], args[2]].entries()) {
        if (branch !== undefined && !isNoValue(branch))
          this.checkValue(id, `${path}.Fn::If.${i + 1}`, branch, type);
      }
      return;
    }
    const scalarExpected = !['array', 'map', 'ref', 'json', 'union', 'tag'].includes(type.type);
    if (
      STRING_INTRINSICS.has(intrinsic) &&
      (type.type === 'array' || type.type === 'map' || type.type === 'ref')
    ) {
      this.add(
        id,
        path,
        `${intrinsic} produces a string, but a ${type.type === 'ref' ? 'structure' : type.type} is expected`,
      );
    }
    if (LIST_INTRINSICS.has(intrinsic) && scalarExpected) {
      this.add(id, path, `${intrinsic} produces a list, but a ${type.type} is expected`);
    }
  }
}

/** Whether a value has the basic shape of a type (list, object, scalar), ignoring its contents. */
function shapeFits(type: PropertyType, value: Json): boolean {
  if (intrinsicName(value) !== null) return true;
  switch (type.type) {
    case 'array':
      return Array.isArray(value);
    case 'map':
    case 'ref':
    case 'tag':
      return isObject(value);
    case 'json':
      return true;
    case 'null':
      return value === null;
    case 'union':
      return type.types.some((member) => shapeFits(member, value));
    default:
      return value !== null && typeof value !== 'object';
  }
}

function describe(value: Json): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${JSON.stringify(value)}`;
}

/**
 * Every problem of the template with respect to the CloudFormation resource specification.
 *
 * @example
 * const problems = await checkAgainstSpec(template); // [] when valid
 */
export async function checkAgainstSpec(template: Template, spec?: SpecDatabase): Promise<Violation[]> {
  const checker = new Checker(spec ?? (await loadSpec()), template);
  checker.checkTemplate();
  return checker.violations;
}
