/**
 * The function bundles stay small and lean: each within its recorded budget, none carrying yaml or ajv (the
 * runtime reads the JSON the build validated), and the size-saving build steps (selective keepNames, stubs for
 * Lambda-impossible branches, folded SDK schema keys) leave the bundles working: run against the local AWS
 * endpoints, a bundle decides an image and reports its own errors by their real names.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BUNDLE_BUDGETS,
  bundleContributors,
  bundleHandlerWithMetafile,
  FORBIDDEN_IN_BUNDLE,
  FUNCTIONS,
  LAMBDA_STUBS,
} from '../../scripts/build-functions.ts';
import { LOCAL_STAGE, LOCAL_TOPIC_ARN, startLocalStage } from '../../scripts/local-aws.ts';
import type { LocalAws } from '../support/local-aws.ts';
import { ensurePackaged, ROOT } from './support/packaged.ts';

const run = promisify(execFile);

beforeAll(async () => {
  await ensurePackaged();
}, 180_000);

describe('bundle budgets', () => {
  it.each(FUNCTIONS.map((name) => [name]))('%s stays within its recorded budget', (name) => {
    const bytes = readFileSync(join(ROOT, '.build', name, 'index.js')).length;
    expect(
      bytes,
      `${name} is ${bytes} bytes, over its budget of ${BUNDLE_BUDGETS[name]}: run node scripts/build.mjs --analyze ${name}`,
    ).toBeLessThanOrEqual(BUNDLE_BUDGETS[name]);
  });

  it('budgets stay near today’s sizes, so a regression cannot hide in slack (≤ 5% headroom)', () => {
    for (const name of FUNCTIONS) {
      const bytes = readFileSync(join(ROOT, '.build', name, 'index.js')).length;
      expect(BUNDLE_BUDGETS[name] / bytes, name).toBeLessThan(1.05);
    }
  });
});

describe('bundle contents', () => {
  const analyses = new Map<string, Awaited<ReturnType<typeof bundleHandlerWithMetafile>>>();
  beforeAll(async () => {
    for (const name of FUNCTIONS) analyses.set(name, await bundleHandlerWithMetafile(ROOT, name));
  }, 120_000);

  it.each(FUNCTIONS.map((name) => [name]))('%s contains neither yaml nor ajv', (name) => {
    const { code, metafile } = analyses.get(name) as Awaited<ReturnType<typeof bundleHandlerWithMetafile>>;
    const packages = bundleContributors(metafile).map((c) => c.name);
    for (const forbidden of [...FORBIDDEN_IN_BUNDLE, 'fast-uri', 'lib/cli']) {
      expect(packages, `${name} bundles ${forbidden}`).not.toContain(forbidden);
    }
    // Distinctive strings of the two libraries and of the scanner-file parsers only the CLI uses.
    for (const marker of ['YAMLParseError', 'strictSchema', 'grype', 'Trivy']) {
      expect(code.includes(marker), `${name} contains "${marker}"`).toBe(false);
    }
  });

  it.each(FUNCTIONS.map((name) => [name]))('%s keeps the names of our error classes', (name) => {
    const { code } = analyses.get(name) as Awaited<ReturnType<typeof bundleHandlerWithMetafile>>;
    for (const error of ['GatekeeperError', 'ConfigError', 'RegistryUnavailableError']) {
      expect(code, `${name}: ${error}`).toContain(`"${error}"`);
    }
  });

  it('stubs only modules the runtime imports dynamically, each with a reason', () => {
    for (const stub of LAMBDA_STUBS) {
      expect(stub.reason.length).toBeGreaterThan(20);
      expect(stub.exports.length).toBeGreaterThan(0);
    }
    const { code } = analyses.get('basic-scan-completed') as { code: string };
    expect(code).toContain('loading YAML policies is not available in the Lambda bundle');
  });

  it('bundles only the SDK schemas the functions use (the sweep carries no unused Inspector2 operations)', () => {
    const { code } = analyses.get('hygiene-sweep') as { code: string };
    expect(code).toContain('ListCoverage');
    expect(code).not.toContain('GetCisScanReport');
  });
});

/** Runs a built bundle's handler in a plain Node process (no test transform), as Lambda would. */
async function invokeBundle(
  fn: string,
  event: unknown,
  env: Record<string, string>,
): Promise<{ ok: boolean; result?: unknown; error?: { name: string; message: string } }> {
  const script = `
    const { handler } = await import(${JSON.stringify(join(ROOT, '.build', fn, 'index.js'))});
    try {
      const result = await handler(JSON.parse(process.env.EVENT), { awsRequestId: 'bundle-test', functionName: ${JSON.stringify(fn)}, getRemainingTimeInMillis: () => 600000 });
      process.stdout.write(JSON.stringify({ ok: true, result }));
    } catch (error) {
      process.stdout.write(JSON.stringify({ ok: false, error: { name: error.name, message: error.message } }));
    }`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env, EVENT: JSON.stringify(event) },
  });
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{}');
}

describe('the built bundles run', () => {
  let aws: LocalAws;
  let functionEnv: Record<string, string>;
  beforeAll(async () => {
    ({ aws } = await startLocalStage());
    functionEnv = {
      ...aws.env,
      GATEKEEPER_TOPIC_ARN: LOCAL_TOPIC_ARN,
      GATEKEEPER_LEDGER_TABLE: LOCAL_STAGE.ledgerTable,
      LOG_LEVEL: 'error',
    };
  }, 60_000);
  afterAll(() => aws?.stop());

  const event = (file: string) => JSON.parse(readFileSync(join(ROOT, 'events', file), 'utf8'));

  it('basic-scan-completed decides the sample image and tags it (SDK, policy-set.json, ledger, SNS)', async () => {
    // Act
    const outcome = await invokeBundle('basic-scan-completed', event('ecr-basic-scan-complete.json'), {
      ...functionEnv,
      GATEKEEPER_POLICY_SET: join(ROOT, '.build', 'basic-scan-completed', 'policy-set.json'),
    });

    // Assess
    expect(outcome).toMatchObject({ ok: true, result: { outcome: 'decided', verdict: 'quarantined' } });
    const digest = event('ecr-basic-scan-complete.json').detail['image-digest'];
    expect(aws.ecr.tagsOf('demo/web', digest)).toEqual(['1.4.2', 'quarantined-1.4.2']);
    expect(aws.sns.publishes(LOCAL_TOPIC_ARN).map((p) => p.subject)).toEqual([
      expect.stringContaining('QUARANTINED: demo/web:1.4.2'),
    ]);
  }, 60_000);

  it('hygiene-sweep reads its JSON baseline and plans without yaml/ajv (dry run)', async () => {
    const outcome = await invokeBundle(
      'hygiene-sweep',
      { gatekeeperSweep: 'start', dryRun: true },
      {
        ...functionEnv,
        GATEKEEPER_POLICY_SET: join(ROOT, '.build', 'hygiene-sweep', 'policy-set.json'),
        GATEKEEPER_HYGIENE_BASELINE: join(ROOT, '.build', 'hygiene-sweep', 'hygiene-baseline.json'),
      },
    );
    expect(outcome.ok, JSON.stringify(outcome)).toBe(true);
    expect(outcome.result).toMatchObject({ status: 'complete' });
    expect(JSON.stringify(outcome.result)).toContain('put-tag-mutability');
  }, 60_000);

  it('reports a configuration error by its class name (names survive minification)', async () => {
    const { GATEKEEPER_LEDGER_TABLE: _omitted, ...withoutTable } = functionEnv;
    const outcome = await invokeBundle('image-pushed', event('ecr-image-push.json'), withoutTable);
    expect(outcome).toMatchObject({ ok: false, error: { name: 'ConfigError' } });
    expect(outcome.error?.message).toContain('GATEKEEPER_LEDGER_TABLE');
  }, 60_000);

  it('names the JSON file to use when a Lambda bundle is pointed at YAML', async () => {
    const outcome = await invokeBundle(
      'hygiene-sweep',
      { gatekeeperSweep: 'start', dryRun: true },
      {
        ...functionEnv,
        GATEKEEPER_POLICY_SET: join(ROOT, '.build', 'hygiene-sweep', 'policy-set.json'),
        GATEKEEPER_HYGIENE_BASELINE: join(ROOT, 'policies', 'hygiene.yaml'),
      },
    );
    expect(outcome.ok).toBe(false);
    expect(JSON.stringify(outcome)).toContain('hygiene-baseline.json');
  }, 60_000);
});
