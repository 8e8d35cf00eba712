/**
 * Handler CPU per warm decision: the built basic-scan-completed function (the Lambda bundle `npm run build` makes,
 * policy set beside it) runs in a child process against the local AWS endpoints, which run in this process, so
 * the child's CPU time (`process.cpuUsage()`, user + system) is the handler's alone: parsing, policy, SDK
 * serialisation and signing, HTTP, logging. Waiting for the endpoints costs no CPU, so their latency is excluded
 * by construction. The first decision of the child is its cold start and is reported apart; every following one
 * is a warm first decision of a new image (1 tag, 1 findings page of `findings` basic findings).
 *
 *   npx tsx bench/decision-cpu.ts [decisions=50] [findings=50] [--quick]
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTable, gateEnv, scanEvent, seedImage, TOPIC } from '../test/integration/gate/local-gate.ts';
import { basicFindings, startLocalAws } from '../test/support/local-aws.ts';
import { buildFunctionBundle, runFunctionChild } from './support/function-child.ts';
import { ARGS, machineLine, median, QUICK } from './support/measure.ts';

const DECISIONS = QUICK ? 3 : Number(ARGS[0] ?? 50);
const FINDINGS = QUICK ? 5 : Number(ARGS[1] ?? 50);
const FUNCTION = 'basic-scan-completed';
const HERE = resolve(fileURLToPath(new URL('..', import.meta.url)));

interface ChildReport {
  /** CPU ms of each decision, the first being the cold start (module load excluded). */
  readonly cpuMs: readonly number[];
  readonly outcomes: readonly string[];
}

/** The child: load the bundle, then decide each event in turn, timing the CPU of each. */
const CHILD = `
const { handler } = await import(process.env.GK_BENCH_BUNDLE);
const events = JSON.parse(process.env.GK_BENCH_EVENTS);
const context = JSON.parse(process.env.GK_BENCH_CONTEXT);
context.getRemainingTimeInMillis = () => 900000;
const cpuMs = [];
const outcomes = [];
for (const event of events) {
  const before = process.cpuUsage();
  const result = await handler(event, context);
  const used = process.cpuUsage(before);
  cpuMs.push((used.user + used.system) / 1000);
  outcomes.push(result.outcome);
}
process.stdout.write(JSON.stringify({ cpuMs, outcomes }));
`;

const bundle = await buildFunctionBundle(HERE, FUNCTION, 'bench-decision-cpu');
const aws = await startLocalAws({ snsTopics: [TOPIC] });
try {
  await createTable(aws);
  const repository = 'bench/cpu';
  const events = Array.from({ length: DECISIONS + 1 }, (_, i) => {
    const tag = `1.0.${i}`;
    const { digest } = seedImage(aws, repository, [tag], {
      status: 'COMPLETE',
      findings: basicFindings(FINDINGS, 'LOW'),
    });
    return scanEvent(aws, repository, digest, [tag]);
  });
  const report = await runFunctionChild<ChildReport>(bundle, CHILD, gateEnv(aws), {
    GK_BENCH_EVENTS: JSON.stringify(events),
  });
  const wrong = report.outcomes.filter((o) => o !== 'decided');
  if (wrong.length > 0) throw new Error(`decisions that did not decide: ${wrong.join(', ')}`);
  const [cold, ...warm] = report.cpuMs;
  const sorted = [...warm].sort((a, b) => a - b);
  const p90 = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.9))] ?? 0;
  console.log(machineLine());
  console.log(
    `handler CPU per decision (built ${FUNCTION} function in its own process, local AWS over HTTP in this one), ` +
      `${FINDINGS} basic findings, 1 tag, 1 findings page`,
  );
  console.log(`cold (first decision of the process) | ${(cold ?? 0).toFixed(1)} ms`);
  console.log(
    `warm, ${warm.length} decisions | median ${median(warm).toFixed(1)} ms | p90 ${p90.toFixed(1)} ms | min ${(sorted[0] ?? 0).toFixed(1)} ms`,
  );
} finally {
  await aws.stop();
}
