/**
 * Runtime configuration, read once per cold start from the environment, validated and frozen. Every problem is a
 * {@link ConfigError} naming the variable. Secrets are never read from the environment: none are needed (Slack
 * is reached through AWS Chatbot subscribed to the SNS topic), and a variable that looks like one is refused.
 */
import { type LogLevel, parseLogLevel } from '../log/level.ts';
import { DEFAULT_METRICS_NAMESPACE, namespaceProblem } from '../log/metrics.ts';
import { ConfigError } from './errors.ts';
import { SCOPE_GLOB_PATTERN } from './repository-scope.ts';

export type HygieneMode = 'report' | 'enforce';

export interface GatekeeperConfig {
  /** SNS topic for alerts (GATEKEEPER_TOPIC_ARN); null only when loaded with `requireAws: false`. */
  readonly topicArn: string | null;
  /** DynamoDB decision ledger table name or ARN (GATEKEEPER_LEDGER_TABLE); null as above. */
  readonly ledgerTable: string | null;
  /** Path of policy-set.json, or a directory of YAML policies for local use (GATEKEEPER_POLICY_SET). */
  readonly policySetPath: string;
  /** Hygiene baseline JSON compiled at build (GATEKEEPER_HYGIENE_BASELINE). */
  readonly hygieneBaselinePath: string;
  /** Prefix of approved tags (GATEKEEPER_APPROVED_PREFIX), default `approved-`. */
  readonly approvedPrefix: string;
  /** Prefix of quarantined tags (GATEKEEPER_QUARANTINED_PREFIX), default `quarantined-`. */
  readonly quarantinedPrefix: string;
  /** Repository globs the gatekeeper acts on (GATEKEEPER_REPOSITORY_SCOPE), default `['*']`. */
  readonly repositoryScope: readonly string[];
  /** `report` lists drift only; `enforce` also corrects it (GATEKEEPER_HYGIENE_MODE). */
  readonly hygieneMode: HygieneMode;
  /** Region used in console links instead of the image's region (GATEKEEPER_CONSOLE_URL_REGION). */
  readonly consoleUrlRegion: string | null;
  /**
   * Whether the hygiene sweep asks Amazon Inspector (ListCoverage) which images are in use on ECS/EKS
   * (GATEKEEPER_INSPECTOR_USAGE `on` | `off`, default `on`). Off: in use = ECR's last recorded pull only.
   */
  readonly inspectorUsage: boolean;
  /** LOG_LEVEL, default `info`. */
  readonly logLevel: LogLevel;
  /** CloudWatch namespace of the embedded-format metrics (GATEKEEPER_METRICS_NAMESPACE), default `EcrScanGatekeeper`. */
  readonly metricsNamespace: string;
  /** SQS queue URL of the re-judgement fan-out (GATEKEEPER_REJUDGE_QUEUE_URL); null outside the rejudge function. */
  readonly rejudgeQueueUrl: string | null;
  /** S3 bucket the registry snapshot is written to (GATEKEEPER_SNAPSHOT_BUCKET); null outside the registry-snapshot function. */
  readonly snapshotBucket: string | null;
  /**
   * The re-judgement queue's redrive `maxReceiveCount` (GATEKEEPER_REJUDGE_MAX_RECEIVE_COUNT, set from the same
   * serverless.yml value): a record failing on that receive is dead-lettered next, so its run counts it as failed.
   * Null: unknown, a failing image holds its run's summary back until the run is stale.
   */
  readonly rejudgeMaxReceiveCount: number | null;
}

export interface LoadConfigOptions {
  /**
   * Whether GATEKEEPER_TOPIC_ARN and GATEKEEPER_LEDGER_TABLE must be set. True for the Lambda handlers (default);
   * the offline CLI passes false.
   */
  readonly requireAws?: boolean;
}

/** Every GATEKEEPER_* variable this version reads; any other is refused as a probable typo. */
export const CONFIG_VARIABLES = [
  'GATEKEEPER_TOPIC_ARN',
  'GATEKEEPER_LEDGER_TABLE',
  'GATEKEEPER_POLICY_SET',
  'GATEKEEPER_HYGIENE_BASELINE',
  'GATEKEEPER_APPROVED_PREFIX',
  'GATEKEEPER_QUARANTINED_PREFIX',
  'GATEKEEPER_REPOSITORY_SCOPE',
  'GATEKEEPER_HYGIENE_MODE',
  'GATEKEEPER_CONSOLE_URL_REGION',
  'GATEKEEPER_INSPECTOR_USAGE',
  'GATEKEEPER_METRICS_NAMESPACE',
  'GATEKEEPER_REJUDGE_QUEUE_URL',
  'GATEKEEPER_SNAPSHOT_BUCKET',
  'GATEKEEPER_REJUDGE_MAX_RECEIVE_COUNT',
] as const;

export const DEFAULTS = {
  policySetPath: 'policy-set.json',
  hygieneBaselinePath: 'hygiene-baseline.json',
  approvedPrefix: 'approved-',
  quarantinedPrefix: 'quarantined-',
  repositoryScope: ['*'],
  hygieneMode: 'report',
  inspectorUsage: 'on',
  logLevel: 'info',
  metricsNamespace: DEFAULT_METRICS_NAMESPACE,
} as const;

/** Longest tag prefix accepted: leaves room in the 128-character Docker tag for the source tag and a hash. */
export const MAX_PREFIX_LENGTH = 64;

const SECRET_NAME = /(SECRET|TOKEN|PASSWORD|PASSWD|WEBHOOK|API_?KEY|CREDENTIAL|PRIVATE_?KEY)/;
// arn:<partition>:sns:<region>:<account>:<topic>; topic names are 1–256 of [A-Za-z0-9_-].
const TOPIC_ARN = /^arn:aws(-[a-z]+)*:sns:[a-z]{2}(-[a-z]+)+-\d+:\d{12}:([A-Za-z0-9_-]{1,256})(\.fifo)?$/;
const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;
const TABLE_ARN = /^arn:aws(-[a-z]+)*:dynamodb:[a-z]{2}(-[a-z]+)+-\d+:\d{12}:table\/[A-Za-z0-9_.-]{3,255}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;
// Docker/OCI tag grammar: [\w][\w.-]{0,127}. A prefix is the start of such a tag.
const TAG_PREFIX = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/**
 * Reads and validates the configuration. Blank values count as unset (templates often render empty strings).
 * @example loadConfig({ GATEKEEPER_TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:gk', GATEKEEPER_LEDGER_TABLE: 'gk' })
 */
export function loadConfig(env: NodeJS.ProcessEnv, options: LoadConfigOptions = {}): GatekeeperConfig {
  const requireAws = options.requireAws ?? true;
  rejectUnknownVariables(env);

  const topicArn = optional(env, 'GATEKEEPER_TOPIC_ARN');
  if (topicArn !== null) checkTopicArn(topicArn);
  else if (requireAws)
    throw new ConfigError('GATEKEEPER_TOPIC_ARN', 'must be set to the SNS topic ARN for alerts');

  const ledgerTable = optional(env, 'GATEKEEPER_LEDGER_TABLE');
  if (ledgerTable !== null) {
    if (!TABLE_NAME.test(ledgerTable) && !TABLE_ARN.test(ledgerTable)) {
      throw new ConfigError(
        'GATEKEEPER_LEDGER_TABLE',
        `"${ledgerTable}" is not a DynamoDB table name (3-255 of A-Z a-z 0-9 _ . -) or table ARN`,
      );
    }
  } else if (requireAws) {
    throw new ConfigError('GATEKEEPER_LEDGER_TABLE', 'must be set to the decision ledger table name');
  }

  const policySetPath = path(env, 'GATEKEEPER_POLICY_SET', DEFAULTS.policySetPath);
  const hygieneBaselinePath = path(env, 'GATEKEEPER_HYGIENE_BASELINE', DEFAULTS.hygieneBaselinePath);

  const approvedPrefix = tagPrefix(env, 'GATEKEEPER_APPROVED_PREFIX', DEFAULTS.approvedPrefix);
  const quarantinedPrefix = tagPrefix(env, 'GATEKEEPER_QUARANTINED_PREFIX', DEFAULTS.quarantinedPrefix);
  checkPrefixesDistinct(approvedPrefix, quarantinedPrefix);

  const repositoryScope = scope(env);

  const hygieneModeText = optional(env, 'GATEKEEPER_HYGIENE_MODE') ?? DEFAULTS.hygieneMode;
  if (hygieneModeText !== 'report' && hygieneModeText !== 'enforce') {
    throw new ConfigError('GATEKEEPER_HYGIENE_MODE', `"${hygieneModeText}" must be "report" or "enforce"`);
  }

  const consoleUrlRegion = optional(env, 'GATEKEEPER_CONSOLE_URL_REGION');
  if (consoleUrlRegion !== null && !REGION.test(consoleUrlRegion)) {
    throw new ConfigError(
      'GATEKEEPER_CONSOLE_URL_REGION',
      `"${consoleUrlRegion}" is not an AWS region such as eu-west-1`,
    );
  }

  const inspectorUsageText = (
    optional(env, 'GATEKEEPER_INSPECTOR_USAGE') ?? DEFAULTS.inspectorUsage
  ).toLowerCase();
  if (inspectorUsageText !== 'on' && inspectorUsageText !== 'off') {
    throw new ConfigError('GATEKEEPER_INSPECTOR_USAGE', `"${inspectorUsageText}" must be "on" or "off"`);
  }

  const logLevelText = optional(env, 'LOG_LEVEL') ?? DEFAULTS.logLevel;
  const logLevel = parseLogLevel(logLevelText);
  if (logLevel === null) {
    throw new ConfigError('LOG_LEVEL', `"${logLevelText}" must be one of debug, info, warn, error, silent`);
  }

  const metricsNamespace = optional(env, 'GATEKEEPER_METRICS_NAMESPACE') ?? DEFAULTS.metricsNamespace;

  const rejudgeQueueUrl = optional(env, 'GATEKEEPER_REJUDGE_QUEUE_URL');
  if (rejudgeQueueUrl !== null && !/^https?:\/\/[^\s]+$/.test(rejudgeQueueUrl)) {
    throw new ConfigError('GATEKEEPER_REJUDGE_QUEUE_URL', `"${rejudgeQueueUrl}" is not an SQS queue URL`);
  }
  const snapshotBucket = optional(env, 'GATEKEEPER_SNAPSHOT_BUCKET');
  // S3 general purpose bucket naming rules (S3 User Guide, "Bucket naming rules"): 3-63 characters.
  if (snapshotBucket !== null && !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(snapshotBucket)) {
    throw new ConfigError('GATEKEEPER_SNAPSHOT_BUCKET', `"${snapshotBucket}" is not an S3 bucket name`);
  }
  const maxReceiveText = optional(env, 'GATEKEEPER_REJUDGE_MAX_RECEIVE_COUNT');
  const rejudgeMaxReceiveCount = maxReceiveText === null ? null : Number(maxReceiveText);
  if (
    rejudgeMaxReceiveCount !== null &&
    (!/^\d+$/.test(maxReceiveText ?? '') || rejudgeMaxReceiveCount < 1 || rejudgeMaxReceiveCount > 1000)
  ) {
    throw new ConfigError(
      'GATEKEEPER_REJUDGE_MAX_RECEIVE_COUNT',
      `"${maxReceiveText}" must be a whole number from 1 to 1000 (the queue's redrive maxReceiveCount)`,
    );
  }
  const namespaceIssue = namespaceProblem(metricsNamespace);
  if (namespaceIssue !== null) {
    throw new ConfigError('GATEKEEPER_METRICS_NAMESPACE', `"${metricsNamespace}" ${namespaceIssue}`);
  }

  return Object.freeze({
    topicArn,
    ledgerTable,
    policySetPath,
    hygieneBaselinePath,
    approvedPrefix,
    quarantinedPrefix,
    repositoryScope: Object.freeze(repositoryScope),
    hygieneMode: hygieneModeText,
    consoleUrlRegion,
    inspectorUsage: inspectorUsageText === 'on',
    logLevel,
    metricsNamespace,
    rejudgeQueueUrl,
    snapshotBucket,
    rejudgeMaxReceiveCount,
  });
}

function optional(env: NodeJS.ProcessEnv, name: string): string | null {
  const value = env[name];
  if (value === undefined) return null;
  const trimmed = value.trim();
  return trimmed === '' ? null : trimmed;
}

function rejectUnknownVariables(env: NodeJS.ProcessEnv): void {
  const known = new Set<string>(CONFIG_VARIABLES);
  for (const name of Object.keys(env).sort()) {
    if (!name.startsWith('GATEKEEPER_') || known.has(name)) continue;
    if (SECRET_NAME.test(name)) {
      throw new ConfigError(
        name,
        'secrets are never read from the environment; Slack is reached through AWS Chatbot subscribed to the topic',
      );
    }
    const hint = closest(name);
    throw new ConfigError(
      name,
      `unknown variable${hint ? ` (did you mean ${hint}?)` : ''}; known: ${CONFIG_VARIABLES.join(', ')}`,
    );
  }
}

function closest(name: string): string | null {
  let best: string | null = null;
  let bestDistance = 4;
  for (const candidate of CONFIG_VARIABLES) {
    const distance = editDistance(name, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current.push(
        Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost),
      );
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

function checkTopicArn(value: string): void {
  const match = TOPIC_ARN.exec(value);
  if (!match) {
    throw new ConfigError(
      'GATEKEEPER_TOPIC_ARN',
      `"${value}" is not an SNS topic ARN (arn:<partition>:sns:<region>:<12-digit account>:<topic name>)`,
    );
  }
  if (match[4]) {
    throw new ConfigError(
      'GATEKEEPER_TOPIC_ARN',
      'FIFO topics are not supported: email and AWS Chatbot subscriptions need a standard topic',
    );
  }
}

function path(env: NodeJS.ProcessEnv, name: string, fallback: string): string {
  const value = optional(env, name) ?? fallback;
  if (value.includes('\0')) throw new ConfigError(name, 'contains a NUL character');
  return value;
}

function tagPrefix(env: NodeJS.ProcessEnv, name: string, fallback: string): string {
  const value = optional(env, name) ?? fallback;
  if (value.length > MAX_PREFIX_LENGTH) {
    throw new ConfigError(
      name,
      `"${value}" is ${value.length} characters; the limit is ${MAX_PREFIX_LENGTH}`,
    );
  }
  if (!TAG_PREFIX.test(value)) {
    throw new ConfigError(
      name,
      `"${value}" must follow the Docker tag grammar: start with a letter, digit or _, then letters, digits, _ . -`,
    );
  }
  return value;
}

function checkPrefixesDistinct(approved: string, quarantined: string): void {
  // Compared case-insensitively: prefixes differing only in case are legal tags but invite mistakes.
  const a = approved.toLowerCase();
  const q = quarantined.toLowerCase();
  if (a === q) {
    throw new ConfigError(
      'GATEKEEPER_QUARANTINED_PREFIX',
      `must differ from GATEKEEPER_APPROVED_PREFIX ("${approved}")`,
    );
  }
  if (q.startsWith(a) || a.startsWith(q)) {
    throw new ConfigError(
      'GATEKEEPER_QUARANTINED_PREFIX',
      `"${quarantined}" and GATEKEEPER_APPROVED_PREFIX "${approved}" overlap: neither may be a prefix of the other`,
    );
  }
}

function scope(env: NodeJS.ProcessEnv): string[] {
  const value = optional(env, 'GATEKEEPER_REPOSITORY_SCOPE');
  if (value === null) return [...DEFAULTS.repositoryScope];
  const globs = value.split(',').map((part) => part.trim());
  const result: string[] = [];
  globs.forEach((glob, index) => {
    if (glob === '') {
      throw new ConfigError(
        'GATEKEEPER_REPOSITORY_SCOPE',
        `entry ${index + 1} is empty (check for a stray comma)`,
      );
    }
    if (!SCOPE_GLOB_PATTERN.test(glob)) {
      throw new ConfigError(
        'GATEKEEPER_REPOSITORY_SCOPE',
        `entry ${index + 1} "${glob}" may contain only a-z 0-9 . _ / - and the wildcards * ?`,
      );
    }
    if (!result.includes(glob)) result.push(glob);
  });
  return result;
}
