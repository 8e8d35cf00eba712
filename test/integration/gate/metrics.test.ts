/**
 * AwsRequests, the per-event request count, over the production client factories and real HTTP: the number in
 * the metrics line equals the number of SDK requests the local ECR, SNS and DynamoDB endpoints received for that
 * event, retried attempts included; concurrent events in one process keep their counts apart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GateDependencies } from '../../../lib/gate/context.ts';
import { handleGateEvent } from '../../../lib/gate/handle-event.ts';
import { createLogger } from '../../../lib/log/index.ts';
import { buildGateDependencies } from '../../../lib/wiring/gate-dependencies.ts';
import { emfProblems, metricLines } from '../../support/emf.ts';
import type { OperationStats } from '../../support/http/faults.ts';
import { type LocalAws, startLocalAws } from '../../support/local-aws.ts';
import { createTable, gateEnv, scanEvent, seedImage, TOPIC } from './local-gate.ts';

let aws: LocalAws;
let deps: GateDependencies;
const lines: string[] = [];
const saved = { ...process.env };

beforeAll(async () => {
  aws = await startLocalAws({ snsTopics: [TOPIC] });
  await createTable(aws);
  // The production factories take their endpoints from AWS_ENDPOINT_URL_*, as in Lambda they take AWS's.
  Object.assign(process.env, aws.env);
  deps = await buildGateDependencies(gateEnv(aws), {
    logger: createLogger({ level: 'info', sink: (line) => lines.push(line) }),
    functionName: 'basic-scan-completed',
  });
}, 30_000);
afterAll(() => {
  process.env = saved;
  return aws?.stop();
});

/** Every HTTP request the SDK sent to the three services (retried attempts included). */
function requestsSeen(): number {
  const stats = aws.callStats();
  const sum = (service: Record<string, OperationStats>) =>
    Object.values(service).reduce((total, s) => total + s.attempts, 0);
  return sum(stats.ecr) + sum(stats.sns) + sum(stats.dynamodb);
}

async function decide(repository: string): Promise<Record<string, unknown>> {
  const { digest } = seedImage(aws, repository, ['1.0.0'], { status: 'COMPLETE', findings: [] });
  const before = lines.length;
  await handleGateEvent(
    deps,
    'basic-scan-completed',
    ['scan-completed'],
    scanEvent(aws, repository, digest, ['1.0.0']),
  );
  const written = metricLines(lines.slice(before)).filter((line) => line.digest === digest);
  expect(written).toHaveLength(1);
  expect(emfProblems(JSON.stringify(written[0]))).toEqual([]);
  return written[0] as Record<string, unknown>;
}

describe('AwsRequests over HTTP', () => {
  it('equals the requests the endpoints received for the event', async () => {
    aws.resetCounts();

    const line = await decide('metrics/plain');

    expect(line).toMatchObject({ Outcome: 'decided', Decisions: 1, Verdict: 'approved' });
    expect(line.AwsRequests).toBeGreaterThan(3);
    // The endpoints count SDK requests only: the config blob GET of a presigned URL is not one, and not counted.
    expect(line.AwsRequests).toBe(requestsSeen());
  });

  it('counts retried attempts', async () => {
    aws.resetCounts();
    aws.faults.ecr.failNext('DescribeImages', 2, 'server-error');

    const line = await decide('metrics/retried');

    expect(aws.callStats().ecr.DescribeImages?.faulted).toBe(2);
    expect(line.AwsRequests).toBe(requestsSeen());
  });

  it('keeps concurrent events apart', async () => {
    aws.resetCounts();
    const alone = (await decide('metrics/alone')).AwsRequests as number;

    const both = await Promise.all([decide('metrics/first'), decide('metrics/second')]);

    // Same work each: the same count each, not the sum of both.
    expect(both.map((l) => l.AwsRequests)).toEqual([alone, alone]);
  });
});
