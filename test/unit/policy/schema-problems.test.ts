/**
 * lib/policy/schema-problems.ts words what the generated validators find: dotted path, allowed values, the
 * offending value, the keys allowed beside an unknown one, one sentence for a value that fits none of a oneOf's
 * forms. Table cases against the real policy schema and its generated validator.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { validatePolicy } from '../../../lib/policy/generated/policy-validators.js';
import { pointerToPath, schemaProblems } from '../../../lib/policy/schema-problems.ts';
import schema from '../../../policies/schema/policy.schema.json' with { type: 'json' };

// biome-ignore lint/suspicious/noExplicitAny: documents are edited freely to build negative cases.
type Doc = any;
const BASE = parse(readFileSync(new URL('../../../policies/default.yaml', import.meta.url), 'utf8')) as Doc;

function problemsOf(edit: (d: Doc) => void): string[] {
  const doc = structuredClone(BASE);
  edit(doc);
  expect(validatePolicy(doc)).toBe(false);
  return schemaProblems(validatePolicy.errors ?? [], doc, schema).map((p) => `${p.path}: ${p.message}`);
}

describe('schemaProblems', () => {
  it.each<[string, (d: Doc) => void, string]>([
    ['enum, with the value', (d) => (d.mode = 'warn'), 'mode: must be one of enforce, audit, not "warn"'],
    [
      'unknown key, with the keys allowed there',
      (d) => (d.rules.maxCritical = 1),
      'rules.maxCritical: unknown key (expected one of fixableOnly, maxSeverity, score, exploitAvailable, epss, deniedPackages, image, knownExploited)',
    ],
    ['required key', (d) => delete d.name, 'name: is required'],
    ['type, in words', (d) => (d.priority = 'high'), 'priority: must be a whole number, not "high"'],
    ['range', (d) => (d.rules = { score: { atLeast: 11 } }), 'rules.score.atLeast: must be <= 10'],
    [
      'a value fitting none of the forms of a oneOf',
      (d) => (d.rules = { knownExploited: 'warn' }),
      'rules.knownExploited: must be deny or a mapping, not "warn"',
    ],
    [
      'a mapping of the right form, wrong inside: the inner problem only',
      (d) => (d.rules = { knownExploited: { deadline: 'soon' } }),
      'rules.knownExploited.deadline: must be dateDue, not "soon"',
    ],
  ])('%s', (_name, edit, expected) => {
    expect(problemsOf(edit)).toEqual([expected]);
  });

  it('turns any JSON Pointer into the dotted path the problems use', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.nat({ max: 99 }), fc.stringMatching(/^[A-Za-z_~/][\w~/]{0,8}$/))),
        (parts) => {
          const pointer = parts
            .map((p) => `/${String(p).replaceAll('~', '~0').replaceAll('/', '~1')}`)
            .join('');
          const expected = parts.reduce<string>(
            (path, p) => (typeof p === 'number' ? `${path}[${p}]` : path ? `${path}.${p}` : p),
            '',
          );
          expect(pointerToPath(pointer)).toBe(expected);
        },
      ),
    );
  });
});
