/**
 * A built bundle reads only the policy-set.json its build validated: it carries the file's sha256 instead of the
 * policy checker, and refuses an edited copy (fail closed: nothing is decided, the function reports the policy
 * set unavailable).
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_STAGE, LOCAL_TOPIC_ARN, startLocalStage } from '../../scripts/local-aws.ts';
import type { LocalAws } from '../support/local-aws.ts';
import { ensurePackaged, ROOT } from './support/packaged.ts';

const run = promisify(execFile);
const scratch = mkdtempSync(join(tmpdir(), 'gatekeeper-built-policy-'));

let aws: LocalAws;
beforeAll(async () => {
  await ensurePackaged();
  ({ aws } = await startLocalStage());
}, 180_000);
afterAll(() => {
  aws?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

/** Runs a copy of the built basic-scan-completed function with the given policy-set.json text. */
async function decideWith(policySetText: (built: string) => string) {
  const dir = join(scratch, `fn-${Math.random().toString(36).slice(2)}`);
  cpSync(join(ROOT, '.build', 'basic-scan-completed'), dir, { recursive: true });
  const file = join(dir, 'policy-set.json');
  writeFileSync(file, policySetText(readFileSync(file, 'utf8')));
  const event = readFileSync(join(ROOT, 'events', 'ecr-basic-scan-complete.json'), 'utf8');
  const script = `
    const { handler } = await import(${JSON.stringify(join(dir, 'index.js'))});
    try {
      const result = await handler(JSON.parse(process.env.EVENT), { awsRequestId: 'policy-test', functionName: 'basic-scan-completed', getRemainingTimeInMillis: () => 600000 });
      process.stdout.write(JSON.stringify({ ok: true, result }));
    } catch (error) {
      process.stdout.write(JSON.stringify({ ok: false, error: { name: error.name, message: error.message } }));
    }`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      ...aws.env,
      GATEKEEPER_TOPIC_ARN: LOCAL_TOPIC_ARN,
      GATEKEEPER_LEDGER_TABLE: LOCAL_STAGE.ledgerTable,
      GATEKEEPER_POLICY_SET: file,
      LOG_LEVEL: 'silent',
      EVENT: event,
    },
  });
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{}');
}

describe('the bundled policy set', () => {
  it('is refused when policy-set.json was edited after the build', async () => {
    // Act: one byte of whitespace changes nothing the policies say, but it is not the file the build validated.
    const outcome = await decideWith((built) => `${built}\n`);

    // Assess
    expect(outcome).toMatchObject({ ok: false, error: { name: 'PolicySetUnavailableError' } });
    expect(outcome.error.message).toContain('the file was changed after it was built');
  }, 60_000);

  it('is read when policy-set.json is the one the build wrote', async () => {
    const outcome = await decideWith((built) => built);
    expect(outcome).toMatchObject({ ok: true, result: { outcome: 'decided' } });
  }, 60_000);
});
