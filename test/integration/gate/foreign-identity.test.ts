/**
 * Events about another account's or Region's image, through the real handlers (handlers/*.ts, dependencies
 * built from the environment, real SDK clients) against the local ECR, SNS, DynamoDB and Inspector endpoints:
 * each is refused by lib/events before anything is read or written, so no endpoint sees a single call. The
 * same events with the envelope's own identity are acted on, which shows the counters would have seen calls.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as basicScanHandler } from '../../../handlers/basic-scan-completed.ts';
import { handler as enhancedScanHandler } from '../../../handlers/enhanced-scan-completed.ts';
import { handler as findingHandler } from '../../../handlers/finding-changed.ts';
import { handler as pushHandler } from '../../../handlers/image-pushed.ts';
import type { GateHandlerResult } from '../../../lib/gate/handle-event.ts';
import { resetGateDependencies } from '../../../lib/wiring/gate-dependencies.ts';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION, type LocalAws, startLocalAws } from '../../support/local-aws.ts';
import {
  createTable,
  gateEnv,
  LAMBDA_CONTEXT,
  pushEvent,
  type RawEvent,
  scanEvent,
  seedImage,
  stampEvent,
  TOPIC,
} from './local-gate.ts';

const FOREIGN_ACCOUNT = '999999999999';
const FOREIGN_REGION = 'eu-west-3';
const REPOSITORY = 'it/identity';

let aws: LocalAws;
let digest: string;

beforeAll(async () => {
  aws = await startLocalAws({ snsTopics: [TOPIC] });
  await createTable(aws);
  Object.assign(process.env, gateEnv(aws));
  resetGateDependencies();
  digest = seedImage(aws, REPOSITORY, ['1.0.0'], { status: 'COMPLETE', findings: [] }).digest;
});
afterAll(async () => {
  resetGateDependencies();
  await aws?.stop();
});

const sample = (file: string): RawEvent => JSON.parse(readFileSync(`events/${file}`, 'utf8')) as RawEvent;
type Handler = typeof pushHandler;
const invoke = async (handler: Handler, event: RawEvent) =>
  (await handler(structuredClone(event), LAMBDA_CONTEXT)) as GateHandlerResult;

function repositoryArn(account: string, region: string): string {
  return `arn:aws:ecr:${region}:${account}:repository/${REPOSITORY}`;
}

function enhancedEvent(account: string, region: string): RawEvent {
  const event = stampEvent(aws, sample('inspector2-enhanced-scan-complete.json'), {
    'repository-name': repositoryArn(account, region),
    'image-digest': digest,
    'image-tags': ['1.0.0'],
  });
  event.resources = [repositoryArn(aws.accountId, aws.region)];
  return event;
}

function findingEvent(account: string, region: string): RawEvent {
  const event = stampEvent(aws, sample('inspector2-finding-ecr-image.json'), {});
  const resource = event.detail.resources as Record<string, unknown>[];
  const image = resource[0] as Record<string, unknown> & {
    details: { awsEcrContainerImage: Record<string, unknown> };
  };
  image.id = `${repositoryArn(account, region)}/${digest}`;
  Object.assign(image.details.awsEcrContainerImage, {
    imageHash: digest,
    repositoryName: REPOSITORY,
    registry: account,
    imageTags: ['1.0.0'],
  });
  event.detail.awsAccountId = aws.accountId;
  event.resources = [`${repositoryArn(aws.accountId, aws.region)}/${digest}`];
  return event;
}

/** Every call that reached any local endpoint, per service and operation. */
function allCalls() {
  return { ...aws.callCounts(), inspector: aws.faults.inspector.callCounts() };
}

describe('events naming another account or Region than their envelope', () => {
  it.each<[string, Handler, () => RawEvent, string]>([
    [
      'ECR Image Action PUSH with a resource of another account',
      pushHandler,
      () => ({
        ...pushEvent(aws, REPOSITORY, digest, '1.0.1'),
        resources: [repositoryArn(FOREIGN_ACCOUNT, aws.region)],
      }),
      `resources[0]: account ${FOREIGN_ACCOUNT} differs from the event's account ${LOCAL_ACCOUNT_ID}`,
    ],
    [
      'ECR Image Scan whose envelope Region is not its repository ARN Region',
      basicScanHandler,
      () => ({
        ...scanEvent(aws, REPOSITORY, digest, ['1.0.0']),
        region: FOREIGN_REGION,
        resources: [repositoryArn(aws.accountId, aws.region)],
      }),
      `resources[0]: Region ${LOCAL_REGION} differs from the event's Region ${FOREIGN_REGION}`,
    ],
    [
      'Inspector2 Scan of another account',
      enhancedScanHandler,
      () => enhancedEvent(FOREIGN_ACCOUNT, aws.region),
      `detail.repository-name: account ${FOREIGN_ACCOUNT} differs from the event's account ${LOCAL_ACCOUNT_ID}`,
    ],
    [
      'Inspector2 Finding about an image in another Region',
      findingHandler,
      () => findingEvent(aws.accountId, FOREIGN_REGION),
      `detail.resources[0].id: Region ${FOREIGN_REGION} differs from the event's Region ${LOCAL_REGION}`,
    ],
  ])(
    '%s → rejected with the field named, no call to ECR, SNS, DynamoDB or Inspector',
    async (_name, handler, make, problem) => {
      // Prepare
      const event = make();
      aws.resetCounts();
      // Act
      const result = await invoke(handler, event);
      // Assess
      expect(result.outcome).toBe('rejected');
      expect(result.detail).toBe(`event ${event.id}: ${problem}`);
      expect(allCalls()).toEqual({ ecr: {}, sns: {}, dynamodb: {}, inspector: {} });
      expect([...(aws.ecr.tagsOf(REPOSITORY, digest) ?? [])]).toEqual(['1.0.0']);
    },
  );

  it('the same events with the envelope’s own identity reach ECR (the counters would have seen a call)', async () => {
    for (const [handler, event] of [
      [pushHandler, pushEvent(aws, REPOSITORY, digest, '1.0.1')],
      [basicScanHandler, scanEvent(aws, REPOSITORY, digest, ['1.0.0'])],
      [enhancedScanHandler, enhancedEvent(aws.accountId, aws.region)],
      [findingHandler, findingEvent(aws.accountId, aws.region)],
    ] as const) {
      aws.resetCounts();
      // The outcome depends on the image's scan (an enhanced read of a basic scan is "not ready" and thrown
      // for a retry); what matters here is that the event was accepted and ECR was asked.
      const outcome = await invoke(handler, event).catch((error: Error) => ({ outcome: error.name }));
      expect(outcome.outcome).not.toBe('rejected');
      expect(Object.keys(aws.callCounts().ecr).length).toBeGreaterThan(0);
    }
  });
});
