/**
 * lib/hygiene/schema-check.ts must judge baselines exactly as ajv does with the published schema (it replaces ajv
 * in the sweep's bundle): every case is checked by both, and the errors (path, keyword, message) must agree.
 */
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { compileSchemaCheck } from '../../../lib/hygiene/schema-check.ts';
import schema from '../../../policies/schema/hygiene.schema.json' with { type: 'json' };

// biome-ignore lint/suspicious/noExplicitAny: JSON documents are edited freely to build negative cases.
type Doc = any;

const SHIPPED = parse(
  readFileSync(new URL('../../../policies/hygiene.yaml', import.meta.url), 'utf8'),
) as Doc;
const validateWithAjv = new Ajv({ allErrors: true, strict: false }).compile(schema);
const check = compileSchemaCheck(schema);

function normalise(errors: readonly { instancePath: string; keyword: string; message?: string }[]) {
  return errors.map((e) => `${e.instancePath} ${e.keyword}: ${e.message ?? ''}`).sort();
}

function bothOn(doc: unknown): { ajv: string[]; ours: string[] } {
  validateWithAjv(doc);
  return { ajv: normalise(validateWithAjv.errors ?? []), ours: normalise(check(doc)) };
}

const rule = (selection: Doc, extra: Doc = {}) => ({
  rulePriority: 1,
  selection: {
    tagStatus: 'tagged',
    tagPrefixList: ['p'],
    countType: 'imageCountMoreThan',
    countNumber: 3,
    ...selection,
  },
  action: { type: 'expire' },
  ...extra,
});

const cases: [string, (d: Doc) => void][] = [
  ['the shipped baseline', () => {}],
  ['not an object', (d) => Object.assign(d, { __replace: 'text' })],
  ['wrong apiVersion (const)', (d) => (d.apiVersion = 'gatekeeper/v2')],
  ['missing defaults (required)', (d) => delete d.defaults],
  ['unknown top-level property', (d) => (d.extra = 1)],
  ['metadata name too long', (d) => (d.metadata = { name: 'x'.repeat(129) })],
  ['metadata name empty', (d) => (d.metadata = { name: '' })],
  ['days below minimum', (d) => (d.defaults.lifecycle = { untagged: { expireAfterDays: 0 } })],
  ['days above maximum', (d) => (d.defaults.lifecycle = { untagged: { expireAfterDays: 36501 } })],
  ['days not an integer', (d) => (d.defaults.lifecycle = { untagged: { expireAfterDays: 1.5 } })],
  ['days a string', (d) => (d.defaults.lifecycle = { untagged: { expireAfterDays: '7' } })],
  ['oneOf: true instead of false', (d) => (d.defaults.lifecycle = { approved: true })],
  ['oneOf: object with unknown key', (d) => (d.defaults.lifecycle = { tagged: { keepLast: 3, x: 1 } })],
  ['oneOf: false is fine', (d) => (d.defaults.lifecycle = { approved: false, tagged: false })],
  ['enum', (d) => (d.defaults.lifecycle = { existingRules: 'overwrite' })],
  ['scanning without expect', (d) => (d.defaults.scanning = {})],
  ['too many rules', (d) => (d.defaults.lifecycle = { rules: Array.from({ length: 46 }, () => rule({})) })],
  [
    'rule with bad countUnit and type',
    (d) => (d.defaults.lifecycle = { rules: [rule({ countUnit: 'hours', countNumber: 'x' })] }),
  ],
  [
    'rule missing action',
    (d) => (d.defaults.lifecycle = { rules: [{ rulePriority: 1, selection: rule({}).selection }] }),
  ],
  ['rule with empty prefix list', (d) => (d.defaults.lifecycle = { rules: [rule({ tagPrefixList: [] })] })],
  [
    'exclusions duplicated',
    (d) => (d.defaults.tagMutability = { expect: 'IMMUTABLE_WITH_EXCLUSION', exclusions: ['a*', 'b', 'a*'] }),
  ],
  [
    'exclusions bad pattern, too many',
    (d) =>
      (d.defaults.tagMutability = {
        expect: 'MUTABLE_WITH_EXCLUSION',
        exclusions: ['a b', 'b', 'c', 'd', 'e', 'f'],
      }),
  ],
  ['repository entry without match', (d) => (d.repositories = [{ reason: 'r' }])],
  ['optOut without reason (if/then)', (d) => (d.repositories = [{ match: ['a/*'], optOut: ['all'] }])],
  [
    'optOut unknown, duplicated',
    (d) => (d.repositories = [{ match: ['a/*'], reason: 'r', optOut: ['x', 'all', 'all'] }]),
  ],
  ['match glob with upper case and slash key', (d) => (d.repositories = [{ match: ['Team A/*'], 'a/b': 1 }])],
  ['repositories not an array', (d) => (d.repositories = { match: ['a'] })],
  ['inUse window', (d) => (d.defaults.inUse = { windowDays: 3651 })],
];

describe('compileSchemaCheck agrees with ajv on the hygiene schema', () => {
  it.each(cases)('%s', (_name, mutate) => {
    // Prepare
    let doc: Doc = structuredClone(SHIPPED);
    mutate(doc);
    if (doc.__replace !== undefined) doc = doc.__replace;

    // Act
    const { ajv, ours } = bothOn(doc);

    // Assess
    expect(ours).toEqual(ajv);
  });

  it('finds problems in the negative cases (the table is not vacuous)', () => {
    const failing = cases.filter(([, mutate]) => {
      let doc: Doc = structuredClone(SHIPPED);
      mutate(doc);
      if (doc.__replace !== undefined) doc = doc.__replace;
      return check(doc).length > 0;
    });
    expect(failing.length).toBe(cases.length - 2);
  });
});

describe('compileSchemaCheck refuses what it cannot honour', () => {
  it.each([
    [{ type: 'object', patternProperties: { x: {} } }, /"patternProperties" is not supported/],
    [{ anyOf: [{}] }, /"anyOf" is not supported/],
    [{ $ref: '#/definitions/missing' }, /cannot be resolved/],
  ])('%j', (bad, message) => {
    expect(() => compileSchemaCheck(bad)(1)).toThrow(message);
  });
});
