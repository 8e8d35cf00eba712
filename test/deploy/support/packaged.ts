/**
 * Packages the service once per change of its inputs, for every test file that needs the generated template.
 * `npm run build` + `serverless package` take a few seconds; the result is reused while serverless.yml,
 * handlers/, lib/, policies/, the build scripts and the lockfile are unchanged (a sha256 of them is stamped
 * beside the template). A lock directory serialises concurrent test workers.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import type { Template } from '../../../scripts/template-checks/template.ts';

const run = promisify(execFile);

export const ROOT = join(import.meta.dirname, '..', '..', '..');
export const TEMPLATE_PATH = join(ROOT, '.serverless', 'cloudformation-template-update-stack.json');
const STAMP_PATH = join(ROOT, '.serverless', '.inputs-sha256');
// Outside the repository: nothing to clean up or ignore; keyed by the checkout so two clones never share it.
const LOCK_DIR = join(
  tmpdir(),
  `gatekeeper-package-${createHash('sha256').update(ROOT).digest('hex').slice(0, 12)}.lock`,
);
const INPUTS = ['serverless.yml', 'package-lock.json', 'handlers', 'lib', 'policies', 'scripts'];

function listFiles(path: string): string[] {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { withFileTypes: true })
    .flatMap((entry) => listFiles(join(path, entry.name)))
    .sort();
}

/** sha256 over the names and contents of every input file. */
export function inputsDigest(): string {
  const hash = createHash('sha256');
  for (const file of INPUTS.flatMap((input) => listFiles(join(ROOT, input)))) {
    hash.update(relative(ROOT, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex');
}

async function withLock<T>(action: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      mkdirSync(LOCK_DIR);
      break;
    } catch {
      // A lock older than 5 minutes belongs to a crashed run.
      if (existsSync(LOCK_DIR) && Date.now() - statSync(LOCK_DIR).mtimeMs > 300_000)
        rmSync(LOCK_DIR, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${LOCK_DIR}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  try {
    return await action();
  } finally {
    rmSync(LOCK_DIR, { recursive: true, force: true });
  }
}

/** The time the shipped policies are validated at by the packaged build. */
export const BUILD_NOW = '2026-11-23T12:00:00Z';

/** Runs `npm run build` and `serverless package` (default stage) unless the stamped inputs are unchanged. */
export async function ensurePackaged(): Promise<Template> {
  await withLock(async () => {
    const digest = inputsDigest();
    const fresh =
      existsSync(TEMPLATE_PATH) && existsSync(STAMP_PATH) && readFileSync(STAMP_PATH, 'utf8') === digest;
    if (fresh) return;
    // The Lambda zips only (the CLI bundles are tested apart), with the policies validated as of a fixed time:
    // the shipped exceptions expire, and the build refuses an expired one just as `policy validate` does.
    await run('node', [join(ROOT, 'scripts', 'build.mjs'), '--functions', '--now', BUILD_NOW], { cwd: ROOT });
    await runPackage([]);
    writeFileSync(STAMP_PATH, digest);
  });
  return JSON.parse(readFileSync(TEMPLATE_PATH, 'utf8')) as Template;
}

/**
 * `serverless package` with extra CLI arguments into `outDir` (default .serverless), after ensurePackaged()
 * has built the zips. Offline: fake credentials and no AWS profile, so nothing can reach an account.
 */
export async function packageService(args: string[], outDir?: string): Promise<Template> {
  await ensurePackaged();
  return withLock(() => runPackage(args, outDir));
}

function offlineEnv(): NodeJS.ProcessEnv {
  const { AWS_PROFILE: _profile, AWS_DEFAULT_PROFILE: _default, ...rest } = process.env;
  return {
    ...rest,
    AWS_ACCESS_KEY_ID: 'offline',
    AWS_SECRET_ACCESS_KEY: 'offline',
    SLS_TELEMETRY_DISABLED: '1',
  };
}

async function runPackage(args: string[], outDir?: string): Promise<Template> {
  const bin = join(ROOT, 'node_modules', 'osls', 'bin', 'serverless.js');
  const packageArgs = outDir ? ['--package', outDir] : [];
  await run('node', [bin, 'package', ...packageArgs, ...args], {
    cwd: ROOT,
    env: offlineEnv(),
    maxBuffer: 16 * 1024 * 1024,
  });
  const dir = outDir ?? join(ROOT, '.serverless');
  return JSON.parse(readFileSync(join(dir, 'cloudformation-template-update-stack.json'), 'utf8')) as Template;
}
