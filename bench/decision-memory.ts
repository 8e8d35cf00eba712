/**
 * Memory of one decision: peak RSS of a fresh process that runs the built enhanced-scan-completed function (the
 * Lambda bundle `npm run build` makes, policy set beside it) for one Inspector2 Scan event whose image has
 * 50,000 enhanced findings, against the local AWS endpoints over HTTP. The harness runs in this process; each
 * decision runs in its own child process, which reports `process.resourceUsage().maxRSS` after loading the
 * function (baseline) and after the decision (peak). Every run decides a new image (a first decision).
 *
 * `--before=<dir>` also builds and measures another checkout (for example an export of the commit before a
 * change, with node_modules linked), interleaved with this one, so both figures come from the same run.
 *
 *   npx tsx bench/decision-memory.ts [findings=50000] [runs=3] [--before=<dir>] [--node-flags='<flags>'] [--quick]
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTable, gateEnv, TABLE, TOPIC } from '../test/integration/gate/local-gate.ts';
import { seedDemoImage } from '../test/support/demo-images.ts';
import { enhancedFindings, startLocalAws } from '../test/support/local-aws.ts';
import { buildFunctionBundle, runFunctionChild } from './support/function-child.ts';
import { ARGS, machineLine, median, QUICK } from './support/measure.ts';

const FINDINGS = QUICK ? 500 : Number(ARGS[0] ?? 50_000);
const RUNS = QUICK ? 1 : Number(ARGS[1] ?? 3);
const FUNCTION = 'enhanced-scan-completed';
const HERE = resolve(fileURLToPath(new URL('..', import.meta.url)));
const BEFORE = process.argv.find((a) => a.startsWith('--before='))?.slice('--before='.length) ?? null;
/** Extra Node flags for the decision process (e.g. `--node-flags=--max-old-space-size=96`), as NODE_OPTIONS would give. */
const NODE_FLAGS = (
  process.argv.find((a) => a.startsWith('--node-flags='))?.slice('--node-flags='.length) ?? ''
)
  .split(' ')
  .filter((f) => f !== '');
const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL'];

/** What the child prints: kilobytes, as `resourceUsage().maxRSS` gives them. */
interface ChildReport {
  readonly baselineKb: number;
  readonly peakKb: number;
  /** Largest V8 heap (used, reserved) and external memory seen by a 5 ms sampler during the decision, bytes. */
  readonly most: { readonly heapUsed: number; readonly heapTotal: number; readonly external: number };
  readonly outcome: string;
  readonly verdict: string | null;
}

/** The child: load the bundle, note the peak so far, decide once, note the peak again. */
const CHILD = `
const { handler } = await import(process.env.GK_BENCH_BUNDLE);
const event = JSON.parse(process.env.GK_BENCH_EVENT);
const context = JSON.parse(process.env.GK_BENCH_CONTEXT);
context.getRemainingTimeInMillis = () => 900000;
const baselineKb = process.resourceUsage().maxRSS;
const most = { heapUsed: 0, heapTotal: 0, external: 0 };
const note = () => {
  const m = process.memoryUsage();
  for (const k of Object.keys(most)) most[k] = Math.max(most[k], m[k]);
};
const timer = setInterval(note, 5);
const result = await handler(event, context);
clearInterval(timer);
note();
const peakKb = process.resourceUsage().maxRSS;
process.stdout.write(JSON.stringify({ baselineKb, peakKb, most, outcome: result.outcome, verdict: result.verdict ?? null }));
`;

/** Median of the sampled maxima, MB. */
function heap(reports: readonly ChildReport[]): string {
  const m = (key: keyof ChildReport['most']) => median(reports.map((r) => r.most[key] / 2 ** 20)).toFixed(1);
  return `${m('heapUsed')} / ${m('heapTotal')} / ${m('external')}`;
}

const variants: { name: string; root: string }[] = [
  ...(BEFORE ? [{ name: 'before', root: resolve(BEFORE) }] : []),
  { name: 'this checkout', root: HERE },
];
const bundles = new Map<string, string>();
for (const v of variants)
  bundles.set(v.name, await buildFunctionBundle(v.root, FUNCTION, 'bench-decision-memory'));

const aws = await startLocalAws({ snsTopics: [TOPIC], ecr: { enhancedPageSize: 1000 } });
try {
  await createTable(aws);
  const env = gateEnv(aws);
  const template = enhancedFindings(FINDINGS);
  template.forEach((f, i) => {
    f.severity = SEVERITIES[i % SEVERITIES.length];
  });
  const results = new Map<string, ChildReport[]>(variants.map((v) => [v.name, []]));
  let seq = 0;
  for (let r = 0; r < RUNS; r += 1) {
    for (const v of variants) {
      seq += 1;
      const repository = 'bench/memory';
      const image = seedDemoImage(aws, repository, {
        image: { build: `memory-${seq}`, user: 'app' },
        tags: [`1.0.${seq}`],
        pushedAt: new Date(Date.now() - 10 * 60_000),
        enhancedFindings: template,
      });
      const counts: Record<string, number> = { TOTAL: FINDINGS };
      for (const f of template) counts[f.severity as string] = (counts[f.severity as string] ?? 0) + 1;
      const event = {
        version: '0',
        id: `00000000-0000-4000-9100-${String(seq).padStart(12, '0')}`,
        'detail-type': 'Inspector2 Scan',
        source: 'aws.inspector2',
        account: aws.accountId,
        time: new Date().toISOString(),
        region: aws.region,
        resources: [`arn:aws:ecr:${aws.region}:${aws.accountId}:repository/${repository}`],
        detail: {
          'scan-status': 'INITIAL_SCAN_COMPLETE',
          'repository-name': `arn:aws:ecr:${aws.region}:${aws.accountId}:repository/${repository}`,
          'finding-severity-counts': counts,
          'image-digest': image.digest,
          'image-tags': [`1.0.${seq}`],
          version: '1.0',
        },
      };
      const report = await runFunctionChild<ChildReport>(
        bundles.get(v.name) as string,
        CHILD,
        env,
        { GK_BENCH_EVENT: JSON.stringify(event) },
        NODE_FLAGS,
      );
      if (report.outcome !== 'decided') throw new Error(`${v.name}: the decision ended ${report.outcome}`);
      results.get(v.name)?.push(report);
      aws.ecr.clearScan(repository, image.digest);
    }
  }
  console.log(machineLine());
  console.log(
    `one decision over ${FINDINGS} enhanced findings (built ${FUNCTION} function, local AWS over HTTP), ${RUNS} runs, fresh process each${NODE_FLAGS.length > 0 ? ` with ${NODE_FLAGS.join(' ')}` : ''}; ledger ${TABLE}`,
  );
  console.log(
    'checkout | baseline RSS MB (median) | peak RSS MB (median) | peak RSS MB (min–max) | sampled max heap used / heap total / external MB | verdict',
  );
  for (const v of variants) {
    const reports = results.get(v.name) ?? [];
    const mb = (kb: number) => kb / 1024;
    const peaks = reports.map((x) => mb(x.peakKb));
    console.log(
      `${v.name} | ${median(reports.map((x) => mb(x.baselineKb))).toFixed(1)} | ${median(peaks).toFixed(1)} | ${Math.min(...peaks).toFixed(1)}–${Math.max(...peaks).toFixed(1)} | ${heap(reports)} | ${reports[0]?.verdict}`,
    );
  }
} finally {
  await aws.stop();
}
