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
    [scheduled, { kind: 'start' }],
    [createRepository, { kind: 'repositories', repositories: ['team-a/api'] }],
  ])('%#: accepted', (event, want) => {
    expect(parseSweepEvent(event)).toEqual(want);
  });

  it.each<[unknown, string]>([
    [null, 'expected a JSON object'],
    [{ gatekeeperSweep: 'stop' }, 'gatekeeperSweep: must be "start" or "resume"'],
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
