/**
 * The function bundles hash with node:crypto only: @smithy/core's pure-JavaScript SHA-256, Sha256Node's fallback
 * for a runtime without a native sha256, is replaced by a class that says so (the bundles that sign requests
 * against the local endpoints in test/deploy/bundle-budget.test.ts prove the native path works).
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { bundleHandlerWithMetafile } from '../../scripts/build-functions.ts';
import { ROOT } from './support/packaged.ts';

describe('SHA-256 in the function bundles', () => {
  it('is native on this runtime, so the fallback is never chosen', () => {
    expect(createHash('sha256').update('').digest('hex')).toMatch(/^e3b0c442/);
  });

  it('leaves the JavaScript implementation out of the bundle', async () => {
    const { code, metafile } = await bundleHandlerWithMetafile(ROOT, 'image-pushed');
    const contributing = Object.values(metafile.outputs).flatMap((output) =>
      Object.entries(output.inputs)
        .filter(([, input]) => input.bytesInOutput > 0)
        .map(([path]) => path),
    );
    expect(contributing.filter((path) => /Sha256Js\.js$/.test(path))).toEqual([]);
    expect(code).toContain('the JavaScript SHA-256 is not bundled');
  }, 60_000);
});
