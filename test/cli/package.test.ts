/**
 * The package as people install it: `npm pack` the repository, install the tarball into an empty directory
 * (offline: the package has no runtime dependencies), and run every command of the installed `gatekeeper` bin
 * from there, with no configuration. Built and installed once for the file; the commands run in parallel.
 */
import { execFile } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCliBundles } from '../../scripts/build-cli.ts';
import { AWS, NOW, ROOT, run, SCANNERS } from './support.ts';

const scratch = mkdtempSync(join(tmpdir(), 'gk-package-'));
const app = join(scratch, 'app');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
let packed: { filename: string; files: { path: string }[] };

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function exec(file: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<Result> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      {
        cwd,
        // Only what a shell gives: no NODE_OPTIONS or loaders from the test runner, no GATEKEEPER_* settings.
        env: { PATH: process.env.PATH ?? '', HOME: scratch, NO_COLOR: '1', ...env },
        timeout: 120_000,
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }),
    );
  });
}

/** The installed bin, as npm linked it (node_modules/.bin/gatekeeper → the bundle). */
const gatekeeper = (...args: string[]) => exec(join(app, 'node_modules', '.bin', 'gatekeeper'), args, app);

beforeAll(async () => {
  // Prepare: the bundle (what `npm pack` builds through prepack), then the tarball, then an install of it.
  await buildCliBundles(ROOT, ['cli']);
  const pack = await exec(
    'npm',
    [
      'pack',
      '--ignore-scripts',
      '--json',
      '--pack-destination',
      scratch,
      '--cache',
      join(scratch, 'npm-cache'),
    ],
    ROOT,
  );
  expect(pack.code, pack.stderr).toBe(0);
  packed = JSON.parse(pack.stdout)[0];
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), '{ "name": "app", "version": "1.0.0", "private": true }\n');
  const install = await exec(
    'npm',
    [
      'install',
      '--offline',
      '--no-audit',
      '--no-fund',
      '--cache',
      join(scratch, 'npm-cache'),
      join(scratch, packed.filename),
    ],
    app,
  );
  expect(install.code, install.stderr).toBe(0);
  // The package runs no script when installed (its bundle is built at pack time): npm has nothing to warn about.
  expect(install.stderr).not.toContain('install-scripts');
  // Inputs a pipeline would have: a Trivy report, a lifecycle policy and images, an event and its findings.
  cpSync(join(ROOT, SCANNERS, 'trivy-image-debian12-ecr.json'), join(app, 'trivy.json'));
  cpSync(join(ROOT, AWS, 'ecr-lifecycle-policy-multiple-rules-example-a.json'), join(app, 'lifecycle.json'));
  cpSync(join(ROOT, AWS, 'ecr-describe-images-cluster-autoscaler.json'), join(app, 'images.json'));
  cpSync(join(ROOT, 'events', 'ecr-basic-scan-complete.json'), join(app, 'event.json'));
  cpSync(join(ROOT, AWS, 'ecr-describe-image-scan-findings-basic.json'), join(app, 'scan.json'));
}, 180_000);

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('the installed package', () => {
  it('holds only what runs: the bundle, the shipped policy set, the sample dump, LICENSE and README', () => {
    const files = packed.files.map((f) => f.path).sort();
    for (const file of files) {
      expect(file, file).toMatch(
        /^(?:package\.json|LICENSE|README\.md|dist\/cli\/gatekeeper\.mjs|examples\/hygiene-dump\.json|policies\/.+)$/,
      );
    }
    expect(files).toEqual(
      expect.arrayContaining([
        'dist/cli/gatekeeper.mjs',
        'policies/default.yaml',
        'policies/schema/policy.schema.json',
        'policies/hygiene.yaml',
        'examples/hygiene-dump.json',
      ]),
    );
    expect(pkg.private).toBeUndefined();
    expect(pkg.bin).toEqual({ gatekeeper: 'dist/cli/gatekeeper.mjs' });
    // No runtime dependencies: everything the command needs is in the bundle.
    expect(pkg.dependencies).toBeUndefined();
    expect(readdirSync(join(app, 'node_modules')).filter((n) => !n.startsWith('.'))).toEqual([pkg.name]);
    const bundle = readFileSync(join(app, 'node_modules', pkg.name, 'dist', 'cli', 'gatekeeper.mjs'), 'utf8');
    expect(bundle.startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(bundle).not.toMatch(/from\s*["'](?:tsx|typescript|yaml|ajv)["']/);
  });

  it('runs every command from an empty project, with the shipped policies and no configuration', async () => {
    const [version, help, evaluateHelp, evaluate, validate, test, lifecycle, hygiene, replay, typo] =
      await Promise.all([
        gatekeeper('--version'),
        gatekeeper('--help'),
        gatekeeper('evaluate', '--help'),
        gatekeeper(
          'evaluate',
          '--findings',
          'trivy.json',
          '--repository',
          'orders/api',
          '--output',
          'json',
          '--now',
          NOW,
        ),
        gatekeeper('policy', 'validate', '--now', NOW),
        gatekeeper('policy', 'test', '--now', NOW),
        gatekeeper(
          'lifecycle',
          'preview',
          '--policy',
          'lifecycle.json',
          '--images',
          'images.json',
          '--now',
          NOW,
        ),
        gatekeeper(
          'hygiene',
          'plan',
          '--repositories',
          `node_modules/${pkg.name}/examples/hygiene-dump.json`,
          '--now',
          NOW,
        ),
        gatekeeper('replay', 'event.json', '--findings', 'scan.json', '--dry-run', '--now', NOW),
        gatekeeper('evaluate', '--finding', 'trivy.json'),
      ]);

    expect(version).toEqual({ code: 0, stdout: `gatekeeper ${pkg.version}\n`, stderr: '' });
    expect([help.code, help.stdout]).toEqual([
      0,
      expect.stringContaining('gatekeeper evaluate --findings FILE'),
    ]);
    expect([evaluateHelp.code, evaluateHelp.stdout]).toEqual([0, expect.stringContaining('\nExamples:\n')]);

    // Evaluate: a real Trivy report, the shipped default policy.
    expect(evaluate.code, evaluate.stderr).toBe(1);
    const decision = JSON.parse(evaluate.stdout);
    expect(decision).toMatchObject({
      verdict: 'quarantined',
      image: { repository: 'orders/api', tags: ['1.4.2', 'latest'] },
      policy: { name: 'default', file: 'policies/default.yaml', mode: 'enforce' },
    });
    expect(decision.violations.length).toBeGreaterThan(0);

    // Policy commands on the shipped set (no ./policies here), named by where it is installed.
    expect([validate.code, validate.stdout]).toEqual([
      0,
      `node_modules/${pkg.name}/policies: 10 files valid\n`,
    ]);
    expect(test.code, test.stdout + test.stderr).toBe(0);
    expect(test.stdout).toMatch(/^\d+ passed, 0 failed \(policy version sha256:[0-9a-f]{64}\)$/m);
    expect(test.stdout).toContain(`PASS  node_modules/${pkg.name}/policies/tests/default.yaml: `);

    expect(lifecycle.code, lifecycle.stderr).toBe(0);
    expect(JSON.parse(lifecycle.stdout)).toHaveProperty('previewResults');
    expect([hygiene.code, hygiene.stderr]).toEqual([1, '']);
    expect(hygiene.stdout).toContain('3 repositories: 2 compliant, 1 drift');
    // The default policy needs image facts replay was not given: quarantined, and the plan says what it would do.
    expect(replay.code, replay.stderr).toBe(1);
    expect(replay.stdout).toContain('planned actions (dry run, nothing sent):');
    expect(replay.stdout).toContain('PutImage          tag quarantined-');
    expect([typo.code, typo.stderr]).toEqual([
      2,
      'gatekeeper: unknown option "--finding" (did you mean "--findings"?); see "gatekeeper evaluate --help"\n',
    ]);
    // Nothing was written into the project by any command.
    expect(existsSync(join(app, 'policies'))).toBe(false);
  }, 60_000);

  it('reports schema problems exactly as the sources do (the bundle carries the schemas precompiled)', async () => {
    // Prepare: a team's set with schema errors in each kind of file.
    const team = join(app, 'team');
    cpSync(join(ROOT, 'policies'), team, { recursive: true });
    const edit = (file: string, from: string, to: string) =>
      writeFileSync(join(team, file), readFileSync(join(team, file), 'utf8').replace(from, to));
    edit('default.yaml', 'CRITICAL: 0', 'CRITICAL: -1');
    edit('teams/payments.yaml', 'mode: enforce', 'mode: strict\nextra: 1');
    edit('exceptions/platform.yaml', '    owner: security@example.com\n', '');
    edit('tests/default.yaml', 'expect: { verdict: approved', 'expect: { verdict: maybe');

    // Act
    const bundled = await gatekeeper('policy', 'validate', 'team', '--now', NOW, '--output', 'json');
    const sources = await run(['policy', 'validate', 'team', '--now', NOW, '--output', 'json'], { cwd: app });

    // Assess
    expect(bundled.code).toBe(2);
    expect(JSON.parse(bundled.stdout).problems.length).toBeGreaterThanOrEqual(4);
    expect([bundled.code, bundled.stdout]).toEqual([sources.code, sources.stdout]);
  });
});
