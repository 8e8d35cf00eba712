/**
 * scripts/build: one reproducible zip per function with the bundle, its ESM marker and the validated policy
 * set; an invalid policy set or a statically imported left-out package fails the build.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { policySetFromJson } from '../../lib/policy/index.ts';
import {
  buildFunctions,
  bundleHandler,
  FORBIDDEN_IN_BUNDLE,
  FUNCTIONS,
} from '../../scripts/build-functions.ts';
import { createZip } from '../../scripts/build-zip.ts';
import { BUILD_NOW, ensurePackaged, ROOT } from './support/packaged.ts';
import { readZip } from './support/zip-reader.ts';

const run = promisify(execFile);
const scratch = mkdtempSync(join(tmpdir(), 'gatekeeper-build-'));

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('createZip', () => {
  it('writes the same bytes for the same entries in any order', () => {
    const a = createZip([
      { name: 'b/index.js', data: 'export const handler = 1;' },
      { name: 'a.json', data: '{}' },
    ]);
    const b = createZip([
      { name: 'a.json', data: Buffer.from('{}') },
      { name: 'b/index.js', data: 'export const handler = 1;' },
    ]);
    expect(a.equals(b)).toBe(true);
  });

  it('sorts entries, fixes timestamps and modes, and round-trips the data', () => {
    const big = 'x'.repeat(10_000);
    const entries = readZip(
      createZip([
        { name: 'z.txt', data: big },
        { name: 'a.txt', data: 'tiny' },
      ]),
    );
    expect(entries.map((e) => e.name)).toEqual(['a.txt', 'z.txt']);
    expect(entries.map((e) => e.method)).toEqual([0, 8]); // tiny stored, large deflated
    expect(entries[1]?.data.toString()).toBe(big);
    for (const entry of entries) {
      expect([entry.dosDate, entry.dosTime, entry.unixMode]).toEqual([33, 0, 0o100644]);
    }
  });

  it.each([['/abs.js'], ['../up.js'], ['a/../b.js'], ['a\\b.js'], [''], ['dir/']])(
    'refuses the unsafe name %j',
    (name) => {
      expect(() => createZip([{ name, data: 'x' }])).toThrow(/safe relative path/);
    },
  );

  it('refuses duplicate names', () => {
    expect(() =>
      createZip([
        { name: 'a', data: '1' },
        { name: 'a', data: '2' },
      ]),
    ).toThrow(/duplicate/);
  });
});

describe('the build', () => {
  beforeAll(async () => {
    await ensurePackaged();
  }, 180_000);

  it.each(FUNCTIONS.map((name) => [name]))(
    'packages %s with its bundle, ESM marker and policy set',
    (name) => {
      // Act
      const entries = readZip(readFileSync(join(ROOT, '.build', 'zips', `${name}.zip`)));

      // Assess
      const files = ['index.js', 'package.json', 'policy-set.json'];
      if (name === 'hygiene-sweep') files.unshift('hygiene-baseline.json');
      expect(entries.map((e) => e.name)).toEqual(files.map((file) => `.build/${name}/${file}`));
      const byName = new Map(entries.map((e) => [e.name.split('/').pop(), e.data.toString('utf8')]));
      expect(JSON.parse(byName.get('package.json') ?? '')).toEqual({ type: 'module' });
      const policySet = JSON.parse(byName.get('policy-set.json') ?? '');
      expect(() => policySetFromJson(policySet, 'policy-set.json')).not.toThrow();
      expect(byName.get('index.js')).toContain('export{');
      expect(byName.get('index.js')).toBe(readFileSync(join(ROOT, '.build', name, 'index.js'), 'utf8'));
      if (name === 'hygiene-sweep') {
        expect(JSON.parse(byName.get('hygiene-baseline.json') ?? '')).toHaveProperty(
          'kind',
          'HygieneBaseline',
        );
      }
    },
  );

  it('bundles no YAML or JSON Schema library into the gate functions (they read policy-set.json)', () => {
    for (const name of FUNCTIONS.filter((fn) => fn !== 'hygiene-sweep')) {
      const code = readFileSync(join(ROOT, '.build', name, 'index.js'), 'utf8');
      // Distinctive strings of the two libraries' sources.
      expect(code, name).not.toContain('YAMLParseError');
      expect(code, name).not.toContain('strictSchema');
    }
    expect(FORBIDDEN_IN_BUNDLE).toEqual(['yaml', 'ajv']);
  });

  it('is reproducible: a second build gives the same zip bytes', async () => {
    // Act
    const again = await buildFunctions({
      root: ROOT,
      outDir: join(scratch, 'again'),
      now: new Date(BUILD_NOW),
    });

    // Assess
    for (const artifact of again) {
      const first = readFileSync(join(ROOT, '.build', 'zips', `${artifact.name}.zip`));
      expect(readFileSync(artifact.zipPath).equals(first), artifact.name).toBe(true);
    }
  }, 120_000);

  it('fails on an invalid policy set, naming the file, and writes nothing', async () => {
    // Prepare: a copy of policies/ with one broken file.
    const policies = join(scratch, 'policies');
    cpSync(join(ROOT, 'policies'), policies, { recursive: true });
    writeFileSync(join(policies, 'broken.yaml'), 'apiVersion: gatekeeper/v0\nkind: Policy\nname: broken\n');
    const outDir = join(scratch, 'invalid');

    // Act + Assess
    await expect(
      buildFunctions({ root: ROOT, policiesDir: policies, outDir, now: new Date(BUILD_NOW) }),
    ).rejects.toThrow(/broken\.yaml/);
    expect(() => readFileSync(join(outDir, 'zips', 'image-pushed.zip'))).toThrow();
  }, 60_000);

  it('fails on an invalid hygiene baseline, naming the file', async () => {
    const policies = join(scratch, 'policies-hygiene');
    cpSync(join(ROOT, 'policies'), policies, { recursive: true });
    writeFileSync(
      join(policies, 'hygiene.yaml'),
      'apiVersion: gatekeeper/v1\nkind: HygieneBaseline\ndefaults: 7\n',
    );

    await expect(
      buildFunctions({
        root: ROOT,
        policiesDir: policies,
        outDir: join(scratch, 'invalid-hygiene'),
        now: new Date(BUILD_NOW),
      }),
    ).rejects.toThrow(/invalid hygiene baseline .*hygiene\.yaml/);
  }, 60_000);

  it('exits 1 with the reason when run as `npm run build` on an invalid handler set', async () => {
    // A scratch root without handlers: the CLI reports the missing handler instead of a stack trace.
    const root = join(scratch, 'no-handlers');
    mkdirSync(join(root, 'scripts'), { recursive: true });
    for (const file of ['build.mjs', 'build-functions.ts', 'build-zip.ts']) {
      cpSync(join(ROOT, 'scripts', file), join(root, 'scripts', file));
    }
    cpSync(join(ROOT, 'lib'), join(root, 'lib'), { recursive: true });
    cpSync(join(ROOT, 'policies'), join(root, 'policies'), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules'), join(root, 'node_modules'));
    cpSync(join(ROOT, 'package.json'), join(root, 'package.json'));

    const result = await run('node', [join(root, 'scripts', 'build.mjs')], { cwd: root }).catch((e) => e);

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/build failed: handler not found: handlers\/image-pushed\.ts/);
  }, 60_000);

  it('refuses a handler that statically imports a package left out of the bundle', async () => {
    const root = join(scratch, 'static-external');
    mkdirSync(join(root, 'handlers'), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules'), join(root, 'node_modules'));
    writeFileSync(
      join(root, 'handlers', 'image-pushed.ts'),
      "import { fromIni } from '@aws-sdk/credential-provider-ini';\nexport const handler = async () => typeof fromIni;\n",
    );

    await expect(bundleHandler(root, 'image-pushed')).rejects.toThrow(
      /credential-provider-ini.*imported statically/,
    );
  }, 60_000);
});
