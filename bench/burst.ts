/**
 * Reliability requirement 21 at full size: 500 push + 500 scan events against the local ECR limited to
 * 10 PutImage/s, drained with the deployment's reserved concurrency (image-pushed 5, basic-scan-completed 4)
 * and the production client settings. Prints duration, calls and throttled requests per operation, images
 * decided, failed invocations and what would have been dead-lettered.
 *
 *   npx tsx bench/burst.ts [images=500] [tagsPerImage=3] [--quick]
 */
import { cpus } from 'node:os';
import { runBurst } from '../test/integration/gate/burst.ts';
import { createTable, TOPIC } from '../test/integration/gate/local-gate.ts';
import { startLocalAws } from '../test/support/local-aws.ts';
import { ARGS, QUICK } from './support/measure.ts';

const images = QUICK ? 4 : Number(ARGS[0] ?? 500);
const tagsPerImage = QUICK ? 1 : Number(ARGS[1] ?? 3);
const aws = await startLocalAws({ snsTopics: [TOPIC] });
try {
  await createTable(aws);
  const report = await runBurst(aws, { images, tagsPerImage, retryDelayMs: 1_000 });
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  console.log(`machine   ${cpu} × ${cpus().length}, Node ${process.version}, ${new Date().toISOString()}`);
  console.log(`events    ${report.events} (${images} push + ${images} scan, ${tagsPerImage} tags per image)`);
  console.log(`duration  ${(report.durationMs / 1000).toFixed(1)} s`);
  console.log(
    `decided   ${report.decided}/${images} (approved ${report.approved}, quarantined ${report.quarantined})`,
  );
  console.log(`notified  ${report.notifications}`);
  console.log(
    `failed invocations (retried by Lambda) ${report.failedInvocations} ${JSON.stringify(report.errorNames)}`,
  );
  console.log(`dead-lettered ${report.deadLettered}`);
  console.log(`calls     ${JSON.stringify(report.calls)}`);
  console.log(`throttled ${JSON.stringify(report.throttled)}`);
  console.log(`attempts  ${JSON.stringify(report.attempts)}`);
  process.exitCode = report.decided === images && report.deadLettered === 0 ? 0 : 1;
} finally {
  await aws.stop();
}
