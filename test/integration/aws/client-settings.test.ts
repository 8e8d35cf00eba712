/**
 * The production client factories, unchanged, against real HTTP endpoints with injected server errors: every
 * AWS client the gatekeeper builds (ECR, SNS, DynamoDB, Inspector2) makes exactly its configured number of
 * attempts, no more and no fewer, and then surfaces the failure. Client mocks cannot show this: the retry
 * strategy lives in the SDK's middleware stack, below `send`.
 */

import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { DescribeRepositoriesCommand } from '@aws-sdk/client-ecr';
import { ListCoverageCommand } from '@aws-sdk/client-inspector2';
import { PublishCommand } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInspectorClient, INSPECTOR_CLIENT_DEFAULTS } from '../../../lib/inspector/inspector-client.ts';
import { createDynamoDbClient, DYNAMODB_CLIENT_DEFAULTS } from '../../../lib/ledger/dynamodb-client.ts';
import { createSnsClient, SNS_RETRY_DEFAULTS } from '../../../lib/notify/sns-notifier.ts';
import { createEcrClient, ECR_CLIENT_DEFAULTS } from '../../../lib/registry/ecr-client.ts';
import type { FaultController } from '../../support/http/faults.ts';
import { type LocalAws, startLocalAws } from '../../support/local-aws.ts';

let aws: LocalAws;
const saved = { ...process.env };

beforeAll(async () => {
  aws = await startLocalAws({ snsTopics: ['gatekeeper'] });
  // The factories take their endpoints from AWS_ENDPOINT_URL_*, as in Lambda they take AWS's.
  Object.assign(process.env, aws.env);
});
afterAll(() => {
  process.env = saved;
  return aws?.stop();
});

interface Case {
  readonly service: string;
  readonly operation: string;
  readonly maxAttempts: number;
  readonly faults: () => FaultController;
  readonly call: () => Promise<unknown>;
}

const cases: Case[] = [
  {
    service: 'ECR',
    operation: 'DescribeRepositories',
    maxAttempts: ECR_CLIENT_DEFAULTS.maxAttempts,
    faults: () => aws.faults.ecr,
    call: () => createEcrClient({ region: aws.region }).send(new DescribeRepositoriesCommand({})),
  },
  {
    service: 'SNS',
    operation: 'Publish',
    maxAttempts: SNS_RETRY_DEFAULTS.maxAttempts,
    faults: () => aws.faults.sns,
    call: () => {
      const topicArn = `arn:aws:sns:${aws.region}:${aws.accountId}:gatekeeper`;
      return createSnsClient({ topicArn }).send(new PublishCommand({ TopicArn: topicArn, Message: 'x' }));
    },
  },
  {
    service: 'DynamoDB',
    operation: 'ListTables',
    maxAttempts: DYNAMODB_CLIENT_DEFAULTS.maxAttempts,
    faults: () => aws.faults.dynamodb,
    call: () => createDynamoDbClient({ region: aws.region }).send(new ListTablesCommand({})),
  },
  {
    service: 'Inspector2',
    operation: 'ListCoverage',
    maxAttempts: INSPECTOR_CLIENT_DEFAULTS.maxAttempts,
    faults: () => aws.faults.inspector,
    call: () => createInspectorClient({ region: aws.region }).send(new ListCoverageCommand({})),
  },
];

describe('production client retry settings over HTTP', () => {
  it.each(cases)(
    '$service: $maxAttempts attempts on HTTP 500, then the error surfaces',
    async ({ operation, maxAttempts, faults, call }) => {
      // Prepare: one more failure than the client may absorb.
      const controller = faults();
      controller.clear().resetCounts();
      controller.failNext(operation, maxAttempts + 1, 'server-error');

      // Act
      const outcome = await call().then(
        () => 'succeeded',
        (error: { $metadata?: { httpStatusCode?: number; attempts?: number } }) => error,
      );

      // Assess: exactly maxAttempts requests reached the endpoint; the last scripted failure was never used.
      expect(outcome).toMatchObject({ $metadata: { httpStatusCode: 500, attempts: maxAttempts } });
      expect(controller.stats()[operation]?.attempts).toBe(maxAttempts);
      expect(controller.pendingFailures(operation)).toBe(1);
      controller.clear();

      // One failure fewer than the attempts: the same factory's client absorbs it and succeeds.
      controller.resetCounts();
      controller.failNext(operation, maxAttempts - 1, 'server-error');
      await expect(call()).resolves.toBeDefined();
      expect(controller.stats()[operation]?.attempts).toBe(maxAttempts);
    },
    30_000,
  );
});
