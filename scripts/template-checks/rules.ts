/**
 * The project's own rules for the generated template: what a security reviewer would otherwise check by
 * hand (reliability-requirements.md 10, 33–38). Each rule is a pure function of the template.
 */
import { alarmsRule, dashboardRule } from './metrics-rules.ts';
import {
  asList,
  getAttParts,
  isObject,
  type Json,
  type JsonObject,
  type Resource,
  referencedId,
  renderString,
  resourcesOfType,
  type Template,
  type Violation,
} from './template.ts';

export interface Rule {
  readonly id: string;
  readonly description: string;
  check(template: Template, context: RuleContext): Violation[];
}

export interface RuleContext {
  /** IAM actions allowed with `Resource: "*"` (they have no resource-level permissions), with the reason. */
  readonly wildcardAllowlist: Readonly<Record<string, string>>;
  readonly runtime: string;
  readonly architecture: string;
  readonly eventSources: readonly string[];
}

function violation(rule: string, resource: string | null, path: string, message: string): Violation {
  return { rule, resource, path, message };
}

/** The function a Lambda-related property points at (`Ref X`, `GetAtt X.Arn`), as a logical id. */
function functionId(value: Json | undefined): string | null {
  return value === undefined ? null : referencedId(value);
}

/** Statements of identity policies: inline role policies, AWS::IAM::Policy and AWS::IAM::ManagedPolicy. */
function identityStatements(template: Template): { id: string; path: string; statement: JsonObject }[] {
  const found: { id: string; path: string; statement: JsonObject }[] = [];
  const collect = (id: string, path: string, document: Json | undefined) => {
    if (!isObject(document)) return;
    asList(document.Statement).forEach((statement, i) => {
      if (isObject(statement)) found.push({ id, path: `${path}.Statement.${i}`, statement });
    });
  };
  for (const [id, role] of resourcesOfType(template, 'AWS::IAM::Role')) {
    asList(role.Properties?.Policies).forEach((policy, i) => {
      if (isObject(policy)) collect(id, `Properties.Policies.${i}.PolicyDocument`, policy.PolicyDocument);
    });
  }
  for (const type of ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy']) {
    for (const [id, policy] of resourcesOfType(template, type)) {
      collect(id, 'Properties.PolicyDocument', policy.Properties?.PolicyDocument);
    }
  }
  return found;
}

/** An ARN pattern that is effectively unscoped: `*`, or a wildcard service, Region or account segment. */
function isWildcardResource(text: string): boolean {
  if (text === '*') return true;
  const parts = text.split(':');
  if (parts[0] !== 'arn' || parts.length < 6) return false;
  const [, , service, region, account] = parts;
  return [service, region, account].some((segment) => segment === '*');
}

const wildcardResources: Rule = {
  id: 'iam-wildcard-resource',
  description:
    'Allow statements in identity policies name resources; "*" only for actions without resource-level permissions (allowlist)',
  check(template, context) {
    const problems: Violation[] = [];
    for (const { id, path, statement } of identityStatements(template)) {
      if (statement.Effect !== 'Allow') continue;
      if (statement.NotResource !== undefined || statement.NotAction !== undefined) {
        problems.push(
          violation(this.id, id, path, 'NotResource / NotAction in an Allow statement grants too much'),
        );
        continue;
      }
      const actions = asList(statement.Action).map((a) => (typeof a === 'string' ? a : JSON.stringify(a)));
      for (const action of actions) {
        if (action.includes('*')) {
          problems.push(violation(this.id, id, `${path}.Action`, `wildcard action "${action}"`));
        }
      }
      const resources = asList(statement.Resource).map((r) => renderString(r) ?? '');
      const wildcard = resources.filter(isWildcardResource);
      if (wildcard.length === 0) continue;
      for (const action of actions) {
        if (!(action in context.wildcardAllowlist)) {
          problems.push(
            violation(
              this.id,
              id,
              `${path}.Resource`,
              `"${action}" is granted on "${wildcard[0]}" but is not in the wildcard allowlist (actions without resource-level permissions)`,
            ),
          );
        }
      }
    }
    return problems;
  },
};

/** Logical id of the SQS queue a DLQ / destination ARN points at (`Fn::GetAtt Queue.Arn`). */
function queueId(template: Template, value: Json | undefined): string | null {
  const parts = getAttParts(value);
  if (parts?.[1] !== 'Arn') return null;
  return template.Resources[parts[0]]?.Type === 'AWS::SQS::Queue' ? parts[0] : null;
}

const ruleTargets: Rule = {
  id: 'rule-target-retry-dlq',
  description:
    'Every EventBridge rule target has an explicit RetryPolicy and a standard SQS dead-letter queue',
  check(template) {
    const problems: Violation[] = [];
    for (const [id, rule] of resourcesOfType(template, 'AWS::Events::Rule')) {
      const targets = asList(rule.Properties?.Targets);
      if (targets.length === 0)
        problems.push(violation(this.id, id, 'Properties.Targets', 'rule has no target'));
      targets.forEach((target, i) => {
        const path = `Properties.Targets.${i}`;
        if (!isObject(target)) return;
        const retry = target.RetryPolicy;
        if (
          !isObject(retry) ||
          retry.MaximumRetryAttempts === undefined ||
          retry.MaximumEventAgeInSeconds === undefined
        ) {
          problems.push(
            violation(
              this.id,
              id,
              `${path}.RetryPolicy`,
              'target needs RetryPolicy with MaximumRetryAttempts and MaximumEventAgeInSeconds',
            ),
          );
        }
        const dlq = isObject(target.DeadLetterConfig) ? target.DeadLetterConfig.Arn : undefined;
        if (dlq === undefined) {
          problems.push(
            violation(this.id, id, `${path}.DeadLetterConfig`, 'target has no dead-letter queue'),
          );
          return;
        }
        const queue = queueId(template, dlq);
        if (queue === null) {
          problems.push(
            violation(
              this.id,
              id,
              `${path}.DeadLetterConfig.Arn`,
              'dead-letter queue is not an SQS queue of this template',
            ),
          );
        } else if (template.Resources[queue]?.Properties?.FifoQueue === true) {
          problems.push(
            violation(
              this.id,
              id,
              `${path}.DeadLetterConfig.Arn`,
              'EventBridge dead-letter queues must be standard, not FIFO',
            ),
          );
        }
      });
    }
    return problems;
  },
};

const ruleSources: Rule = {
  id: 'rule-event-source',
  description:
    'Event patterns match only AWS sources the gatekeeper expects (custom PutEvents cannot use aws.*)',
  check(template, context) {
    const problems: Violation[] = [];
    for (const [id, rule] of resourcesOfType(template, 'AWS::Events::Rule')) {
      const pattern = rule.Properties?.EventPattern;
      if (pattern === undefined) {
        if (rule.Properties?.ScheduleExpression === undefined) {
          problems.push(
            violation(this.id, id, 'Properties', 'rule has neither EventPattern nor ScheduleExpression'),
          );
        }
        continue;
      }
      const parsed: Json = typeof pattern === 'string' ? (JSON.parse(pattern) as Json) : pattern;
      const sources = isObject(parsed) ? asList(parsed.source) : [];
      if (sources.length === 0) {
        problems.push(
          violation(this.id, id, 'Properties.EventPattern.source', 'pattern does not restrict source'),
        );
      }
      for (const source of sources) {
        if (typeof source !== 'string' || !context.eventSources.includes(source)) {
          problems.push(
            violation(
              this.id,
              id,
              'Properties.EventPattern.source',
              `source ${JSON.stringify(source)} is not one of ${context.eventSources.join(', ')}`,
            ),
          );
        }
      }
    }
    return problems;
  },
};

/** Function logical id → function name (literal) for every AWS::Lambda::Function. */
function functionNames(template: Template): Map<string, string | null> {
  return new Map(
    resourcesOfType(template, 'AWS::Lambda::Function').map(([id, fn]) => [
      id,
      typeof fn.Properties?.FunctionName === 'string' ? fn.Properties.FunctionName : null,
    ]),
  );
}

const functionLogs: Rule = {
  id: 'function-log-retention',
  description: 'Every function writes to a log group of this template that has a retention period',
  check(template) {
    const problems: Violation[] = [];
    const groups = resourcesOfType(template, 'AWS::Logs::LogGroup');
    for (const [id, name] of functionNames(template)) {
      const fn = template.Resources[id] as Resource;
      const configured = isObject(fn.Properties?.LoggingConfig)
        ? fn.Properties.LoggingConfig.LogGroup
        : undefined;
      const group = groups.find(([groupId, g]) =>
        configured !== undefined
          ? referencedId(configured) === groupId || renderString(configured) === g.Properties?.LogGroupName
          : name !== null && g.Properties?.LogGroupName === `/aws/lambda/${name}`,
      );
      if (!group) {
        problems.push(
          violation(this.id, id, 'Properties.FunctionName', 'no log group of this template for the function'),
        );
        continue;
      }
      if (group[1].Properties?.RetentionInDays === undefined) {
        problems.push(
          violation(this.id, group[0], 'Properties.RetentionInDays', `log group of ${id} keeps logs forever`),
        );
      }
    }
    return problems;
  },
};

const functionOnFailure: Rule = {
  id: 'function-on-failure-destination',
  description: 'Every function has an asynchronous on-failure destination (Lambda EventInvokeConfig)',
  check(template) {
    const problems: Violation[] = [];
    const configs = resourcesOfType(template, 'AWS::Lambda::EventInvokeConfig');
    for (const id of functionNames(template).keys()) {
      const config = configs.find(([, c]) => functionId(c.Properties?.FunctionName) === id);
      if (!config) {
        problems.push(violation(this.id, id, '', 'function has no EventInvokeConfig'));
        continue;
      }
      const destination = config[1].Properties?.DestinationConfig;
      const onFailure =
        isObject(destination) && isObject(destination.OnFailure)
          ? destination.OnFailure.Destination
          : undefined;
      if (onFailure === undefined) {
        problems.push(
          violation(
            this.id,
            config[0],
            'Properties.DestinationConfig.OnFailure',
            `${id} has no on-failure destination`,
          ),
        );
      }
      for (const setting of ['MaximumRetryAttempts', 'MaximumEventAgeInSeconds']) {
        if (config[1].Properties?.[setting] === undefined) {
          problems.push(
            violation(
              this.id,
              config[0],
              `Properties.${setting}`,
              `${id}: ${setting} is not chosen explicitly`,
            ),
          );
        }
      }
    }
    return problems;
  },
};

const encryption: Rule = {
  id: 'encryption-at-rest',
  description: 'SNS topics use a KMS key; SQS queues and DynamoDB tables are encrypted explicitly',
  check(template) {
    const problems: Violation[] = [];
    for (const [id, topic] of resourcesOfType(template, 'AWS::SNS::Topic')) {
      if (topic.Properties?.KmsMasterKeyId === undefined) {
        problems.push(
          violation(this.id, id, 'Properties.KmsMasterKeyId', 'SNS topic is not encrypted with a KMS key'),
        );
      }
    }
    for (const [id, queue] of resourcesOfType(template, 'AWS::SQS::Queue')) {
      const p = queue.Properties ?? {};
      const managed = p.SqsManagedSseEnabled === true || p.SqsManagedSseEnabled === 'true';
      if (!managed && p.KmsMasterKeyId === undefined) {
        problems.push(
          violation(
            this.id,
            id,
            'Properties.SqsManagedSseEnabled',
            'SQS queue is not encrypted (SSE-SQS or KMS)',
          ),
        );
      }
    }
    for (const [id, table] of resourcesOfType(template, 'AWS::DynamoDB::Table')) {
      const sse = table.Properties?.SSESpecification;
      const enabled = isObject(sse) && (sse.SSEEnabled === true || sse.SSEEnabled === 'true');
      if (!enabled) {
        problems.push(
          violation(
            this.id,
            id,
            'Properties.SSESpecification.SSEEnabled',
            'DynamoDB table does not enable KMS encryption',
          ),
        );
      }
    }
    return problems;
  },
};

const tableRecovery: Rule = {
  id: 'dynamodb-point-in-time-recovery',
  description: 'DynamoDB tables have point-in-time recovery',
  check(template) {
    return resourcesOfType(template, 'AWS::DynamoDB::Table')
      .filter(([, table]) => {
        const pitr = table.Properties?.PointInTimeRecoverySpecification;
        return !(
          isObject(pitr) &&
          (pitr.PointInTimeRecoveryEnabled === true || pitr.PointInTimeRecoveryEnabled === 'true')
        );
      })
      .map(([id]) =>
        violation(
          this.id,
          id,
          'Properties.PointInTimeRecoverySpecification',
          'point-in-time recovery is off',
        ),
      );
  },
};

/** Rule logical ids by the ARN text that names them (`…:rule/<Name>`) and by `GetAtt Rule.Arn`. */
function ruleForSourceArn(template: Template, sourceArn: Json): string | null {
  const getAtt = getAttParts(sourceArn);
  if (getAtt && getAtt[1] === 'Arn' && template.Resources[getAtt[0]]?.Type === 'AWS::Events::Rule')
    return getAtt[0];
  const text = renderString(sourceArn);
  if (text === null) return null;
  const match =
    /^arn:\$\{AWS::Partition\}:events:\$\{AWS::Region\}:\$\{AWS::AccountId\}:rule\/([A-Za-z0-9._-]+)$/.exec(
      text,
    );
  if (!match) return null;
  const found = resourcesOfType(template, 'AWS::Events::Rule').find(
    ([, r]) => r.Properties?.Name === match[1],
  );
  return found ? found[0] : null;
}

const permissions: Rule = {
  id: 'lambda-permission-source-arn',
  description:
    'Lambda permissions allow only events.amazonaws.com, for the one rule (SourceArn) that targets the function',
  check(template) {
    const problems: Violation[] = [];
    for (const [id, permission] of resourcesOfType(template, 'AWS::Lambda::Permission')) {
      const p = permission.Properties ?? {};
      if (p.Principal !== 'events.amazonaws.com') {
        problems.push(
          violation(
            this.id,
            id,
            'Properties.Principal',
            `principal ${JSON.stringify(p.Principal)} is not events.amazonaws.com`,
          ),
        );
      }
      if (p.Action !== 'lambda:InvokeFunction') {
        problems.push(
          violation(
            this.id,
            id,
            'Properties.Action',
            `action ${JSON.stringify(p.Action)} is not lambda:InvokeFunction`,
          ),
        );
      }
      if (p.SourceArn === undefined) {
        problems.push(
          violation(
            this.id,
            id,
            'Properties.SourceArn',
            'permission has no SourceArn: any rule in any account could invoke',
          ),
        );
        continue;
      }
      const ruleId = ruleForSourceArn(template, p.SourceArn);
      if (ruleId === null) {
        problems.push(
          violation(
            this.id,
            id,
            'Properties.SourceArn',
            'SourceArn is not the ARN of a rule of this template',
          ),
        );
        continue;
      }
      const target = functionId(p.FunctionName);
      const targets = asList(template.Resources[ruleId]?.Properties?.Targets).map((t) =>
        isObject(t) ? functionId(t.Arn) : null,
      );
      if (target === null || !targets.includes(target)) {
        problems.push(
          violation(this.id, id, 'Properties.FunctionName', `rule ${ruleId} does not target this function`),
        );
      }
    }
    return problems;
  },
};

const runtime: Rule = {
  id: 'lambda-runtime',
  description: 'Functions run the agreed runtime and architecture',
  check(template, context) {
    const problems: Violation[] = [];
    for (const [id, fn] of resourcesOfType(template, 'AWS::Lambda::Function')) {
      if (fn.Properties?.Runtime !== context.runtime) {
        problems.push(
          violation(
            this.id,
            id,
            'Properties.Runtime',
            `runtime ${JSON.stringify(fn.Properties?.Runtime)} is not ${context.runtime}`,
          ),
        );
      }
      const architectures = asList(fn.Properties?.Architectures);
      if (architectures.length !== 1 || architectures[0] !== context.architecture) {
        problems.push(
          violation(
            this.id,
            id,
            'Properties.Architectures',
            `architectures ${JSON.stringify(architectures)} are not [${context.architecture}]`,
          ),
        );
      }
    }
    return problems;
  },
};

/** Whether a resource policy denies every request made without TLS. */
function deniesInsecureTransport(document: Json | undefined): boolean {
  if (!isObject(document)) return false;
  return asList(document.Statement).some((s) => {
    if (!isObject(s) || s.Effect !== 'Deny' || s.Principal === undefined) return false;
    const principalAll = s.Principal === '*' || (isObject(s.Principal) && s.Principal.AWS === '*');
    const condition =
      isObject(s.Condition) && isObject(s.Condition.Bool)
        ? s.Condition.Bool['aws:SecureTransport']
        : undefined;
    return principalAll && (condition === false || condition === 'false');
  });
}

const transport: Rule = {
  id: 'deny-insecure-transport',
  description: 'Every SNS topic and SQS queue has a resource policy denying requests without TLS',
  check(template) {
    const problems: Violation[] = [];
    const pairs: [string, string, string][] = [
      ['AWS::SNS::Topic', 'AWS::SNS::TopicPolicy', 'Topics'],
      ['AWS::SQS::Queue', 'AWS::SQS::QueuePolicy', 'Queues'],
    ];
    for (const [type, policyType, listKey] of pairs) {
      const policies = resourcesOfType(template, policyType);
      for (const [id] of resourcesOfType(template, type)) {
        const covering = policies.filter(([, p]) =>
          asList(p.Properties?.[listKey]).some((ref) => referencedId(ref) === id),
        );
        if (!covering.some(([, p]) => deniesInsecureTransport(p.Properties?.PolicyDocument))) {
          problems.push(violation(this.id, id, '', `no ${policyType} denying aws:SecureTransport false`));
        }
      }
    }
    return problems;
  },
};

const queueAlarms: Rule = {
  id: 'queue-depth-alarm',
  description: 'Every SQS queue (dead letters, failed invocations) has a depth alarm with an action',
  check(template) {
    const problems: Violation[] = [];
    const alarms = resourcesOfType(template, 'AWS::CloudWatch::Alarm');
    for (const [id] of resourcesOfType(template, 'AWS::SQS::Queue')) {
      const alarm = alarms.find(([, a]) => {
        const p = a.Properties ?? {};
        return (
          p.Namespace === 'AWS/SQS' &&
          p.MetricName === 'ApproximateNumberOfMessagesVisible' &&
          asList(p.Dimensions).some(
            (d) => isObject(d) && d.Name === 'QueueName' && referencedId(d.Value) === id,
          ) &&
          asList(p.AlarmActions).length > 0
        );
      });
      if (!alarm)
        problems.push(
          violation(this.id, id, '', 'queue has no ApproximateNumberOfMessagesVisible alarm with an action'),
        );
    }
    return problems;
  },
};

/** The variable by which a function fed by an SQS queue learns the queue's redrive maxReceiveCount. */
export const MAX_RECEIVE_COUNT_VARIABLE = 'GATEKEEPER_REJUDGE_MAX_RECEIVE_COUNT';

const receiveCountKnown: Rule = {
  id: 'sqs-receive-count-known',
  description:
    'A function fed by an SQS queue with a redrive policy knows its maxReceiveCount (same value in its environment)',
  check(template) {
    const problems: Violation[] = [];
    const functions = new Map(resourcesOfType(template, 'AWS::Lambda::Function'));
    const queues = new Map(resourcesOfType(template, 'AWS::SQS::Queue'));
    for (const [id, mapping] of resourcesOfType(template, 'AWS::Lambda::EventSourceMapping')) {
      const p = mapping.Properties ?? {};
      const queueId = getAttParts(p.EventSourceArn)?.[0] ?? referencedId(p.EventSourceArn);
      const redrive = queueId ? queues.get(queueId)?.Properties?.RedrivePolicy : undefined;
      if (!queueId || !isObject(redrive)) continue;
      const fnId = getAttParts(p.FunctionName)?.[0] ?? referencedId(p.FunctionName);
      const fn = fnId ? functions.get(fnId) : undefined;
      if (!fnId || !fn) continue;
      const env = (fn.Properties?.Environment as JsonObject | undefined)?.Variables;
      const value = isObject(env) ? env[MAX_RECEIVE_COUNT_VARIABLE] : undefined;
      if (String(value) !== String(redrive.maxReceiveCount)) {
        problems.push(
          violation(
            this.id,
            fnId,
            `Properties.Environment.Variables.${MAX_RECEIVE_COUNT_VARIABLE}`,
            `is ${JSON.stringify(value ?? null)} but ${queueId} (feeding it through ${id}) has maxReceiveCount ${JSON.stringify(redrive.maxReceiveCount ?? null)}`,
          ),
        );
      }
    }
    return problems;
  },
};

/** Every rule, in report order (the dashboard and metric alarm rules live in metrics-rules.ts). */
export const RULES: readonly Rule[] = [
  wildcardResources,
  ruleTargets,
  ruleSources,
  functionLogs,
  functionOnFailure,
  encryption,
  tableRecovery,
  permissions,
  runtime,
  transport,
  queueAlarms,
  receiveCountKnown,
  dashboardRule,
  alarmsRule,
];
