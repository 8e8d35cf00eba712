/**
 * Template checks on the packaged template: the real template passes, and every rule catches a violation
 * planted in a clone of it (so no rule can pass vacuously).
 */
import { beforeAll, describe, expect, it } from 'vitest';
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
      'AWS::KMS::Key',
    ]) {
      expect(types, type).toContain(type);
    }
  });
});

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
