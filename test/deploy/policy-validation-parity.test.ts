/**
 * `npm run build` refuses exactly what `gatekeeper policy validate` refuses: both call validatePolicyDir at the
 * same time, so an expired exception, a schema error or a broken test case stops both, and a set with only
 * warnings (an exception about to expire) passes both.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compilePolicySet } from '../../scripts/build-functions.ts';
import { run } from '../cli/support.ts';
import { BUILD_NOW, ROOT } from './support/packaged.ts';

const scratch = mkdtempSync(join(tmpdir(), 'gatekeeper-parity-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A copy of the shipped set with one edit applied to one file. */
function variant(name: string, file: string, edit: (text: string) => string): string {
  const dir = join(scratch, name, 'policies');
  cpSync(join(ROOT, 'policies'), dir, { recursive: true });
  writeFileSync(join(dir, file), edit(readFileSync(join(dir, file), 'utf8')));
  return dir;
}

describe('build and policy validate agree', () => {
  it.each([
    ['the shipped set', BUILD_NOW, (dir: string) => dir, 'valid'],
    ['an exception expiring in a week (a warning)', '2027-03-24T00:00:00Z', (dir: string) => dir, 'valid'],
    ['an expired exception', '2027-04-01T00:00:00Z', (dir: string) => dir, 'invalid'],
    [
      'a schema error',
      BUILD_NOW,
      () => variant('schema', 'default.yaml', (t) => t.replace('CRITICAL: 0', 'CRITICAL: -1')),
      'invalid',
    ],
    [
      'a broken test case',
      BUILD_NOW,
      () =>
        variant('case', 'tests/default.yaml', (t) =>
          t.replace('expect: { verdict: approved', 'expect: { verdict: maybe'),
        ),
      'invalid',
    ],
  ])('%s', async (_name, now, prepare, expected) => {
    const dir = prepare(join(ROOT, 'policies'));

    const validate = await run(['policy', 'validate', dir, '--now', now]);
    const build = await compilePolicySet(ROOT, dir, new Date(now)).then(
      () => 'valid',
      (error: Error) => error.message,
    );

    expect(validate.code).toBe(expected === 'valid' ? 0 : 2);
    if (expected === 'valid') {
      expect(build).toBe('valid');
    } else {
      // The build names the same first error line policy validate prints.
      const firstError = validate.stderr.split('\n').find((l) => l.startsWith('error: ')) as string;
      expect(build).toContain(
        firstError
          .replace(/^error: /, '')
          .replace(dir, '')
          .replace(/^\//, ''),
      );
    }
  });
});
