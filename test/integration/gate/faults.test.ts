/**
 * Faults over HTTP inside the real gate flow (reliability requirements 22, 24–26, 39): the real handlers
 * (handlers/*.ts) with real SDK clients against the local ECR, SNS and DynamoDB. Throttles, 5xx, hangs
 * (client timeouts) and dropped connections are injected at each operation the decision path calls. A
 * handler that throws is redelivered with the same event, as Lambda does (at most 2 retries); every case must
 * converge to the right tags with exactly one notification.
 */
import { PutImageCommand } from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { handler as basicScanHandler } from '../../../handlers/basic-scan-completed.ts';
import { handler as pushHandler } from '../../../handlers/image-pushed.ts';
import type { GateDependencies } from '../../../lib/gate/context.ts';
import type { GateHandlerResult } from '../../../lib/gate/handle-event.ts';
import type { Registry } from '../../../lib/registry/registry.ts';
import { resetGateDependencies, useGateDependencies } from '../../../lib/wiring/gate-dependencies.ts';
import { basicFindings, type FaultKind, type LocalAws, startLocalAws } from '../../support/local-aws.ts';
import {
  createTable,
  fastGateDependencies,
  LAMBDA_CONTEXT,
  pushEvent,
  type RawEvent,
  scanEvent,
  seedImage,
  TOPIC,
} from './local-gate.ts';

let aws: LocalAws;
let deps: GateDependencies;
const MAX_ATTEMPTS = 3; // per SDK call in these tests
/** Lambda's asynchronous invocation: the first attempt plus maximumRetryAttempts 2. */
const LAMBDA_ATTEMPTS = 3;

beforeAll(async () => {
  aws = await startLocalAws({ snsTopics: [TOPIC] });
  await createTable(aws);
  deps = await fastGateDependencies(aws, { maxAttempts: MAX_ATTEMPTS });
});
afterAll(async () => {
  resetGateDependencies();
  await aws?.stop();
});
beforeEach(() => {
  for (const f of Object.values(aws.faults)) f.clear();
  useGateDependencies(deps);
});

type Handler = typeof basicScanHandler;

/** Delivers `event` like Lambda: a throw is retried with the same event, up to 2 retries. */
async function deliver(handler: Handler, event: RawEvent) {
  const errors: unknown[] = [];
  for (let attempt = 1; attempt <= LAMBDA_ATTEMPTS; attempt++) {
    try {
      const result = (await handler(structuredClone(event), LAMBDA_CONTEXT)) as GateHandlerResult;
      return { result, attempts: attempt, errors };
    } catch (error) {
      errors.push(error);
    }
  }
  return { result: null, attempts: LAMBDA_ATTEMPTS, errors };
}

const publishesAbout = (digest: string) => aws.sns.publishes().filter((p) => p.message.includes(digest));
const tagsOf = (repository: string, digest: string) => [...(aws.ecr.tagsOf(repository, digest) ?? [])].sort();

type Service = 'ecr' | 'sns' | 'dynamodb';
const OPERATIONS: readonly { service: Service; operation: string }[] = [
  { service: 'ecr', operation: 'BatchGetImage' },
  { service: 'ecr', operation: 'DescribeImageScanFindings' },
  { service: 'ecr', operation: 'PutImage' },
  { service: 'sns', operation: 'Publish' },
  { service: 'dynamodb', operation: 'GetItem' },
  { service: 'dynamodb', operation: 'PutItem' },
];
const FAULTS: readonly { name: string; kind: FaultKind }[] = [
  { name: 'throttle', kind: 'throttle' },
  { name: '500', kind: 'server-error' },
  { name: '503', kind: 'unavailable' },
  { name: 'dropped connection', kind: 'drop' },
  { name: 'hang (client timeout)', kind: { hangMs: 400 } },
];
const REGIMES = [
  // Fewer failures than SDK attempts: absorbed by the client's retries within one invocation.
  { regime: 'transient', failures: MAX_ATTEMPTS - 1, invocations: 1 },
  // More: the invocation throws a retryable error and the redelivery finishes the job.
  { regime: 'persistent', failures: MAX_ATTEMPTS + 1, invocations: 2 },
] as const;

const cases = OPERATIONS.flatMap((op) =>
  FAULTS.flatMap((fault) => REGIMES.map((regime) => ({ ...op, ...fault, ...regime }))),
);

describe('faults at every operation of a decision converge, one notification', () => {
  let n = 0;
  it.each(cases)(
    '$service $operation: $name, $regime',
    async ({ service, operation, kind, failures, invocations }) => {
      n += 1;
      const repository = `faults/${service}-${operation.toLowerCase()}`;
      const tag = `1.0.${n}`;
      const critical = n % 2 === 0; // alternate verdicts
      const { digest } = seedImage(aws, repository, [tag], {
        status: 'COMPLETE',
        findings: critical ? basicFindings(1, 'CRITICAL') : basicFindings(2, 'LOW'),
      });
      const verdict = critical ? 'quarantined' : 'approved';
      const event = scanEvent(aws, repository, digest, [tag]);
      aws.resetCounts();
      aws.faults[service].failNext(operation, failures, kind);

      const { result, attempts } = await deliver(basicScanHandler, event);

      expect(result?.verdict).toBe(verdict);
      expect(attempts).toBe(invocations);
      expect(aws.faults[service].pendingFailures(operation)).toBe(0); // the fault really was hit
      expect(tagsOf(repository, digest)).toEqual([tag, `${verdict}-${tag}`]);
      expect(publishesAbout(digest)).toHaveLength(1);
      // A further redelivery changes nothing: no ECR write, no publish.
      aws.resetCounts();
      await deliver(basicScanHandler, event);
      expect(aws.callCounts().ecr.PutImage ?? 0).toBe(0);
      expect(aws.callCounts().sns.Publish ?? 0).toBe(0);
      expect(publishesAbout(digest)).toHaveLength(1);
    },
  );

  it('a fault that outlasts every retry fails the event with a retryable error and changes no tag', async () => {
    const { digest } = seedImage(aws, 'faults/outage', ['2.0.0'], { status: 'COMPLETE', findings: [] });
    aws.faults.ecr.failNext('DescribeImageScanFindings', MAX_ATTEMPTS * LAMBDA_ATTEMPTS, 'unavailable');
    const { result, errors } = await deliver(
      basicScanHandler,
      scanEvent(aws, 'faults/outage', digest, ['2.0.0']),
    );
    expect(result).toBeNull(); // → the on-failure destination (DLQ) and its alarm
    expect(errors).toHaveLength(LAMBDA_ATTEMPTS);
    expect(errors.every((e) => (e as { name?: string }).name === 'RegistryUnavailableError')).toBe(true);
    expect(tagsOf('faults/outage', digest)).toEqual(['2.0.0']);
    expect(publishesAbout(digest)).toHaveLength(0);
  });
});

/** A registry whose PutImage succeeds over HTTP and then runs `after` (a crash, or arming a fault). */
function afterPutImage(registry: Registry, after: () => void): Registry {
  return new Proxy(registry, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver) as unknown;
      if (typeof value !== 'function') return value;
      // The adapter keeps its client in private fields: call its methods on the adapter itself.
      if (name !== 'putTag') return value.bind(target);
      return async (...args: Parameters<Registry['putTag']>) => {
        const outcome = await target.putTag(...args);
        after();
        return outcome;
      };
    },
  });
}

describe('a crash between PutImage and Publish, then a retry: correct tags, one notification', () => {
  it.each([
    {
      name: 'the invocation dies right after PutImage (nothing after it runs)',
      arm: () => {
        throw new Error('Runtime exited: simulated crash after PutImage');
      },
    },
    {
      name: 'the ledger write after the retag fails (DynamoDB unavailable) and SNS is down',
      arm: () => {
        aws.faults.dynamodb.failNext('PutItem', MAX_ATTEMPTS, 'unavailable');
        aws.faults.sns.failNext('Publish', MAX_ATTEMPTS, 'unavailable');
      },
    },
    {
      name: 'SNS is unavailable for the whole first attempt',
      arm: () => aws.faults.sns.failNext('Publish', MAX_ATTEMPTS, 'drop'),
    },
  ])('$name', async ({ arm }) => {
    const repository = 'crash/app';
    const tag = `3.0.${aws.sns.publishes().length}`;
    const { digest } = seedImage(aws, repository, [tag], {
      status: 'COMPLETE',
      findings: basicFindings(1, 'CRITICAL'),
    });
    const event = scanEvent(aws, repository, digest, [tag]);
    let armed = false;
    useGateDependencies({
      ...deps,
      registry: afterPutImage(deps.registry, () => {
        if (armed) return;
        armed = true;
        arm();
      }),
    });
    await expect(basicScanHandler(structuredClone(event), LAMBDA_CONTEXT)).rejects.toThrow();
    expect(tagsOf(repository, digest)).toEqual([tag, `quarantined-${tag}`]); // the retag happened
    expect(publishesAbout(digest)).toHaveLength(0); // the notification did not

    useGateDependencies(deps);
    for (const f of Object.values(aws.faults)) f.clear();
    aws.resetCounts();
    const retry = (await basicScanHandler(structuredClone(event), LAMBDA_CONTEXT)) as GateHandlerResult;
    expect(retry.verdict).toBe('quarantined');
    expect(aws.callCounts().ecr.PutImage ?? 0).toBe(0); // no second retag
    expect(tagsOf(repository, digest)).toEqual([tag, `quarantined-${tag}`]);
    expect(publishesAbout(digest)).toHaveLength(1);
    await basicScanHandler(structuredClone(event), LAMBDA_CONTEXT);
    expect(publishesAbout(digest)).toHaveLength(1);
  });
});

describe('a spoofed decision tag that moved off an approved digest', () => {
  it('is put back on the digest the gatekeeper had written it on, removed from the spoof, and alerted', async () => {
    const repository = 'spoof/moved';
    const a = seedImage(aws, repository, ['1.0.0'], { status: 'COMPLETE', findings: [] });
    await basicScanHandler(scanEvent(aws, repository, a.digest, ['1.0.0']), LAMBDA_CONTEXT);
    expect(tagsOf(repository, a.digest)).toEqual(['1.0.0', 'approved-1.0.0']);

    // Someone pushes another image as approved-1.0.0: in a mutable repository the tag moves off A.
    const b = seedImage(aws, repository, ['scratch'], {
      status: 'COMPLETE',
      findings: basicFindings(1, 'CRITICAL'),
    });
    await aws.clients.ecr().send(
      new PutImageCommand({
        repositoryName: repository,
        imageManifest: b.manifest,
        imageTag: 'approved-1.0.0',
      }),
    );
    expect(tagsOf(repository, a.digest)).toEqual(['1.0.0']);
    expect(tagsOf(repository, b.digest)).toContain('approved-1.0.0');

    const result = (await pushHandler(
      pushEvent(aws, repository, b.digest, 'approved-1.0.0'),
      LAMBDA_CONTEXT,
    )) as GateHandlerResult;

    expect(result.outcome).toBe('spoof-removed');
    expect(tagsOf(repository, a.digest)).toEqual(['1.0.0', 'approved-1.0.0']);
    expect(tagsOf(repository, b.digest)).not.toContain('approved-1.0.0');
    const alert = publishesAbout(b.digest).at(-1);
    expect(alert?.message).toContain(`moved off ${a.digest}`);
    expect(alert?.message).toContain('put back');
    // Every subscriber learns where the tag came from: email, Slack (Chatbot) and the machine JSON.
    const structure = JSON.parse(alert?.message ?? '{}') as Record<string, string>;
    expect(JSON.parse(structure.default ?? '{}').detail).toEqual({
      writtenOn: a.digest,
      putBack: true,
      explanation: expect.stringContaining(`moved off ${a.digest}`),
    });
    expect(JSON.parse(structure.https ?? '{}').content.description).toContain(`Origin: It was moved off`);
    expect(structure.email).toContain(`Put back on: ${a.digest}`);
  });

  it('is not put back when the ledger no longer vouches for it there, and the alert says why', async () => {
    const repository = 'spoof/stale';
    const a = seedImage(aws, repository, ['1.0.0'], { status: 'COMPLETE', findings: [] });
    await basicScanHandler(scanEvent(aws, repository, a.digest, ['1.0.0']), LAMBDA_CONTEXT);
    // A is re-decided as quarantined: approved-1.0.0 is no longer its tag.
    aws.ecr.seedScan(repository, a.digest, { status: 'COMPLETE', findings: basicFindings(1, 'CRITICAL') });
    await basicScanHandler(scanEvent(aws, repository, a.digest, ['1.0.0']), LAMBDA_CONTEXT);
    expect(tagsOf(repository, a.digest)).toEqual(['1.0.0', 'quarantined-1.0.0']);

    const b = seedImage(aws, repository, ['approved-1.0.0', 'x'], null);
    await pushHandler(pushEvent(aws, repository, b.digest, 'approved-1.0.0'), LAMBDA_CONTEXT);

    expect(tagsOf(repository, a.digest)).toEqual(['1.0.0', 'quarantined-1.0.0']);
    expect(tagsOf(repository, b.digest)).toEqual(['x']);
    const alert = publishesAbout(b.digest).at(-1);
    expect(alert?.message).toContain('no longer includes it, so it is not put back');
    const structure = JSON.parse(alert?.message ?? '{}') as Record<string, string>;
    expect(JSON.parse(structure.default ?? '{}').detail).toMatchObject({
      writtenOn: a.digest,
      putBack: false,
    });
  });
});
