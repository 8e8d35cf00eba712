/**
 * One writer per effect: decision tags reach ECR only through lib/gate/apply.ts (applyPlan / applyTagChanges),
 * so every tag write follows the same rules (puts first, removal by tag, never the last tag). This reads the
 * sources: a new direct call to the registry's tag methods anywhere else in lib/ or handlers/ fails here.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..', '..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

describe('the single tag writer', () => {
  it('only lib/gate/apply.ts calls putTag / removeTags (besides the registry adapters that implement them)', () => {
    const callers = [...sources(join(ROOT, 'lib')), ...sources(join(ROOT, 'handlers'))]
      .filter((file) => /\.(putTag|removeTags)\(/.test(readFileSync(file, 'utf8')))
      .map((file) => relative(ROOT, file))
      .filter((file) => !file.startsWith('lib/registry/'))
      .sort();

    expect(callers).toEqual(['lib/gate/apply.ts']);
  });
});
