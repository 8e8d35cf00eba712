/**
 * Builds the sweep's dependencies once per cold start from the same environment as the gate
 * (lib/config): the registry (EcrRegistry is both Registry and RegistryAdmin), the ledger (checkpoint and
 * expired-waiver listing), the notifier, the gate's `decideImage` for the safety net, and the baseline
 * (GATEKEEPER_HYGIENE_BASELINE: a JSON build output, or YAML for local use; relative to the Lambda task root),
 * and Amazon Inspector's in-use data (lib/inspector `InspectorImageUsage`) unless GATEKEEPER_INSPECTOR_USAGE=off.
 */
import { isAbsolute, resolve } from 'node:path';
import type { MiddyfiedHandler } from '@middy/core';
import type { Context } from 'aws-lambda';
import { countAwsRequests } from '../aws/request-count.ts';
import { loadConfig } from '../config/index.ts';
import { DecisionObservation } from '../gate/decision-metrics.ts';
import { checkDeadlines, checkDecisionTags, checkDecisionTagsMany, decideImage } from '../gate/index.ts';
import { loadBaseline } from '../hygiene/baseline.ts';
import {
  DEFAULT_SWEEP_SETTINGS,
  type ImageUsageSource,
  type SweepDependencies,
} from '../hygiene/sweep-ports.ts';
import { createInspectorClient } from '../inspector/inspector-client.ts';
import { InspectorImageUsage } from '../inspector/inspector-usage.ts';
import { formatHygieneSummary } from '../notify/index.ts';
import type { Registry, RegistryAdmin } from '../registry/registry.ts';
import { buildGateDependencies, type GateDependencyOverrides } from './gate-dependencies.ts';
import { coldStartCache, lambdaHandler, topLevelLogger, type WiredContext } from './handler.ts';

/** Test overrides: the gate's, plus the usage source (null: none, as with GATEKEEPER_INSPECTOR_USAGE=off). */
export interface SweepDependencyOverrides extends GateDependencyOverrides {
  readonly usage?: ImageUsageSource | null;
}

function isRegistryAdmin(registry: Registry): registry is Registry & RegistryAdmin {
  return typeof (registry as Partial<RegistryAdmin>).listRepositories === 'function';
}

/** Builds everything from `env`; tests pass overrides (registry, ledger, notifier, clock). */
export async function buildSweepDependencies(
  env: NodeJS.ProcessEnv,
  overrides: SweepDependencyOverrides = {},
): Promise<SweepDependencies> {
  const { usage: usageOverride, ...gateOverrides } = overrides;
  const gate = await buildGateDependencies(env, { functionName: 'hygiene-sweep', ...gateOverrides });
  const config = loadConfig(env, { requireAws: !overrides.ledger || !overrides.notifier });
  if (!isRegistryAdmin(gate.registry))
    throw new Error('the registry adapter does not implement RegistryAdmin');
  const path = config.hygieneBaselinePath;
  const full = isAbsolute(path) ? path : resolve(env.LAMBDA_TASK_ROOT ?? process.cwd(), path);
  const prefixes = { approvedPrefix: config.approvedPrefix, quarantinedPrefix: config.quarantinedPrefix };
  const baseline = await loadBaseline(full, prefixes);
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
  const usage =
    usageOverride !== undefined
      ? usageOverride
      : config.inspectorUsage
        ? new InspectorImageUsage({ client: countAwsRequests(createInspectorClient()), logger: gate.logger })
        : null;
  return {
    admin: gate.registry,
    baseline,
    checkpoints: gate.ledger,
    notifier: gate.notifier,
    formatSummary: (summary, now) =>
      formatHygieneSummary(
        { kind: 'hygiene-summary', ...summary },
        { now, consoleRegion: config.consoleUrlRegion, ...prefixes },
      ),
    gate: {
      // Each safety-net decision writes the same metrics line as an event's decision.
      decide: async (ref, reason, sweepId) => {
        const observation = new DecisionObservation(gate);
        const outcome = await observation.run((observed) =>
          decideImage(observed, ref, { kind: 'sweep', id: sweepId, reason }),
        );
        observation.writeOutcome(
          gate.logger.child({ repository: ref.repository, digest: ref.digest }),
          outcome,
        );
        return outcome;
      },
      listExpiredWaiverDecisions: (now) => gate.ledger.listDecisionsWithExpiredWaivers(now),
      checkDeadlines: async (runId) => {
        const checked = await checkDeadlines(gate, {
          runId,
          maxImages: DEFAULT_SWEEP_SETTINGS.maxSafetyNetPerRun,
          consoleRegion: config.consoleUrlRegion,
        });
        const { alerts, ...counts } = checked;
        return { ...counts, alertsSent: alerts.entered + alerts.halfway + alerts['one-day-before'] };
      },
      checkTags: (ref, tags) => checkDecisionTags(gate, ref, tags),
      checkTagsMany: (items) => checkDecisionTagsMany(gate, items),
    },
    ...(usage ? { usage } : {}),
    logger: gate.logger,
    now: gate.now,
    settings: {
      ...DEFAULT_SWEEP_SETTINGS,
      ...prefixes,
      mode: config.hygieneMode,
      scope: config.repositoryScope,
      region,
      // One deployment per account and region: the ledger table is already per account.
      registryKey: 'default',
    },
  };
}

const dependencies = coldStartCache(() => buildSweepDependencies(process.env));

/** Once per cold start. */
export function getSweepDependencies(): Promise<SweepDependencies> {
  return dependencies.get();
}

/** Makes the sweep handler use `deps` (local runs and tests with a moved clock or other client settings). */
export function useSweepDependencies(deps: SweepDependencies): void {
  dependencies.use(deps);
}

/** Forgets the cached dependencies. */
export function resetSweepDependencies(): void {
  dependencies.reset();
}

/** The hygiene sweep: the sweep's dependencies, one call. */
export function sweepHandler<R>(
  run: (deps: SweepDependencies, event: unknown, context: Context) => Promise<R>,
): MiddyfiedHandler<unknown, R, Error, WiredContext<SweepDependencies>> {
  return lambdaHandler({ load: getSweepDependencies, logger: topLevelLogger(), run });
}
