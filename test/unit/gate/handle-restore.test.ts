/**
 * The restore flow (lib/gate/handle-restore.ts): an image the gatekeeper archived on quarantine is re-decided
 * when ECR reports it restored (ECR Image Action UPDATE_STORAGE_CLASS → STANDARD), through the same gate.
 */
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ImagePushedEvent } from '../../../lib/events/gatekeeper-event.ts';
import type { ImageRef } from '../../../lib/events/image-ref.ts';
import type { GateDependencies } from '../../../lib/gate/context.ts';
import { decideImage } from '../../../lib/gate/decide-image.ts';
import { handleImagePushed } from '../../../lib/gate/handle-push.ts';
import { loadPolicySet } from '../../../lib/policy/index.ts';
import type { PolicySet } from '../../../lib/policy/policy-set.ts';
import { completeScan, finding, NOW, scanTrigger, type TestGate, testGate } from './support.ts';

const CVE = 'CVE-2099-7';

/** The unit policy set plus an exception waiving CVE for strict/* (a new policy version). */
let waivedSet: Promise<PolicySet> | null = null;
function policySetWithException(): Promise<PolicySet> {
  waivedSet ??= (() => {
    const dir = mkdtempSync(join(tmpdir(), 'gk-restore-'));
    cpSync('test/unit/gate/policies', dir, { recursive: true });
    writeFileSync(
      join(dir, 'exceptions/restore.yaml'),
      [
        'apiVersion: gatekeeper/v1',
        'kind: Exceptions',
        'exceptions:',
        '  - id: strict-accepted',
        `    finding: ${CVE}`,
        '    reason: Not reachable in this service.',
        '    owner: security@example.com',
        '    expires: 2099-12-31',
        '    scope:',
        '      repositories: ["strict/*"]',
        '',
      ].join('\n'),
    );
    return loadPolicySet(dir);
  })();
  return waivedSet;
}

function restoreEvent(ref: ImageRef, id = 'restore-1', time = NOW.toISOString()): ImagePushedEvent {
  return {
    kind: 'image-pushed',
    action: 'restore',
    eventId: id,
    time,
    replayName: null,
    image: ref,
    tag: null,
    manifestMediaType: null,
    artifactMediaType: null,
    lastActivatedAt: time,
  };
}

/** strict/api:9.9.9 with a critical CVE: quarantined, source tag removed, archived (policy strict). */
async function archivedOnQuarantine(): Promise<{ gate: TestGate; ref: ImageRef }> {
  const gate = await testGate();
  const ref = gate.registry.seed({
    repository: 'strict/api',
    tags: ['9.9.9'],
    scan: completeScan([finding(CVE, 'CRITICAL')]),
  });
  await decideImage(gate.deps, ref, scanTrigger());
  expect(gate.registry.image(ref)?.storageClass).toBe('ARCHIVE');
  expect(gate.registry.tagsOf(ref)).toEqual(['quarantined-9.9.9']);
  return { gate, ref };
}

/** What ECR does on `update-image-storage-class --target-storage-class STANDARD`. */
function restore(gate: TestGate, ref: ImageRef): void {
  const image = gate.registry.image(ref);
  if (image) image.storageClass = 'STANDARD';
}

describe('the quarantine alert of an archived image', () => {
  it('gives the exact restore command and says the image is then re-decided automatically', async () => {
    const { gate, ref } = await archivedOnQuarantine();
    const alert = gate.notifier.messages.at(-1);
    const command = `aws ecr update-image-storage-class \\\n  --region ${ref.region} --registry-id ${ref.registryId} \\\n  --repository-name '${ref.repository}' \\\n  --image-id imageDigest=${ref.digest} \\\n  --target-storage-class STANDARD`;
    expect(alert?.attributes.verdict).toBe('quarantined');
    expect(alert?.bodies.email).toContain(command.replace(/^/gm, '  '));
    expect(alert?.bodies.email?.replace(/\s+/g, ' ')).toContain('re-decides the image automatically');
    expect(JSON.parse(alert?.bodies.https ?? '{}').content.description).toContain(
      'update-image-storage-class',
    );
    expect(JSON.parse(alert?.bodies.default ?? '{}').archived).toEqual({
      storageClass: 'ARCHIVE',
      restoreCommand: `aws ecr update-image-storage-class --region ${ref.region} --registry-id ${ref.registryId} --repository-name '${ref.repository}' --image-id imageDigest=${ref.digest} --target-storage-class STANDARD`,
      reDecidedOnRestore: true,
    });
  });

  it('an image that is quarantined but not archived gets no restore section', async () => {
    const gate = await testGate();
    const ref = gate.registry.seed({ tags: ['1.0'], scan: completeScan([finding(CVE, 'CRITICAL')]) });
    await decideImage(gate.deps, ref, scanTrigger());
    expect(gate.notifier.messages.at(-1)?.bodies.email).not.toContain('update-image-storage-class');
    expect(JSON.parse(gate.notifier.messages.at(-1)?.bodies.default ?? '{}').archived).toBeUndefined();
  });
});

describe('handleImagePushed with a restore event', () => {
  it('approves a restored image an exception now waives: approved tag under the removed source tag, one notification', async () => {
    const { gate, ref } = await archivedOnQuarantine();
    restore(gate, ref);
    const deps: GateDependencies = { ...gate.deps, policySet: await policySetWithException() };
    const before = gate.notifier.messages.length;

    const outcome = await handleImagePushed(deps, restoreEvent(ref));

    expect(outcome).toMatchObject({ outcome: 'decided', verdict: 'approved' });
    expect(gate.registry.tagsOf(ref)).toEqual(['approved-9.9.9']);
    expect(gate.registry.image(ref)?.storageClass).toBe('STANDARD');
    expect(gate.notifier.messages).toHaveLength(before + 1);
    expect(gate.notifier.messages.at(-1)?.attributes).toMatchObject({
      kind: 'decision',
      change: 'approved-after-exception',
    });
    const record = await gate.ledger.get(ref);
    expect(record).toMatchObject({ state: 'decided', archivedByGatekeeper: false, restoredAt: null });
    expect(record?.decision?.trigger).toBe('restored:restore-1');

    // Redelivered: nothing more.
    const writes = gate.registry.writes();
    await handleImagePushed(deps, restoreEvent(ref));
    expect(gate.registry.writes()).toBe(writes);
    expect(gate.notifier.messages).toHaveLength(before + 1);
  });

  it('still quarantined by the decision it was archived for: left restored, not archived again, no new alert', async () => {
    const { gate, ref } = await archivedOnQuarantine();
    const messages = gate.notifier.messages.length;
    for (const id of ['restore-1', 'restore-2']) {
      restore(gate, ref);
      const outcome = await handleImagePushed(gate.deps, restoreEvent(ref, id));
      expect(outcome).toMatchObject({ outcome: 'unchanged', verdict: 'quarantined' });
      expect(gate.registry.image(ref)?.storageClass).toBe('STANDARD');
      expect(gate.registry.tagsOf(ref)).toEqual(['quarantined-9.9.9']);
    }
    expect(gate.registry.calls.setStorageClass).toBe(1);
    expect(gate.notifier.messages).toHaveLength(messages);
    expect((await gate.ledger.get(ref))?.archivedByGatekeeper).toBe(false);
  });

  it('quarantined by a new decision (another policy version): archived once more, then left restored', async () => {
    const { gate, ref } = await archivedOnQuarantine();
    // A policy change that does not waive this CVE still changes the policy version.
    const other = await policySetWithException();
    gate.registry.setScan(ref, completeScan([finding(CVE, 'CRITICAL'), finding('CVE-2099-8', 'CRITICAL')]));
    const deps: GateDependencies = { ...gate.deps, policySet: other };

    restore(gate, ref);
    const first = await handleImagePushed(deps, restoreEvent(ref, 'restore-1'));
    expect(first).toMatchObject({ outcome: 'decided', verdict: 'quarantined' });
    expect(gate.registry.image(ref)?.storageClass).toBe('ARCHIVE');
    expect(gate.registry.calls.setStorageClass).toBe(2);

    restore(gate, ref);
    const second = await handleImagePushed(deps, restoreEvent(ref, 'restore-2'));
    expect(second).toMatchObject({ outcome: 'unchanged', verdict: 'quarantined' });
    expect(gate.registry.image(ref)?.storageClass).toBe('STANDARD');
    expect(gate.registry.calls.setStorageClass).toBe(2);
  });

  const unusable = [
    {
      name: 'IMAGE_ARCHIVED, basic scan on push (not rescanned): a scan is started',
      status: 'IMAGE_ARCHIVED' as const,
      scanning: { scanType: 'BASIC', frequency: 'SCAN_ON_PUSH' } as const,
      startScan: 'started' as const,
      started: 1,
      detail: /predates the restore.*scan started/,
      alert: null,
    },
    {
      name: 'SCAN_ELIGIBILITY_EXPIRED, repository not scanned by the registry: a scan is started',
      status: 'SCAN_ELIGIBILITY_EXPIRED' as const,
      scanning: { scanType: 'BASIC', frequency: 'MANUAL' } as const,
      startScan: 'started' as const,
      started: 1,
      detail: /SCAN_ELIGIBILITY_EXPIRED predates the restore/,
      alert: null,
    },
    {
      name: 'IMAGE_ARCHIVED, continuous enhanced scanning rescans it by itself: no StartImageScan',
      status: 'IMAGE_ARCHIVED' as const,
      scanning: { scanType: 'ENHANCED', frequency: 'CONTINUOUS_SCAN' } as const,
      startScan: 'started' as const,
      started: 0,
      detail: /waiting for the enhanced scan \(CONTINUOUS_SCAN\)/,
      alert: null,
    },
    {
      name: 'IMAGE_ARCHIVED, ECR refuses the scan (1 per 24 h): pending and alerted',
      status: 'IMAGE_ARCHIVED' as const,
      scanning: { scanType: 'BASIC', frequency: 'SCAN_ON_PUSH' } as const,
      startScan: 'limit-exceeded' as const,
      started: 1,
      detail: /scan limit reached/,
      alert: 'scan-not-started',
    },
  ];

  it.each(unusable)('$name; never re-archived, decided by the new scan', async (c) => {
    const { gate, ref } = await archivedOnQuarantine();
    restore(gate, ref);
    gate.registry.setScan(ref, completeScan([], { status: c.status, description: 'stale' }));
    gate.registry.scanning = c.scanning;
    gate.registry.startScanOutcome = c.startScan;
    const messages = gate.notifier.messages.length;

    const outcome = await handleImagePushed(gate.deps, restoreEvent(ref));

    expect(outcome.outcome).toBe('pending');
    expect(outcome.detail).toMatch(c.detail);
    expect(gate.registry.calls.startScan ?? 0).toBe(c.started);
    expect(gate.registry.image(ref)?.storageClass).toBe('STANDARD');
    expect(gate.registry.tagsOf(ref)).toEqual(['quarantined-9.9.9']);
    const record = await gate.ledger.get(ref);
    expect(record).toMatchObject({
      state: 'pending',
      archivedByGatekeeper: false,
      restoredAt: NOW.toISOString(),
    });
    expect(gate.notifier.messages.slice(messages).map((m) => m.attributes.change)).toEqual(
      c.alert ? [c.alert] : [],
    );

    // The sweep before the new scan: the stale status is still no verdict (no fail-closed re-archive loop).
    const swept = await decideImage(gate.deps, ref, { kind: 'sweep', id: 'sweep-1', reason: 'undecided' });
    expect(swept.outcome).toBe('not-ready');
    expect(gate.registry.calls.setStorageClass).toBe(1);

    // The new scan's event decides it (here approved through the exception added meanwhile).
    gate.registry.setScan(ref, completeScan([finding(CVE, 'CRITICAL')]));
    const deps: GateDependencies = { ...gate.deps, policySet: await policySetWithException() };
    const decided = await decideImage(deps, ref, scanTrigger('rescan'));
    expect(decided).toMatchObject({ outcome: 'decided', verdict: 'approved' });
    expect(gate.registry.tagsOf(ref)).toEqual(['approved-9.9.9']);
    expect((await gate.ledger.get(ref))?.restoredAt).toBeNull();
  });

  it('an archive event never reaches the gate, and a restore of a non-image artifact is ignored', async () => {
    const gate = await testGate();
    const ref = gate.registry.seed({ tags: ['sig'] });
    const outcome = await handleImagePushed(gate.deps, {
      ...restoreEvent(ref),
      artifactMediaType: 'application/vnd.dev.cosign.artifact.sig.v1+json',
    });
    expect(outcome.outcome).toBe('ignored');
    expect(gate.registry.writes()).toBe(0);
  });
});
