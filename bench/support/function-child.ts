/**
 * Runs a built Lambda function in a child process of its own, against the local AWS endpoints of the parent:
 * what the child measures (memory, CPU) is then the function's alone. Used by bench/decision-memory.ts and
 * bench/decision-cpu.ts.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { LAMBDA_CONTEXT } from '../../test/integration/gate/local-gate.ts';

/** Builds one function of the checkout at `root` into `.build/<outName>/` inside it (node_modules resolve); its bundle. */
export async function buildFunctionBundle(root: string, fn: string, outName: string): Promise<string> {
  const { buildFunctions } = (await import(join(root, 'scripts', 'build-functions.ts'))) as {
    buildFunctions(options: { root: string; outDir: string; functions: string[] }): Promise<unknown>;
  };
  const outDir = join(root, '.build', outName);
  await buildFunctions({ root, outDir, functions: [fn] });
  return join(outDir, fn, 'index.js');
}

/**
 * Runs `script` (an ES module body) in a fresh Node process with the function's environment: `env` (the
 * endpoints and GATEKEEPER_* settings), the policy set beside the bundle, GK_BENCH_BUNDLE and GK_BENCH_CONTEXT,
 * plus `extra`. Resolves with what the script printed, parsed as JSON; rejects with the end of its stderr.
 */
export function runFunctionChild<T>(
  bundle: string,
  script: string,
  env: Record<string, string>,
  extra: Record<string, string>,
  nodeFlags: readonly string[] = [],
): Promise<T> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [...nodeFlags, '--input-type=module', '-e', script], {
      env: {
        PATH: process.env.PATH ?? '',
        ...env,
        GATEKEEPER_POLICY_SET: join(dirname(bundle), 'policy-set.json'),
        GK_BENCH_BUNDLE: bundle,
        GK_BENCH_CONTEXT: JSON.stringify(LAMBDA_CONTEXT),
        ...extra,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('error', fail);
    child.on('close', (code) => {
      if (code !== 0) fail(new Error(`function child exited ${code}: ${err.slice(-2000)}`));
      else done(JSON.parse(out) as T);
    });
  });
}
