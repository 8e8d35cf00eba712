import { describe, expect, it } from 'vitest';
import { parseSweepEvent } from '../../../lib/hygiene/sweep-event.ts';

const scheduled = {
  version: '0',
  id: '53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: '123456789012',
  time: '2026-01-10T02:00:00Z',
  region: 'eu-west-1',
  resources: ['arn:aws:events:eu-west-1:123456789012:rule/nightly'],
  detail: {},
};
const createRepository = {
  version: '0',
  id: '6f2a7c1e-0000-4000-8000-000000000001',
  'detail-type': 'AWS API Call via CloudTrail',
  source: 'aws.ecr',
  account: '123456789012',
  time: '2026-01-10T09:00:00Z',
  region: 'eu-west-1',
  resources: [],
  detail: {
    eventSource: 'ecr.amazonaws.com',
    eventName: 'CreateRepository',
    requestParameters: { repositoryName: 'team-a/api' },
  },
};

describe('sweep triggers', () => {
  it.each([
    [{ gatekeeperSweep: 'start' }, { kind: 'start' }],
    [{ gatekeeperSweep: 'resume' }, { kind: 'resume' }],
    [{ gatekeeperSweep: 'deadlines' }, { kind: 'deadlines' }],
    [scheduled, { kind: 'start' }],
    [createRepository, { kind: 'repositories', repositories: ['team-a/api'] }],
  ])('%#: accepted', (event, want) => {
    expect(parseSweepEvent(event)).toEqual(want);
  });

  it.each<[unknown, string]>([
    [null, 'expected a JSON object'],
    [{ gatekeeperSweep: 'stop' }, 'gatekeeperSweep: must be "start", "resume" or "deadlines"'],
    [
      { ...createRepository, detail: { ...createRepository.detail, eventName: 'DeleteRepository' } },
      'detail.eventName: only CreateRepository',
    ],
    [
      {
        ...createRepository,
        detail: { ...createRepository.detail, requestParameters: { repositoryName: 'Bad Name' } },
      },
      'detail.requestParameters.repositoryName',
    ],
    [
      { ...scheduled, 'detail-type': 'ECR Image Action', source: 'aws.ecr' },
      'detail-type: not a sweep trigger',
    ],
  ])('%#: refused naming the field', (event, message) => {
    expect(() => parseSweepEvent(structuredClone(event))).toThrow(message);
  });
});

describe('sweep triggers: envelope vs resource identity', () => {
  const cloudTrail = {
    ...createRepository,
    detail: {
      ...createRepository.detail,
      awsRegion: 'eu-west-1',
      recipientAccountId: '123456789012',
      userIdentity: { accountId: '210987654321' },
      responseElements: {
        repository: {
          registryId: '123456789012',
          repositoryArn: 'arn:aws:ecr:eu-west-1:123456789012:repository/team-a/api',
          repositoryName: 'team-a/api',
        },
      },
    },
  };

  it('accepts a CloudTrail CreateRepository whose record names the envelope account and Region (the caller may be another account)', () => {
    expect(parseSweepEvent(structuredClone(cloudTrail))).toEqual({
      kind: 'repositories',
      repositories: ['team-a/api'],
    });
  });

  it.each<[string, unknown, string]>([
    [
      'a schedule whose rule is in another account',
      { ...scheduled, resources: ['arn:aws:events:eu-west-1:999999999999:rule/nightly'] },
      "resources[0]: account 999999999999 differs from the event's account 123456789012",
    ],
    [
      'a schedule whose rule is in another Region',
      { ...scheduled, resources: ['arn:aws:events:us-east-1:123456789012:rule/nightly'] },
      "resources[0]: Region us-east-1 differs from the event's Region eu-west-1",
    ],
    ['a schedule without an account', { ...scheduled, account: undefined }, 'account: must be a 12-digit'],
    [
      'a CreateRepository recorded in another Region',
      { ...cloudTrail, detail: { ...cloudTrail.detail, awsRegion: 'us-west-2' } },
      "detail.awsRegion: Region us-west-2 differs from the event's Region eu-west-1",
    ],
    [
      'a CreateRepository recorded for another account',
      { ...cloudTrail, detail: { ...cloudTrail.detail, recipientAccountId: '999999999999' } },
      'detail.recipientAccountId: account 999999999999 differs',
    ],
    [
      'a CreateRepository of a repository in another registry',
      {
        ...cloudTrail,
        detail: {
          ...cloudTrail.detail,
          responseElements: {
            repository: {
              ...cloudTrail.detail.responseElements.repository,
              repositoryArn: 'arn:aws:ecr:eu-west-1:999999999999:repository/team-a/api',
            },
          },
        },
      },
      'detail.responseElements.repository.repositoryArn: account 999999999999 differs',
    ],
  ])('refuses %s, naming the field', (_name, event, message) => {
    expect(() => parseSweepEvent(structuredClone(event))).toThrow(`hygiene sweep event: ${message}`);
  });
});
