/**
 * The hygiene baseline's schema check: the validator generated from policies/schema/hygiene.schema.json
 * (lib/hygiene/generated, by scripts/generate-validators.mjs), its errors worded with file and path. The sweep's
 * Lambda bundle replaces this module (scripts/build-functions.ts, `builtBaselineSchema`) by
 * lib/hygiene/built-baseline.ts: the build ran this check on the exact hygiene-baseline.json it ships, so the
 * bundle verifies that document's sha256 instead of carrying the validator.
 */
import schema from '../../policies/schema/hygiene.schema.json' with { type: 'json' };
import { type SchemaWording, schemaProblems } from '../policy/schema-problems.ts';
import type { HygieneProblem } from './errors.ts';
import { validateBaseline } from './generated/baseline-validator.js';

const WORDING: SchemaWording = {
  patterns: {
    '^[a-z0-9._/*-]+$':
      'a repository name glob (lower-case letters, digits, ".", "_", "-", "/" and "*" for any characters)',
    '^[A-Za-z0-9_.*-]+$': 'a tag filter (letters, digits, "_", ".", "-" and "*" for any characters)',
  },
  at: {
    '#/then/required': { message: 'is required with optOut: say why these repositories differ' },
  },
};

/**
 * Every way `json` breaks the published baseline schema; [] when it follows it.
 * @example baselineSchemaProblems(JSON.parse(text), 'policies/hygiene.yaml')
 */
export function baselineSchemaProblems(json: unknown, file: string): HygieneProblem[] {
  if (validateBaseline(json)) return [];
  return schemaProblems(validateBaseline.errors ?? [], json, schema, WORDING).map((p) => ({ file, ...p }));
}
