import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

// The benchmark scripts are not run by the suite at full size (their figures live in BENCHMARKS.md); this runs
// every one at tiny sizes through the same runner as `npm run bench -- --quick`, so none of them rots. About 35 s
// alone on 2 cores; the bound leaves room for the rest of the suite running beside it.
it('every bench script runs at tiny sizes through the bench runner', { timeout: 180_000 }, async () => {
  // Prepare: the scripts the runner must find (every .ts directly in bench/ but the runner itself).
  const scripts = readdirSync(`${ROOT}bench`)
    .filter((name) => name.endsWith('.ts') && name !== 'run.ts')
    .sort();
  expect(scripts).toEqual(expect.arrayContaining(['evaluate.ts', 'fingerprint.ts']));

  // Act
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', 'bench/run.ts', '--quick'],
    { cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'silent' }, maxBuffer: 16 * 1024 * 1024 },
  );

  // Assess: each script reported done (a failing script makes the runner exit non-zero, and execFile throw).
  const done = stdout
    .split('\n')
    .filter((line) => /^== bench\/\S+ ok in /.test(line))
    .map((line) => line.split(' ')[1]);
  expect(done).toEqual(scripts.map((name) => `bench/${name}`));
  expect(stdout).toContain('evaluate ÷ floor');
  expect(stdout).toMatch(/^machine/m);
});

it('the bench runner fails on an unknown script name', async () => {
  const run = promisify(execFile)(process.execPath, ['--import', 'tsx', 'bench/run.ts', 'no-such-bench'], {
    cwd: ROOT,
  });
  await expect(run).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('no-such-bench') });
});
