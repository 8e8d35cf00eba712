/**
 * The metrics line of each handled event, read back from the log lines the gate writes: what was decided (verdict,
 * change, repository of a quarantine), how long after the push, what it cost (findings, alerts) and how it failed.
 * Every line is valid embedded metric format. AWS request counts over real SDK clients are proven in
 * test/integration/gate/metrics.test.ts (the fake registry makes no request).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { GateOutcomeKind } from '../../../lib/gate/context.ts';
import { decisionChange, type GateErrorKind } from '../../../lib/gate/decision-metrics.ts';
import { handleGateEvent } from '../../../lib/gate/handle-event.ts';
import { DEFAULT_TAG_SCHEME } from '../../../lib/gate/tags.ts';
import { DIMENSIONS } from '../../../lib/log/metrics.ts';
import { RegistryRejectedError, RegistryUnavailableError } from '../../../lib/registry/errors.ts';
import { emfProblems, metricLines } from '../../support/emf.ts';
import { completeScan, finding, NOW, type TestGate, testGate } from './support.ts';

type Raw = Record<string, unknown> & { detail: Record<string, unknown> };
const sample = (file: string): Raw => JSON.parse(readFileSync(`events/${file}`, 'utf8')) as Raw;

let seq = 0;
function scanEvent(digest: string, repository = 'app'): Raw {
  const event = structuredClone(sample('ecr-basic-scan-complete.json'));
  Object.assign(event, { id: `scan-${++seq}`, time: NOW.toISOString() });
  Object.assign(event.detail, { 'repository-name': repository, 'image-digest': digest });
  return event;
}
function pushEvent(digest: string, tag: string): Raw {
  const event = structuredClone(sample('ecr-image-push.json'));
  Object.assign(event, { id: `push-${++seq}`, time: NOW.toISOString() });
  Object.assign(event.detail, { 'repository-name': 'app', 'image-digest': digest, 'image-tag': tag });
  return event;
}

/** Handles one event and returns the metrics lines it wrote (each checked against the EMF specification). */
async function metricsOf(gate: TestGate, name: string, event: Raw): Promise<Record<string, unknown>[]> {
  const before = gate.lines.length;
  await handleGateEvent(
    gate.deps,
    name,
    name === 'image-pushed' ? ['image-pushed'] : ['scan-completed'],
    event,
  ).catch(() => undefined);
  const lines = metricLines(gate.lines.slice(before));
  for (const line of lines) expect(emfProblems(JSON.stringify(line)), JSON.stringify(line)).toEqual([]);
  return lines;
}

/** The metric names of a line, by the directive that declares them. */
const declared = (line: Record<string, unknown> | undefined): string[] =>
  (
    (line?._aws as { CloudWatchMetrics: { Metrics: { Name: string }[] }[] } | undefined)?.CloudWatchMetrics ??
    []
  )
    .flatMap((d) => d.Metrics.map((m) => m.Name))
    .sort();

describe('metrics of a decision', () => {
  it('a first approval: verdict, change, push-to-decision time, findings read, the alert sent', async () => {
    // Prepare: pushed two hours before NOW (the fake registry's default imagePushedAt).
    const gate = await testGate();
    const image = gate.registry.seed({ tags: ['1.0.0'], scan: completeScan([finding('CVE-2099-1', 'LOW')]) });

    // Act
    const lines = await metricsOf(gate, 'basic-scan-completed', scanEvent(image.digest));

    // Assess
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      Decisions: 1,
      Verdict: 'approved',
      Change: 'first',
      Outcome: 'decided',
      PushToDecision: 2 * 60 * 60_000,
      FindingsRead: 1,
      AlertsSent: gate.notifier.messages.length,
      AwsRequests: 0,
      eventId: expect.any(String),
      digest: image.digest,
    });
    expect(gate.notifier.messages.length).toBe(1);
    expect(declared(lines[0])).toEqual([
      'AlertsSent',
      'AwsRequests',
      'Decisions',
      'FindingsRead',
      'PushToDecision',
    ]);
  });

  it('a quarantine names its repository; a later approval is a change without push time', async () => {
    const gate = await testGate();
    const image = gate.registry.seed({
      repository: 'team-a/api',
      tags: ['2.0.0'],
      scan: completeScan([finding('CVE-2099-1', 'CRITICAL'), finding('CVE-2099-2', 'HIGH')]),
    });

    const [quarantine] = await metricsOf(gate, 'basic-scan-completed', scanEvent(image.digest, 'team-a/api'));
    gate.registry.setScan(image, completeScan([]));
    const [approval] = await metricsOf(gate, 'basic-scan-completed', scanEvent(image.digest, 'team-a/api'));

    expect(quarantine).toMatchObject({
      Decisions: 1,
      Quarantines: 1,
      Repository: 'team-a/api',
      Verdict: 'quarantined',
      Change: 'first',
      FindingsRead: 2,
    });
    expect(approval).toMatchObject({ Decisions: 1, Verdict: 'approved', Change: 'changed', FindingsRead: 0 });
    expect(declared(approval)).not.toContain('PushToDecision');
    expect(declared(approval)).not.toContain('Quarantines');
    expect(approval?.Repository).toBeUndefined();
  });

  it('a duplicate delivery is no decision; a push waiting for its scan is counted', async () => {
    const gate = await testGate();
    const decided = gate.registry.seed({ tags: ['1.0.0'], scan: completeScan([]) });
    const fresh = gate.registry.seed({ tags: ['5.0.0'], scan: null });
    await metricsOf(gate, 'basic-scan-completed', scanEvent(decided.digest));

    const [duplicate] = await metricsOf(gate, 'basic-scan-completed', scanEvent(decided.digest));
    const [push] = await metricsOf(gate, 'image-pushed', pushEvent(fresh.digest, '5.0.0'));
    const [rePush] = await metricsOf(gate, 'image-pushed', pushEvent(decided.digest, '1.0.0'));

    expect(duplicate).toMatchObject({ Outcome: 'unchanged', AwsRequests: 0 });
    expect(declared(duplicate)).not.toContain('Decisions');
    expect(declared(duplicate)).not.toContain('AlertsSent');
    expect(push).toMatchObject({ Outcome: 'pending', PushesAwaitingDecision: 1 });
    expect(declared(push)).not.toContain('Decisions');
    expect(rePush).toMatchObject({ Outcome: 'unchanged' });
    expect(declared(rePush)).not.toContain('PushesAwaitingDecision');
  });
});

describe('metrics of a failure', () => {
  it.each([
    [
      'retryable',
      () => new RegistryUnavailableError('DescribeImageScanFindings', 'ThrottlingException', 'slow'),
    ],
    [
      'permanent',
      () => new RegistryRejectedError('DescribeImageScanFindings', 'RepositoryNotFoundException', 'x'),
    ],
    ['unexpected', () => new TypeError('a bug')],
  ])('%s: one error of that kind', async (kind, error) => {
    const gate = await testGate();
    const image = gate.registry.seed({ tags: ['6.0.0'], scan: completeScan([]) });
    gate.registry.before.getScanResult = () => {
      throw error();
    };

    const lines = await metricsOf(gate, 'basic-scan-completed', scanEvent(image.digest));

    expect(lines).toEqual([expect.objectContaining({ Errors: 1, Kind: kind, AwsRequests: 0 })]);
    // A permanent failure is alerted (and the alert counted); a retried one is not.
    expect(lines[0]?.AlertsSent).toBe(kind === 'permanent' ? 1 : undefined);
  });

  it('an event sent to the wrong function is an invalid-event error too', async () => {
    const gate = await testGate();
    const image = gate.registry.seed({ tags: ['1.0.0'], scan: completeScan([]) });

    const lines = await metricsOf(gate, 'image-pushed', scanEvent(image.digest));

    expect(lines).toEqual([expect.objectContaining({ Errors: 1, Kind: 'invalid-event' })]);
  });

  it('an invalid event is an invalid-event error; a failed alert is counted too', async () => {
    const gate = await testGate();
    const invalid = scanEvent(`sha256:${'a'.repeat(64)}`);
    invalid.detail['repository-name'] = 'Not A Repository!';
    const image = gate.registry.seed({ tags: ['6.0.0'], scan: completeScan([]) });
    gate.registry.before.getScanResult = () => {
      throw new RegistryRejectedError('DescribeImageScanFindings', 'RepositoryNotFoundException', 'x');
    };
    gate.notifier.failNext = 1;

    const rejected = await metricsOf(gate, 'basic-scan-completed', invalid);
    const failed = await metricsOf(gate, 'basic-scan-completed', scanEvent(image.digest));

    expect(rejected).toEqual([expect.objectContaining({ Errors: 1, Kind: 'invalid-event' })]);
    expect(failed.map((l) => l.Kind)).toEqual(['alert-failed', 'permanent']);
  });
});

describe('decisionChange', () => {
  const outcome = (tagsBefore: string[], spoofed: string[] = []) =>
    ({ tagsBefore, plan: { spoofed } }) as unknown as Parameters<typeof decisionChange>[1];

  it.each([
    [[], 'approved', 'first'],
    [['1.0'], 'quarantined', 'first'],
    [['1.0', 'approved-1.0'], 'approved', 'same'],
    [['1.0', 'approved-1.0'], 'quarantined', 'changed'],
    [['1.0', 'quarantined-1.0'], 'approved', 'changed'],
    // A spoofed approved- tag is no earlier decision.
    [['1.0', 'approved-1.0'], 'quarantined', 'first', ['approved-1.0']],
  ] as const)('%j then %s: %s', (tags, verdict, expected, spoofed: readonly string[] = []) => {
    expect(decisionChange(DEFAULT_TAG_SCHEME, outcome([...tags], [...spoofed]), verdict)).toBe(expected);
  });
});

describe('dimension values', () => {
  it('Outcome is exactly the gate’s outcome kinds; every gate error kind is a Kind', () => {
    // Type-level (checked by tsc): a new outcome or error kind must be added to lib/log/metrics.ts.
    expectTypeOf<(typeof DIMENSIONS.Outcome)[number]>().toEqualTypeOf<GateOutcomeKind>();
    expectTypeOf<GateErrorKind>().toExtend<(typeof DIMENSIONS.Kind)[number]>();
    expect(new Set(DIMENSIONS.Outcome).size).toBe(DIMENSIONS.Outcome.length);
  });
});
