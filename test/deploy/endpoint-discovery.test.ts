/**
 * DynamoDB endpoint discovery in the function bundles: the client builds a discovery cache at construction, but
 * no command of the bundled client adds discovery's middleware, so the bundle carries a cache stub instead of an
 * LRU (test/deploy/bundle-budget.test.ts runs the built bundles against DynamoDB).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { bundleHandlerWithMetafile, ENDPOINT_DISCOVERY_MIDDLEWARE } from '../../scripts/build-functions.ts';
import { ROOT } from './support/packaged.ts';

const require = createRequire(import.meta.url);

describe('DynamoDB endpoint discovery', () => {
  it('is attached by no command of the DynamoDB client', () => {
    const builder = readFileSync(
      require.resolve('@aws-sdk/client-dynamodb/dist-es/commandBuilder.js'),
      'utf8',
    );
    const middlewareLists = [...builder.matchAll(/export const (_mw\d+) = (.*);/g)];
    expect(middlewareLists.length).toBeGreaterThan(0);
    for (const [, name, list] of middlewareLists) expect(list, name).toBe('(Command, cs, config, o) => []');
  });

  it('leaves the gate bundle with the cache stub, not the LRU or the middleware', async () => {
    const { code, metafile } = await bundleHandlerWithMetafile(ROOT, 'image-pushed');
    const contributing = Object.values(metafile.outputs).flatMap((output) =>
      Object.entries(output.inputs)
        .filter(([, input]) => input.bytesInOutput > 0)
        .map(([path]) => path),
    );
    expect(
      contributing.filter((path) => /mnemonist|obliterator|endpoint-cache[\\/]dist-es/.test(path)),
    ).toEqual([]);
    expect(contributing.filter((path) => ENDPOINT_DISCOVERY_MIDDLEWARE.test(path))).toEqual([]);
    expect(code).toContain('DynamoDB endpoint discovery is not bundled');
  }, 60_000);
});
