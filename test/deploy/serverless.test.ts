/**
 * The packaged template as a reviewer would read it: functions, event patterns against the real AWS payloads
 * in test/fixtures/aws, retries, concurrency, least-privilege roles and stage parameters.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES, loadConfig } from '../../lib/config/index.ts';
import { parseSweepEvent } from '../../lib/hygiene/sweep-event.ts';
import {
  LEDGER_DEADLINE_CHECK_ATTRIBUTE,
  LEDGER_PARTITION_KEY,
  LEDGER_POLICY_VERSION_ATTRIBUTE,
  LEDGER_POLICY_VERSION_INDEX,
  LEDGER_RECHECK_ATTRIBUTE,
  LEDGER_RECHECK_INDEX,
  LEDGER_STATE_ATTRIBUTE,
  LEDGER_TTL_ATTRIBUTE,
  LEDGER_WAIVER_EXPIRY_ATTRIBUTE,
} from '../../lib/ledger/table.ts';
import { DEFAULT_REJUDGE_SETTINGS } from '../../lib/rejudge/context.ts';
import { FUNCTIONS } from '../../scripts/build-functions.ts';
import type { Json, JsonObject, Resource, Template } from '../../scripts/template-checks/template.ts';
import { matchesPattern } from './support/event-pattern.ts';
import { ensurePackaged, packageService, ROOT } from './support/packaged.ts';
import { readZip } from './support/zip-reader.ts';

const FIXTURES = join(ROOT, 'test', 'fixtures', 'aws');
const fixture = (name: string): JsonObject =>
  JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as JsonObject;
const scratch = mkdtempSync(join(tmpdir(), 'gatekeeper-package-'));
let template: Template;

beforeAll(async () => {
  template = await ensurePackaged();
}, 180_000);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const ofType = (t: Template, type: string): [string, Resource][] =>
  Object.entries(t.Resources).filter(([, r]) => r.Type === type);

/** Function logical id by its bundle name (handler `.build/<name>/index.handler`). */
function functionFor(t: Template, name: string): [string, Resource] {
  const found = ofType(t, 'AWS::Lambda::Function').find(
    ([, fn]) => fn.Properties?.Handler === `.build/${name}/index.handler`,
  );
  if (!found) throw new Error(`no function for ${name}`);
  return found;
}

/** The rules whose target is the function of `name`. */
function rulesFor(t: Template, name: string): JsonObject[] {
  const [id] = functionFor(t, name);
  return ofType(t, 'AWS::Events::Rule')
    .map(([, rule]) => rule.Properties as JsonObject)
    .filter((p) =>
      (p.Targets as JsonObject[]).some((target) => JSON.stringify(target.Arn).includes(`"${id}"`)),
    );
}

/** Properties of a resource (never undefined, for terse assertions). */
const props = (resource: Resource): JsonObject => resource.Properties ?? {};
const variablesOf = (resource: Resource): Record<string, Json> =>
  (props(resource).Environment as { Variables: Record<string, Json> }).Variables;

function statements(t: Template, roleId: string): JsonObject[] {
  const role = t.Resources[roleId];
  if (!role) throw new Error(`no role ${roleId}`);
  const policies = props(role).Policies as {
    PolicyDocument: { Statement: JsonObject[] };
  }[];
  return policies.flatMap((p) => p.PolicyDocument.Statement);
}

function actionsOf(t: Template, roleId: string): string[] {
  return statements(t, roleId).flatMap((s) => [s.Action].flat() as string[]);
}

describe('functions', () => {
  it('packages exactly the functions the build produces', () => {
    const handlers = ofType(template, 'AWS::Lambda::Function').map(([, fn]) => fn.Properties?.Handler);
    expect(handlers.sort()).toEqual(FUNCTIONS.map((name) => `.build/${name}/index.handler`).sort());
    for (const name of FUNCTIONS) {
      const [, fn] = functionFor(template, name);
      expect(JSON.stringify(fn.Properties?.Code)).toContain(`/${name}.zip`);
    }
  });

  it('passes only configuration variables lib/config knows, with values it accepts', () => {
    for (const name of FUNCTIONS) {
      const [, fn] = functionFor(template, name);
      const variables = variablesOf(fn);
      for (const key of Object.keys(variables)) {
        expect([...CONFIG_VARIABLES, 'LOG_LEVEL'], `${name}: ${key}`).toContain(key);
      }
      // CloudFormation references become what they resolve to in AWS.
      const env = Object.fromEntries(
        Object.entries(variables).map(([key, value]) => [
          key,
          typeof value === 'string'
            ? value
            : key === 'GATEKEEPER_TOPIC_ARN'
              ? 'arn:aws:sns:us-east-1:123456789012:ecr-scan-gatekeeper-dev-alerts'
              : key === 'GATEKEEPER_REJUDGE_QUEUE_URL'
                ? 'https://sqs.us-east-1.amazonaws.com/123456789012/ecr-scan-gatekeeper-dev-rejudge'
                : 'ecr-scan-gatekeeper-dev-ledger',
        ]),
      );
      expect(() => loadConfig(env), name).not.toThrow();
    }
  });

  it('holds no secret: no secret-named variable, no webhook URL or token anywhere in the template', () => {
    for (const [id, fn] of ofType(template, 'AWS::Lambda::Function')) {
      for (const name of Object.keys(variablesOf(fn))) {
        expect(name, id).not.toMatch(/SECRET|TOKEN|PASSWORD|WEBHOOK|API_?KEY|CREDENTIAL/i);
      }
    }
    const text = JSON.stringify(template);
    expect(text).not.toMatch(/hooks\.slack\.com|xox[abpr]-|AKIA[0-9A-Z]{16}|aws_secret_access_key/i);
    // Slack is reached through AWS Chatbot (workspace and channel ids), so no webhook secret exists to leak.
    for (const [name, parameter] of Object.entries(
      (template.Parameters ?? {}) as Record<string, JsonObject>,
    )) {
      if (/secret|token|password|webhook/i.test(name)) expect(parameter.NoEcho, name).toBe(true);
    }
  });

  it('names bundled files that exist in the function zip (resolved against the Lambda task root)', () => {
    for (const name of FUNCTIONS) {
      const [, fn] = functionFor(template, name);
      const entries = readZip(readFileSync(join(ROOT, '.build', 'zips', `${name}.zip`))).map((e) => e.name);
      const variables = variablesOf(fn);
      const files = [variables.GATEKEEPER_POLICY_SET, variables.GATEKEEPER_HYGIENE_BASELINE].filter(
        (v) => v !== undefined,
      );
      // The registry snapshot judges nothing: it reads neither a policy set nor the baseline.
      expect(files.length, name).toBe(name === 'hygiene-sweep' ? 2 : name === 'registry-snapshot' ? 0 : 1);
      for (const file of files) expect(entries, `${name}: ${String(file)}`).toContain(file);
    }
  });

  it('gives the hygiene mode only to the sweep', () => {
    for (const name of FUNCTIONS) {
      const [, fn] = functionFor(template, name);
      const variables = variablesOf(fn);
      expect('GATEKEEPER_HYGIENE_MODE' in variables, name).toBe(name === 'hygiene-sweep');
    }
  });

  it('keeps tag-writing concurrency within ECR PutImage quota (10/s)', () => {
    // The event-driven writers: one image at a time each. The rejudge function is paced instead (below); the
    // registry snapshot writes no tag (its role has no ecr:PutImage: test/deploy/iam-actions.test.ts).
    const writers = FUNCTIONS.filter(
      (name) => name !== 'image-pushed' && name !== 'rejudge' && name !== 'registry-snapshot',
    );
    const total = writers.reduce(
      (sum, name) => sum + Number(functionFor(template, name)[1].Properties?.ReservedConcurrentExecutions),
      0,
    );
    expect(total).toBeLessThanOrEqual(10);
    for (const name of FUNCTIONS) {
      expect(functionFor(template, name)[1].Properties?.ReservedConcurrentExecutions, name).toBeGreaterThan(
        0,
      );
    }
    // Re-judgement: reserved concurrency × the per-worker PutImage pacing stays under half the quota.
    const rejudgeConcurrency = Number(
      functionFor(template, 'rejudge')[1].Properties?.ReservedConcurrentExecutions,
    );
    expect(rejudgeConcurrency * DEFAULT_REJUDGE_SETTINGS.putImagesPerSecond).toBeLessThanOrEqual(5);
  });

  it('retries asynchronous invocations twice for up to 6 hours', () => {
    for (const [, config] of ofType(template, 'AWS::Lambda::EventInvokeConfig')) {
      expect(config.Properties).toMatchObject({ MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 21600 });
    }
    expect(ofType(template, 'AWS::Lambda::EventInvokeConfig')).toHaveLength(FUNCTIONS.length);
  });
});

describe('event patterns match the real AWS payloads', () => {
  const ec2Scan = structuredClone(fixture('inspector2-scan-initial-scan-complete-ecr.json'));
  const detail = ec2Scan.detail as JsonObject;
  delete detail['repository-name'];
  delete detail['image-digest'];
  detail['instance-id'] = 'i-0123456789abcdef0';
  const ec2Finding = structuredClone(fixture('inspector2-finding-ecr-package-vulnerability.json'));
  ((ec2Finding.detail as JsonObject).resources as JsonObject[])[0] = {
    type: 'AWS_EC2_INSTANCE',
    id: 'i-0123456789abcdef0',
  };
  const failedPush = structuredClone(fixture('ecr-image-action-push-success.json'));
  (failedPush.detail as JsonObject).result = 'FAILURE';
  const failedRestore = structuredClone(fixture('ecr-image-action-restore.json'));
  (failedRestore.detail as JsonObject).result = 'FAILURE';
  // A PUSH never carries target-storage-class; one that did must still match through the PUSH branch only.
  const archiveLabelledPush = structuredClone(fixture('ecr-image-action-push-success.json'));
  (archiveLabelledPush.detail as JsonObject)['target-storage-class'] = 'ARCHIVE';
  // A storage-class change without a target (not sent by ECR) must not be taken for a restore.
  const untargetedStorageChange = structuredClone(fixture('ecr-image-action-restore.json'));
  delete (untargetedStorageChange.detail as JsonObject)['target-storage-class'];
  const restoreFromCustomSource = structuredClone(fixture('ecr-image-action-restore.json'));
  restoreFromCustomSource.source = 'my.app';
  const customSource = structuredClone(fixture('ecr-image-scan-complete-real-event.json'));
  customSource.source = 'my.app';
  // The documented shape of a CloudTrail management event on the default bus (no AWS sample in the fixtures).
  const createRepository: JsonObject = {
    version: '0',
    id: '6f87d04b-9f74-4f04-a780-7acf4b0a9b38',
    'detail-type': 'AWS API Call via CloudTrail',
    source: 'aws.ecr',
    account: '123456789012',
    time: '2025-01-01T00:00:00Z',
    region: 'us-east-1',
    resources: [],
    detail: {
      eventSource: 'ecr.amazonaws.com',
      eventName: 'CreateRepository',
      requestParameters: { repositoryName: 'new' },
    },
  };
  const failedCreate = structuredClone(createRepository);
  (failedCreate.detail as JsonObject).errorCode = 'RepositoryAlreadyExistsException';

  const cases: { fn: string; event: string | JsonObject; matches: boolean }[] = [
    { fn: 'image-pushed', event: 'ecr-image-action-push-success.json', matches: true },
    { fn: 'image-pushed', event: 'ecr-image-action-delete-success.json', matches: false },
    { fn: 'image-pushed', event: 'ecr-image-action-archive.json', matches: false },
    { fn: 'image-pushed', event: 'ecr-image-action-restore.json', matches: true },
    { fn: 'image-pushed', event: failedPush, matches: false },
    { fn: 'image-pushed', event: failedRestore, matches: false },
    { fn: 'image-pushed', event: archiveLabelledPush, matches: true },
    { fn: 'image-pushed', event: untargetedStorageChange, matches: false },
    { fn: 'image-pushed', event: restoreFromCustomSource, matches: false },
    { fn: 'image-pushed', event: 'ecr-pull-through-cache-action-success.json', matches: false },
    { fn: 'image-pushed', event: 'ecr-replication-action-success.json', matches: false },
    { fn: 'basic-scan-completed', event: 'ecr-image-scan-complete-real-event.json', matches: true },
    { fn: 'basic-scan-completed', event: 'ecr-image-scan-complete-basic-partial-counts.json', matches: true },
    { fn: 'basic-scan-completed', event: 'ecr-image-scan-complete-all-severities.json', matches: true },
    { fn: 'basic-scan-completed', event: 'ecr-image-scan-complete-two-tags.json', matches: true },
    { fn: 'basic-scan-completed', event: customSource, matches: false },
    { fn: 'basic-scan-completed', event: 'ecr-image-action-push-success.json', matches: false },
    { fn: 'enhanced-scan-completed', event: 'inspector2-scan-initial-scan-complete-ecr.json', matches: true },
    {
      fn: 'enhanced-scan-completed',
      event: 'inspector2-scan-initial-scan-complete-ecr-zero-counts.json',
      matches: true,
    },
    { fn: 'enhanced-scan-completed', event: ec2Scan, matches: false },
    { fn: 'finding-changed', event: 'inspector2-finding-ecr-package-vulnerability.json', matches: true },
    { fn: 'finding-changed', event: ec2Finding, matches: false },
    { fn: 'finding-changed', event: 'inspector2-scan-initial-scan-complete-ecr.json', matches: false },
    { fn: 'hygiene-sweep', event: createRepository, matches: true },
    { fn: 'hygiene-sweep', event: failedCreate, matches: false },
    { fn: 'hygiene-sweep', event: 'ecr-image-action-push-success.json', matches: false },
  ];

  it.each(cases)('$fn ← $event: $matches', ({ fn, event, matches }) => {
    const payload = typeof event === 'string' ? fixture(event) : event;
    const patterns = rulesFor(template, fn)
      .map((rule) => rule.EventPattern)
      .filter((p): p is JsonObject => p !== undefined);
    expect(patterns.some((pattern) => matchesPattern(pattern, payload))).toBe(matches);
  });

  it('delivers every gate event kind to exactly one function', () => {
    for (const event of [
      'ecr-image-action-push-success.json',
      'ecr-image-action-restore.json',
      'ecr-image-scan-complete-real-event.json',
      'inspector2-scan-initial-scan-complete-ecr.json',
      'inspector2-finding-ecr-package-vulnerability.json',
    ]) {
      const receivers = FUNCTIONS.filter((fn) =>
        rulesFor(template, fn).some(
          (rule) => rule.EventPattern && matchesPattern(rule.EventPattern, fixture(event)),
        ),
      );
      expect(receivers, event).toHaveLength(1);
    }
  });

  it('routes archive events to no function (archiving needs no decision)', () => {
    const receivers = FUNCTIONS.filter((fn) =>
      rulesFor(template, fn).some(
        (rule) =>
          rule.EventPattern && matchesPattern(rule.EventPattern, fixture('ecr-image-action-archive.json')),
      ),
    );
    expect(receivers).toEqual([]);
  });

  it('runs the sweep nightly, resumes it every 10 minutes and checks fix deadlines hourly', () => {
    const schedules = rulesFor(template, 'hygiene-sweep').filter((r) => r.ScheduleExpression !== undefined);
    expect(schedules.map((r) => [r.ScheduleExpression, (r.Targets as JsonObject[])[0]?.Input])).toEqual([
      ['cron(15 3 * * ? *)', '{"gatekeeperSweep":"start"}'],
      ['rate(10 minutes)', '{"gatekeeperSweep":"resume"}'],
      ['rate(1 hour)', '{"gatekeeperSweep":"deadlines"}'],
    ]);
    // The deadline rule's input is a request the sweep accepts.
    const targets = (schedules[2]?.Targets ?? []) as JsonObject[];
    expect(parseSweepEvent(JSON.parse(String(targets[0]?.Input)))).toEqual({ kind: 'deadlines' });
  });

  it('retries delivery for one hour, then dead-letters', () => {
    for (const [, rule] of ofType(template, 'AWS::Events::Rule')) {
      for (const target of props(rule).Targets as JsonObject[]) {
        expect(target.RetryPolicy).toEqual({ MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 185 });
      }
    }
  });
});

describe('ledger table', () => {
  it('expires records through the TTL attribute the ledger writes (only records of deleted images carry it)', () => {
    const tables = ofType(template, 'AWS::DynamoDB::Table');
    expect(tables).toHaveLength(1);
    expect(props(tables[0]?.[1] as Resource).TimeToLiveSpecification).toEqual({
      AttributeName: LEDGER_TTL_ATTRIBUTE,
      Enabled: true,
    });
  });

  it('indexes decided images by policy version with the key schema the ledger queries', () => {
    const [, table] = ofType(template, 'AWS::DynamoDB::Table')[0] as [string, Resource];
    const indexes = props(table).GlobalSecondaryIndexes as JsonObject[];
    expect(indexes[0]).toEqual({
      IndexName: LEDGER_POLICY_VERSION_INDEX,
      KeySchema: [
        { AttributeName: LEDGER_POLICY_VERSION_ATTRIBUTE, KeyType: 'HASH' },
        { AttributeName: LEDGER_PARTITION_KEY, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['region', 'state'] },
    });
  });

  it('indexes the records due for a recheck (expired waivers, fix deadlines) in a sparse index, as the ledger does', () => {
    const [, table] = ofType(template, 'AWS::DynamoDB::Table')[0] as [string, Resource];
    const indexes = props(table).GlobalSecondaryIndexes as JsonObject[];
    // Exactly the shape the local table gets (createLedgerTable), so dynalite tests query what AWS will hold.
    expect(indexes.slice(1)).toEqual([
      {
        IndexName: LEDGER_RECHECK_INDEX,
        KeySchema: [
          { AttributeName: LEDGER_STATE_ATTRIBUTE, KeyType: 'HASH' },
          { AttributeName: LEDGER_RECHECK_ATTRIBUTE, KeyType: 'RANGE' },
        ],
        Projection: {
          ProjectionType: 'INCLUDE',
          NonKeyAttributes: ['region', LEDGER_WAIVER_EXPIRY_ATTRIBUTE, LEDGER_DEADLINE_CHECK_ATTRIBUTE],
        },
      },
    ]);
    const definitions = props(table).AttributeDefinitions as JsonObject[];
    expect(definitions).toEqual(
      expect.arrayContaining([
        { AttributeName: LEDGER_STATE_ATTRIBUTE, AttributeType: 'S' },
        { AttributeName: LEDGER_RECHECK_ATTRIBUTE, AttributeType: 'S' },
      ]),
    );
  });
});

describe('re-judgement queue', () => {
  const resource = (id: string) => {
    const found = template.Resources[id];
    if (!found) throw new Error(`no resource ${id}`);
    return found;
  };

  it('feeds the rejudge function in batches of 10 with partial batch failures, never above its concurrency', () => {
    const [fnId, fn] = functionFor(template, 'rejudge');
    const mappings = ofType(template, 'AWS::Lambda::EventSourceMapping').filter(([, m]) =>
      JSON.stringify(props(m).FunctionName).includes(fnId),
    );
    expect(mappings).toHaveLength(1);
    const mapping = props((mappings[0] as [string, Resource])[1]);
    expect(mapping.EventSourceArn).toEqual({ 'Fn::GetAtt': ['RejudgeQueue', 'Arn'] });
    expect(mapping.BatchSize).toBe(10);
    expect(mapping.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    const reserved = Number(props(fn).ReservedConcurrentExecutions);
    expect((mapping.ScalingConfig as JsonObject).MaximumConcurrency).toBe(reserved);
    // AWS's advice for Lambda event sources: visibility timeout at least 6 × the function timeout.
    expect(Number(props(resource('RejudgeQueue')).VisibilityTimeout)).toBeGreaterThanOrEqual(
      6 * Number(props(fn).Timeout),
    );
  });

  it('dead-letters a record after a few receives, and alarms on the dead letters and on a backlog', () => {
    expect(props(resource('RejudgeQueue')).RedrivePolicy).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': ['RejudgeDlq', 'Arn'] },
      maxReceiveCount: 5,
    });
    // The rejudge function knows the same count: a record failing on that receive counts as dead-lettered.
    const env = variablesOf(functionFor(template, 'rejudge')[1]);
    expect(env.GATEKEEPER_REJUDGE_MAX_RECEIVE_COUNT).toBe('5');
    const alarmsOn = (queue: string) =>
      ofType(template, 'AWS::CloudWatch::Alarm')
        .map(([, a]) => props(a))
        .filter(
          (a) =>
            a.MetricName === 'ApproximateNumberOfMessagesVisible' &&
            JSON.stringify(a.Dimensions) ===
              JSON.stringify([{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queue, 'QueueName'] } }]),
        );
    for (const queue of ['RejudgeDlq', 'RejudgeQueue']) {
      const alarms = alarmsOn(queue);
      expect(alarms, queue).toHaveLength(1);
      expect(alarms[0]?.AlarmActions, queue).toEqual([{ Ref: 'OperatorTopic' }]);
      expect(alarms[0]?.Threshold, queue).toBe(0);
    }
  });

  it('checks the deployed policy version on a schedule', () => {
    const schedules = rulesFor(template, 'rejudge').filter((r) => r.ScheduleExpression !== undefined);
    expect(schedules.map((r) => r.ScheduleExpression)).toEqual(['rate(15 minutes)']);
  });
});

describe('roles', () => {
  const roleOf = (name: string) =>
    String((props(functionFor(template, name)[1]).Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0]);

  it('gives each function its own role', () => {
    const roles = FUNCTIONS.map(roleOf);
    expect(new Set(roles).size).toBe(FUNCTIONS.length);
  });

  it('grants lifecycle and repository settings only to the sweep', () => {
    for (const name of FUNCTIONS) {
      const actions = actionsOf(template, roleOf(name));
      const admin = actions.filter((a) =>
        /^ecr:(Put(LifecyclePolicy|ImageTagMutability|ImageScanningConfiguration))$/.test(a),
      );
      expect(admin.length > 0, name).toBe(name === 'hygiene-sweep');
    }
  });

  it('publishes only to the alert topic and writes only the ledger table', () => {
    for (const name of FUNCTIONS) {
      for (const statement of statements(template, roleOf(name))) {
        const actions = [statement.Action].flat() as string[];
        if (actions.some((a) => a.startsWith('sns:'))) {
          expect(JSON.stringify(statement.Resource)).toMatch(
            /:\$\{AWS::AccountId\}:ecr-scan-gatekeeper-dev-alerts"/,
          );
        }
        if (actions.some((a) => a.startsWith('dynamodb:'))) {
          if (actions.every((a) => a === 'dynamodb:Query' || a === 'dynamodb:Scan')) {
            // Queries go to an index only: byPolicyVersion for the re-judgement after a policy change, byRecheck
            // (Query alone) for the sweep's expired waivers and fix-deadline checks.
            const index = name === 'hygiene-sweep' ? 'byRecheck' : 'byPolicyVersion';
            if (index === 'byRecheck') expect(actions).toEqual(['dynamodb:Query']);
            expect(statement.Resource).toEqual({
              'Fn::Join': ['', [{ 'Fn::GetAtt': ['LedgerTable', 'Arn'] }, `/index/${index}`]],
            });
          } else {
            // No Scan of the table itself (issue: no table scan in the sweep).
            expect(actions).not.toContain('dynamodb:Scan');
            expect(statement.Resource).toEqual({ 'Fn::GetAtt': ['LedgerTable', 'Arn'] });
          }
        }
      }
    }
  });

  it('lets only the gatekeeper functions that alert publish to the alert topic, and nobody without TLS', () => {
    // The registry snapshot sends no alert: its role is not among the publishers.
    const functionRoles = FUNCTIONS.filter((name) => name !== 'registry-snapshot').map((name) => ({
      'Fn::GetAtt': [roleOf(name), 'Arn'],
    }));
    const policy = ofType(template, 'AWS::SNS::TopicPolicy')
      .map(([, p]) => props(p))
      .find((p) => JSON.stringify(p.Topics) === JSON.stringify([{ Ref: 'AlertTopic' }]));
    if (!policy) throw new Error('no topic policy for AlertTopic');
    const statementsOf = (policy.PolicyDocument as { Statement: JsonObject[] }).Statement;
    const publishes = (s: JsonObject) => [s.Action].flat().some((a) => a === 'sns:Publish' || a === 'sns:*');

    const allows = statementsOf.filter((s) => s.Effect === 'Allow' && publishes(s));
    expect(allows.map((s) => s.Principal)).toEqual([{ AWS: functionRoles }]);
    const denyOthers = statementsOf.find(
      (s) => s.Effect === 'Deny' && s.Principal === '*' && s.Action === 'sns:Publish',
    );
    expect(denyOthers?.Condition).toEqual({ ArnNotEquals: { 'aws:PrincipalArn': functionRoles } });
    expect(statementsOf).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Principal: '*',
        Action: 'sns:*',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    );
  });

  it('scopes ECR actions to the repositoryScope parameter', async () => {
    // Act
    const scoped = await packageService(
      ['--param', 'repositoryScope=team-a/*, shared'],
      join(scratch, 'scoped'),
    );

    // Assess
    const statement = statements(scoped, 'BasicScanCompletedRole').find(
      (s) => s.Sid === 'RepositoriesInScope',
    );
    expect(statement?.Resource).toEqual([
      // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax
      { 'Fn::Sub': 'arn:${AWS::Partition}:ecr:${AWS::Region}:${AWS::AccountId}:repository/shared' },
      // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax
      { 'Fn::Sub': 'arn:${AWS::Partition}:ecr:${AWS::Region}:${AWS::AccountId}:repository/team-a/*' },
    ]);
    const [, fn] = functionFor(scoped, 'basic-scan-completed');
    expect(variablesOf(fn).GATEKEEPER_REPOSITORY_SCOPE).toBe('shared,team-a/*');
  }, 120_000);

  it('refuses a repository scope that is not a list of repository globs', async () => {
    const failure = await packageService(
      ['--param', 'repositoryScope=Team A'],
      join(scratch, 'bad-scope'),
    ).catch((error: { stdout?: string; stderr?: string }) => error);
    expect(`${(failure as { stdout?: string }).stdout}${(failure as { stderr?: string }).stderr}`).toMatch(
      /repositoryScope: "Team A" is not a repository glob/,
    );
  }, 120_000);
});

describe('stage parameters', () => {
  it('wires email, Slack and tracing from parameters', async () => {
    const prod = await packageService(
      [
        '--stage',
        'prod',
        '--param',
        'alertEmail=security@example.com',
        '--param',
        'slackWorkspaceId=T0123ABCD',
        '--param',
        'slackChannelId=C0123ABCD',
      ],
      join(scratch, 'prod'),
    );
    const conditions = prod.Conditions as JsonObject;
    expect(conditions.HasAlertEmail).toEqual({ 'Fn::Not': [{ 'Fn::Equals': ['security@example.com', ''] }] });
    expect(JSON.stringify(conditions.HasSlackChannel)).toContain('T0123ABCD');
    expect(conditions.TracingActive).toEqual({ 'Fn::Equals': ['Active', 'Active'] });
    expect(prod.Resources.SlackChannel?.Properties?.SnsTopicArns).toEqual([
      { Ref: 'AlertTopic' },
      { Ref: 'OperatorTopic' },
    ]);
    for (const [, group] of ofType(prod, 'AWS::Logs::LogGroup'))
      expect(group.Properties?.RetentionInDays).toBe(90);
  }, 120_000);

  it('moves the functions, the dashboard and the alarm to another metrics namespace and alarm window together', async () => {
    // Act
    const moved = await packageService(
      ['--param', 'metricsNamespace=Team/Gatekeeper', '--param', 'noDecisionAlarmHours=12'],
      join(scratch, 'metrics'),
    );

    // Assess: what the functions write is what the dashboard and the alarm read.
    for (const name of FUNCTIONS) {
      expect(variablesOf(functionFor(moved, name)[1]).GATEKEEPER_METRICS_NAMESPACE, name).toBe(
        'Team/Gatekeeper',
      );
    }
    const body = props(moved.Resources.Dashboard as Resource).DashboardBody as {
      'Fn::Sub': [string, JsonObject];
    };
    expect(body['Fn::Sub'][1]).toEqual({ Namespace: 'Team/Gatekeeper' });
    const queries = props(moved.Resources.NoDecisionsAlarm as Resource).Metrics as JsonObject[];
    const stats = queries.flatMap((q) => (q.MetricStat ? [q.MetricStat as JsonObject] : []));
    expect(stats.map((s) => [(s.Metric as JsonObject).Namespace, s.Period])).toEqual([
      ['Team/Gatekeeper', 43_200],
      ['Team/Gatekeeper', 43_200],
    ]);
    expect(props(moved.Resources.NoDecisionsAlarm as Resource).AlarmDescription).toContain('last 12 hours');
  }, 120_000);

  it('refuses an alarm window CloudWatch cannot evaluate', async () => {
    const failure = await packageService(
      ['--param', 'noDecisionAlarmHours=200'],
      join(scratch, 'bad-window'),
    ).catch((error: { stdout?: string; stderr?: string }) => error);
    expect(`${(failure as { stdout?: string }).stdout}${(failure as { stderr?: string }).stderr}`).toMatch(
      /noDecisionAlarmHours must be a whole number of hours from 1 to 168/,
    );
  }, 120_000);
});
