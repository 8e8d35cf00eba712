/**
 * The hygiene sweep over HTTP: real SDK v3 clients and the production wiring (buildSweepDependencies → EcrRegistry,
 * DynamoDbLedger, SnsNotifier, the gate's decideImage) against the local ECR, SNS and DynamoDB (test/support).
 * Call counts come from the endpoints.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY_MS, previewLifecycle } from '../../../lib/hygiene/lifecycle-engine.ts';
import { imagesFromDescribeImages } from '../../../lib/hygiene/lifecycle-images.ts';
import { parseLifecyclePolicyText } from '../../../lib/hygiene/lifecycle-policy.ts';
import { runSweep } from '../../../lib/hygiene/sweep.ts';
import type { SweepDependencies } from '../../../lib/hygiene/sweep-ports.ts';
import { createLedgerTable } from '../../../lib/ledger/table.ts';
import { createLogger } from '../../../lib/log/index.ts';
import { buildSweepDependencies } from '../../../lib/wiring/sweep-dependencies.ts';
import { emfProblems, metricLines } from '../../support/emf.ts';
import { buildImage, imageConfig, type LocalAws, startLocalAws } from '../../support/local-aws.ts';

const NOW = '2026-01-10T02:00:00Z';
const POLICIES = new URL('../../../policies', import.meta.url).pathname;
const forever = () => 900_000;

let aws: LocalAws;
let savedEnv: NodeJS.ProcessEnv;
let dir: string;

const BASELINE = `# yaml-language-server: $schema=./schema/hygiene.schema.json
apiVersion: gatekeeper/v1
kind: HygieneBaseline
defaults:
  lifecycle:
    untagged: { expireAfterDays: 7 }
    tagged: { keepLast: 10 }
  scanning: { expect: scan-on-push }
  tagMutability:
    expect: IMMUTABLE_WITH_EXCLUSION
    exclusions: [approved-*, quarantined-*]
repositories:
  - match: [it/keep-two]
    lifecycle:
      tagged: { keepLast: 2 }
  - match: [it/unprotected]
    lifecycle:
      approved: false
      tagged: { keepLast: 2 }
`;

async function sweepDeps(mode: 'report' | 'enforce'): Promise<SweepDependencies> {
  return buildSweepDependencies(
    { ...process.env, GATEKEEPER_HYGIENE_MODE: mode },
    { now: () => aws.clock.now() },
  );
}

function seedImage(repository: string, name: string, tags: string[], pushedDaysAgo: number): string {
  const built = buildImage(imageConfig(name));
  const { digest } = aws.ecr.seedImage(repository, {
    manifest: built.manifest,
    config: built.config,
    tags,
    pushedAt: new Date(Date.parse(NOW) - pushedDaysAgo * DAY_MS),
  });
  return digest;
}

beforeAll(async () => {
  aws = await startLocalAws({ snsTopics: ['gatekeeper'], now: NOW });
  await createLedgerTable(aws.clients.dynamodb(), 'gatekeeper-ledger');
  dir = mkdtempSync(join(tmpdir(), 'gk-hygiene-it-'));
  writeFileSync(join(dir, 'hygiene.yaml'), BASELINE);
  savedEnv = { ...process.env };
  Object.assign(process.env, aws.env, {
    GATEKEEPER_TOPIC_ARN: `arn:aws:sns:${aws.region}:${aws.accountId}:gatekeeper`,
    GATEKEEPER_LEDGER_TABLE: 'gatekeeper-ledger',
    GATEKEEPER_POLICY_SET: POLICIES,
    GATEKEEPER_HYGIENE_BASELINE: join(dir, 'hygiene.yaml'),
    GATEKEEPER_REPOSITORY_SCOPE: 'it/*',
    LOG_LEVEL: 'silent',
  });
});

afterAll(async () => {
  process.env = savedEnv;
  await aws?.stop();
});

describe('hygiene sweep against the local ECR', () => {
  it('a dry run changes nothing; report mode detects drift without a write; enforce applies it', async () => {
    aws.ecr.seedRepository('it/drift', { tagMutability: 'MUTABLE', scanOnPush: false });
    const digest = seedImage('it/drift', 'drift', ['1.0.0'], 3);
    const before = aws.ecr.repository('it/drift');
    aws.resetCounts();

    const dry = await runSweep(await sweepDeps('enforce'), { kind: 'start', dryRun: true }, forever);
    expect(dry.status).toBe('complete');
    const dryCounts = aws.callCounts().ecr;
    for (const op of [
      'PutLifecyclePolicy',
      'PutImageTagMutability',
      'PutImageScanningConfiguration',
      'PutImage',
      'BatchDeleteImage',
      'StartImageScan',
    ]) {
      expect(dryCounts[op] ?? 0, op).toBe(0);
    }
    expect(aws.ecr.repository('it/drift')).toEqual(before);
    expect(aws.ecr.tagsOf('it/drift', digest)).toEqual(['1.0.0']);
    // Nothing at all: no SNS message and no DynamoDB write either (the summary is in the result).
    expect(aws.sns.publishes()).toHaveLength(0);
    expect(aws.callCounts().dynamodb?.PutItem ?? 0).toBe(0);
    expect(dry.summarySent).toBe(false);
    expect(dry.summary).toMatchObject({ dryRun: true, mode: 'report' });

    const report = await runSweep(await sweepDeps('report'), { kind: 'start' }, forever);
    const drift = report.plans.find((p) => p.repository === 'it/drift');
    expect(drift?.changes.map((c) => c.kind).sort()).toEqual([
      'put-lifecycle-policy',
      'put-scan-on-push',
      'put-tag-mutability',
    ]);
    expect(aws.callCounts().ecr.PutLifecyclePolicy ?? 0).toBe(0);
    // Control: a sweep that is not a dry run does write its checkpoint (the dry-run count above could fail).
    expect(aws.callCounts().dynamodb.PutItem ?? 0).toBeGreaterThan(0);

    const enforce = await runSweep(await sweepDeps('enforce'), { kind: 'start' }, forever);
    expect(enforce.status).toBe('complete');
    const after = aws.ecr.repository('it/drift');
    expect(after).toMatchObject({ tagMutability: 'IMMUTABLE_WITH_EXCLUSION', scanOnPush: true });
    expect(after?.exclusions.sort()).toEqual(['approved-*', 'quarantined-*']);
    expect(JSON.parse(after?.lifecyclePolicy ?? '{}').rules).toHaveLength(4);
    // One summary alert per sweep that is not a dry run, in the notify format.
    const summaries = aws.sns
      .publishes()
      .filter((p) => JSON.stringify(p.messageAttributes).includes('hygiene-summary'));
    expect(summaries).toHaveLength(2);

    aws.resetCounts();
    const again = await runSweep(await sweepDeps('enforce'), { kind: 'start' }, forever);
    expect(again.plans.find((p) => p.repository === 'it/drift')?.status).toBe('compliant');
    expect(aws.callCounts().ecr.PutLifecyclePolicy ?? 0).toBe(0);
  });

  it('an image whose scan event was lost gets its decision from the sweep', async () => {
    aws.ecr.seedRepository('it/lost-event', {
      tagMutability: 'IMMUTABLE_WITH_EXCLUSION',
      exclusions: ['approved-*', 'quarantined-*'],
      scanOnPush: true,
    });
    const digest = seedImage('it/lost-event', 'lost', ['2.0.0'], 1);
    aws.ecr.seedScan('it/lost-event', digest, { status: 'COMPLETE', findings: [] });
    const result = await runSweep(await sweepDeps('report'), { kind: 'start' }, forever);
    expect(result.status).toBe('complete');
    const tags = aws.ecr.tagsOf('it/lost-event', digest) ?? [];
    expect(tags.some((t) => t.startsWith('approved-') || t.startsWith('quarantined-'))).toBe(true);
    expect(tags).toContain('2.0.0');
  });

  it('a safety-net decision writes the decision metrics line; the completed sweep its own', async () => {
    aws.ecr.seedRepository('it/lost-metrics', { scanOnPush: true });
    const digest = seedImage('it/lost-metrics', 'lost-metrics', ['3.0.0'], 1);
    aws.ecr.seedScan('it/lost-metrics', digest, { status: 'COMPLETE', findings: [] });
    const lines: string[] = [];
    const deps = await buildSweepDependencies(
      { ...process.env, GATEKEEPER_HYGIENE_MODE: 'report' },
      {
        now: () => aws.clock.now(),
        logger: createLogger({ level: 'info', sink: (line) => lines.push(line) }),
      },
    );

    await runSweep(deps, { kind: 'start' }, forever);

    const metrics = metricLines(lines);
    for (const line of metrics) expect(emfProblems(JSON.stringify(line))).toEqual([]);
    const decision = metrics.find((line) => line.digest === digest);
    expect(decision).toMatchObject({ Decisions: 1, Change: 'first', Outcome: 'decided', FindingsRead: 0 });
    expect(decision?.AwsRequests).toBeGreaterThan(0);
    expect(metrics.at(-1)).toMatchObject({ AlertsSent: 1, Rejudgements: 0 });
  });

  it('an approved image still in use survives a keep-last-N rule; without protection the change is refused', async () => {
    for (const repository of ['it/keep-two', 'it/unprotected']) {
      aws.ecr.seedRepository(repository, {
        tagMutability: 'IMMUTABLE_WITH_EXCLUSION',
        exclusions: ['approved-*', 'quarantined-*'],
        scanOnPush: true,
      });
      seedImage(repository, `${repository}-old`, ['1.0.0', 'approved-1.0.0'], 40);
      seedImage(repository, `${repository}-b`, ['1.1.0', 'quarantined-1.1.0'], 30);
      seedImage(repository, `${repository}-c`, ['1.2.0', 'approved-1.2.0'], 20);
      seedImage(repository, `${repository}-d`, ['1.3.0', 'approved-1.3.0'], 10);
    }
    // The old approved image is still pulled (in use): a BatchGetImage through the registry records the pull time.
    const old = aws.ecr.image('it/unprotected', '1.0.0');
    expect(old).toBeTruthy();
    const ecr = aws.clients.ecr();
    const { BatchGetImageCommand, DescribeImagesCommand } = await import('@aws-sdk/client-ecr');
    await ecr.send(
      new BatchGetImageCommand({ repositoryName: 'it/unprotected', imageIds: [{ imageTag: '1.0.0' }] }),
    );
    aws.resetCounts();

    const result = await runSweep(await sweepDeps('enforce'), { kind: 'start' }, forever);
    const keep = result.plans.find((p) => p.repository === 'it/keep-two');
    const unprotected = result.plans.find((p) => p.repository === 'it/unprotected');
    expect(keep?.status).toBe('drift');
    expect(unprotected?.status).toBe('refused');
    expect(unprotected?.items.find((i) => i.level === 'refused')?.message).toMatch(
      /approved-1\.0\.0.*last pulled/,
    );
    expect(aws.ecr.repository('it/unprotected')?.lifecyclePolicy).toBeNull();

    // The applied policy, evaluated on the repository's own DescribeImages: the approved images all survive.
    const applied = aws.ecr.repository('it/keep-two')?.lifecyclePolicy ?? '';
    const described = await ecr.send(new DescribeImagesCommand({ repositoryName: 'it/keep-two' }));
    const images = imagesFromDescribeImages(described, 'DescribeImages');
    const preview = previewLifecycle(parseLifecyclePolicyText(applied, 'applied'), images, aws.clock.now());
    const expiredTags = preview.previewResults.flatMap((r) => r.imageTags);
    expect(expiredTags.some((t) => t.startsWith('approved-'))).toBe(false);
  });
});
