/**
 * A CloudFormation template as JSON, and the few intrinsic-function helpers the checks need. Nothing here
 * evaluates a template; it only recognises the shapes the Serverless Framework and our serverless.yml emit.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface Resource {
  readonly Type: string;
  readonly Properties?: JsonObject;
  readonly DependsOn?: string | string[];
  readonly Condition?: string;
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
  readonly Metadata?: JsonObject;
  readonly [attribute: string]: Json | undefined;
}

export interface Template {
  readonly AWSTemplateFormatVersion?: string;
  readonly Description?: string;
  readonly Parameters?: JsonObject;
  readonly Conditions?: JsonObject;
  readonly Resources: Record<string, Resource>;
  readonly Outputs?: JsonObject;
  readonly [section: string]: Json | undefined | Record<string, Resource>;
}

/** One problem found in a template: which check, where, and what. */
export interface Violation {
  readonly rule: string;
  /** Logical id of the resource, or null for template-level problems. */
  readonly resource: string | null;
  /** Dotted path inside the resource (e.g. `Properties.Targets.0.RetryPolicy`). */
  readonly path: string;
  readonly message: string;
}

export const PSEUDO_PARAMETERS = new Set([
  'AWS::AccountId',
  'AWS::NotificationARNs',
  'AWS::NoValue',
  'AWS::Partition',
  'AWS::Region',
  'AWS::StackId',
  'AWS::StackName',
  'AWS::URLSuffix',
]);

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `{ Ref: … }` or `{ "Fn::…": … }` (exactly one key). */
export function intrinsicName(value: unknown): string | null {
  if (!isObject(value)) return null;
  const keys = Object.keys(value);
  if (keys.length !== 1) return null;
  const [key] = keys as [string];
  return key === 'Ref' || key.startsWith('Fn::') || key === 'Condition' ? key : null;
}

/** True for `{ Ref: 'AWS::NoValue' }`, which removes the property it stands in. */
export function isNoValue(value: unknown): boolean {
  return isObject(value) && value.Ref === 'AWS::NoValue' && Object.keys(value).length === 1;
}

/** The logical id a `Ref`/`Fn::GetAtt` points at, or null. */
export function referencedId(value: unknown): string | null {
  if (!isObject(value)) return null;
  if (typeof value.Ref === 'string') return value.Ref;
  const getAtt = value['Fn::GetAtt'];
  if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') return getAtt[0];
  if (typeof getAtt === 'string') return getAtt.split('.')[0] ?? null;
  return null;
}

/** `[logicalId, attribute]` of a `Fn::GetAtt`, or null. */
export function getAttParts(value: unknown): [string, string] | null {
  if (!isObject(value)) return null;
  const getAtt = value['Fn::GetAtt'];
  if (Array.isArray(getAtt) && typeof getAtt[0] === 'string' && typeof getAtt[1] === 'string') {
    return [getAtt[0], getAtt[1]];
  }
  if (typeof getAtt === 'string' && getAtt.includes('.')) {
    const dot = getAtt.indexOf('.');
    return [getAtt.slice(0, dot), getAtt.slice(dot + 1)];
  }
  return null;
}

/**
 * Renders a string-valued expression with pseudo parameters as placeholders (`${AWS::Region}` stays as is),
 * resource references as `${Ref:Id}` / `${GetAtt:Id.Attr}`. Returns null when the value is not string-like.
 * Used to inspect ARNs, e.g. whether an account or Region segment is a wildcard.
 */
export function renderString(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (!isObject(value)) return null;
  if (typeof value.Ref === 'string') {
    return PSEUDO_PARAMETERS.has(value.Ref) ? `\${${value.Ref}}` : `\${Ref:${value.Ref}}`;
  }
  const getAtt = getAttParts(value);
  if (getAtt) return `\${GetAtt:${getAtt[0]}.${getAtt[1]}}`;
  const sub = value['Fn::Sub'];
  if (typeof sub === 'string') return sub;
  if (Array.isArray(sub) && typeof sub[0] === 'string') {
    const vars = isObject(sub[1]) ? sub[1] : {};
    return sub[0].replace(/\$\{([^}!]+)\}/g, (whole, name: string) => {
      const bound = vars[name];
      if (bound === undefined) return whole;
      return renderString(bound) ?? whole;
    });
  }
  const join = value['Fn::Join'];
  if (Array.isArray(join) && typeof join[0] === 'string' && Array.isArray(join[1])) {
    const parts = join[1].map(renderString);
    return parts.every((p) => p !== null) ? parts.join(join[0]) : null;
  }
  return null;
}

/** A value or list of values, as a list (`Action: 's3:Get'` and `Action: ['s3:Get']` read alike). */
export function asList(value: Json | undefined): Json[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** Resources of one type, as `[logicalId, resource]` pairs in template order. */
export function resourcesOfType(template: Template, type: string): [string, Resource][] {
  return Object.entries(template.Resources).filter(([, r]) => r.Type === type);
}

/** Deep copy for planting violations in tests. */
export function cloneTemplate(template: Template): Template {
  return structuredClone(template);
}
