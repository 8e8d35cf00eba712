/**
 * Builds the gate's dependencies once per cold start: configuration, logger, the ECR/SNS/DynamoDB clients
 * and their adapters, the policy set and the tag scheme. Handlers call `getGateDependencies()`; tests and the
 * demo call `buildGateDependencies(env, overrides)`.
 *
 * Policy set (GATEKEEPER_POLICY_SET): a file is the bundled `policy-set.json` (relative paths resolve against
 * the Lambda task root, i.e. beside the bundle; a bundle accepts only the file its build validated, by sha256);
 * a directory is loaded from YAML (local use). When it cannot
 * be loaded the gate fails closed: the error is logged at cold start and every decision throws
 * PolicySetUnavailableError (nothing is approved, function errors raise the alarm, events wait in the
 * dead-letter queue for a redrive once a valid policy set is deployed).
 */
import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import type { MiddyfiedHandler } from '@middy/core';
import type { Context } from 'aws-lambda';
import { countAwsRequests } from '../aws/request-count.ts';
import { type GatekeeperConfig, loadConfig } from '../config/index.ts';
import { DEFAULT_GATE_SETTINGS, type GateDependencies, type GateSettings } from '../gate/context.ts';
import { notifyMessages } from '../gate/messages.ts';
import { ScanningCache } from '../gate/scanning-cache.ts';
import { makeTagScheme } from '../gate/tags.ts';
import type { Ledger } from '../ledger/ledger.ts';
import { createLogger, type Logger } from '../log/index.ts';
import type { Notifier } from '../notify/notifier.ts';
import { createSnsClient, SnsNotifier } from '../notify/sns-notifier.ts';
import type { PolicySet } from '../policy/policy-set.ts';
import { readPolicySetJson } from '../policy/read-policy-set.ts';
import { createEcrClient } from '../registry/ecr-client.ts';
import { EcrRegistry } from '../registry/ecr-registry.ts';
import type { Registry } from '../registry/registry.ts';
import { ledgerFromConfig, requireSet } from './adapters.ts';
import { coldStartCache, lambdaHandler, topLevelLogger, type WiredContext } from './handler.ts';

export interface GateDependencyOverrides {
  readonly registry?: Registry;
  readonly ledger?: Ledger;
  readonly notifier?: Notifier;
  readonly logger?: Logger;
  readonly now?: () => Date;
  readonly settings?: Partial<GateSettings>;
  /** Use this policy set instead of GATEKEEPER_POLICY_SET (null: simulate an unloadable set). */
  readonly policySet?: PolicySet | null;
  /** Function name for log lines. */
  readonly functionName?: string;
}

export interface LoadedPolicySet {
  readonly policySet: PolicySet | null;
  readonly problem: string | null;
}

/**
 * Loads the policy set named by GATEKEEPER_POLICY_SET. Never throws: a problem is returned (fail closed).
 * @example const { policySet, problem } = await loadGatePolicySet('policy-set.json', process.env)
 */
export async function loadGatePolicySet(path: string, env: NodeJS.ProcessEnv): Promise<LoadedPolicySet> {
  const full = isAbsolute(path) ? path : resolve(env.LAMBDA_TASK_ROOT ?? process.cwd(), path);
  try {
    if ((await stat(full)).isDirectory()) {
      // YAML + JSON Schema loading is only needed locally; Lambda reads the bundled JSON.
      const { loadPolicySet } = await import('../policy/index.ts');
      return { policySet: await loadPolicySet(full), problem: null };
    }
    const text = await readFile(full, 'utf8');
    return { policySet: readPolicySetJson(text, full), problem: null };
  } catch (error) {
    const problems = (error as { problems?: readonly { file: string; path: string; message: string }[] })
      .problems;
    const detail = problems?.length
      ? problems
          .slice(0, 10)
          .map((p) => `${p.file}: ${p.path}: ${p.message}`)
          .join('; ')
      : error instanceof Error
        ? error.message
        : String(error);
    return { policySet: null, problem: `policy set ${full} cannot be used: ${detail}` };
  }
}

/** Builds every dependency from `env`, with optional test overrides. */
export async function buildGateDependencies(
  env: NodeJS.ProcessEnv,
  overrides: GateDependencyOverrides = {},
): Promise<GateDependencies> {
  const needAws = !overrides.ledger || !overrides.notifier;
  const config: GatekeeperConfig = loadConfig(env, { requireAws: needAws });
  const logger =
    overrides.logger ??
    createLogger({
      level: config.logLevel,
      metricsNamespace: config.metricsNamespace,
      context: { function: overrides.functionName ?? env.AWS_LAMBDA_FUNCTION_NAME ?? 'gatekeeper' },
    });
  const now = overrides.now ?? (() => new Date());
  const scheme = makeTagScheme(config.approvedPrefix, config.quarantinedPrefix);

  let loaded: LoadedPolicySet;
  if (overrides.policySet !== undefined) {
    loaded = {
      policySet: overrides.policySet,
      problem: overrides.policySet ? null : 'policy set unavailable',
    };
  } else {
    loaded = await loadGatePolicySet(config.policySetPath, env);
  }
  if (!loaded.policySet)
    logger.error('policy set invalid: the gate approves nothing until it is fixed', {
      problem: loaded.problem,
    });

  // Every client counts its requests for the AwsRequests metric (lib/aws/request-count.ts).
  const registry = overrides.registry ?? new EcrRegistry({ client: countAwsRequests(createEcrClient()) });
  const ledger = overrides.ledger ?? ledgerFromConfig(config);
  const notifier =
    overrides.notifier ??
    (() => {
      const topicArn = requireSet(config.topicArn, 'GATEKEEPER_TOPIC_ARN');
      return new SnsNotifier(countAwsRequests(createSnsClient({ topicArn })), topicArn);
    })();

  return {
    registry,
    ledger,
    notifier,
    messages: notifyMessages(scheme, config.consoleUrlRegion, now),
    policySet: loaded.policySet,
    policySetProblem: loaded.problem,
    scheme,
    repositoryScope: config.repositoryScope,
    logger,
    now,
    settings: { ...DEFAULT_GATE_SETTINGS, ...overrides.settings },
    // Built once per cold start like the rest: one cache per warm container.
    scanningCache: new ScanningCache(),
  };
}

const dependencies = coldStartCache(() => buildGateDependencies(process.env));

/** The dependencies of this Lambda container, built on first use (cold start) and reused afterwards. */
export function getGateDependencies(): Promise<GateDependencies> {
  return dependencies.get();
}

/**
 * Makes this process's handlers use `deps` instead of building them from the environment: local runs and
 * tests that need clients with other retry or timeout settings than the production factories. The handlers
 * themselves are unchanged (their middleware still loads through getGateDependencies()).
 * @example useGateDependencies(await buildGateDependencies(env, { registry: new EcrRegistry({ client }) }))
 */
export function useGateDependencies(deps: GateDependencies): void {
  dependencies.use(deps);
}

/** Forgets the cached dependencies (tests, or after changing the environment). */
export function resetGateDependencies(): void {
  dependencies.reset();
}

/** A gate function: the gate's dependencies, one call. */
export function gateHandler<R>(
  run: (deps: GateDependencies, event: unknown, context: Context) => Promise<R>,
): MiddyfiedHandler<unknown, R, Error, WiredContext<GateDependencies>> {
  return lambdaHandler({ load: getGateDependencies, logger: topLevelLogger(), run });
}
