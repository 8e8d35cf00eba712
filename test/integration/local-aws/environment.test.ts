import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { DescribeRepositoriesCommand, ECRClient } from '@aws-sdk/client-ecr';
import { ListTopicsCommand, SNSClient } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type LocalAws, startLocalAws } from '../../support/local-aws.ts';

let aws: LocalAws;
const saved: Record<string, string | undefined> = {};

beforeAll(async () => {
  aws = await startLocalAws({ snsTopics: ['from-env'] });
  for (const [k, v] of Object.entries(aws.env)) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
});
afterAll(async () => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  await aws.stop();
});

it('clients built with no endpoint reach the local services through AWS_ENDPOINT_URL_* alone', async () => {
  aws.ecr.seedRepository('env/app');
  const ecr = new ECRClient({});
  const sns = new SNSClient({});
  const ddb = new DynamoDBClient({});
  try {
    const repos = await ecr.send(new DescribeRepositoriesCommand({}));
    expect(repos.repositories?.map((r) => r.repositoryName)).toEqual(['env/app']);
    const topics = await sns.send(new ListTopicsCommand({}));
    expect(topics.Topics?.[0]?.TopicArn).toBe(`arn:aws:sns:${aws.region}:${aws.accountId}:from-env`);
    expect((await ddb.send(new ListTablesCommand({}))).TableNames).toEqual([]);
    expect(aws.callCounts()).toEqual({
      ecr: { DescribeRepositories: 1 },
      sns: { ListTopics: 1 },
      dynamodb: { ListTables: 1 },
    });
  } finally {
    ecr.destroy();
    sns.destroy();
    ddb.destroy();
  }
});
