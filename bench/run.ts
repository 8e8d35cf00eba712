/**
 * Runs the benchmark scripts of bench/ one after the other, each in its own process (so one script's heap and
 * JIT state do not colour the next one's figures), and fails when any of them fails.
 *
 *   npm run bench                       every script at full size
 *   npm run bench -- --quick            every script at tiny sizes: only proves they still run (CI does this)
 *   npm run bench -- evaluate sweep     the named scripts only (file names without .ts)
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));

/** Every script directly in bench/ except this runner; helpers live in bench/support/. */
function benchScripts(): string[] {
  return readdirSync(HERE)
    .filter((name) => name.endsWith('.ts') && name !== basename(fileURLToPath(import.meta.url)))
    .sort()
    .map((name) => join(HERE, name));
}

function runScript(file: string, args: readonly string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    // The loader flags this runner was started with (tsx), so the child runs TypeScript the same way.
    const child = spawn(process.execPath, [...process.execArgv, file, ...args], { stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

async function main(argv: readonly string[]): Promise<number> {
  const flags = argv.filter((a) => a.startsWith('--'));
  const names = argv.filter((a) => !a.startsWith('--'));
  const all = benchScripts();
  const unknown = names.filter((n) => !all.some((file) => basename(file, '.ts') === n));
  if (unknown.length > 0) {
    console.error(`bench: no script named ${unknown.join(', ')} in bench/`);
    return 2;
  }
  const chosen = names.length === 0 ? all : all.filter((file) => names.includes(basename(file, '.ts')));
  const failed: string[] = [];
  for (const file of chosen) {
    const name = basename(file, '.ts');
    console.log(`\n== bench/${name}.ts ${flags.join(' ')}`.trimEnd());
    const started = performance.now();
    const code = await runScript(file, flags);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(`== bench/${name}.ts ${code === 0 ? 'ok' : `failed (exit ${code})`} in ${seconds} s`);
    if (code !== 0) failed.push(name);
  }
  if (failed.length > 0) console.error(`bench: failed: ${failed.join(', ')}`);
  return failed.length > 0 ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
