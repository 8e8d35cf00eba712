/**
 * The scheduled fix-deadline check over HTTP: the real handlers (basic-scan-completed decides, hygiene-sweep runs
 * `{"gatekeeperSweep":"deadlines"}` as the hourly schedule sends it) with real SDK clients against the local ECR,
 * SNS and DynamoDB (dynalite, with the ledger's byDeadlineCheck index). The clock is the harness's, moved forward;
 * no ECR event reaches the gate after the image is put at risk.
 */
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as basicScanHandler } from '../../../handlers/basic-scan-completed.ts';
import { handler as sweepHandler } from '../../../handlers/hygiene-sweep.ts';
import { imageKey } from '../../../lib/events/image-ref.ts';
import type { LedgerRecord } from '../../../lib/ledger/ledger.ts';
import { loadPolicySet, type PolicySet } from '../../../lib/policy/index.ts';
import { resetGateDependencies, useGateDependencies } from '../../../lib/wiring/gate-dependencies.ts';
import {
  buildSweepDependencies,
  resetSweepDependencies,
  useSweepDependencies,
} from '../../../lib/wiring/sweep-dependencies.ts';
import {
  basicFindings,
  type LocalAws,
  type RecordedPublish,
  startLocalAws,
} from '../../support/local-aws.ts';
import {
  createTable,
  fastGateDependencies,
  gateEnv,
  LAMBDA_CONTEXT,
  scanEvent,
  seedImage,
  TOPIC,
} from '../gate/local-gate.ts';

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const CRITICAL = basicFindings(1, 'CRITICAL');
const CVE = String(CRITICAL[0]?.name);

let aws: LocalAws;
let deadlines: PolicySet;
let waived: PolicySet;

beforeAll(async () => {
  aws = await startLocalAws({ snsTopics: [TOPIC] });
  await createTable(aws);
  deadlines = await loadPolicySet('test/unit/gate/policies-deadlines');
  // The same policy plus an exception waiving the CRITICAL finding: a new policy version.
  const dir = mkdtempSync(join(tmpdir(), 'gk-deadline-waived-'));
  cpSync('test/unit/gate/policies-deadlines', dir, { recursive: true });
  writeFileSync(
    join(dir, 'exceptions.yaml'),
    [
      'apiVersion: gatekeeper/v1',
      'kind: Exceptions',
      'exceptions:',
      '  - id: dl-waiver',
      `    finding: ${CVE}`,
      '    reason: accepted until the base image ships a fix',
      '    owner: team@example.com',
      '    expires: 2099-12-31',
      '',
    ].join('\n'),
  );
  waived = await loadPolicySet(dir);
});
afterAll(async () => {
  resetGateDependencies();
  resetSweepDependencies();
  await aws?.stop();
});

/** The handlers of this process use `policySet` and the harness's clock. */
async function deploy(policySet: PolicySet) {
  const now = () => aws.clock.now();
  // Generous timeouts: this test asserts what is sent, not how faults are absorbed (faults.test.ts does that).
  const gate = await fastGateDependencies(
    aws,
    { requestTimeoutMs: 5000, maxAttempts: 5 },
    { policySet, now },
  );
  useGateDependencies(gate);
  useSweepDependencies(
    await buildSweepDependencies(
      { ...gateEnv(aws), GATEKEEPER_HYGIENE_BASELINE: 'policies/hygiene.yaml' },
      { registry: gate.registry, ledger: gate.ledger, notifier: gate.notifier, policySet, now, usage: null },
    ),
  );
  return gate;
}

const scheduledCheck = () => sweepHandler({ gatekeeperSweep: 'deadlines' }, LAMBDA_CONTEXT);

const attribute = (p: RecordedPublish, name: string) => p.messageAttributes[name]?.StringValue;
const publishesFor = (repository: string) =>
  aws.sns.publishes().filter((p) => attribute(p, 'repository') === repository);
const stagesFor = (repository: string) =>
  publishesFor(repository)
    .filter((p) => attribute(p, 'kind') === 'at-risk')
    .map((p) => attribute(p, 'stage'));

/** An image approved clean, then a CRITICAL finding appears (a new scan event): approved at risk. */
async function atRiskImage(repository: string) {
  const gate = await deploy(deadlines);
  const image = seedImage(aws, repository, ['1.0.0'], {
    status: 'COMPLETE',
    findings: basicFindings(1, 'LOW'),
  });
  const ref = { registryId: aws.accountId, region: aws.region, repository, digest: image.digest };
  await basicScanHandler(scanEvent(aws, repository, image.digest, ['1.0.0']), LAMBDA_CONTEXT);
  expect(aws.ecr.tagsOf(repository, image.digest)).toContain('approved-1.0.0');
  aws.ecr.seedScan(repository, image.digest, { status: 'COMPLETE', findings: CRITICAL });
  await basicScanHandler(scanEvent(aws, repository, image.digest, ['1.0.0']), LAMBDA_CONTEXT);
  const record = (await gate.ledger.get(ref)) as LedgerRecord;
  const deadline = record.decision?.atRisk?.deadline;
  if (!deadline) throw new Error('expected the image at risk with a deadline');
  expect(aws.ecr.tagsOf(repository, image.digest)).toContain('approved-1.0.0');
  return { gate, ref, digest: image.digest, deadline, decidedAt: record.decision?.decidedAt as string };
}

/** Moves the harness clock to `at` plus a minute. */
function moveTo(at: string) {
  aws.clock.advance(Math.max(0, Date.parse(at) - aws.clock.now().getTime()) + 60_000);
}

describe('scheduled fix-deadline check (hygiene-sweep, gatekeeperSweep: deadlines)', () => {
  it('alerts at entered, halfway and one day before, then quarantines at the deadline without an event', async () => {
    // Prepare
    const repository = 'dl/expires';
    const { gate, ref, digest, deadline, decidedAt } = await atRiskImage(repository);
    expect(Date.parse(deadline) - Date.parse(decidedAt)).toBe(3 * DAY);

    // Act + Assess: entered, once.
    await scheduledCheck();
    await scheduledCheck();
    expect(stagesFor(repository)).toEqual(['entered']);
    const entered = publishesFor(repository).find((p) => attribute(p, 'stage') === 'entered');
    const body = JSON.parse(entered?.message ?? '{}') as Record<string, string>;
    const email = body.email ?? '';
    expect(email).toContain(deadline);
    expect(email).toContain(CVE);
    expect(email).toMatch(/3 days left/);
    expect(JSON.parse(body.default ?? '{}')).toMatchObject({ stage: 'entered', deadline, daysLeft: 3 });

    // Halfway (1.5 days after the at-risk decision), then one day before the deadline.
    moveTo(new Date(Date.parse(decidedAt) + 1.5 * DAY).toISOString());
    await scheduledCheck();
    expect(stagesFor(repository)).toEqual(['entered', 'halfway']);
    moveTo(new Date(Date.parse(deadline) - DAY).toISOString());
    await scheduledCheck();
    await scheduledCheck();
    expect(stagesFor(repository)).toEqual(['entered', 'halfway', 'one-day-before']);
    const last = publishesFor(repository).at(-1);
    expect(JSON.parse(JSON.parse(last?.message ?? '{}').default)).toMatchObject({ daysLeft: 1, deadline });
    expect(JSON.parse(last?.message ?? '{}').email).toContain('less than 1 day left');
    expect(aws.ecr.tagsOf(repository, digest)).toContain('approved-1.0.0');

    // The deadline passes: the scheduled check re-judges and quarantines; the decision message announces it.
    const before = publishesFor(repository).length;
    moveTo(deadline);
    await scheduledCheck();
    const tags = aws.ecr.tagsOf(repository, digest);
    expect(tags).toContain('quarantined-1.0.0');
    expect(tags).not.toContain('approved-1.0.0');
    const after = publishesFor(repository).slice(before);
    expect(after).toHaveLength(1);
    expect(after[0]?.subject).toContain('QUARANTINED');
    const record = await gate.ledger.get(ref);
    expect(record?.decision?.verdict).toBe('quarantined');
    expect(record?.decision?.trigger).toMatch(/^sweep:fix-deadline:/);
    // Out of the index: later checks leave it alone.
    const due: string[] = [];
    for await (const image of gate.ledger.listDecisionsPastDeadline(aws.clock.now()))
      due.push(imageKey(image));
    expect(due).not.toContain(imageKey(ref));
    await scheduledCheck();
    expect(publishesFor(repository)).toHaveLength(before + 1);
  });

  it('leaves an image fixed in time approved, and sends no further at-risk alert', async () => {
    const repository = 'dl/fixed';
    const { digest, deadline, decidedAt } = await atRiskImage(repository);
    await scheduledCheck();
    expect(stagesFor(repository)).toEqual(['entered']);
    // Fixed in place (a rescan without findings); no event reaches the gate.
    aws.ecr.seedScan(repository, digest, { status: 'COMPLETE', findings: [] });
    moveTo(new Date(Date.parse(decidedAt) + 1.5 * DAY).toISOString());
    await scheduledCheck();
    moveTo(deadline);
    await scheduledCheck();
    expect(stagesFor(repository)).toEqual(['entered']);
    const tags = aws.ecr.tagsOf(repository, digest);
    expect(tags).toContain('approved-1.0.0');
    expect(tags).not.toContain('quarantined-1.0.0');
  });

  it('leaves an image whose finding was waived approved', async () => {
    const repository = 'dl/waived';
    const { digest, deadline } = await atRiskImage(repository);
    await scheduledCheck();
    await deploy(waived);
    moveTo(deadline);
    await scheduledCheck();
    expect(stagesFor(repository)).toEqual(['entered']);
    const tags = aws.ecr.tagsOf(repository, digest);
    expect(tags).toContain('approved-1.0.0');
    expect(tags).not.toContain('quarantined-1.0.0');
  });

  it('sends each stage once when checks run concurrently', async () => {
    const repository = 'dl/concurrent';
    const { digest, deadline, decidedAt } = await atRiskImage(repository);
    await Promise.allSettled([scheduledCheck(), scheduledCheck(), scheduledCheck(), scheduledCheck()]);
    expect(stagesFor(repository)).toEqual(['entered']);
    moveTo(new Date(Date.parse(decidedAt) + 1.5 * DAY).toISOString());
    await Promise.allSettled([scheduledCheck(), scheduledCheck(), scheduledCheck(), scheduledCheck()]);
    moveTo(new Date(Date.parse(deadline) - DAY).toISOString());
    await Promise.allSettled([scheduledCheck(), scheduledCheck(), scheduledCheck(), scheduledCheck()]);
    expect(stagesFor(repository)).toEqual(['entered', 'halfway', 'one-day-before']);
    moveTo(deadline);
    await Promise.allSettled([scheduledCheck(), scheduledCheck(), scheduledCheck()]);
    expect(aws.ecr.tagsOf(repository, digest)).toContain('quarantined-1.0.0');
    expect(aws.ecr.tagsOf(repository, digest)).not.toContain('approved-1.0.0');
    const quarantineMessages = publishesFor(repository).filter(
      (p) => attribute(p, 'verdict') === 'quarantined',
    );
    expect(quarantineMessages).toHaveLength(1);
  });
});
