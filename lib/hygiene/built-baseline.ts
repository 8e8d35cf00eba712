/**
 * The baseline check of the sweep's Lambda bundle: the build validated policies/hygiene.yaml against its schema
 * and wrote it as hygiene-baseline.json (`JSON.stringify` + newline); the bundle accepts only that document, by
 * the sha256 the build recorded, instead of carrying the schema validator (lib/hygiene/baseline-schema.ts, which
 * the build replaces by this check). The semantic checks of baseline.ts still run on it.
 */
import { createHash } from 'node:crypto';
import type { HygieneProblem } from './errors.ts';

/** `sha256:<hex>` of the baseline as the build writes it. */
export function baselineJsonSha256(text: string): string {
  return `sha256:${createHash('sha256').update(text, 'utf8').digest('hex')}`;
}

/**
 * [] when `json` is the document the build validated, else the one problem saying it is not.
 * @example builtBaselineProblems(JSON.parse(text), 'hygiene-baseline.json', 'sha256:…')
 */
export function builtBaselineProblems(
  json: unknown,
  file: string,
  recordedSha256: string | undefined,
): HygieneProblem[] {
  if (recordedSha256 === undefined)
    return [
      { file, path: '', message: 'this bundle was built without a hygiene baseline: run npm run build' },
    ];
  // JSON.stringify of a parsed JSON.stringify output gives back the same text.
  const actual = baselineJsonSha256(`${JSON.stringify(json)}\n`);
  if (actual === recordedSha256) return [];
  return [
    {
      file,
      path: '',
      message: `does not match the baseline the build validated (sha256 ${actual}, built ${recordedSha256}): use the hygiene-baseline.json the build wrote, or rebuild`,
    },
  ];
}
