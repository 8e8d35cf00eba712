/**
 * Sweep benchmark: 1,000 repositories (5 images each) against the local ECR over HTTP with the production
 * adapters, in enforce mode (first run: every repository drifts and is fixed) and again (no drift). Prints wall
 * time, ECR calls per repository and the planner's own time for 1,000 repositories.
 * Run: npx tsx bench/sweep.ts [--quick]
 */
import {
  baselineFromJson,
  compileLifecycle,
  DEFAULT_PREFIXES,
  settingsFor,
} from '../lib/hygiene/baseline.ts';
import { planRepository } from '../lib/hygiene/drift.ts';
import { DAY_MS } from '../lib/hygiene/lifecycle-engine.ts';
import { serializeLifecyclePolicy } from '../lib/hygiene/lifecycle-policy.ts';
import { DEFAULT_SWEEP_SETTINGS, runSweep } from '../lib/hygiene/sweep.ts';
import { MemoryLedger } from '../lib/ledger/memory-ledger.ts';
import { createLogger } from '../lib/log/index.ts';
import { createEcrClient } from '../lib/registry/ecr-client.ts';
import { EcrRegistry } from '../lib/registry/ecr-registry.ts';
import { buildImage, imageConfig, startLocalAws } from '../test/support/local-aws.ts';
import { QUICK } from './support/measure.ts';

const REPOSITORIES = QUICK ? 10 : 1000;
const IMAGES = QUICK ? 2 : 5;
const PLANNER_IMAGES = QUICK ? 10 : 100;
const NOW = '2026-01-10T02:00:00Z';

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
