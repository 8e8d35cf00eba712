/**
 * Template checks on the packaged template: the real template passes, and every rule catches a violation
 * planted in a clone of it (so no rule can pass vacuously).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_METRICS_NAMESPACE, DIMENSIONS, METRICS } from '../../lib/log/metrics.ts';
import {
  checkAgainstSpec,
  checkTemplate,
  cloneTemplate,
  defaultRuleContext,
  formatViolations,
  loadSpec,
  RULES,
  type Template,
} from '../../scripts/template-checks/index.ts';
import {
  catalogueProblem,
  dashboardMetrics,
  substituteSub,
} from '../../scripts/template-checks/metrics-rules.ts';
import type { JsonObject } from '../../scripts/template-checks/template.ts';
import { ensurePackaged } from './support/packaged.ts';

let template: Template;

beforeAll(async () => {
  [template] = await Promise.all([ensurePackaged(), loadSpec()]);
}, 180_000);

type Mutable = {
  Resources: Record<string, { Type: string; Properties: JsonObject } & JsonObject>;
} & JsonObject;

/** The first resource of a type, as a mutable object. */
function first(t: Template, type: string): JsonObject & { Properties: JsonObject } {
  const found = Object.values((t as unknown as Mutable).Resources).find((r) => r.Type === type);
  if (!found) throw new Error(`no ${type} in the template`);
  return found;
}

function role(t: Template, id: string): JsonObject[] {
  const resource = (t as unknown as Mutable).Resources[id];
  const policies = resource?.Properties.Policies as { PolicyDocument: { Statement: JsonObject[] } }[];
  return policies[0]?.PolicyDocument.Statement ?? [];
}

describe('the packaged template', () => {
  it('passes the specification and every rule', async () => {
    // Act
    const violations = await checkTemplate(template);

    // Assess
    expect(formatViolations(violations)).toBe('');
  });

  it('contains what every rule inspects (no rule passes on an empty set)', () => {
    const types = new Set(Object.values(template.Resources).map((r) => r.Type));
    for (const type of [
      'AWS::Lambda::Function',
      'AWS::Events::Rule',
      'AWS::Lambda::Permission',
      'AWS::Lambda::EventInvokeConfig',
      'AWS::Logs::LogGroup',
      'AWS::IAM::Role',
      'AWS::SNS::Topic',
      'AWS::SNS::TopicPolicy',
      'AWS::SQS::Queue',
      'AWS::SQS::QueuePolicy',
      'AWS::DynamoDB::Table',
      'AWS::CloudWatch::Alarm',
      'AWS::CloudWatch::Dashboard',
      'AWS::KMS::Key',
    ]) {
      expect(types, type).toContain(type);
    }
  });
});

/** The dashboard body's Fn::Sub template text, and a way to replace it. */
function editDashboard(t: Template, edit: (text: string) => string): void {
  const body = first(t, 'AWS::CloudWatch::Dashboard').Properties.DashboardBody as {
    'Fn::Sub': [string, JsonObject];
  };
  const before = body['Fn::Sub'][0];
  body['Fn::Sub'][0] = edit(before);
  if (body['Fn::Sub'][0] === before) throw new Error('the planted edit changed nothing');
}

/** The no-decisions alarm's metric queries by id. */
function noDecisionQueries(
  t: Template,
): Record<string, JsonObject & { MetricStat: JsonObject & { Metric: JsonObject } }> {
  const alarm = (t as unknown as Mutable).Resources.NoDecisionsAlarm;
  if (!alarm) throw new Error('no NoDecisionsAlarm');
  return Object.fromEntries(
    (alarm.Properties.Metrics as (JsonObject & { Id: string })[]).map((q) => [q.Id, q]),
  ) as unknown as Record<string, JsonObject & { MetricStat: JsonObject & { Metric: JsonObject } }>;
}

// Each case plants one violation in a clone and names the rule that must report it.
const planted: { rule: string; name: string; plant: (t: Template) => void }[] = [
  {
    rule: 'iam-wildcard-resource',
    name: 'ecr:PutImage on "*"',
    plant: (t) => {
      role(t, 'BasicScanCompletedRole').push({ Effect: 'Allow', Action: 'ecr:PutImage', Resource: '*' });
    },
  },
  {
    rule: 'iam-wildcard-resource',
    name: 'a wildcard account in an ARN',
    plant: (t) => {
      role(t, 'ImagePushedRole').push({
        Effect: 'Allow',
        Action: 'ecr:BatchDeleteImage',
        Resource: 'arn:aws:ecr:us-east-1:*:repository/app',
      });
    },
  },
  {
    rule: 'iam-wildcard-resource',
    name: 'a wildcard action',
    plant: (t) => {
      role(t, 'HygieneSweepRole').push({
        Effect: 'Allow',
        Action: 'ecr:*',
        Resource: { 'Fn::GetAtt': ['LedgerTable', 'Arn'] },
      });
    },
  },
  {
    rule: 'rule-target-retry-dlq',
    name: 'a target without RetryPolicy',
    plant: (t) => {
      delete (first(t, 'AWS::Events::Rule').Properties.Targets as JsonObject[])[0]?.RetryPolicy;
    },
  },
  {
    rule: 'rule-target-retry-dlq',
    name: 'a target without dead-letter queue',
    plant: (t) => {
      delete (first(t, 'AWS::Events::Rule').Properties.Targets as JsonObject[])[0]?.DeadLetterConfig;
    },
  },
  {
    rule: 'rule-event-source',
    name: 'a pattern on a custom source',
    plant: (t) => {
      (first(t, 'AWS::Events::Rule').Properties.EventPattern as JsonObject).source = ['my.app'];
    },
  },
  {
    rule: 'function-log-retention',
    name: 'a log group without retention',
    plant: (t) => {
      delete first(t, 'AWS::Logs::LogGroup').Properties.RetentionInDays;
    },
  },
  {
    rule: 'function-on-failure-destination',
    name: 'no on-failure destination',
    plant: (t) => {
      delete first(t, 'AWS::Lambda::EventInvokeConfig').Properties.DestinationConfig;
    },
  },
  {
    rule: 'encryption-at-rest',
    name: 'an unencrypted topic',
    plant: (t) => {
      delete first(t, 'AWS::SNS::Topic').Properties.KmsMasterKeyId;
    },
  },
  {
    rule: 'encryption-at-rest',
    name: 'an unencrypted queue',
    plant: (t) => {
      delete first(t, 'AWS::SQS::Queue').Properties.SqsManagedSseEnabled;
    },
  },
  {
    rule: 'encryption-at-rest',
    name: 'a table without SSE',
    plant: (t) => {
      delete first(t, 'AWS::DynamoDB::Table').Properties.SSESpecification;
    },
  },
  {
    rule: 'dynamodb-point-in-time-recovery',
    name: 'a table without PITR',
    plant: (t) => {
      first(t, 'AWS::DynamoDB::Table').Properties.PointInTimeRecoverySpecification = {
        PointInTimeRecoveryEnabled: false,
      };
    },
  },
  {
    rule: 'lambda-permission-source-arn',
    name: 'a permission without SourceArn',
    plant: (t) => {
      delete first(t, 'AWS::Lambda::Permission').Properties.SourceArn;
    },
  },
  {
    rule: 'lambda-permission-source-arn',
    name: 'a permission for another principal',
    plant: (t) => {
      first(t, 'AWS::Lambda::Permission').Properties.Principal = 's3.amazonaws.com';
    },
  },
  {
    rule: 'lambda-permission-source-arn',
    name: 'a SourceArn naming a rule that does not exist',
    plant: (t) => {
      first(t, 'AWS::Lambda::Permission').Properties.SourceArn = {
        // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax
        'Fn::Sub': 'arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:rule/someone-elses-rule',
      };
    },
  },
  {
    rule: 'lambda-runtime',
    name: 'an x86_64 function',
    plant: (t) => {
      first(t, 'AWS::Lambda::Function').Properties.Architectures = ['x86_64'];
    },
  },
  {
    rule: 'lambda-runtime',
    name: 'an older runtime',
    plant: (t) => {
      first(t, 'AWS::Lambda::Function').Properties.Runtime = 'nodejs20.x';
    },
  },
  {
    rule: 'deny-insecure-transport',
    name: 'a topic policy without the TLS deny',
    plant: (t) => {
      const document = first(t, 'AWS::SNS::TopicPolicy').Properties.PolicyDocument as {
        Statement: JsonObject[];
      };
      document.Statement = document.Statement.filter((s) => s.Effect !== 'Deny');
    },
  },
  {
    rule: 'dashboard-metrics',
    name: 'a metric the functions never write',
    plant: (t) => editDashboard(t, (text) => text.replace('"Rejudgements"', '"Rejudgments"')),
  },
  {
    rule: 'dashboard-metrics',
    name: 'a dimension set the metric is not published under',
    plant: (t) =>
      editDashboard(t, (text) =>
        text.replace('"Decisions", "Verdict", "approved"', '"Decisions", "Outcome", "decided"'),
      ),
  },
  {
    rule: 'dashboard-metrics',
    name: 'a dimension value never written',
    plant: (t) => editDashboard(t, (text) => text.replace('"Change", "changed"', '"Change", "flipped"')),
  },
  {
    rule: 'dashboard-metrics',
    name: 'a SEARCH for another metric',
    plant: (t) =>
      editDashboard(t, (text) =>
        text.replace('MetricName=\\"Quarantines\\"', 'MetricName=\\"Quarantined\\"'),
      ),
  },
  {
    rule: 'dashboard-metrics',
    name: 'another namespace',
    plant: (t) => {
      const body = first(t, 'AWS::CloudWatch::Dashboard').Properties.DashboardBody as {
        'Fn::Sub': [string, JsonObject];
      };
      body['Fn::Sub'][1].Namespace = 'SomethingElse';
    },
  },
  {
    rule: 'dashboard-metrics',
    name: 'a body that is not JSON',
    plant: (t) => editDashboard(t, (text) => text.replace('"widgets": [', '"widgets": [[')),
  },
  {
    rule: 'dashboard-metrics',
    name: 'a dead-letter queue without its depth graph',
    plant: (t) =>
      editDashboard(t, (text) =>
        text.replaceAll(`\${HygieneSweepEventsDlq.QueueName}`, `\${HygieneSweepFailureQueue.QueueName}`),
      ),
  },
  {
    rule: 'dashboard-metrics',
    name: 'a function without its errors graph',
    plant: (t) =>
      editDashboard(t, (text) =>
        text.replace(`\${FindingChangedLambdaFunction}`, `\${ImagePushedLambdaFunction}`),
      ),
  },
  {
    rule: 'metric-alarms',
    name: 'missing data left to the default',
    plant: (t) => {
      delete (t as unknown as Mutable).Resources.NoDecisionsAlarm?.Properties.TreatMissingData;
    },
  },
  {
    rule: 'metric-alarms',
    name: 'an alarm on a dimension set the metric is not published under',
    plant: (t) => {
      const { decisions } = noDecisionQueries(t);
      if (decisions) decisions.MetricStat.Metric.Dimensions = [{ Name: 'Repository', Value: 'app' }];
    },
  },
  {
    rule: 'metric-alarms',
    name: 'pushes and decisions over different windows',
    plant: (t) => {
      const { decisions } = noDecisionQueries(t);
      if (decisions) decisions.MetricStat.Period = 3600;
    },
  },
  {
    rule: 'metric-alarms',
    name: 'an expression that ignores the decisions',
    plant: (t) => {
      const { stalled } = noDecisionQueries(t);
      if (stalled) stalled.Expression = 'FILL(pushes, 0)';
    },
  },
  {
    rule: 'queue-depth-alarm',
    name: 'a queue without depth alarm',
    plant: (t) => {
      const alarm = Object.values((t as unknown as Mutable).Resources).find(
        (r) => r.Type === 'AWS::CloudWatch::Alarm' && r.Properties.Namespace === 'AWS/SQS',
      );
      if (alarm) alarm.Properties.AlarmActions = [];
    },
  },
  {
    rule: 'sqs-receive-count-known',
    name: "the re-judgement queue's maxReceiveCount changed without the function's",
    plant: (t) => {
      const queue = (t as unknown as Mutable).Resources.RejudgeQueue as { Properties: JsonObject };
      (queue.Properties.RedrivePolicy as JsonObject).maxReceiveCount = 9;
    },
  },
  {
    rule: 'sqs-receive-count-known',
    name: 'the rejudge function without the receive count',
    plant: (t) => {
      const fn = (t as unknown as Mutable).Resources.RejudgeLambdaFunction as unknown as {
        Properties: { Environment: { Variables: JsonObject } };
      };
      delete fn.Properties.Environment.Variables.GATEKEEPER_REJUDGE_MAX_RECEIVE_COUNT;
    },
  },
  {
    rule: 'cloudformation-spec',
    name: 'an unknown property',
    plant: (t) => {
      first(t, 'AWS::DynamoDB::Table').Properties.BillingMod = 'PAY_PER_REQUEST';
    },
  },
  {
    rule: 'cloudformation-spec',
    name: 'a wrongly typed value',
    plant: (t) => {
      first(t, 'AWS::Lambda::Function').Properties.MemorySize = 'large';
    },
  },
  {
    rule: 'cloudformation-spec',
    name: 'a log retention CloudWatch does not accept',
    plant: (t) => {
      first(t, 'AWS::Logs::LogGroup').Properties.RetentionInDays = 31;
    },
  },
  {
    rule: 'cloudformation-spec',
    name: 'a GetAtt on an attribute that does not exist',
    plant: (t) => {
      first(t, 'AWS::SNS::Topic').Properties.KmsMasterKeyId = {
        'Fn::GetAtt': ['NotificationsKey', 'KeyArn'],
      };
    },
  },
  {
    rule: 'cloudformation-spec',
    name: 'an unknown resource type',
    plant: (t) => {
      (t as unknown as Mutable).Resources.Planted = { Type: 'AWS::Lambda::Functions', Properties: {} };
    },
  },
  {
    rule: 'cloudformation-spec',
    name: 'a typo inside a nested structure',
    plant: (t) => {
      (first(t, 'AWS::DynamoDB::Table').Properties.KeySchema as JsonObject[]).push({
        AttributeName: 'sk',
        KeyTyp: 'RANGE',
      });
    },
  },
  {
    rule: 'cloudformation-spec',
    name: 'a Ref to a missing resource',
    plant: (t) => {
      first(t, 'AWS::CloudWatch::Alarm').Properties.AlarmActions = [{ Ref: 'NoSuchTopic' }];
    },
  },
];

describe('a planted violation is caught', () => {
  it('covers every rule', () => {
    const covered = new Set(planted.map((c) => c.rule));
    for (const rule of RULES) expect(covered, rule.id).toContain(rule.id);
    expect(covered).toContain('cloudformation-spec');
  });

  it.each(planted)('$rule: $name', async ({ rule, plant }) => {
    // Prepare
    const clone = cloneTemplate(template);
    plant(clone);

    // Act
    const violations = await checkTemplate(clone);

    // Assess: the planted problem is reported by the expected rule, and only the planted change is new.
    expect(violations.map((v) => v.rule)).toContain(rule);
    expect(new Set(violations.map((v) => v.rule))).toEqual(new Set([rule]));
  });
});

describe('the dashboard and the metrics the code writes', () => {
  /** Every metric of the packaged dashboard, parsed after substituting its Fn::Sub variables. */
  function packagedDashboard() {
    const body = first(template, 'AWS::CloudWatch::Dashboard').Properties.DashboardBody;
    const substituted = substituteSub(body);
    if (!substituted) throw new Error('no dashboard body');
    return dashboardMetrics(JSON.parse(substituted.text));
  }

  it('shows every metric the code writes, in the functions’ namespace', () => {
    const { metrics, problems } = packagedDashboard();
    expect(problems).toEqual([]);
    const ours = metrics.filter((m) => m.namespace === DEFAULT_METRICS_NAMESPACE);
    expect(new Set(ours.map((m) => m.name))).toEqual(new Set(Object.keys(METRICS)));
    for (const metric of ours) expect(catalogueProblem(metric), metric.path).toBeNull();
  });

  it('has the views people asked for: verdicts, quarantines by repository, latency p50/p99, alerts, the alarm', () => {
    const { metrics } = packagedDashboard();
    const verdicts = metrics
      .filter((m) => m.name === 'Decisions' && m.dimensions.Verdict)
      .map((m) => m.dimensions.Verdict);
    expect(verdicts.sort()).toEqual([...DIMENSIONS.Verdict].sort());
    expect(metrics).toContainEqual(
      expect.objectContaining({ name: 'Quarantines', search: true, dimensions: { Repository: '*' } }),
    );
    const latency = metrics.filter((m) => m.name === 'PushToDecision').map((m) => m.stat);
    expect(latency.sort()).toEqual(['p50', 'p99']);
    expect(metrics.map((m) => m.name)).toContain('AlertsSent');
    const body = JSON.stringify(first(template, 'AWS::CloudWatch::Dashboard').Properties.DashboardBody);
    expect(body).toContain(`\${NoDecisionsAlarm.Arn}`);
  });

  it('reads the namespace the functions are given, not a constant', async () => {
    // The functions and the dashboard moved together: no violation. The functions alone: every metric reported.
    const moved = cloneTemplate(template);
    const body = first(moved, 'AWS::CloudWatch::Dashboard').Properties.DashboardBody as {
      'Fn::Sub': [string, JsonObject];
    };
    body['Fn::Sub'][1].Namespace = 'Team/Gatekeeper';
    const alarm = (moved as unknown as Mutable).Resources.NoDecisionsAlarm;
    for (const query of (alarm?.Properties.Metrics ?? []) as { MetricStat?: { Metric: JsonObject } }[]) {
      if (query.MetricStat) query.MetricStat.Metric.Namespace = 'Team/Gatekeeper';
    }
    const functions = Object.values((moved as unknown as Mutable).Resources).filter(
      (r) => r.Type === 'AWS::Lambda::Function',
    );
    for (const fn of functions) {
      (fn.Properties.Environment as { Variables: JsonObject }).Variables.GATEKEEPER_METRICS_NAMESPACE =
        'Team/Gatekeeper';
    }
    expect(formatViolations(await checkTemplate(moved, { skipSpec: true }))).toBe('');

    const alone = cloneTemplate(template);
    for (const fn of Object.values((alone as unknown as Mutable).Resources).filter(
      (r) => r.Type === 'AWS::Lambda::Function',
    )) {
      (fn.Properties.Environment as { Variables: JsonObject }).Variables.GATEKEEPER_METRICS_NAMESPACE =
        'Team/Gatekeeper';
    }
    const violations = await checkTemplate(alone, { skipSpec: true });
    expect(new Set(violations.map((v) => v.rule))).toEqual(new Set(['dashboard-metrics', 'metric-alarms']));
  });
});

describe('rule details', () => {
  it('allows "*" for an allowlisted action and names the offending action otherwise', async () => {
    const context = await defaultRuleContext();
    const clone = cloneTemplate(template);
    role(clone, 'FindingChangedRole').push({
      Effect: 'Allow',
      Action: ['inspector2:ListFindings', 'ecr:PutImage'],
      Resource: '*',
    });

    const violations = await checkTemplate(clone, { context, skipSpec: true });

    expect(violations).toHaveLength(1);
    expect(violations[0]?.message).toContain('"ecr:PutImage"');
    expect(violations[0]?.resource).toBe('FindingChangedRole');
  });

  it('reads only what it can check: full entries, SEARCH expressions, a region per metric widget', () => {
    const widget = (metrics: unknown[], region: string | null = 'us-east-1') => ({
      widgets: [{ type: 'metric', properties: { region, metrics } }],
    });
    const cases: [string, unknown, RegExp][] = [
      [
        'shorthand',
        widget([
          ['EcrScanGatekeeper', 'Decisions'],
          ['...', 'Verdict', 'approved'],
        ]),
        /no "\.\.\." shorthand/,
      ],
      ['math', widget([[{ expression: 'SUM(METRICS())', id: 'e' }]]), /not a SEARCH the checks read/],
      ['no region', widget([['EcrScanGatekeeper', 'Decisions']], null), /needs its region/],
      ['odd pairs', widget([['EcrScanGatekeeper', 'Decisions', 'Verdict']]), /expected \[namespace, name/],
      ['no widgets', { widgets: [] }, /no widgets/],
    ];
    for (const [name, body, problem] of cases) {
      expect(dashboardMetrics(body).problems.join('\n'), name).toMatch(problem);
    }
    const search = dashboardMetrics(
      widget([[{ id: 's', expression: `SEARCH('{"Team/Gk",Kind} MetricName="Errors"', 'Sum', 300)` }]]),
    );
    expect(search).toEqual({
      problems: [],
      metrics: [
        expect.objectContaining({
          namespace: 'Team/Gk',
          name: 'Errors',
          dimensions: { Kind: '*' },
          stat: 'Sum',
        }),
      ],
    });
  });

  it('reports a non-template input instead of throwing', async () => {
    const violations = await checkTemplate({} as Template);
    expect(violations).toEqual([expect.objectContaining({ rule: 'template' })]);
  });

  it('checks Fn::If branches against the property type', async () => {
    const clone = cloneTemplate(template);
    first(clone, 'AWS::DynamoDB::Table').Properties.DeletionProtectionEnabled = {
      'Fn::If': ['ProtectLedger', 'yes', false],
    };
    const violations = await checkAgainstSpec(clone);
    expect(violations.map((v) => v.path)).toContain('Properties.DeletionProtectionEnabled.Fn::If.1');
  });
});
