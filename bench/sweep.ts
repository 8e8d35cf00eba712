/**
 * Sweep benchmark: 1,000 repositories (5 images each) against the local ECR over HTTP with the production
 * adapters, in enforce mode (first run: every repository drifts and is fixed) and again (no drift). Prints wall
 * time, ECR calls per repository and the planner's own time for 1,000 repositories.
 *
 * Then the production wiring (buildSweepDependencies: ECR, the DynamoDB ledger on dynalite, SNS, Amazon Inspector
 * in-use data on, the safety net through the gate): 300 repositories of 2 decided images each. A first sweep decides
 * every image through the gate and fixes the drift; the second one finds no drift and is measured: every AWS
 * request of every service, per repository.
 * Run: npx tsx bench/sweep.ts [--quick]
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  baselineFromJson,
  compileLifecycle,
  DEFAULT_PREFIXES,
  settingsFor,
} from '../lib/hygiene/baseline.ts';
import { planRepository } from '../lib/hygiene/drift.ts';
import { DAY_MS } from '../lib/hygiene/lifecycle-engine.ts';
import { serializeLifecyclePolicy } from '../lib/hygiene/lifecycle-policy.ts';
import { runSweep } from '../lib/hygiene/sweep.ts';
import { DEFAULT_SWEEP_SETTINGS } from '../lib/hygiene/sweep-ports.ts';
import { MemoryLedger } from '../lib/ledger/memory-ledger.ts';
import { createLedgerTable } from '../lib/ledger/table.ts';
import { createLogger } from '../lib/log/index.ts';
import { createEcrClient } from '../lib/registry/ecr-client.ts';
import { EcrRegistry } from '../lib/registry/ecr-registry.ts';
import { buildSweepDependencies } from '../lib/wiring/sweep-dependencies.ts';
import { buildImage, imageConfig, startLocalAws } from '../test/support/local-aws.ts';
import { QUICK } from './support/measure.ts';

const REPOSITORIES = QUICK ? 10 : 1000;
const IMAGES = QUICK ? 2 : 5;
const PLANNER_IMAGES = QUICK ? 10 : 100;
const NOW = '2026-01-10T02:00:00Z';
const WIRED_REPOSITORIES = QUICK ? 5 : 300;
const WIRED_IMAGES = 2;

const aws = await startLocalAws({ dynamodb: false, now: NOW });
try {
  for (let r = 0; r < REPOSITORIES; r++) {
    const name = `bench/r${String(r).padStart(4, '0')}`;
    aws.ecr.seedRepository(name, { tagMutability: 'MUTABLE', scanOnPush: true });
    for (let i = 0; i < IMAGES; i++) {
      const built = buildImage(imageConfig(`${name}-${i}`));
      aws.ecr.seedImage(name, {
        manifest: built.manifest,
        config: built.config,
        tags: [`1.${i}.0`, `approved-1.${i}.0`],
        pushedAt: new Date(Date.parse(NOW) - (i + 1) * DAY_MS),
      });
    }
  }
  const baseline = baselineFromJson(
    { apiVersion: 'gatekeeper/v1', kind: 'HygieneBaseline', defaults: {} },
    'bench-baseline',
  );
  const client = createEcrClient({
    region: aws.region,
    endpoint: aws.endpoints.ecr,
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  });
  const registry = new EcrRegistry({ client });
  const ledger = new MemoryLedger();
  const deps = {
    admin: registry,
    baseline,
    checkpoints: ledger,
    notifier: { publish: async () => 'bench' },
    formatSummary: () => ({ subject: 's', bodies: { default: 'b' }, attributes: {}, dedupeKey: 'k' }),
    gate: null,
    logger: createLogger({ level: 'silent' }),
    now: () => aws.clock.now(),
    settings: {
      ...DEFAULT_SWEEP_SETTINGS,
      mode: 'enforce' as const,
      scope: ['*'],
      region: aws.region,
      registryKey: 'bench',
    },
  };
  const lines: string[] = [];
  for (const label of ['first sweep (all drift, applied)', 'second sweep (no drift)']) {
    aws.resetCounts();
    const start = performance.now();
    const result = await runSweep(deps, { kind: 'start' }, () => 900_000);
    const ms = performance.now() - start;
    const counts = aws.callCounts().ecr;
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    lines.push(
      `${label}: ${result.status}, ${REPOSITORIES} repositories × ${IMAGES} images in ${(ms / 1000).toFixed(2)} s; ` +
        `${total} ECR calls (${(total / REPOSITORIES).toFixed(2)} per repository): ${JSON.stringify(counts)}`,
    );
  }
  // Planner alone (pure): 1,000 repositories with 100 images each.
  const policyText = serializeLifecyclePolicy({
    rules: compileLifecycle(settingsFor(baseline, 'x').lifecycle),
  });
  const images = Array.from({ length: PLANNER_IMAGES }, (_, i) => ({
    digest: `sha256:${i.toString(16).padStart(64, '0')}`,
    tags: [`1.${i}.0`],
    pushedAt: Date.parse(NOW) - i * 3_600_000,
    lastPulledAt: null,
    storageClass: 'standard' as const,
    archivedAt: null,
  }));
  const start = performance.now();
  for (let r = 0; r < REPOSITORIES; r++) {
    planRepository(
      {
        name: `r${r}`,
        lifecyclePolicyText: policyText,
        tagMutability: 'MUTABLE',
        tagMutabilityExclusions: [],
        scanOnPush: true,
        images,
      },
      settingsFor(baseline, `r${r}`),
      { now: Date.parse(NOW), registryScanning: null, ...DEFAULT_PREFIXES },
    );
  }
  lines.push(
    `planner: ${REPOSITORIES} repositories × ${PLANNER_IMAGES} images in ${(performance.now() - start).toFixed(0)} ms`,
  );
  for (const line of lines) console.log(line);
  client.destroy();
} finally {
  await aws.stop();
}

/** The production wiring, second sweep (no drift): AWS requests per repository, by service and operation. */
async function productionWiring(): Promise<string[]> {
  const local = await startLocalAws({ snsTopics: ['gatekeeper'], now: NOW });
  const saved = { ...process.env };
  try {
    await createLedgerTable(local.clients.dynamodb(), 'gatekeeper-ledger');
    const dir = mkdtempSync(join(tmpdir(), 'gk-bench-sweep-'));
    writeFileSync(
      join(dir, 'hygiene.json'),
      JSON.stringify({
        apiVersion: 'gatekeeper/v1',
        kind: 'HygieneBaseline',
        defaults: {
          scanning: { expect: 'scan-on-push' },
          tagMutability: { expect: 'IMMUTABLE_WITH_EXCLUSION', exclusions: ['approved-*', 'quarantined-*'] },
        },
      }),
    );
    for (let r = 0; r < WIRED_REPOSITORIES; r++) {
      const name = `wired/r${String(r).padStart(4, '0')}`;
      local.ecr.seedRepository(name, {
        tagMutability: 'IMMUTABLE_WITH_EXCLUSION',
        exclusions: ['approved-*', 'quarantined-*'],
        scanOnPush: true,
      });
      for (let i = 0; i < WIRED_IMAGES; i++) {
        const built = buildImage(imageConfig(`${name}-${i}`));
        const { digest } = local.ecr.seedImage(name, {
          manifest: built.manifest,
          config: built.config,
          tags: [`1.${i}.0`],
          pushedAt: new Date(Date.parse(NOW) - (i + 2) * DAY_MS),
        });
        local.ecr.seedScan(name, digest, { status: 'COMPLETE', findings: [] });
      }
    }
    Object.assign(process.env, local.env, {
      GATEKEEPER_TOPIC_ARN: `arn:aws:sns:${local.region}:${local.accountId}:gatekeeper`,
      GATEKEEPER_LEDGER_TABLE: 'gatekeeper-ledger',
      GATEKEEPER_POLICY_SET: new URL('../policies', import.meta.url).pathname,
      GATEKEEPER_HYGIENE_BASELINE: join(dir, 'hygiene.json'),
      GATEKEEPER_HYGIENE_MODE: 'enforce',
      LOG_LEVEL: 'silent',
    });
    const deps = await buildSweepDependencies(process.env, { now: () => local.clock.now() });
    const wide = { ...deps, settings: { ...deps.settings, maxSafetyNetPerRun: 1_000_000 } };
    const first = await runSweep(wide, { kind: 'start' }, () => 900_000);
    local.resetCounts();
    const start = performance.now();
    const second = await runSweep(wide, { kind: 'start' }, () => 900_000);
    const ms = performance.now() - start;
    const counts: Record<string, Record<string, number>> = {
      ...local.callCounts(),
      inspector: local.faults.inspector.callCounts(),
    };
    const byService = Object.entries(counts)
      .map(([service, ops]) => [service, Object.entries(ops).filter(([, n]) => n > 0)] as const)
      .filter(([, ops]) => ops.length > 0);
    const total = byService.reduce((sum, [, ops]) => sum + ops.reduce((a, [, n]) => a + n, 0), 0);
    return [
      `production wiring, first sweep: ${first.status}, ${first.counters?.scanned} repositories, ${first.counters?.applied} fixed, ` +
        `${Object.values(local.ecr.tagMap('wired/r0000')).length} tags in wired/r0000 after it`,
      `production wiring, second sweep (no drift): ${second.status}, ${WIRED_REPOSITORIES} repositories × ${WIRED_IMAGES} decided images in ${(ms / 1000).toFixed(2)} s; ` +
        `${total} AWS requests (${(total / WIRED_REPOSITORIES).toFixed(2)} per repository): ` +
        byService.map(([service, ops]) => `${service} ${JSON.stringify(Object.fromEntries(ops))}`).join(', '),
    ];
  } finally {
    process.env = saved;
    await local.stop();
  }
}

for (const line of await productionWiring()) console.log(line);
