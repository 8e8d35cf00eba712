/**
 * The CI examples in README.md, docs/cli.md and docs/github-action.md are valid YAML, use only the Action's declared
 * inputs and outputs, and install the package by its published name.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ROOT } from './support.ts';

const DOCS = ['README.md', 'docs/cli.md', 'docs/github-action.md'];
const action = parse(readFileSync(join(ROOT, 'action.yml'), 'utf8'));
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

function yamlBlocks(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  return [...text.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] as string);
}

/** Every step object in a parsed document, wherever it sits (a workflow, a job, a bare list of steps). */
function steps(doc: unknown): Record<string, unknown>[] {
  if (Array.isArray(doc)) return doc.flatMap(steps);
  if (doc === null || typeof doc !== 'object') return [];
  const record = doc as Record<string, unknown>;
  return [...('uses' in record || 'run' in record ? [record] : []), ...Object.values(record).flatMap(steps)];
}

describe('CI examples in the docs', () => {
  it.each(DOCS)('%s: every YAML example parses and uses the Action as action.yml declares it', (file) => {
    const blocks = yamlBlocks(file);
    expect(blocks.length).toBeGreaterThan(0);
    for (const block of blocks) {
      const doc = parse(block);
      for (const step of steps(doc)) {
        if (typeof step.uses === 'string' && step.uses.includes('/ecr-scan-gatekeeper@')) {
          for (const input of Object.keys((step.with as object) ?? {}))
            expect(Object.keys(action.inputs), `${file}: input ${input}`).toContain(input);
        }
      }
      for (const m of block.matchAll(/steps\.gate\.outputs\.([\w-]+)/g))
        expect(Object.keys(action.outputs), `${file}: output ${m[1]}`).toContain(m[1]);
    }
  });

  it('install lines name the published package, whose bin is gatekeeper', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    expect(readme).toContain(`npx ${pkg.name} evaluate`);
    expect(readme).toContain(`npm i -D ${pkg.name}`);
    expect(Object.keys(pkg.bin)).toEqual(['gatekeeper']);
    // Outside this repository `npx gatekeeper` would fetch an unrelated package: the docs never tell users to.
    for (const file of DOCS) {
      for (const line of readFileSync(join(ROOT, file), 'utf8').split('\n')) {
        if (/npx (?:--yes )?gatekeeper\b/.test(line))
          expect(line, `${file}: ${line}`).toMatch(
            /policy (?:validate|test) policies|in that project|npm i -D/,
          );
      }
    }
  });
});
