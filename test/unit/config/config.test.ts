import { describe, expect, it } from 'vitest';
import { ConfigError, globMatches, isRepositoryInScope, loadConfig } from '../../../lib/config/index.ts';
import { matchWildcard } from '../../../lib/hygiene/wildcard.ts';
import { globMatches as policyGlobMatches } from '../../../lib/policy/glob.ts';

const BASE = {
  GATEKEEPER_TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:gatekeeper-alerts',
  GATEKEEPER_LEDGER_TABLE: 'gatekeeper-ledger',
} as const;

function configError(env: NodeJS.ProcessEnv, options?: { requireAws?: boolean }): ConfigError {
  try {
    loadConfig(env, options);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('loadConfig accepted the environment');
}

describe('loadConfig', () => {
  it('applies the documented defaults and freezes the result', () => {
    const config = loadConfig({ ...BASE, PATH: '/usr/bin', AWS_REGION: 'eu-west-1' });
    expect(config).toEqual({
      topicArn: BASE.GATEKEEPER_TOPIC_ARN,
      ledgerTable: 'gatekeeper-ledger',
      policySetPath: 'policy-set.json',
      hygieneBaselinePath: 'hygiene-baseline.json',
      approvedPrefix: 'approved-',
      quarantinedPrefix: 'quarantined-',
      repositoryScope: ['*'],
      hygieneMode: 'report',
      consoleUrlRegion: null,
      inspectorUsage: true,
      logLevel: 'info',
      metricsNamespace: 'EcrScanGatekeeper',
      rejudgeQueueUrl: null,
      snapshotBucket: null,
      rejudgeMaxReceiveCount: null,
    });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.repositoryScope)).toBe(true);
  });

  it('reads every variable', () => {
    const config = loadConfig({
      ...BASE,
      GATEKEEPER_LEDGER_TABLE: 'arn:aws:dynamodb:eu-west-1:123456789012:table/gk-ledger',
      GATEKEEPER_POLICY_SET: './policies',
      GATEKEEPER_HYGIENE_BASELINE: '/var/task/hygiene.json',
      GATEKEEPER_APPROVED_PREFIX: 'ok_',
      GATEKEEPER_QUARANTINED_PREFIX: 'blocked.',
      GATEKEEPER_REPOSITORY_SCOPE: ' team-a/* , shared,team-a/* ',
      GATEKEEPER_HYGIENE_MODE: 'enforce',
      GATEKEEPER_CONSOLE_URL_REGION: 'us-east-1',
      GATEKEEPER_INSPECTOR_USAGE: 'OFF',
      GATEKEEPER_METRICS_NAMESPACE: 'Team/Gatekeeper#prod',
      GATEKEEPER_REJUDGE_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/gk-rejudge',
      GATEKEEPER_SNAPSHOT_BUCKET: 'gk-prod-snapshots',
      GATEKEEPER_REJUDGE_MAX_RECEIVE_COUNT: '5',
      LOG_LEVEL: 'DEBUG',
    });
    expect(config).toMatchObject({
      ledgerTable: 'arn:aws:dynamodb:eu-west-1:123456789012:table/gk-ledger',
      policySetPath: './policies',
      approvedPrefix: 'ok_',
      quarantinedPrefix: 'blocked.',
      repositoryScope: ['team-a/*', 'shared'],
      hygieneMode: 'enforce',
      consoleUrlRegion: 'us-east-1',
      inspectorUsage: false,
      logLevel: 'debug',
      metricsNamespace: 'Team/Gatekeeper#prod',
      rejudgeQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/gk-rejudge',
      snapshotBucket: 'gk-prod-snapshots',
      rejudgeMaxReceiveCount: 5,
    });
  });

  it('rejects a re-judgement maxReceiveCount that SQS would not accept, naming the variable', () => {
    for (const bad of ['0', '1001', '2.5', 'five']) {
      expect(() => loadConfig({ ...BASE, GATEKEEPER_REJUDGE_MAX_RECEIVE_COUNT: bad }), bad).toThrow(
        /GATEKEEPER_REJUDGE_MAX_RECEIVE_COUNT/,
      );
    }
  });

  it('treats blank values as unset', () => {
    expect(loadConfig({ ...BASE, GATEKEEPER_APPROVED_PREFIX: '  ', LOG_LEVEL: '' }).approvedPrefix).toBe(
      'approved-',
    );
  });

  it('lets the offline CLI run without topic and table', () => {
    const config = loadConfig({}, { requireAws: false });
    expect(config.topicArn).toBeNull();
    expect(config.ledgerTable).toBeNull();
  });

  it.each([
    ['missing topic', { GATEKEEPER_LEDGER_TABLE: 't-1' }, 'GATEKEEPER_TOPIC_ARN', /must be set/],
    [
      'missing table',
      { GATEKEEPER_TOPIC_ARN: BASE.GATEKEEPER_TOPIC_ARN },
      'GATEKEEPER_LEDGER_TABLE',
      /must be set/,
    ],
    [
      'topic not an ARN',
      { GATEKEEPER_TOPIC_ARN: 'gatekeeper-alerts' },
      'GATEKEEPER_TOPIC_ARN',
      /not an SNS topic ARN/,
    ],
    [
      'topic of another service',
      { GATEKEEPER_TOPIC_ARN: 'arn:aws:sqs:eu-west-1:123456789012:q' },
      'GATEKEEPER_TOPIC_ARN',
      /not an SNS/,
    ],
    [
      'topic with short account',
      { GATEKEEPER_TOPIC_ARN: 'arn:aws:sns:eu-west-1:1234:t' },
      'GATEKEEPER_TOPIC_ARN',
      /not an SNS/,
    ],
    [
      'FIFO topic',
      { GATEKEEPER_TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:t.fifo' },
      'GATEKEEPER_TOPIC_ARN',
      /FIFO/,
    ],
    ['bad table name', { GATEKEEPER_LEDGER_TABLE: 'a b' }, 'GATEKEEPER_LEDGER_TABLE', /not a DynamoDB table/],
    [
      'prefix with a slash',
      { GATEKEEPER_APPROVED_PREFIX: 'approved/' },
      'GATEKEEPER_APPROVED_PREFIX',
      /Docker tag grammar/,
    ],
    [
      'prefix starting with -',
      { GATEKEEPER_QUARANTINED_PREFIX: '-q' },
      'GATEKEEPER_QUARANTINED_PREFIX',
      /Docker tag grammar/,
    ],
    [
      'prefix too long',
      { GATEKEEPER_APPROVED_PREFIX: 'a'.repeat(65) },
      'GATEKEEPER_APPROVED_PREFIX',
      /limit is 64/,
    ],
    [
      'equal prefixes',
      { GATEKEEPER_APPROVED_PREFIX: 'x-', GATEKEEPER_QUARANTINED_PREFIX: 'x-' },
      'GATEKEEPER_QUARANTINED_PREFIX',
      /must differ/,
    ],
    [
      'nested prefixes',
      { GATEKEEPER_APPROVED_PREFIX: 'ok', GATEKEEPER_QUARANTINED_PREFIX: 'ok-not' },
      'GATEKEEPER_QUARANTINED_PREFIX',
      /overlap/,
    ],
    [
      'prefixes differing in case',
      { GATEKEEPER_APPROVED_PREFIX: 'A-', GATEKEEPER_QUARANTINED_PREFIX: 'a-' },
      'GATEKEEPER_QUARANTINED_PREFIX',
      /must differ/,
    ],
    [
      'empty scope entry',
      { GATEKEEPER_REPOSITORY_SCOPE: 'a,,b' },
      'GATEKEEPER_REPOSITORY_SCOPE',
      /entry 2 is empty/,
    ],
    [
      'scope with uppercase',
      { GATEKEEPER_REPOSITORY_SCOPE: 'Team/*' },
      'GATEKEEPER_REPOSITORY_SCOPE',
      /entry 1 "Team\/\*"/,
    ],
    ['hygiene mode', { GATEKEEPER_HYGIENE_MODE: 'fix' }, 'GATEKEEPER_HYGIENE_MODE', /"report" or "enforce"/],
    ['inspector usage', { GATEKEEPER_INSPECTOR_USAGE: 'yes' }, 'GATEKEEPER_INSPECTOR_USAGE', /"on" or "off"/],
    [
      'console region',
      { GATEKEEPER_CONSOLE_URL_REGION: 'Europe' },
      'GATEKEEPER_CONSOLE_URL_REGION',
      /not an AWS region/,
    ],
    [
      'metrics namespace with a blank',
      { GATEKEEPER_METRICS_NAMESPACE: 'Ecr Gatekeeper' },
      'GATEKEEPER_METRICS_NAMESPACE',
      /1-255 characters/,
    ],
    [
      'metrics namespace reserved for AWS',
      { GATEKEEPER_METRICS_NAMESPACE: 'AWS/ECR' },
      'GATEKEEPER_METRICS_NAMESPACE',
      /reserved for AWS/,
    ],
    [
      're-judgement queue',
      { GATEKEEPER_REJUDGE_QUEUE_URL: 'gk-rejudge' },
      'GATEKEEPER_REJUDGE_QUEUE_URL',
      /not an SQS queue URL/,
    ],
    [
      'snapshot bucket',
      { GATEKEEPER_SNAPSHOT_BUCKET: 's3://gk-snapshots' },
      'GATEKEEPER_SNAPSHOT_BUCKET',
      /not an S3 bucket name/,
    ],
    ['log level', { LOG_LEVEL: 'verbose' }, 'LOG_LEVEL', /debug, info, warn, error, silent/],
    ['typo', { GATEKEEPER_TOPIC_ARM: 'x' }, 'GATEKEEPER_TOPIC_ARM', /did you mean GATEKEEPER_TOPIC_ARN/],
    [
      'secret',
      { GATEKEEPER_SLACK_WEBHOOK_URL: 'https://hooks.slack.com/x' },
      'GATEKEEPER_SLACK_WEBHOOK_URL',
      /never read from the environment/,
    ],
    ['token', { GATEKEEPER_API_TOKEN: 'x' }, 'GATEKEEPER_API_TOKEN', /never read from the environment/],
  ])('%s → ConfigError naming the variable', (_what, overrides, variable, problem) => {
    const env: NodeJS.ProcessEnv = { ...BASE, ...overrides };
    if (_what === 'missing topic') delete env.GATEKEEPER_TOPIC_ARN;
    if (_what === 'missing table') delete env.GATEKEEPER_LEDGER_TABLE;
    const error = configError(env);
    expect(error.variable).toBe(variable);
    expect(error.message.startsWith(`${variable}: `)).toBe(true);
    expect(error.message).toMatch(problem);
    expect(error.name).toBe('ConfigError');
  });

  it('a secret-looking value never appears in the error message', () => {
    const error = configError({ ...BASE, GATEKEEPER_SLACK_TOKEN: 'xoxb-very-secret' });
    expect(error.message).not.toContain('xoxb');
  });
});

describe('repository scope', () => {
  it.each([
    ['*', 'team-a/api', true],
    ['team-a/*', 'team-a/api', true],
    ['team-a/*', 'team-a/nested/api', true],
    ['team-a/*', 'team-b/api', false],
    ['shared', 'shared', true],
    ['shared', 'shared-lib', false],
    ['svc-?', 'svc-1', true],
    ['svc-?', 'svc-10', false],
    ['*-prod', 'payments-prod', true],
    ['a*b*c', 'axxbyyc', true],
    ['a*b*c', 'axxbyy', false],
  ])('%s matches %s: %s', (glob, name, expected) => {
    expect(globMatches(glob, name)).toBe(expected);
  });

  it('pathological patterns stay fast (no backtracking blow-up)', () => {
    const started = performance.now();
    expect(globMatches(`${'*a'.repeat(30)}b`, 'a'.repeat(256))).toBe(false);
    expect(performance.now() - started).toBeLessThan(200);
  });

  it("is the policy engine's matcher, so a scope and a policy match.repositories read the same", () => {
    expect(globMatches).toBe(policyGlobMatches);
  });

  it('differs from ECR tagPatternList matching only in "?": one character here, a literal there', () => {
    expect([globMatches('svc-?', 'svc-1'), matchWildcard('svc-?', 'svc-1')]).toEqual([true, false]);
    expect([globMatches('svc-*', 'svc-1'), matchWildcard('svc-*', 'svc-1')]).toEqual([true, true]);
  });

  it('isRepositoryInScope matches any glob', () => {
    expect(isRepositoryInScope(['team-a/*', 'shared'], 'shared')).toBe(true);
    expect(isRepositoryInScope(['team-a/*'], 'shared')).toBe(false);
  });
});
