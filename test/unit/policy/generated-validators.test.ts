/**
 * Each file format has one definition, its JSON Schema: the committed validators (lib/policy/generated,
 * lib/hygiene/generated) must be exactly what scripts/generate-validators.mjs makes of the schemas today, and
 * must judge every document as ajv does when it compiles the same schema at run time (the generated modules
 * replace ajv's runtime helpers by local ones, which this checks too).
 */
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { validateBaseline } from '../../../lib/hygiene/generated/baseline-validator.js';
import {
  validateExceptions,
  validatePolicy,
  validatePolicyTest,
} from '../../../lib/policy/generated/policy-validators.js';
// @ts-expect-error: a plain ES module script without declarations
import { AJV_OPTIONS, declarations, generate, TARGETS } from '../../../scripts/generate-validators.mjs';

interface Target {
  readonly out: string;
  readonly draft: string;
  readonly schemas: Readonly<Record<string, string>>;
}

const ROOT = new URL('../../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, ROOT), 'utf8');
const schema = (path: string) => JSON.parse(read(path)) as Record<string, unknown>;

describe('the committed validators are generated from the schemas', () => {
  it.each((TARGETS as Target[]).map((t) => [t.out, t]))('%s', async (_out, target) => {
    const expected = (await generate(target)) as string;
    expect(
      read(target.out) === expected,
      'the validator and the schema disagree: run node scripts/generate-validators.mjs',
    ).toBe(true);
    expect(
      read(target.out.replace(/\.js$/, '.d.ts')) === declarations(target),
      'the validator and the schema disagree: run node scripts/generate-validators.mjs',
    ).toBe(true);
  });

  it('the generated modules import nothing (no ajv at run time)', () => {
    for (const target of TARGETS as Target[]) {
      const code = read(target.out);
      expect(code).not.toMatch(/\brequire\(|^\s*import\s/m);
    }
  });
});

type Validator = ((value: unknown) => boolean) & { errors?: readonly unknown[] | null };

const runtime2020 = new Ajv2020({ ...AJV_OPTIONS });
const runtime07 = new Ajv({ ...AJV_OPTIONS });
const CASES: [string, Validator, Validator, unknown][] = [
  [
    'Policy',
    validatePolicy,
    runtime2020.compile(schema('policies/schema/policy.schema.json')),
    parse(read('policies/default.yaml')),
  ],
  [
    'Exceptions',
    validateExceptions,
    runtime2020.compile(schema('policies/schema/exceptions.schema.json')),
    parse(read('policies/exceptions/platform.yaml')),
  ],
  [
    'PolicyTest',
    validatePolicyTest,
    runtime2020.compile(schema('policies/schema/policy-test.schema.json')),
    parse(read('policies/tests/deadlines.yaml')),
  ],
  [
    'HygieneBaseline',
    validateBaseline,
    runtime07.compile(schema('policies/schema/hygiene.schema.json')),
    parse(read('policies/hygiene.yaml')),
  ],
];

const outcome = (validate: Validator, doc: unknown) => {
  const valid = validate(doc);
  const errors = (validate.errors ?? []) as { instancePath: string; keyword: string; params: unknown }[];
  return { valid, errors: errors.map((e) => [e.instancePath, e.keyword, e.params]) };
};

/** A document with one value somewhere in it replaced (or a key added): most are invalid in some way. */
function mutated(base: unknown): fc.Arbitrary<unknown> {
  const paths: (string | number)[][] = [];
  const walk = (value: unknown, path: (string | number)[]) => {
    paths.push(path);
    if (Array.isArray(value)) for (const [i, v] of value.entries()) walk(v, [...path, i]);
    else if (typeof value === 'object' && value !== null)
      for (const [k, v] of Object.entries(value)) walk(v, [...path, k]);
  };
  walk(base, []);
  const replacement = fc.oneof(
    fc.jsonValue({ maxDepth: 2 }),
    fc.string({ unit: 'grapheme', maxLength: 300 }),
    fc.array(fc.constantFrom('a', 'a', 'b', '😀'), { maxLength: 7 }),
    fc.integer({ min: -5, max: 5000 }),
    // Characters outside the BMP: lengths count code points, not UTF-16 units.
    fc.integer({ min: 1, max: 2100 }).map((n) => '😀'.repeat(n)),
  );
  return fc
    .tuple(fc.constantFrom(...paths), replacement, fc.option(fc.string({ maxLength: 8 })))
    .map(([path, value, extraKey]) => {
      const doc = structuredClone(base) as Record<string | number, unknown>;
      let parent: Record<string | number, unknown> | null = null;
      let target: unknown = doc;
      for (const key of path) {
        parent = target as Record<string | number, unknown>;
        target = parent[key];
      }
      if (extraKey !== null && typeof target === 'object' && target !== null && !Array.isArray(target))
        (target as Record<string, unknown>)[extraKey] = value;
      else if (parent === null) return value;
      else parent[path[path.length - 1] as string | number] = value;
      return doc;
    });
}

describe('generated and runtime-compiled validators judge alike', () => {
  it.each(CASES)('%s', (_kind, generated, compiled, base) => {
    expect(generated(base), 'the shipped document is valid').toBe(true);
    fc.assert(
      fc.property(mutated(base), (doc) => {
        expect(outcome(generated, doc)).toEqual(outcome(compiled, doc));
      }),
      { numRuns: Number(process.env.INVARIANT_RUNS ?? 300) },
    );
  });
});
