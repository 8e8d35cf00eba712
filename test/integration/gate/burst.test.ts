/**
 * Reliability requirement 21, scaled down (bench/burst.ts runs 500 + 500): a burst of push and scan events
 * against the local ECR limited to 10 PutImage/s, drained with the deployment's reserved concurrency and the
 * production client settings. Every image is decided, the throttling is absorbed, nothing would be
 * dead-lettered and each image is announced once.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type LocalAws, startLocalAws } from '../../support/local-aws.ts';
import { runBurst } from './burst.ts';
import { createTable, TOPIC } from './local-gate.ts';

let aws: LocalAws;
beforeAll(async () => {
  aws = await startLocalAws({ snsTopics: [TOPIC] });
  await createTable(aws);
});
afterAll(() => aws?.stop());

it('40 pushes + 40 scans (2 tags each) at 10 PutImage/s: every image decided, no event dead-lettered, one notification each', async () => {
  const report = await runBurst(aws, { images: 40, tagsPerImage: 2, retryDelayMs: 200 });

  expect(report.decided).toBe(40);
  expect(report.quarantined).toBe(8);
  expect(report.deadLettered).toBe(0);
  // The quota was really hit, and the SDK's adaptive retries absorbed it inside the invocations.
  expect(report.throttled['ecr:PutImage'] ?? 0).toBeGreaterThan(0);
  expect(report.errorNames.RegistryUnavailableError ?? 0).toBe(0);
  expect(report.notifications).toBe(40);
  expect(report.calls.ecr?.PutImage).toBe(80); // 2 source tags each, every retag exactly once
}, 60_000);
