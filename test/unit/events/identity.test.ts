import { describe, expect, it } from 'vitest';
import { InvalidEventError } from '../../../lib/events/errors.ts';
import { identityProblem, parseArn } from '../../../lib/events/identity.ts';
import { parseEvent } from '../../../lib/events/parse-event.ts';
import { eventFixtures, type Json } from './support.ts';

const ACCOUNT = '123456789012';
const FOREIGN = '999999999999';
const fixtures = eventFixtures();
const named = (file: string): Json => {
  const found = fixtures.find((f) => f.name === `events/${file}`);
  if (!found) throw new Error(`no sample events/${file}`);
  return structuredClone(found.usable);
};
const push = () => named('ecr-image-push.json');
const basic = () => named('ecr-basic-scan-complete.json');
const enhanced = () => named('inspector2-enhanced-scan-complete.json');
const finding = () => named('inspector2-finding-ecr-image.json');

function refusal(raw: Json): InvalidEventError {
  try {
    parseEvent(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidEventError);
    return error as InvalidEventError;
  }
  throw new Error('the event was accepted');
}

describe('parseArn', () => {
  it.each([
    ['arn:aws:ecr:us-east-1:123456789012:repository/a/b', 'ecr', 'us-east-1', ACCOUNT, 'repository/a/b'],
    ['arn:aws:events:eu-west-1:123456789012:rule/nightly', 'events', 'eu-west-1', ACCOUNT, 'rule/nightly'],
    ['arn:aws:s3:::bucket', 's3', '', '', 'bucket'],
    ['arn:aws-cn:ecr:cn-north-1:123456789012:repository/x', 'ecr', 'cn-north-1', ACCOUNT, 'repository/x'],
    [
      'arn:aws:ecr:us-east-1:123456789012:repository/r/sha256:ab',
      'ecr',
      'us-east-1',
      ACCOUNT,
      'repository/r/sha256:ab',
    ],
  ])('splits %s', (text, service, region, account, resource) => {
    expect(parseArn(text)).toMatchObject({ service, region, account, resource });
  });

  it.each([
    'repository/x',
    'arn:aws:ecr:us-east-1:123456789012',
    'arn:aws:ecr:us-east-1:123456789012:',
    'arn:gcp:ecr:us-east-1:123456789012:repository/x',
    'arn:aws:ecr:moon-1:123456789012:repository/x',
    'arn:aws:ecr:us-east-1:12345:repository/x',
    'arn:aws::us-east-1:123456789012:repository/x',
    'ARN:aws:ecr:us-east-1:123456789012:repository/x',
  ])('is not an ARN: %s', (text) => {
    expect(parseArn(text)).toBeNull();
  });

  it('names the account first, then the Region, and accepts what is not carried', () => {
    const envelope = { account: ACCOUNT, region: 'us-east-1' };
    expect(identityProblem(envelope, FOREIGN, 'eu-west-1')).toBe(
      `account ${FOREIGN} differs from the event's account ${ACCOUNT}`,
    );
    expect(identityProblem(envelope, ACCOUNT, 'eu-west-1')).toBe(
      "Region eu-west-1 differs from the event's Region us-east-1",
    );
    expect(identityProblem(envelope, '', '')).toBeNull();
  });
});

describe('parseEvent: envelope vs resource identity', () => {
  it.each(fixtures.map((f) => [f.name, f]))(
    'accepts the real event %s: every ARN in it names its own account and Region',
    (_name, fixture) => {
      expect(() => parseEvent(structuredClone(fixture.usable))).not.toThrow();
    },
  );

  it.each<[string, () => Json, (e: Json) => void, string, RegExp]>([
    [
      'ECR Image Action with a repository ARN of another account in resources[]',
      push,
      (e) => (e.resources = [`arn:aws:ecr:us-east-1:${FOREIGN}:repository/demo/web`]),
      'resources[0]',
      /^account 999999999999 differs from the event's account 123456789012$/,
    ],
    [
      'ECR Image Action with a resource of another Region',
      push,
      (e) => (e.resources = [`arn:aws:ecr:eu-west-1:${ACCOUNT}:repository/demo/web`]),
      'resources[0]',
      /^Region eu-west-1 differs from the event's Region us-east-1$/,
    ],
    [
      'ECR Image Scan whose envelope account was swapped (resources[] still names the real one)',
      basic,
      (e) => (e.account = FOREIGN),
      'resources[0]',
      /account 123456789012 differs from the event's account 999999999999/,
    ],
    [
      'ECR Image Scan whose envelope Region was swapped',
      basic,
      (e) => (e.region = 'us-west-2'),
      'resources[0]',
      /Region us-east-1 differs from the event's Region us-west-2/,
    ],
    [
      'a second resource that is not an ARN',
      basic,
      (e) => e.resources.push('demo/web'),
      'resources[1]',
      /must be an ARN/,
    ],
    [
      'Inspector2 Scan whose repository ARN names another account',
      enhanced,
      (e) =>
        (e.detail['repository-name'] = `arn:aws:ecr:us-east-1:${FOREIGN}:repository/demo/cluster-autoscaler`),
      'detail.repository-name',
      /account 999999999999 differs/,
    ],
    [
      'Inspector2 Scan whose repository ARN names another Region',
      enhanced,
      (e) =>
        (e.detail['repository-name'] =
          `arn:aws:ecr:ap-south-1:${ACCOUNT}:repository/demo/cluster-autoscaler`),
      'detail.repository-name',
      /Region ap-south-1 differs/,
    ],
    [
      'Inspector2 Finding whose image resource id names another account',
      finding,
      (e) => (e.detail.resources[0].id = e.detail.resources[0].id.replace(`:${ACCOUNT}:`, `:${FOREIGN}:`)),
      'detail.resources[0].id',
      /account 999999999999 differs/,
    ],
    [
      'Inspector2 Finding whose image resource id names another Region',
      finding,
      (e) => (e.detail.resources[0].id = e.detail.resources[0].id.replace(':us-east-1:', ':eu-central-1:')),
      'detail.resources[0].id',
      /Region eu-central-1 differs/,
    ],
    [
      'Inspector2 Finding about another account (detail.awsAccountId)',
      finding,
      (e) => (e.detail.awsAccountId = FOREIGN),
      'detail.awsAccountId',
      /account 999999999999 differs/,
    ],
    [
      'Inspector2 Finding with detail.awsAccountId not an account id',
      finding,
      (e) => (e.detail.awsAccountId = 123456789012),
      'detail.awsAccountId',
      /12-digit/,
    ],
    [
      'Inspector2 Finding whose resource carries another Region',
      finding,
      (e) => (e.detail.resources[0].region = 'eu-west-1'),
      'detail.resources[0].region',
      /Region eu-west-1 differs/,
    ],
    [
      'Inspector2 Finding whose resource carries another partition than its id',
      finding,
      (e) => (e.detail.resources[0].partition = 'aws-cn'),
      'detail.resources[0].partition',
      /partition "aws-cn" differs/,
    ],
    [
      'Inspector2 Finding whose finding ARN is of another Region',
      finding,
      (e) => (e.detail.findingArn = e.detail.findingArn.replace(':us-east-1:', ':us-west-1:')),
      'detail.findingArn',
      /Region us-west-1 differs/,
    ],
    [
      'Inspector2 Finding whose finding ARN is not an Inspector ARN',
      finding,
      (e) => (e.detail.findingArn = 'finding/0d3e7c4b'),
      'detail.findingArn',
      /Inspector finding ARN/,
    ],
    [
      'Inspector2 Finding whose envelope resource names another account (detail is consistent)',
      finding,
      (e) => (e.resources = [e.resources[0].replace(`:${ACCOUNT}:`, `:${FOREIGN}:`)]),
      'resources[0]',
      /account 999999999999 differs/,
    ],
  ])('refuses %s, naming the field', (_name, make, edit, field, problem) => {
    // Prepare
    const raw = make();
    edit(raw);
    // Act
    const error = refusal(raw);
    // Assess
    expect(error.field).toBe(field);
    const prefix = `event ${raw.id}: ${field}: `;
    expect(error.message.startsWith(prefix)).toBe(true);
    expect(error.message.slice(prefix.length)).toMatch(problem);
  });

  it('accepts an Inspector2 Finding whose resource Region and partition are "N/A" or match the id', () => {
    const raw = finding();
    raw.detail.resources[0].region = 'N/A';
    raw.detail.resources[0].partition = 'N/A';
    expect(parseEvent(raw).kind).toBe('finding-changed');
    raw.detail.resources[0].region = 'us-east-1';
    raw.detail.resources[0].partition = 'aws';
    expect(parseEvent(raw).kind).toBe('finding-changed');
  });
});
