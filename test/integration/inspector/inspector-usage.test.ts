/**
 * Inspector in-use data over HTTP: the real Inspector2Client against the local Inspector endpoint (restJson1,
 * test/support/inspector), then the production sweep wiring (buildSweepDependencies → InspectorImageUsage,
 * EcrRegistry, DynamoDbLedger, SnsNotifier) against the local ECR, SNS, DynamoDB and Inspector.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DAY_MS } from '../../../lib/hygiene/lifecycle-engine.ts';
import { runSweep } from '../../../lib/hygiene/sweep.ts';
import { InspectorUnavailableError } from '../../../lib/inspector/errors.ts';
import { InspectorImageUsage } from '../../../lib/inspector/inspector-usage.ts';
import { createLedgerTable } from '../../../lib/ledger/table.ts';
import { buildSweepDependencies } from '../../../lib/wiring/sweep-dependencies.ts';
import { buildImage, imageConfig, type LocalAws, startLocalAws } from '../../support/local-aws.ts';

const NOW = '2026-01-10T02:00:00Z';
const POLICIES = new URL('../../../policies', import.meta.url).pathname;
const forever = () => 900_000;
const digestOf = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;

const BASELINE = `apiVersion: gatekeeper/v1
kind: HygieneBaseline
defaults:
  lifecycle:
    untagged: { expireAfterDays: 7 }
    tagged: { keepLast: 10 }
  scanning: { expect: ignore }
  tagMutability: { expect: ignore }
repositories:
  # A team that turned the approved protection off and keeps only the last 2 tagged images.
  - match: [insp/*]
    lifecycle:
      approved: false
      tagged: { keepLast: 2 }
`;

let aws: LocalAws;
let savedEnv: NodeJS.ProcessEnv;

beforeAll(async () => {
  aws = await startLocalAws({ snsTopics: ['gatekeeper'], now: NOW });
  await createLedgerTable(aws.clients.dynamodb(), 'gatekeeper-ledger');
  const dir = mkdtempSync(join(tmpdir(), 'gk-inspector-it-'));
  writeFileSync(join(dir, 'hygiene.yaml'), BASELINE);
  savedEnv = { ...process.env };
  Object.assign(process.env, aws.env, {
    GATEKEEPER_TOPIC_ARN: `arn:aws:sns:${aws.region}:${aws.accountId}:gatekeeper`,
    GATEKEEPER_LEDGER_TABLE: 'gatekeeper-ledger',
    GATEKEEPER_POLICY_SET: POLICIES,
    GATEKEEPER_HYGIENE_BASELINE: join(dir, 'hygiene.yaml'),
    GATEKEEPER_REPOSITORY_SCOPE: 'insp/*',
    LOG_LEVEL: 'silent',
  });
});

afterAll(async () => {
  process.env = savedEnv;
  await aws?.stop();
});

beforeEach(() => {
  aws.inspector.setEnabled(true);
  aws.faults.inspector.clear();
  aws.inspector.clearRequests();
  aws.resetCounts();
});

describe('InspectorImageUsage over HTTP', () => {
  it('pages ListCoverage to the end with the filters, and the SDK retries throttling', async () => {
    for (let n = 1; n <= 5; n += 1) {
      aws.inspector.seedImageCoverage({
        repository: 'over/http',
        digest: digestOf(n),
        inUseCount: n,
        lastInUseAt: '2026-01-09T00:00:00Z',
      });
    }
    aws.inspector.seedImageCoverage({ repository: 'over/other', digest: digestOf(9), inUseCount: 1 });
    aws.faults.inspector.failNext('ListCoverage', 2, 'throttle');
    const usage = new InspectorImageUsage({ client: aws.clients.inspector(), pageSize: 2 });

    const map = await usage.usage('over/http', { sweepId: 'it-1', registryId: aws.accountId });

    expect([...map.keys()].sort()).toEqual([1, 2, 3, 4, 5].map(digestOf));
    expect(map.get(digestOf(4))).toEqual({ lastInUseAt: Date.parse('2026-01-09T00:00:00Z'), inUseCount: 4 });
    expect(aws.faults.inspector.stats().ListCoverage).toMatchObject({ calls: 3, faulted: 2 });
  });

  it('5xx beyond the retry budget is a retryable error; not enabled is an empty map', async () => {
    aws.faults.inspector.failNext('ListCoverage', 3, 'server-error');
    const usage = new InspectorImageUsage({ client: aws.clients.inspector({ maxAttempts: 3 }) });
    await expect(usage.usage('over/http', { sweepId: 'it-2' })).rejects.toBeInstanceOf(
      InspectorUnavailableError,
    );

    aws.inspector.setEnabled(false);
    const map = await usage.usage('over/http', { sweepId: 'it-3' });
    expect(map.size).toBe(0);
    expect(usage.state).toMatchObject({ status: 'no-access', code: 'AccessDeniedException' });
  });
});

describe('the sweep with Inspector in-use data', () => {
  function seedRepository(repository: string): string {
    aws.ecr.seedRepository(repository, { tagMutability: 'MUTABLE', scanOnPush: true });
    let oldDigest = '';
    for (const [i, tags, days] of [
      [0, ['1.0.0', 'approved-1.0.0'], 40],
      [1, ['1.1.0', 'approved-1.1.0'], 30],
      [2, ['1.2.0', 'approved-1.2.0'], 20],
      [3, ['1.3.0', 'approved-1.3.0'], 10],
    ] as const) {
      const built = buildImage(imageConfig(`${repository}-${i}`));
      const { digest } = aws.ecr.seedImage(repository, {
        manifest: built.manifest,
        config: built.config,
        tags: [...tags],
        pushedAt: new Date(Date.parse(NOW) - days * DAY_MS),
      });
      if (i === 0) oldDigest = digest;
    }
    return oldDigest;
  }

  it('an approved image running on ECS/EKS (inUseCount > 0, never re-pulled) survives a keep-last-N rule', async () => {
    const old = seedRepository('insp/in-use');
    aws.inspector.seedImageCoverage({ repository: 'insp/in-use', digest: old, inUseCount: 2 });
    const deps = await buildSweepDependencies(
      { ...process.env, GATEKEEPER_HYGIENE_MODE: 'enforce' },
      { now: () => aws.clock.now() },
    );

    const result = await runSweep(deps, { kind: 'start' }, forever);

    const plan = result.plans.find((p) => p.repository === 'insp/in-use');
    expect(plan?.status).toBe('refused');
    expect(plan?.items.find((i) => i.level === 'refused')?.message).toMatch(
      /approved-1\.0\.0.*in use by 2 running task\(s\)\/pod\(s\) \(Inspector\)/,
    );
    expect(aws.ecr.repository('insp/in-use')?.lifecyclePolicy).toBeNull();
    expect(aws.ecr.tagsOf('insp/in-use', old)).toContain('approved-1.0.0');
    expect(aws.faults.inspector.callCounts().ListCoverage).toBe(1);
    expect(aws.inspector.requests()[0]?.body).toMatchObject({
      filterCriteria: { ecrRepositoryName: [{ comparison: 'EQUALS', value: 'insp/in-use' }] },
    });
  });

  it.each([
    ['Inspector not enabled', { GATEKEEPER_INSPECTOR_USAGE: 'on' }, false, 1],
    ['GATEKEEPER_INSPECTOR_USAGE=off', { GATEKEEPER_INSPECTOR_USAGE: 'off' }, true, 0],
  ])(
    '%s: the sweep still runs and falls back to the last recorded pull',
    async (name, env, enabled, calls) => {
      aws.clock.advance(60_000);
      const repository = `insp/fallback-${calls}`;
      const old = seedRepository(repository);
      aws.inspector.seedImageCoverage({ repository, digest: old, inUseCount: 2 });
      aws.inspector.setEnabled(enabled);
      aws.resetCounts();
      const deps = await buildSweepDependencies(
        {
          ...process.env,
          GATEKEEPER_HYGIENE_MODE: 'report',
          GATEKEEPER_REPOSITORY_SCOPE: repository,
          ...env,
        },
        { now: () => aws.clock.now() },
      );

      const result = await runSweep(deps, { kind: 'start' }, forever);

      expect(result.status, name).toBe('complete');
      expect(result.counters?.failed).toBe(0);
      // Without in-use data (and no recent pull) the old approved image is not known to be in use: the keep-last-2
      // change is planned, as before the adapter existed.
      expect(result.plans.find((p) => p.repository === repository)?.status).toBe('drift');
      expect(aws.faults.inspector.callCounts().ListCoverage ?? 0).toBe(calls);
    },
  );

  it('Inspector unavailable after retries: that repository is left unchanged this run, the sweep completes', async () => {
    aws.clock.advance(60_000);
    const repository = 'insp/unavailable';
    seedRepository(repository);
    aws.faults.inspector.failNext('ListCoverage', 10, 'server-error');
    const { createInspectorClient } = await import('../../../lib/inspector/inspector-client.ts');
    const usage = new InspectorImageUsage({
      client: createInspectorClient({ maxAttempts: 2, retryMode: 'standard' }),
    });
    const deps = await buildSweepDependencies(
      { ...process.env, GATEKEEPER_HYGIENE_MODE: 'enforce', GATEKEEPER_REPOSITORY_SCOPE: repository },
      { now: () => aws.clock.now(), usage },
    );

    const result = await runSweep(deps, { kind: 'start' }, forever);

    expect(result.status).toBe('complete');
    expect(result.counters?.failed).toBe(1);
    expect(aws.ecr.repository(repository)?.lifecyclePolicy).toBeNull();
  });
});
