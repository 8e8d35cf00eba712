/**
 * The gate against the local AWS endpoints, for the fault, crash and burst tests and bench/burst.ts:
 * EventBridge events built from the samples in events/, images seeded into the local ECR, and gate
 * dependencies whose real SDK clients use the harness's fast retry settings (or the production factories).
 */
import { readFileSync } from 'node:fs';
import type { Context } from 'aws-lambda';
import type { GateDependencies } from '../../../lib/gate/context.ts';
import { DynamoDbLedger } from '../../../lib/ledger/dynamodb-ledger.ts';
import { createLedgerTable } from '../../../lib/ledger/table.ts';
import { SnsNotifier } from '../../../lib/notify/sns-notifier.ts';
import type { PolicySet } from '../../../lib/policy/policy-set.ts';
import { EcrRegistry } from '../../../lib/registry/ecr-registry.ts';
import {
  buildGateDependencies,
  type GateDependencyOverrides,
} from '../../../lib/wiring/gate-dependencies.ts';
import { buildImage, imageConfig, type LocalAws, MEDIA_TYPES } from '../../support/local-aws.ts';

export type RawEvent = Record<string, unknown> & { detail: Record<string, unknown> };

export const TOPIC = 'gatekeeper';
export const TABLE = 'gatekeeper-ledger';
export const LAMBDA_CONTEXT = {
  awsRequestId: 'local',
  functionName: 'gate-local',
  getRemainingTimeInMillis: () => 60_000,
} as unknown as Context;

const sample = (file: string): RawEvent =>
  JSON.parse(readFileSync(new URL(`../../../events/${file}`, import.meta.url), 'utf8')) as RawEvent;

let sequence = 0;
export function nextEventId(): string {
  sequence += 1;
  return `00000000-0000-4000-9000-${String(sequence).padStart(12, '0')}`;
}

/**
 * A copy of an EventBridge event with a fresh id and time, the harness's account and Region, and `detail` fields
 * replaced: every event the local gate tests send goes through here.
 */
export function stampEvent(aws: LocalAws, template: RawEvent, detail: Record<string, unknown>): RawEvent {
  const event = structuredClone(template);
  Object.assign(event, {
    id: nextEventId(),
    time: new Date().toISOString(),
    account: aws.accountId,
    region: aws.region,
  });
  Object.assign(event.detail, detail);
  return event;
}

/** ECR Image Scan (basic) for the digest. */
export function scanEvent(
  aws: LocalAws,
  repository: string,
  digest: string,
  tags: readonly string[],
): RawEvent {
  return stampEvent(aws, sample('ecr-basic-scan-complete.json'), {
    'repository-name': repository,
    'image-digest': digest,
    'image-tags': [...tags],
  });
}

/** ECR Image Action PUSH/SUCCESS for the digest and tag. */
export function pushEvent(aws: LocalAws, repository: string, digest: string, tag: string | null): RawEvent {
  const event = stampEvent(aws, sample('ecr-image-push.json'), {
    'repository-name': repository,
    'image-digest': digest,
    'manifest-media-type': MEDIA_TYPES.dockerV2,
  });
  if (tag === null) delete event.detail['image-tag'];
  else event.detail['image-tag'] = tag;
  return event;
}

/** Seeds a runnable (non-root) image with its config blob and a scan; returns its digest and manifest. */
export function seedImage(
  aws: LocalAws,
  repository: string,
  tags: readonly string[],
  scan: Parameters<LocalAws['ecr']['seedScan']>[2] | null,
  name = `${repository}:${tags.join(',')}:${nextEventId()}`,
): { digest: string; manifest: string } {
  if (!aws.ecr.repositoryNames().includes(repository))
    aws.ecr.seedRepository(repository, { scanOnPush: true });
  const image = buildImage(imageConfig(name, { user: 'app' }));
  const { digest } = aws.ecr.seedImage(repository, {
    manifest: image.manifest,
    config: image.config,
    tags: [...tags],
    pushedAt: new Date(Date.now() - 10 * 60_000),
    ...(scan ? { scan } : {}),
  });
  return { digest, manifest: image.manifest };
}

/** GATEKEEPER_* and the local endpoints, as a Lambda's environment would carry them. */
export function gateEnv(aws: LocalAws): Record<string, string> {
  return {
    ...aws.env,
    GATEKEEPER_TOPIC_ARN: `arn:aws:sns:${aws.region}:${aws.accountId}:${TOPIC}`,
    GATEKEEPER_LEDGER_TABLE: TABLE,
    GATEKEEPER_POLICY_SET: 'policies',
    LOG_LEVEL: process.env.GK_LOG ?? 'silent',
  };
}

export async function createTable(aws: LocalAws): Promise<void> {
  await createLedgerTable(aws.clients.dynamodb(), TABLE);
}

export interface FastClientOptions {
  /** Attempts per SDK call (default 3). */
  readonly maxAttempts?: number;
  /** Request timeout, ms: a hung connection fails this fast and is retried (default 150). */
  readonly requestTimeoutMs?: number;
}

/**
 * Gate dependencies with the harness's real SDK clients: explicit attempts, a 5 ms backoff and a short
 * request timeout that throws (a hang becomes a retryable TimeoutError), so fault tests take milliseconds.
 */
export async function fastGateDependencies(
  aws: LocalAws,
  options: FastClientOptions = {},
  overrides: GateDependencyOverrides = {},
): Promise<GateDependencies> {
  const env = gateEnv(aws);
  const config = {
    maxAttempts: options.maxAttempts ?? 3,
    backoffMs: () => 5,
    requestHandler: { requestTimeout: options.requestTimeoutMs ?? 150, throwOnRequestTimeout: true },
  };
  return buildGateDependencies(env, {
    registry: new EcrRegistry({ client: aws.clients.ecr(config) }),
    ledger: new DynamoDbLedger({ client: aws.clients.dynamodb(config), tableName: TABLE }),
    notifier: new SnsNotifier(aws.clients.sns(config), env.GATEKEEPER_TOPIC_ARN as string),
    functionName: 'gate-local',
    ...overrides,
  });
}

/** `policySet` with every policy's image rules off: a decision then needs no image facts (no config blob read). */
export function withoutImageRules(policySet: PolicySet): PolicySet {
  return {
    ...policySet,
    policies: policySet.policies.map((p) => ({
      ...p,
      rules: {
        ...p.rules,
        image: { ...p.rules.image, runsAsRoot: 'allow' as const, requiredLabels: [], maxSizeBytes: null },
      },
    })),
  };
}
