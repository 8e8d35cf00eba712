/**
 * Builds the registry-snapshot function's dependencies once per cold start: configuration (lib/config), the ECR
 * registry (listing, findings, manifests and config blobs), the ledger (recorded verdicts, reads only), the S3
 * snapshot store (GATEKEEPER_SNAPSHOT_BUCKET) and, unless GATEKEEPER_INSPECTOR_USAGE=off, Amazon Inspector's in-use
 * data. Tests call `buildSnapshotDependencies(env, overrides)`.
 */

import type { MiddyfiedHandler } from '@middy/core';
import type { Context } from 'aws-lambda';
import { countAwsRequests } from '../aws/request-count.ts';
import { isRepositoryInScope, loadConfig } from '../config/index.ts';
import { createInspectorClient } from '../inspector/inspector-client.ts';
import { InspectorImageUsage } from '../inspector/inspector-usage.ts';
import type { Ledger } from '../ledger/ledger.ts';
import { createLogger, type Logger } from '../log/index.ts';
import { createEcrClient } from '../registry/ecr-client.ts';
import { EcrRegistry } from '../registry/ecr-registry.ts';
import type { Registry, RegistryAdmin } from '../registry/registry.ts';
import {
  createS3Client,
  type RegistrySnapshotDependencies,
  type RegistrySnapshotSettings,
  S3SnapshotStore,
  type SnapshotStore,
  type SnapshotUsageSource,
} from '../registry-snapshot/index.ts';
import { ledgerFromConfig, requireSet } from './adapters.ts';
import { lambdaHandler, topLevelLogger, type WiredContext } from './handler.ts';

export interface SnapshotDependencyOverrides {
  readonly registry?: Registry & RegistryAdmin;
  readonly ledger?: Pick<Ledger, 'get'>;
  readonly store?: SnapshotStore;
  /** null: no in-use data, as with GATEKEEPER_INSPECTOR_USAGE=off. */
  readonly usage?: SnapshotUsageSource | null;
  readonly logger?: Logger;
  readonly now?: () => Date;
  readonly settings?: Partial<RegistrySnapshotSettings>;
}

/** Builds everything from `env`; tests pass overrides. */
export function buildSnapshotDependencies(
  env: NodeJS.ProcessEnv,
  overrides: SnapshotDependencyOverrides = {},
): RegistrySnapshotDependencies {
  // The topic is not used here: only the ledger table is required.
  const config = loadConfig(env, { requireAws: false });
  const logger =
    overrides.logger ??
    createLogger({
      level: config.logLevel,
      metricsNamespace: config.metricsNamespace,
      context: { function: env.AWS_LAMBDA_FUNCTION_NAME ?? 'registry-snapshot' },
    });
  const registry =
    overrides.registry ?? new EcrRegistry({ client: countAwsRequests(createEcrClient()), logger });
  const ledger = overrides.ledger ?? ledgerFromConfig(config);
  const store =
    overrides.store ??
    new S3SnapshotStore({
      client: countAwsRequests(createS3Client()),
      bucket: requireSet(config.snapshotBucket, 'GATEKEEPER_SNAPSHOT_BUCKET'),
    });
  const usage =
    overrides.usage !== undefined
      ? overrides.usage
      : config.inspectorUsage
        ? new InspectorImageUsage({ client: countAwsRequests(createInspectorClient()), logger })
        : null;
  const scope = config.repositoryScope;
  return {
    admin: registry,
    registry,
    ledger,
    store,
    ...(usage ? { usage } : {}),
    logger,
    now: overrides.now ?? (() => new Date()),
    settings: {
      registryId: null,
      region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
      inScope: (repository) => isRepositoryInScope(scope, repository),
      reservedPrefixes: [config.approvedPrefix, config.quarantinedPrefix],
      // Off: reading manifests (BatchGetImage) records a pull on every image each night, and the hygiene
      // sweep's "recently pulled" protection would then keep every image (lib/hygiene/drift.ts).
      facts: false,
      ...overrides.settings,
    },
  };
}

let cached: RegistrySnapshotDependencies | null = null;

/** Once per cold start; a configuration error is thrown again on the next invocation. */
export function getSnapshotDependencies(): RegistrySnapshotDependencies {
  cached ??= buildSnapshotDependencies(process.env);
  return cached;
}

/** The registry-snapshot function: its dependencies, one call. */
export function snapshotHandler<R>(
  run: (deps: RegistrySnapshotDependencies, event: unknown, context: Context) => Promise<R>,
): MiddyfiedHandler<unknown, R, Error, WiredContext<RegistrySnapshotDependencies>> {
  return lambdaHandler({ load: async () => getSnapshotDependencies(), logger: topLevelLogger(), run });
}
