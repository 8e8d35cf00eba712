import { describe, expect, it } from 'vitest';
import { imageKey } from '../../../lib/events/image-ref.ts';
import type { GateTrigger } from '../../../lib/gate/context.ts';
import { decideImage } from '../../../lib/gate/decide-image.ts';
import { NotificationInFlightError } from '../../../lib/gate/errors.ts';
import { handleImagePushed } from '../../../lib/gate/handle-push.ts';
import { GONE_RECORD_TTL_SECONDS } from '../../../lib/ledger/index.ts';
import { referenceFindingsDigest } from './fingerprint-reference.ts';
import {
  attestationManifest,
  completeScan,
  digestOf,
  finding,
  imageManifest,
  indexManifest,
  NOW,
  REGION,
  REGISTRY_ID,
  scanTrigger,
  testGate,
} from './support.ts';

const push = (
  ref: { registryId: string; region: string; repository: string; digest: string },
  tag: string | null,
  id = 'push-1',
) =>
  ({
    kind: 'image-pushed',
    eventId: id,
    time: NOW.toISOString(),
    replayName: null,
    image: ref,
    tag,
  }) as const;

describe('decideImage: verdicts and tags', () => {
  it('approves a clean image: approved tag per source tag, one notification', async () => {
    const gate = await testGate();
    const ref = gate.registry.seed({
      tags: ['1.0.0', 'latest'],
      scan: completeScan([finding('CVE-2099-1111', 'LOW')]),
    });

    const outcome = await decideImage(gate.deps, ref, scanTrigger());

    expect(outcome.outcome).toBe('decided');
    expect(outcome.verdict).toBe('approved');
    expect(gate.registry.tagsOf(ref)).toEqual(['1.0.0', 'approved-1.0.0', 'approved-latest', 'latest']);
    expect(gate.notifier.messages).toHaveLength(1);
    const record = await gate.ledger.get(ref);
    expect(record?.decision?.verdict).toBe('approved');
    expect(record?.ownTags).toEqual(['approved-1.0.0', 'approved-latest']);
    expect(record?.notification?.state).toBe('sent');
    expect(record?.decision?.findingsDigest).toMatch(/^v2:sha256:[0-9a-f]{64}$/);
  });

  it('quarantines a critical finding and names the violation in the alert', async () => {
    const gate = await testGate();
    const ref = gate.registry.seed({
      tags: ['2.0.0'],
      scan: completeScan([finding('CVE-2099-9999', 'CRITICAL')]),
    });

    const outcome = await decideImage(gate.deps, ref, scanTrigger());

    expect(outcome.verdict).toBe('quarantined');
    expect(gate.registry.tagsOf(ref)).toEqual(['2.0.0', 'quarantined-2.0.0']);
    const [message] = gate.notifier.messages;
    expect(message?.bodies.email ?? message?.bodies.default).toContain('CVE-2099-9999');
    expect(message?.attributes.verdict).toBe('quarantined');
  });

  it('approves a waived critical and names the waiver', async () => {
    const gate = await testGate();
    const ref = gate.registry.seed({
      tags: ['3.0.0'],
      scan: completeScan([finding('CVE-2099-0001', 'CRITICAL')]),
    });

    const outcome = await decideImage(gate.deps, ref, scanTrigger());

    expect(outcome.verdict).toBe('approved');
    const record = await gate.ledger.get(ref);
    expect(record?.decision?.waived[0]?.exception).toContain('openssl-accepted');
    expect(record?.decision?.earliestWaiverExpiry).toBe('2099-12-31');
    expect(gate.notifier.messages[0]?.bodies.email).toContain('openssl-accepted');
  });

  it('tags an untagged image with the digest form', async () => {
    const gate = await testGate();
    const ref = gate.registry.seed({ tags: [], scan: completeScan([]) });
    await decideImage(gate.deps, ref, scanTrigger());
    expect(gate.registry.tagsOf(ref)).toEqual([`approved-sha256-${ref.digest.slice(7, 19)}`]);
  });

  it('re-quarantining an approved image removes the approved tags by tag, after writing the new ones', async () => {
    const gate = await testGate();
    const ref = gate.registry.seed({ tags: ['1.0.0'], scan: completeScan([]) });
    await decideImage(gate.deps, ref, scanTrigger('scan-1'));
    gate.registry.setScan(ref, completeScan([finding('CVE-2099-5555', 'CRITICAL')]));
    gate.clock = new Date(NOW.getTime() + 3600_000);

    const outcome = await decideImage(gate.deps, ref, {
      kind: 'finding-changed',
      id: 'finding-1',
      time: gate.clock.toISOString(),
      findingArn: 'arn:aws:inspector2:us-east-1:123456789012:finding/abc',
    });

    expect(outcome.verdict).toBe('quarantined');
    expect(gate.registry.tagsOf(ref)).toEqual(['1.0.0', 'quarantined-1.0.0']);
    expect(gate.notifier.messages).toHaveLength(2);
    expect(gate.notifier.messages[1]?.attributes.verdict).toBe('quarantined');
  });

  it('applies the policy options: removes source tags and archives; an archived image keeps its verdict', async () => {
    const gate = await testGate();
    const ref = gate.registry.seed({
      repository: 'strict/api',
      tags: ['9.9.9'],
      scan: completeScan([finding('CVE-2099-7', 'CRITICAL')]),
    });

    await decideImage(gate.deps, ref, scanTrigger());
    expect(gate.registry.tagsOf(ref)).toEqual(['quarantined-9.9.9']);
    expect(gate.registry.image(ref)?.storageClass).toBe('ARCHIVE');
    expect((await gate.ledger.get(ref))?.removedSourceTags).toEqual(['9.9.9']);

    gate.clock = new Date(NOW.getTime() + 3600_000);
    const writes = gate.registry.writes();
    const again = await decideImage(gate.deps, ref, {
      kind: 'sweep',
      id: 'sweep-1',
      reason: 'exception-expired',
    });
    expect(again).toMatchObject({ outcome: 'unchanged', verdict: 'quarantined' });
    expect(again.detail).toMatch(/restore it/);
    expect(gate.registry.calls.getManifest).toBe(1);
    expect(gate.registry.writes()).toBe(writes);

    // Restored by an operator and re-scanned clean: approved under its original tag again.
    const image = gate.registry.image(ref);
    if (image) image.storageClass = 'STANDARD';
    gate.registry.setScan(ref, completeScan([]));
    const approved = await decideImage(gate.deps, ref, scanTrigger('rescan'));
    expect(approved.verdict).toBe('approved');
    expect(gate.registry.tagsOf(ref)).toEqual(['approved-9.9.9']);
    expect((await gate.ledger.get(ref))?.archivedByGatekeeper).toBe(false);
  });
});

describe('decideImage: exactly-once effects', () => {
  it('the same event three times: one tag state, one notification, no ECR write after the first', async () => {
    const gate = await testGate();
    const ref = gate.registry.seed({
      tags: ['1.0.0'],
      scan: completeScan([finding('CVE-2099-9', 'CRITICAL')]),
    });

    await decideImage(gate.deps, ref, scanTrigger('evt-1'));
    const writesAfterFirst = gate.registry.writes();
    const second = await decideImage(gate.deps, ref, scanTrigger('evt-1'));
    const third = await decideImage(gate.deps, ref, scanTrigger('evt-1'));

    expect(second.outcome).toBe('coalesced');
    expect(third.outcome).toBe('coalesced');
    expect(gate.registry.writes()).toBe(writesAfterFirst);
    expect(gate.notifier.messages).toHaveLength(1);
    expect(gate.registry.tagsOf(ref)).toEqual(['1.0.0', 'quarantined-1.0.0']);
  });

  it('SNS failure after a successful retag: the retry publishes once and changes no tag', async () => {
    const gate = await testGate();
    const ref = gate.registry.seed({ tags: ['1.0.0'], scan: completeScan([]) });
    gate.notifier.failNext = 1;

    await expect(decideImage(gate.deps, ref, scanTrigger())).rejects.toThrow(/SNS unavailable/);
    expect(gate.registry.tagsOf(ref)).toContain('approved-1.0.0');
    expect((await gate.ledger.get(ref))?.notification?.state).toBe('pending');
    const putsBefore = gate.registry.calls.putTag ?? 0;

    const retry = await decideImage(gate.deps, ref, scanTrigger());

    expect(retry.notified).not.toBeNull();
    expect(gate.registry.calls.putTag ?? 0).toBe(putsBefore);
    expect(gate.notifier.messages).toHaveLength(1);
    await decideImage(gate.deps, ref, scanTrigger());
    expect(gate.notifier.messages).toHaveLength(1);
  });

  it('a crash between PutImage and Publish: the retry converges with one notification', async () => {
    const gate = await testGate();
    const ref = gate.registry.seed({ tags: ['1.0.0', '1.0'], scan: completeScan([]) });
    let puts = 0;
    gate.registry.before.putTag = () => {
      puts += 1;
      if (puts === 2) throw new Error('Lambda timed out');
    };

    await expect(decideImage(gate.deps, ref, scanTrigger())).rejects.toThrow(/timed out/);
    expect(gate.notifier.messages).toHaveLength(0);
    gate.registry.before.putTag = undefined;

    await decideImage(gate.deps, ref, scanTrigger());
    await decideImage(gate.deps, ref, scanTrigger());

    expect(gate.registry.tagsOf(ref)).toEqual(['1.0', '1.0.0', 'approved-1.0', 'approved-1.0.0']);
    expect(gate.notifier.messages).toHaveLength(1);
  });

  it('a notification claimed by a live invocation is not published twice', async () => {
    const gate = await testGate();
    const ref = gate.registry.seed({ tags: ['1.0.0'], scan: completeScan([]) });
    gate.notifier.failNext = 1;
    await expect(decideImage(gate.deps, ref, scanTrigger())).rejects.toThrow();
    const record = await gate.ledger.get(ref);
    if (!record?.notification) throw new Error('expected a notification record');
    await gate.ledger.put(
      {
        ...record,
        notification: { ...record.notification, state: 'publishing', claimedAt: NOW.toISOString() },
      },
      record.version,
    );
    await expect(decideImage(gate.deps, ref, scanTrigger())).rejects.toBeInstanceOf(
      NotificationInFlightError,
    );
    gate.clock = new Date(NOW.getTime() + gate.deps.settings.notificationLeaseMs + 1000);
    await decideImage(gate.deps, ref, scanTrigger());
    expect(gate.notifier.messages).toHaveLength(1);
  });

  it('a record with a version-1 findings digest is decided again, with no second alert for the same verdict', async () => {
    // Prepare: a decided image whose record carries the digest of its findings in the first format.
    const gate = await testGate();
    const findings = [finding('CVE-2099-1', 'CRITICAL'), finding('CVE-2099-2', 'LOW')];
    const ref = gate.registry.seed({ tags: ['1.0.0'], scan: completeScan(findings) });
    await decideImage(gate.deps, ref, scanTrigger());
    const record = await gate.ledger.get(ref);
    if (!record?.decision) throw new Error('expected a decided record');
    await gate.ledger.put(
      { ...record, decision: { ...record.decision, findingsDigest: referenceFindingsDigest(findings) } },
      record.version,
    );

    // Act: the same findings read again.
    const again = await decideImage(gate.deps, ref, { kind: 'sweep', id: 's', reason: 'undecided' });

    // Assess: treated as "findings may have changed", never as unchanged; the record moves to the new format; the
    // verdict did not change, so no second alert; tags stay quarantined only.
    expect(again.outcome).toBe('decided');
    expect(again.verdict).toBe('quarantined');
    expect((await gate.ledger.get(ref))?.decision?.findingsDigest).toMatch(/^v2:sha256:[0-9a-f]{64}$/);
    expect(gate.notifier.messages).toHaveLength(1);
    expect(gate.registry.tagsOf(ref)).toEqual(['1.0.0', 'quarantined-1.0.0']);
    const third = await decideImage(gate.deps, ref, { kind: 'sweep', id: 's2', reason: 'undecided' });
    expect(third.outcome).toBe('unchanged');
  });

  it('a re-evaluation with the same findings digest and policy version writes nothing and publishes nothing', async () => {
    const gate = await testGate();
    const findings = [finding('CVE-2099-1', 'HIGH', { fixAvailable: 'NO' }), finding('CVE-2099-2', 'LOW')];
    const ref = gate.registry.seed({ tags: ['1.0.0'], scan: completeScan(findings) });
    await decideImage(gate.deps, ref, scanTrigger());
    // Same findings, other page order and a duplicate row.
    gate.registry.setScan(
      ref,
      completeScan([findings[1], findings[0], findings[1]].filter((f) => f !== undefined)),
    );
    const writes = gate.registry.writes();

    const again = await decideImage(gate.deps, ref, { kind: 'sweep', id: 's', reason: 'undecided' });

    expect(again.outcome).toBe('unchanged');
    expect(gate.registry.writes()).toBe(writes);
    expect(gate.notifier.messages).toHaveLength(1);
  });
});

describe('decideImage: the 1,000 tags-per-image quota', () => {
  it('600 source tags: one digest-form decision tag instead of 600, one alert that says so, nothing on redelivery', async () => {
    const gate = await testGate();
    const tags = Array.from({ length: 600 }, (_, i) => `build-${i}`);
    const ref = gate.registry.seed({ tags, scan: completeScan([]) });

    const outcome = await decideImage(gate.deps, ref, scanTrigger('evt-1'));

    const digestTag = `approved-sha256-${ref.digest.slice('sha256:'.length, 'sha256:'.length + 12)}`;
    expect(outcome.verdict).toBe('approved');
    expect(gate.registry.tagsOf(ref)).toEqual([...tags, digestTag].sort());
    expect(gate.registry.calls.putTag).toBe(1);
    expect(outcome.problems.join(' ')).toMatch(/exceed 1000 tags/);
    // The verdict, and the alert that the quota changed the tag scheme.
    expect(gate.notifier.messages).toHaveLength(2);
    expect(gate.notifier.messages.filter((m) => /exceed 1000 tags/.test(m.bodies.email ?? ''))).toHaveLength(
      1,
    );

    const writes = gate.registry.writes();
    await decideImage(gate.deps, ref, scanTrigger('evt-1'));
    expect(gate.registry.writes()).toBe(writes);
    expect(gate.notifier.messages).toHaveLength(2);
  });

  it('an image that already carries 1,000 tags gets no approved tag, and the alert says why', async () => {
    const gate = await testGate();
    const tags = Array.from({ length: 1000 }, (_, i) => `build-${i}`);
    const ref = gate.registry.seed({ tags, scan: completeScan([]) });

    const outcome = await decideImage(gate.deps, ref, scanTrigger('evt-1'));

    expect(gate.registry.calls.putTag ?? 0).toBe(0);
    expect(gate.registry.tagsOf(ref).some((t) => t.startsWith('approved-'))).toBe(false);
    expect(outcome.problems.join(' ')).toMatch(/already carries 1000 tags/);
    expect(gate.notifier.messages.map((m) => m.bodies.email).join('\n')).toMatch(/already carries 1000 tags/);
  });
});

describe('decideImage: idempotency records outlive the redelivery window', () => {
  // EventBridge retries a delivery for up to 24 h; Lambda keeps an asynchronous event for up to 6 h more.
  const REDELIVERY_WINDOW_MS = (24 + 6) * 3600_000;

  it('a decided record never expires: the same event redelivered 30 h later writes and publishes nothing', async () => {
    const gate = await testGate();
    const ref = gate.registry.seed({
      tags: ['1.0.0'],
      scan: completeScan([finding('CVE-2099-7', 'CRITICAL')]),
    });
    await decideImage(gate.deps, ref, scanTrigger('evt-late'));
    const record = await gate.ledger.get(ref);
    expect(record?.state).toBe('decided');
    expect(record?.expiresAt).toBeNull();
    const writes = gate.registry.writes();

    gate.clock = new Date(NOW.getTime() + REDELIVERY_WINDOW_MS + 60_000);
    const late = await decideImage(gate.deps, ref, scanTrigger('evt-late', NOW.toISOString()));

    expect(late.outcome).toBe('coalesced');
    expect(gate.registry.writes()).toBe(writes);
    expect(gate.notifier.messages).toHaveLength(1);
  });

  it('the record of a deleted image expires only after the window; a redelivery inside it stays a no-op', async () => {
    expect(GONE_RECORD_TTL_SECONDS * 1000).toBeGreaterThan(REDELIVERY_WINDOW_MS);
    const gate = await testGate();
    const ref = gate.registry.seed({ tags: ['1.0.0'], scan: completeScan([]) });
    await decideImage(gate.deps, ref, scanTrigger('evt-1'));
    gate.registry.deleteImage(ref);

    await decideImage(gate.deps, ref, scanTrigger('evt-2'));
    const gone = await gate.ledger.get(ref);
    expect(gone?.state).toBe('gone');
    const expiresAtMs = (gone?.expiresAt ?? 0) * 1000;
    expect(expiresAtMs - gate.clock.getTime()).toBeGreaterThanOrEqual(REDELIVERY_WINDOW_MS);

    gate.clock = new Date(NOW.getTime() + REDELIVERY_WINDOW_MS);
    expect(expiresAtMs).toBeGreaterThan(gate.clock.getTime());
    const again = await decideImage(gate.deps, ref, scanTrigger('evt-2'));
    expect(again.outcome).toBe('gone');
    expect(gate.notifier.messages).toHaveLength(1);
  });
});

describe('tag names are repository-wide', () => {
  it('a source tag moved to another digest takes its decision tag along; the digest it left is decided again', async () => {
    const gate = await testGate();
    const first = gate.registry.seed({ tags: ['1.0'], scan: completeScan([]) });
    await decideImage(gate.deps, first, scanTrigger('scan-first'));
    expect(gate.registry.tagsOf(first)).toEqual(['1.0', 'approved-1.0']);
    const second = gate.registry.seed({ tags: [], scan: completeScan([]) });

    // Someone moves 1.0 to the second digest (a push moves a mutable tag), and its push is delivered.
    gate.registry.repoTags(second.repository).set('1.0', second.digest);
    await handleImagePushed(gate.deps, push(second, '1.0', 'push-move'));
    await decideImage(gate.deps, second, scanTrigger('scan-second'));

    expect(gate.registry.tagsOf(second)).toEqual(['1.0', 'approved-1.0']);
    // The first digest lost approved-1.0 to the second; it is decided again at once and keeps a decision tag.
    const digestTag = `approved-sha256-${first.digest.slice('sha256:'.length, 'sha256:'.length + 12)}`;
    expect(gate.registry.tagsOf(first)).toEqual([digestTag]);
    expect((await gate.ledger.get(first))?.decision?.desiredTags).toEqual([digestTag]);
  });
});

describe('decideImage: concurrency', () => {
  it('five concurrent events for one digest converge to one decision and one notification', async () => {
    const gate = await testGate();
    const ref = gate.registry.seed({
      tags: ['1.0.0', '1.0', '1', 'stable', 'latest'],
      scan: completeScan([]),
    });
    const attempt = async (id: string): Promise<void> => {
      for (let i = 0; i < 10; i++) {
        try {
          await decideImage(gate.deps, ref, scanTrigger(id));
          return;
        } catch (error) {
          // what Lambda would do with a retryable error: deliver again later
          if (!(error instanceof Error) || !('retryable' in error)) throw error;
          gate.clock = new Date(gate.clock.getTime() + gate.deps.settings.notificationLeaseMs + 1);
        }
      }
      throw new Error(`${id} never converged`);
    };

    await Promise.all(['a', 'b', 'c', 'd', 'e'].map(attempt));

    expect(gate.registry.tagsOf(ref)).toEqual(
      [
        '1',
        '1.0',
        '1.0.0',
        'latest',
        'stable',
        'approved-1',
        'approved-1.0',
        'approved-1.0.0',
        'approved-latest',
        'approved-stable',
      ].sort(),
    );
    // One state change, one message. The test moves the clock past the notification lease on every retry, so a
    // retry may re-send a publish still in flight: such a copy has the same dedupe key and the same bytes.
    const keys = new Set(gate.notifier.messages.map((m) => m.dedupeKey));
    expect(keys.size).toBe(1);
    const bytes = new Set(gate.notifier.messages.map((m) => JSON.stringify(m)));
    expect(bytes.size).toBe(1);
    const record = await gate.ledger.get(ref);
    expect(record?.decisionSeq).toBe(1);
    expect(record?.notification?.state).toBe('sent');
  });
});

describe('decideImage: finding events', () => {
  const ARN = 'arn:aws:inspector2:us-east-1:123456789012:finding/1';
  const findingEvent = (
    id: string,
    status: string,
    updatedAt: string,
    time = NOW.toISOString(),
  ): Extract<GateTrigger, { kind: 'finding-changed' }> => ({
    kind: 'finding-changed',
    id,
    time,
    findingArn: ARN,
    findingStatus: status,
    findingUpdatedAt: updatedAt,
  });

  it('skips a finding event only when the last evaluation saw that finding in that state (no registry read)', async () => {
    const gate = await testGate();
    const seen = finding('CVE-2099-100', 'LOW', { arn: ARN, updatedAt: '2026-01-01T10:00:00.000Z' });
    const ref = gate.registry.seed({ tags: ['1.0.0'], scan: completeScan([seen]) });
    await decideImage(gate.deps, ref, scanTrigger());
    const reads = gate.registry.calls.getScanResult ?? 0;

    const same = await decideImage(gate.deps, ref, findingEvent('f-same', 'ACTIVE', '2026-01-01T10:00:00Z'));
    const older = await decideImage(gate.deps, ref, findingEvent('f-old', 'ACTIVE', '2026-01-01T09:00:00Z'));

    expect(same.outcome).toBe('coalesced');
    expect(older.outcome).toBe('coalesced');
    expect(gate.registry.calls.getScanResult ?? 0).toBe(reads);
  });

  it('evaluates a finding event whose update the last evaluation could not have seen, however late it was', async () => {
    const gate = await testGate();
    const ref = gate.registry.seed({
      tags: ['1.0.0'],
      scan: completeScan([
        finding('CVE-2099-100', 'LOW', { arn: ARN, updatedAt: '2026-01-01T10:00:00.000Z' }),
      ]),
    });
    await decideImage(gate.deps, ref, scanTrigger());
    // Inspector re-scored the finding to CRITICAL; the event is older than the last evaluation, yet newer than
    // what that evaluation saw.
    gate.registry.setScan(
      ref,
      completeScan([
        finding('CVE-2099-100', 'CRITICAL', { arn: ARN, updatedAt: '2026-01-01T11:00:00.000Z' }),
      ]),
    );
    const reads = gate.registry.calls.getScanResult ?? 0;

    const outcome = await decideImage(
      gate.deps,
      ref,
      findingEvent(
        'f-rescored',
        'ACTIVE',
        '2026-01-01T11:00:00Z',
        new Date(NOW.getTime() - 10 * 60_000).toISOString(),
      ),
    );

    expect(outcome.outcome).toBe('decided');
    expect(outcome.verdict).toBe('quarantined');
    expect(gate.registry.calls.getScanResult ?? 0).toBe(reads + 1);
  });

  it('a CLOSED finding the last evaluation counted is evaluated; one it never counted is skipped', async () => {
    const gate = await testGate();
    const other = 'arn:aws:inspector2:us-east-1:123456789012:finding/2';
    const ref = gate.registry.seed({
      tags: ['1.0.0'],
      scan: completeScan([
        finding('CVE-2099-200', 'CRITICAL', { arn: ARN, updatedAt: '2026-01-01T10:00:00Z' }),
      ]),
    });
    await decideImage(gate.deps, ref, scanTrigger());
    gate.registry.setScan(ref, completeScan([]));

    const unknown = await decideImage(gate.deps, ref, {
      ...findingEvent('f-other', 'CLOSED', '2026-01-01T12:00:00Z'),
      findingArn: other,
    });
    const counted = await decideImage(
      gate.deps,
      ref,
      findingEvent('f-closed', 'CLOSED', '2026-01-01T12:00:00Z'),
    );

    expect(unknown.outcome).toBe('coalesced');
    expect(counted.verdict).toBe('approved');
  });

  it('an ACTIVE finding the findings do not show yet is "not ready" while the event is recent', async () => {
    const gate = await testGate();
    const ref = gate.registry.seed({
      tags: ['1.0.0'],
      scan: completeScan([
        finding('CVE-2099-100', 'LOW', { arn: `${ARN}0`, updatedAt: '2026-01-01T10:00:00Z' }),
      ]),
    });
    await decideImage(gate.deps, ref, scanTrigger());

    const outcome = await decideImage(
      gate.deps,
      ref,
      findingEvent('f-new', 'ACTIVE', '2026-01-01T12:00:00Z'),
    );

    expect(outcome.outcome).toBe('not-ready');
    expect(gate.registry.tagsOf(ref)).toEqual(['1.0.0', 'approved-1.0.0']);
  });

  it('a burst of finding events after the decision: one quarantine, one alert', async () => {
    const gate = await testGate();
    const ref = gate.registry.seed({ tags: ['1.0.0'], scan: completeScan([]) });
    await decideImage(gate.deps, ref, scanTrigger());
    gate.registry.setScan(ref, completeScan([finding('CVE-2099-4242', 'CRITICAL')]));
    gate.clock = new Date(NOW.getTime() + 600_000);
    const burst = Array.from({ length: 5 }, (_, i) => ({
      kind: 'finding-changed' as const,
      id: `f-${i}`,
      time: new Date(gate.clock.getTime() - 1000).toISOString(),
      findingArn: `arn:aws:inspector2:us-east-1:123456789012:finding/${i}`,
    }));
    for (const trigger of burst) await decideImage(gate.deps, ref, trigger);

    expect(gate.registry.tagsOf(ref)).toEqual(['1.0.0', 'quarantined-1.0.0']);
    expect(gate.notifier.messages.filter((m) => m.attributes.verdict === 'quarantined')).toHaveLength(1);
  });
});

describe('decideImage: images that disappear, immutable repositories, spoofs', () => {
  it('an image deleted before its scan event is a logged no-op', async () => {
    const gate = await testGate();
    const ref = gate.registry.seed({ tags: ['1.0.0'] });
    gate.registry.deleteImage(ref);

    const outcome = await decideImage(gate.deps, ref, scanTrigger());

    expect(outcome.outcome).toBe('gone');
    expect(gate.registry.writes()).toBe(0);
    expect(gate.notifier.messages).toHaveLength(0);
    expect(gate.lines.some((l) => String(l.message).includes('no longer exists'))).toBe(true);
  });

  it('an immutable repository: clear outcome, one alert with the fix, no retry loop', async () => {
    const gate = await testGate();
    const other = gate.registry.seed({ tags: ['0.9.0'] });
    const ref = gate.registry.seed({ tags: ['1.0.0'], scan: completeScan([]) });
    gate.registry.repoTags('app').set('approved-1.0.0', other.digest);
    gate.registry.immutable.add('app');

    const outcome = await decideImage(gate.deps, ref, scanTrigger());

    expect(outcome.problems.join(' ')).toMatch(/IMMUTABLE_WITH_EXCLUSION/);
    expect(gate.notifier.messages).toHaveLength(1);
    expect(gate.notifier.messages[0]?.subject).toMatch(/immutab/i);
    const puts = gate.registry.calls.putTag ?? 0;
    const again = await decideImage(gate.deps, ref, scanTrigger());
    expect(again.outcome).toBe('unchanged');
    expect(gate.registry.calls.putTag ?? 0).toBe(puts);
    expect(gate.notifier.messages).toHaveLength(1);
  });

  it('removes and alerts a spoofed approved tag found at decision time', async () => {
    const gate = await testGate();
    const ref = gate.registry.seed({
      tags: ['1.0.0', 'approved-1.0.0'],
      scan: completeScan([finding('CVE-2099-3', 'CRITICAL')]),
    });

    await decideImage(gate.deps, ref, scanTrigger());

    expect(gate.registry.tagsOf(ref)).toEqual(['1.0.0', 'quarantined-1.0.0']);
    expect(gate.notifier.messages.map((m) => m.attributes.kind)).toContain('spoofed-tag');
  });

  it('never removes the last tag of an image (ECR would delete it)', async () => {
    const gate = await testGate();
    const other = gate.registry.seed({ tags: ['x'] });
    const ref = gate.registry.seed({ tags: [], scan: completeScan([finding('CVE-2099-3', 'CRITICAL')]) });
    const approvedDigestTag = `approved-sha256-${ref.digest.slice(7, 19)}`;
    const quarantinedDigestTag = `quarantined-sha256-${ref.digest.slice(7, 19)}`;
    gate.registry.repoTags('app').set(approvedDigestTag, ref.digest);
    gate.registry.repoTags('app').set(quarantinedDigestTag, other.digest);
    gate.registry.immutable.add('app');
    await gate.ledger.put(
      {
        ...(await import('../../../lib/ledger/ledger.ts')).newLedgerRecord(imageKey(ref), ref, NOW),
        ownTags: [approvedDigestTag],
      },
      0,
    );

    await decideImage(gate.deps, ref, scanTrigger());

    expect(gate.registry.image(ref)).toBeDefined();
    expect(gate.registry.tagsOf(ref)).toEqual([approvedDigestTag]);
  });
});

describe('multi-arch images', () => {
  it('decides the index from its children (union of findings) and tags the index digest only', async () => {
    const gate = await testGate();
    const amd = gate.registry.seed({
      tags: [],
      manifest: imageManifest('amd'),
      scan: completeScan([finding('CVE-2099-10', 'LOW')]),
    });
    const arm = gate.registry.seed({
      tags: [],
      manifest: imageManifest('arm'),
      scan: completeScan([finding('CVE-2099-11', 'CRITICAL')]),
    });
    const att = gate.registry.seed({ tags: [], manifest: attestationManifest('att'), scan: null });
    const index = gate.registry.seed({
      tags: ['2.0.0'],
      manifest: indexManifest([amd.digest, arm.digest], att.digest),
      mediaType: 'application/vnd.oci.image.index.v1+json',
      scan: null,
    });

    const outcome = await decideImage(gate.deps, index, scanTrigger());

    expect(outcome.verdict).toBe('quarantined');
    expect(gate.registry.tagsOf(index)).toEqual(['2.0.0', 'quarantined-2.0.0']);
    expect(gate.registry.tagsOf(amd)).toEqual([]);
    expect(gate.registry.tagsOf(arm)).toEqual([]);
    expect((await gate.ledger.get(amd))?.parentDigests).toEqual([index.digest]);
    // no wrapper index: only the index digest was ever written
    expect(gate.registry.images.size).toBe(4);
  });

  it('a child scan event decides the index once the children are linked', async () => {
    const gate = await testGate();
    const amd = gate.registry.seed({
      tags: [],
      manifest: imageManifest('amd'),
      scan: { ...completeScan([]), status: 'IN_PROGRESS' },
    });
    const arm = gate.registry.seed({ tags: [], manifest: imageManifest('arm'), scan: completeScan([]) });
    const index = gate.registry.seed({
      tags: ['3.0.0'],
      manifest: indexManifest([amd.digest, arm.digest]),
      mediaType: 'application/vnd.oci.image.index.v1+json',
      scan: null,
    });
    const atPush = await handleImagePushed(gate.deps, {
      ...push(index, '3.0.0'),
      manifestMediaType: 'application/vnd.oci.image.index.v1+json',
    });
    expect(atPush.outcome).toBe('pending');

    gate.registry.setScan(amd, completeScan([]));
    const outcome = await decideImage(gate.deps, amd, scanTrigger('child-scan'));

    expect(outcome.decidedVia).toBe(amd.digest);
    expect(outcome.verdict).toBe('approved');
    expect(gate.registry.tagsOf(index)).toEqual(['3.0.0', 'approved-3.0.0']);
    expect(gate.registry.tagsOf(amd)).toEqual([]);
  });

  it('an untagged image pushed moments ago waits for a possible parent index', async () => {
    const gate = await testGate();
    const child = gate.registry.seed({ tags: [], pushedAt: new Date(NOW.getTime() - 10_000).toISOString() });
    const outcome = await decideImage(gate.deps, child, scanTrigger());
    expect(outcome.outcome).toBe('not-ready');
    expect(gate.registry.writes()).toBe(0);
  });
});

describe('push flow', () => {
  it('records a pending image and starts a scan only when the registry does not scan on push', async () => {
    const gate = await testGate();
    const ref = gate.registry.seed({ tags: ['1.0.0'], scan: null });

    expect((await handleImagePushed(gate.deps, push(ref, '1.0.0'))).outcome).toBe('pending');
    expect(gate.registry.calls.startScan ?? 0).toBe(0);
    expect((await gate.ledger.get(ref))?.state).toBe('pending');
    expect((await gate.ledger.get(ref))?.firstSeenAt).toBe(NOW.toISOString());

    gate.registry.scanning = { scanType: 'BASIC', frequency: 'MANUAL' };
    const other = gate.registry.seed({ tags: ['2.0.0'], scan: null });
    expect((await handleImagePushed(gate.deps, push(other, '2.0.0'))).detail).toBe('scan started');
    expect(gate.registry.calls.startScan).toBe(1);
  });

  it('treats the one-scan-per-24h limit as final (no throw, no retry)', async () => {
    const gate = await testGate();
    gate.registry.scanning = { scanType: 'BASIC', frequency: 'MANUAL' };
    gate.registry.startScanOutcome = 'limit-exceeded';
    const ref = gate.registry.seed({ tags: ['1.0.0'], scan: null });
    const outcome = await handleImagePushed(gate.deps, push(ref, '1.0.0'));
    expect(outcome.outcome).toBe('pending');
    expect(outcome.detail).toMatch(/limit/);
  });

  it('a push processed after the scan decision never downgrades it', async () => {
    const gate = await testGate();
    const ref = gate.registry.seed({ tags: ['1.0.0'], scan: completeScan([]) });
    await decideImage(gate.deps, ref, scanTrigger());
    const writes = gate.registry.writes();

    const outcome = await handleImagePushed(gate.deps, push(ref, '1.0.0', 'late-push'));

    expect(outcome.outcome).toBe('unchanged');
    expect((await gate.ledger.get(ref))?.state).toBe('decided');
    expect(gate.registry.tagsOf(ref)).toContain('approved-1.0.0');
    expect(gate.registry.writes()).toBe(writes);
  });

  it('a new source tag on a decided image gets its decision tag without a new notification', async () => {
    const gate = await testGate();
    const ref = gate.registry.seed({ tags: ['1.0.0'], scan: completeScan([]) });
    await decideImage(gate.deps, ref, scanTrigger());
    gate.registry.repoTags('app').set('stable', ref.digest);

    await handleImagePushed(gate.deps, push(ref, 'stable', 'retag'));

    expect(gate.registry.tagsOf(ref)).toEqual(['1.0.0', 'approved-1.0.0', 'approved-stable', 'stable']);
    expect(gate.notifier.messages).toHaveLength(1);
  });

  it("ignores the gatekeeper's own tag pushes (no loop), including those recorded just before PutImage", async () => {
    const gate = await testGate();
    const ref = gate.registry.seed({ tags: ['1.0.0'], scan: completeScan([]) });
    await decideImage(gate.deps, ref, scanTrigger());
    const reads = gate.registry.calls.getScanResult ?? 0;

    const outcome = await handleImagePushed(gate.deps, push(ref, 'approved-1.0.0', 'own-push'));

    expect(outcome.outcome).toBe('ignored');
    expect(gate.registry.calls.getScanResult ?? 0).toBe(reads);
    expect(gate.registry.writes()).toBe(1);
  });

  it('removes and alerts a spoofed approved- tag pushed by someone else', async () => {
    const gate = await testGate();
    const ref = gate.registry.seed({ tags: ['1.0.0', 'approved-1.0.0'], scan: null });

    const outcome = await handleImagePushed(gate.deps, push(ref, 'approved-1.0.0', 'spoof'));

    expect(outcome.outcome).toBe('spoof-removed');
    expect(gate.registry.tagsOf(ref)).toEqual(['1.0.0']);
    expect(gate.notifier.messages).toHaveLength(1);
    expect(gate.notifier.messages[0]?.attributes.kind).toBe('spoofed-tag');
  });

  it('a spoofed tag that is the only tag is replaced by a quarantined hold tag, never deleting the image', async () => {
    const gate = await testGate();
    const ref = gate.registry.seed({ tags: ['approved-evil'], scan: null });

    await handleImagePushed(gate.deps, push(ref, 'approved-evil', 'spoof'));

    expect(gate.registry.image(ref)).toBeDefined();
    expect(gate.registry.tagsOf(ref)).toEqual([`quarantined-sha256-${ref.digest.slice(7, 19)}`]);
    // Once scanned clean, the hold tag is replaced by the approval.
    gate.registry.setScan(ref, completeScan([]));
    await decideImage(gate.deps, ref, { kind: 'sweep', id: 's', reason: 'undecided' });
    expect(gate.registry.tagsOf(ref)).toEqual([`approved-sha256-${ref.digest.slice(7, 19)}`]);
  });
});

describe('policy set unavailable', () => {
  it('approves nothing and throws (alarm, dead-letter queue, redrive later)', async () => {
    const gate = await testGate();
    const ref = gate.registry.seed({ tags: ['1.0.0'], scan: completeScan([]) });
    const deps = { ...gate.deps, policySet: null, policySetProblem: 'policies/default.yaml: rules: invalid' };
    await expect(decideImage(deps, ref, scanTrigger())).rejects.toThrow(/nothing is approved/);
    expect(gate.registry.writes()).toBe(0);
  });
});

it('test support digests are real sha256 of the manifest bytes', () => {
  expect(digestOf('')).toBe('sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  expect([REGISTRY_ID, REGION]).toEqual(['123456789012', 'us-east-1']);
});
