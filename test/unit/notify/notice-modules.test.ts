/**
 * How the notice formats are laid out (docs/development.md "Architecture"): one module per notice kind under
 * lib/notify/notices/, none of them a grab-bag of kinds, and each shared type defined once in lib/.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..', '..');

function tsFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? tsFiles(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  );
}

describe('notice modules', () => {
  it('every file of lib/notify stays under 500 lines', () => {
    const long = tsFiles('lib/notify')
      .map((file) => [file, readFileSync(join(ROOT, file), 'utf8').split('\n').length] as const)
      .filter(([, lines]) => lines > 500);
    expect(long).toEqual([]);
  });

  it('the hygiene sweep summary type is declared once in lib/, where lib/hygiene can import it', () => {
    const declaring = tsFiles('lib').filter((file) =>
      /^(export )?(interface HygieneSweepSummary\b|type HygieneSweepSummary\s*=)/m.test(
        readFileSync(join(ROOT, file), 'utf8'),
      ),
    );
    expect(declaring).toEqual([join('lib', 'notify', 'notices', 'hygiene-summary.ts')]);
  });
});
