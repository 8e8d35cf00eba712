import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

describe('the Lambda runtime path', () => {
  it('bundles lib/policy/runtime.ts without yaml, ajv or the scanner parsers', async () => {
    const result = await build({
      entryPoints: ['lib/policy/runtime.ts'],
      bundle: true,
      write: false,
      metafile: true,
      platform: 'node',
      format: 'esm',
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.filter((i) => /node_modules\/(yaml|ajv)\//.test(i))).toEqual([]);
    expect(inputs).not.toContain('lib/policy/load.ts');
    expect(inputs).not.toContain('lib/findings/index.ts');
    expect(inputs).toContain('lib/policy/evaluate.ts');
  });
});
