/**
 * Requests per decision ("Requests per decision" in BENCHMARKS.md): AWS requests per operation that the local
 * ECR, SNS and DynamoDB endpoints receive for
 *   - a first decision (single-arch image, 1 tag, 1 findings page), under the deployed default policy (it has
 *     image rules, so the config blob is read) and under a policy set without image rules;
 *   - the same with a clean scan (no findings: the scanning configuration decides whether it is settled);
 *   - a duplicate delivery of an event already fully handled;
 *   - a push awaiting its scan, when another push of the repository came moments before (warm container).
 * Requests are deterministic, so each figure is the median over the images of a run (all equal when nothing
 * races). The config blob GET is not an SDK request: it is one per GetDownloadUrlForLayer.
 *
 *   npx tsx bench/requests.ts [images=10] [--quick]
 */
import { handleGateEvent } from '../lib/gate/handle-event.ts';
import {
  createTable,
  fastGateDependencies,
  pushEvent,
  scanEvent,
  seedImage,
  TOPIC,
  withoutImageRules,
} from '../test/integration/gate/local-gate.ts';
import { type LocalAws, startLocalAws } from '../test/support/local-aws.ts';
import { ARGS, machineLine, QUICK } from './support/measure.ts';

const images = QUICK ? 1 : Number(ARGS[0] ?? 10);
const FINDING = {
  name: 'CVE-2099-0001',
  severity: 'LOW',
  uri: 'https://nvd.nist.gov/vuln/detail/CVE-2099-0001',
  attributes: [
    { key: 'package_name', value: 'zlib' },
    { key: 'package_version', value: '1.2.13' },
  ],
};

type Counts = Record<string, number>;

function flatten(aws: LocalAws): Counts {
  const out: Counts = {};
  for (const [service, operations] of Object.entries(aws.callCounts())) {
    for (const [operation, n] of Object.entries(operations as Counts)) out[`${service}.${operation}`] = n;
  }
  return out;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/** Median requests per operation over `runs` of `one` (each run measured from a reset). */
async function measure(aws: LocalAws, runs: number, one: (i: number) => Promise<unknown>) {
  const all: Counts[] = [];
  for (let i = 0; i < runs; i++) {
    const prepared = await one(i);
    if (typeof prepared === 'function') {
      aws.resetCounts();
      await (prepared as () => Promise<unknown>)();
    }
    all.push(flatten(aws));
  }
  const operations = [...new Set(all.flatMap((c) => Object.keys(c)))].sort();
  const perOperation: Counts = {};
  for (const op of operations) perOperation[op] = median(all.map((c) => c[op] ?? 0));
  const total = Object.values(perOperation).reduce((a, b) => a + b, 0);
  return { total, perOperation };
}

const aws = await startLocalAws({ snsTopics: [TOPIC] });
try {
  await createTable(aws);
  const deps = await fastGateDependencies(aws, { requestTimeoutMs: 10_000 });
  const policySet = deps.policySet;
  if (!policySet) throw new Error('policy set not loaded');
  const noImageRules = { ...deps, policySet: withoutImageRules(policySet) };
  const scan = (gate: typeof deps, repository: string, withFinding: boolean) => async (i: number) => {
    const { digest } = seedImage(aws, repository, [`1.0.${i}`], {
      status: 'COMPLETE',
      findings: withFinding ? [FINDING] : [],
    });
    const event = scanEvent(aws, repository, digest, [`1.0.${i}`]);
    return () => handleGateEvent(gate, 'basic-scan-completed', ['scan-completed'], event);
  };

  const rows: [string, Awaited<ReturnType<typeof measure>>][] = [];
  rows.push([
    'first decision, 1 finding, default policy',
    await measure(aws, images, scan(deps, 'r/a', true)),
  ]);
  rows.push([
    'first decision, 1 finding, no image rules',
    await measure(aws, images, scan(noImageRules, 'r/b', true)),
  ]);
  rows.push([
    'first decision, clean scan, default policy',
    await measure(aws, images, scan(deps, 'r/c', false)),
  ]);
  rows.push([
    'duplicate of a handled scan event',
    await measure(aws, images, async (i) => {
      const run = await scan(deps, 'r/d', true)(i);
      await run();
      return run;
    }),
  ]);
  rows.push([
    'push awaiting its scan (warm container)',
    await measure(aws, images, async (i) => {
      const first = seedImage(aws, 'r/e', [`p${i}`], null);
      await handleGateEvent(
        deps,
        'image-pushed',
        ['image-pushed'],
        pushEvent(aws, 'r/e', first.digest, `p${i}`),
      );
      const next = seedImage(aws, 'r/e', [`q${i}`], null);
      return () =>
        handleGateEvent(deps, 'image-pushed', ['image-pushed'], pushEvent(aws, 'r/e', next.digest, `q${i}`));
    }),
  ]);

  console.log(machineLine());
  console.log(`images per case: ${images} (median requests per operation)`);
  for (const [name, { total, perOperation }] of rows) {
    console.log(`${name.padEnd(44)} ${String(total).padStart(3)}  ${JSON.stringify(perOperation)}`);
  }
} finally {
  await aws.stop();
}
