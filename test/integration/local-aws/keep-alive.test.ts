import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { DescribeRepositoriesCommand } from '@aws-sdk/client-ecr';
import { ListTopicsCommand } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createDynamoDbClient } from '../../../lib/ledger/dynamodb-client.ts';
import { createSnsClient } from '../../../lib/notify/sns-notifier.ts';
import { createEcrClient } from '../../../lib/registry/ecr-client.ts';
import { type LocalAws, startLocalAws } from '../../support/local-aws.ts';

// The local endpoints must let the SDK keep its connections, as AWS does for a warm Lambda: otherwise every
// call opens a connection and the benchmarks measure connection set-up that production does not pay.
let aws: LocalAws;

beforeAll(async () => {
  aws = await startLocalAws({ snsTopics: ['alerts'] });
});
afterAll(async () => {
  await aws.stop();
});

const credentials = { accessKeyId: 'AKIDLOCALTESTONLY000', secretAccessKey: 'local-test-secret' };

it('sequential calls of the production ECR, SNS and DynamoDB clients reuse one connection each', async () => {
  // Prepare: the clients the handlers build, pointed at the local endpoints.
  aws.ecr.seedRepository('keep/alive');
  const ecr = createEcrClient({ region: aws.region, endpoint: aws.endpoints.ecr, credentials });
  const sns = createSnsClient({
    topicArn: `arn:aws:sns:${aws.region}:${aws.accountId}:alerts`,
    endpoint: aws.endpoints.sns,
    credentials,
  });
  const dynamodb = createDynamoDbClient({
    region: aws.region,
    endpoint: aws.endpoints.dynamodb as string,
    credentials,
  });
  const before = aws.connectionCounts();
  try {
    // Act: three calls each, one after the other (a connection is free again before the next call).
    for (let i = 0; i < 3; i += 1) {
      await ecr.send(new DescribeRepositoriesCommand({}));
      await sns.send(new ListTopicsCommand({}));
      await dynamodb.send(new ListTablesCommand({}));
    }

    // Assess
    expect(aws.callCounts()).toMatchObject({
      ecr: { DescribeRepositories: 3 },
      sns: { ListTopics: 3 },
      dynamodb: { ListTables: 3 },
    });
    const after = aws.connectionCounts();
    expect({
      ecr: after.ecr - before.ecr,
      sns: after.sns - before.sns,
      dynamodb: after.dynamodb - before.dynamodb,
    }).toEqual({ ecr: 1, sns: 1, dynamodb: 1 });
  } finally {
    ecr.destroy();
    sns.destroy();
    dynamodb.destroy();
  }
});

it('a client that does not keep connections alive is counted once per call', async () => {
  // Prepare: proves the count sees every connection, so the test above would catch a connection per call.
  const ecr = createEcrClient({ region: aws.region, endpoint: aws.endpoints.ecr, credentials });
  const before = aws.connectionCounts().ecr;
  try {
    // Act: each call asks the server to close the connection after answering.
    ecr.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { headers: Record<string, string> };
        request.headers.connection = 'close';
        return next(args);
      },
      { step: 'finalizeRequest', name: 'closeConnection' },
    );
    await ecr.send(new DescribeRepositoriesCommand({}));
    await ecr.send(new DescribeRepositoriesCommand({}));

    // Assess
    expect(aws.connectionCounts().ecr - before).toBe(2);
  } finally {
    ecr.destroy();
  }
});
