import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GatekeeperError, retryableOf } from '../../../lib/errors/gatekeeper-error.ts';
import { InvalidEventError } from '../../../lib/events/errors.ts';
import { NotReadyError } from '../../../lib/gate/errors.ts';
import { handleGateEvent, isFinal, isRetryable } from '../../../lib/gate/handle-event.ts';
import { InspectorUnavailableError } from '../../../lib/inspector/errors.ts';
import {
  LedgerConflictError,
  LedgerCorruptError,
  LedgerUnavailableError,
} from '../../../lib/ledger/errors.ts';
import { NotifierRejectedError, NotifierUnavailableError } from '../../../lib/notify/errors.ts';
import { RegistryRejectedError, RegistryUnavailableError } from '../../../lib/registry/errors.ts';
import { QueueUnavailableError } from '../../../lib/rejudge/errors.ts';
import { completeScan, finding, NOW, testGate } from './support.ts';

type Raw = Record<string, unknown> & { detail: Record<string, unknown> };
/** The finding the sample Inspector2 Finding event (events/inspector2-finding-ecr-image.json) announces. */
const EVENT_FINDING_ARN =
  'arn:aws:inspector2:us-east-1:123456789012:finding/0d3e7c4b9a1f5e2d8c6b4a3f1e0d9c8b';
const sample = (file: string): Raw => JSON.parse(readFileSync(`events/${file}`, 'utf8')) as Raw;

function scanEvent(repository: string, digest: string, time = NOW.toISOString()): Raw {
  const event = structuredClone(sample('ecr-basic-scan-complete.json'));
  event.time = time;
  event.detail['repository-name'] = repository;
  event.detail['image-digest'] = digest;
  return event;
}

describe('handleGateEvent', () => {
  it('decides an image from a real ECR Image Scan event shape', async () => {
    const gate = await testGate();
    const ref = gate.registry.seed({
      tags: ['1.4.2'],
      scan: completeScan([finding('CVE-2099-8', 'CRITICAL')]),
    });
    const result = await handleGateEvent(
      gate.deps,
      'basic-scan-completed',
      ['scan-completed'],
      scanEvent('app', ref.digest),
    );
    expect(result).toMatchObject({ outcome: 'decided', verdict: 'quarantined' });
    const line = gate.lines.find((l) => l.message === 'event handled');
    expect(line).toMatchObject({
      eventId: '0b7d6f3a-8e21-4c2f-b5a4-71c9d0e3f642',
      repository: 'app',
      digest: ref.digest,
    });
  });

  it.each([
    ['missing digest', (e: Raw) => delete e.detail['image-digest']],
    ['invalid digest', (e: Raw) => (e.detail['image-digest'] = 'sha256:XYZ')],
    ['wrong type', (e: Raw) => (e.detail['image-tags'] = 'latest')],
    ['unknown detail-type', (e: Raw) => (e['detail-type'] = 'Something Else')],
    ['invalid repository name', (e: Raw) => (e.detail['repository-name'] = 'Team A/App!')],
    ['repository name of the wrong type', (e: Raw) => (e.detail['repository-name'] = 42)],
    ['missing detail', (e: Raw) => delete (e as Record<string, unknown>).detail],
    ['oversized payload (over 256 KiB)', (e: Raw) => (e.detail.padding = 'x'.repeat(256 * 1024))],
  ])('rejects a malformed event (%s) with a logged error and no AWS write', async (_name, mutate) => {
    const gate = await testGate();
    const ref = gate.registry.seed({ tags: ['1.4.2'] });
    const event = scanEvent('app', ref.digest);
    mutate(event);
    const result = await handleGateEvent(gate.deps, 'basic-scan-completed', ['scan-completed'], event);
    expect(result.outcome).toBe('rejected');
    expect(result.detail).toMatch(/\S/);
    // No AWS call at all: no ECR read or write, no ledger write, no SNS publish.
    expect(gate.registry.calls).toEqual({});
    expect(gate.ledger.writes).toBe(0);
    expect(gate.notifier.messages).toHaveLength(0);
    const error = gate.lines.find((l) => l.level === 'error');
    expect(error?.message).toMatch(/event rejected/);
    expect(error?.error).toBe(result.detail);
  });

  it('a replayed, days-old event whose counts say clean is re-evaluated on fresh findings (counts are a hint)', async () => {
    const gate = await testGate();
    const ref = gate.registry.seed({
      tags: ['1.4.2'],
      scan: completeScan([finding('CVE-2099-12', 'CRITICAL')]),
    });
    const event = scanEvent('app', ref.digest, new Date(NOW.getTime() - 3 * 24 * 3600_000).toISOString());
    event['replay-name'] = 'gatekeeper-replay-2026-11-23';
    event.detail['finding-severity-counts'] = { CRITICAL: 0, HIGH: 0, MEDIUM: 0, LOW: 0 };

    const result = await handleGateEvent(gate.deps, 'basic-scan-completed', ['scan-completed'], event);

    expect(result).toMatchObject({ outcome: 'decided', verdict: 'quarantined' });
    expect(gate.registry.calls.getScanResult).toBe(1);
    expect(gate.registry.tagsOf(ref)).toEqual(['1.4.2', 'quarantined-1.4.2']);
  });

  it('an event whose counts report a critical approves an image whose fresh findings are clean', async () => {
    const gate = await testGate();
    const ref = gate.registry.seed({ tags: ['1.4.2'], scan: completeScan([finding('CVE-2099-13', 'LOW')]) });
    const event = scanEvent('app', ref.digest);
    event.detail['finding-severity-counts'] = { CRITICAL: 7 };

    const result = await handleGateEvent(gate.deps, 'basic-scan-completed', ['scan-completed'], event);

    expect(result).toMatchObject({ outcome: 'decided', verdict: 'approved' });
  });

  it('rejects an event sent to the wrong function', async () => {
    const gate = await testGate();
    const ref = gate.registry.seed({ tags: ['1.4.2'] });
    const result = await handleGateEvent(
      gate.deps,
      'image-pushed',
      ['image-pushed'],
      scanEvent('app', ref.digest),
    );
    expect(result.outcome).toBe('rejected');
  });

  it('ignores repositories outside the configured scope', async () => {
    const gate = await testGate();
    const ref = gate.registry.seed({ tags: ['1.4.2'] });
    const deps = { ...gate.deps, repositoryScope: ['team-*'] };
    const result = await handleGateEvent(
      deps,
      'basic-scan-completed',
      ['scan-completed'],
      scanEvent('app', ref.digest),
    );
    expect(result.outcome).toBe('ignored');
    expect(gate.registry.calls.describeImage ?? 0).toBe(0);
  });

  it('not ready: throws while the event is young (Lambda retries), returns once it is old (sweep)', async () => {
    const gate = await testGate();
    const ref = gate.registry.seed({ tags: ['1.4.2'], scan: completeScan([], { status: 'IN_PROGRESS' }) });
    await expect(
      handleGateEvent(gate.deps, 'basic-scan-completed', ['scan-completed'], scanEvent('app', ref.digest)),
    ).rejects.toBeInstanceOf(NotReadyError);
    const old = new Date(NOW.getTime() - 10 * 60_000).toISOString();
    const result = await handleGateEvent(
      gate.deps,
      'basic-scan-completed',
      ['scan-completed'],
      scanEvent('app', ref.digest, old),
    );
    expect(result.outcome).toBe('not-ready');
    expect(gate.registry.writes()).toBe(0);
  });

  it('a final registry error is alerted and not thrown; a retryable one is thrown', async () => {
    const gate = await testGate();
    const ref = gate.registry.seed({ tags: ['1.4.2'], scan: completeScan([]) });
    gate.registry.before.getScanResult = () => {
      throw new RegistryRejectedError(
        'DescribeImageScanFindings',
        'RepositoryNotFoundException',
        'gone repo',
      );
    };
    const result = await handleGateEvent(
      gate.deps,
      'basic-scan-completed',
      ['scan-completed'],
      scanEvent('app', ref.digest),
    );
    expect(result.outcome).toBe('failed');
    expect(gate.notifier.messages).toHaveLength(1);

    gate.registry.before.getScanResult = () => {
      throw new RegistryUnavailableError('DescribeImageScanFindings', 'ThrottlingException', 'slow down');
    };
    await expect(
      handleGateEvent(gate.deps, 'basic-scan-completed', ['scan-completed'], scanEvent('app', ref.digest)),
    ).rejects.toBeInstanceOf(RegistryUnavailableError);
    expect(gate.registry.writes()).toBe(0);
  });

  it('an Inspector2 Finding event re-evaluates the image', async () => {
    const gate = await testGate();
    const ref = gate.registry.seed({
      repository: 'demo/cluster-autoscaler',
      tags: ['v1'],
      // The finding the event announces is visible in the findings (a LOW one: still approved).
      scan: completeScan([
        finding('CVE-2099-100', 'LOW', { arn: EVENT_FINDING_ARN, updatedAt: NOW.toISOString() }),
      ]),
    });
    const event = structuredClone(sample('inspector2-finding-ecr-image.json'));
    expect(event.detail.findingArn).toBe(EVENT_FINDING_ARN);
    event.time = NOW.toISOString();
    event.resources = [`arn:aws:ecr:us-east-1:123456789012:repository/demo/cluster-autoscaler/${ref.digest}`];
    const resources = (event.detail.resources as Record<string, unknown>[])[0] as Record<string, unknown>;
    resources.id = (event.resources as string[])[0];
    const details = (resources.details as Record<string, Record<string, unknown>>).awsEcrContainerImage;
    if (details) {
      details.imageHash = ref.digest;
      details.repositoryName = 'demo/cluster-autoscaler';
    }
    const result = await handleGateEvent(gate.deps, 'finding-changed', ['finding-changed'], event);
    expect(result).toMatchObject({ outcome: 'decided', verdict: 'approved' });
  });
});

describe('error classification', () => {
  it.each([
    [new RegistryUnavailableError('PutImage', 'ThrottlingException', 'x'), true, false],
    [new RegistryRejectedError('PutImage', 'KmsException', 'x'), false, true],
    [new LedgerUnavailableError('x'), true, false],
    [new LedgerConflictError('k'), true, false],
    [new NotifierUnavailableError('x', 'Throttled', 429), true, false],
    [new NotifierRejectedError('x', 'InvalidParameter', 400), false, true],
    [new NotReadyError('x'), true, false],
    [new InvalidEventError('event', 'detail.repository-name', 'missing'), false, true],
    [new QueueUnavailableError('x'), true, false],
    [new InspectorUnavailableError('ListCoverage', 'ThrottlingException', 'x'), true, false],
    [new LedgerCorruptError('x'), false, false],
    [new Error('bug'), false, false],
  ])('%s → retryable %s, final %s', (error, retryable, final) => {
    expect(isRetryable(error)).toBe(retryable);
    expect(isFinal(error)).toBe(final);
  });

  // One question: any gatekeeper error's own `retryable` flag decides; no error class is listed anywhere.
  it('property: a gatekeeper error is retryable or final exactly as its flag says', () => {
    class SomeModuleError extends GatekeeperError {
      constructor(readonly retryable: boolean) {
        super('some module failed');
      }
    }
    fc.assert(
      fc.property(fc.boolean(), (flag) => {
        const error = new SomeModuleError(flag);
        expect([isRetryable(error), isFinal(error)]).toEqual([flag, !flag]);
        expect(retryableOf(error)).toBe(flag);
      }),
    );
    // Not a gatekeeper error, or one that does not say: neither (the handler treats it as unexpected).
    expect(retryableOf(Object.assign(new Error('sdk'), { retryable: true }))).toBeNull();
    expect(retryableOf(new GatekeeperError('no flag'))).toBeNull();
  });
});
