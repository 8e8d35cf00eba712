/**
 * Archive and restore over HTTP (issue 3: "archive quarantined images and restore them when approved"): the real
 * handlers with real SDK clients against the local ECR, SNS and DynamoDB. A policy with
 * `actions.archiveQuarantined` archives a quarantined image; an exception then waives its CVE; the operator
 * restores the image (UpdateImageStorageClass STANDARD) and ECR's restore event (ECR Image Action
 * UPDATE_STORAGE_CLASS, target STANDARD; test/fixtures/aws/ecr-image-action-restore.json) re-decides it.
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UpdateImageStorageClassCommand } from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as basicScanHandler } from '../../../handlers/basic-scan-completed.ts';
import { handler as pushHandler } from '../../../handlers/image-pushed.ts';
import type { GateHandlerResult } from '../../../lib/gate/handle-event.ts';
import { loadPolicySet } from '../../../lib/policy/index.ts';
import { resetGateDependencies, useGateDependencies } from '../../../lib/wiring/gate-dependencies.ts';
import { basicFindings, type LocalAws, startLocalAws } from '../../support/local-aws.ts';
import {
  createTable,
  fastGateDependencies,
  LAMBDA_CONTEXT,
  type RawEvent,
  scanEvent,
  seedImage,
  stampEvent,
  TOPIC,
} from './local-gate.ts';

let aws: LocalAws;
let policyDir: string;

beforeAll(async () => {
  aws = await startLocalAws({ snsTopics: [TOPIC] });
  await createTable(aws);
  policyDir = mkdtempSync(join(tmpdir(), 'gk-restore-it-'));
  cpSync('test/unit/gate/policies', policyDir, { recursive: true }); // strict/* archives quarantined images
});
afterAll(async () => {
  resetGateDependencies();
  await aws?.stop();
});

/** ECR's restore event for the digest (the documented sample, edited). */
function restoreEvent(repository: string, digest: string, target = 'STANDARD'): RawEvent {
  return stampEvent(
    aws,
    JSON.parse(readFileSync('test/fixtures/aws/ecr-image-action-restore.json', 'utf8')) as RawEvent,
    {
      'repository-name': repository,
      'image-digest': digest,
      'target-storage-class': target,
      'manifest-media-type': 'application/vnd.docker.distribution.manifest.v2+json',
      'artifact-media-type': 'application/vnd.docker.container.image.v1+json',
    },
  );
}

const publishesAbout = (digest: string) => aws.sns.publishes().filter((p) => p.message.includes(digest));
const tagsOf = (repository: string, digest: string) => [...(aws.ecr.tagsOf(repository, digest) ?? [])].sort();
const statusOf = (repository: string, digest: string) => aws.ecr.image(repository, digest)?.imageStatus;
const invoke = async (handler: typeof pushHandler, event: RawEvent) =>
  (await handler(structuredClone(event), LAMBDA_CONTEXT)) as GateHandlerResult;

describe('archive on quarantine, then restore', () => {
  it('restored after an exception waives the CVE → re-decided approved, approved tag written, one notification', async () => {
    const repository = 'strict/payments';
    const findings = basicFindings(1, 'CRITICAL');
    const cve = String(findings[0]?.name);
    const { digest } = seedImage(aws, repository, ['2.0.0'], { status: 'COMPLETE', findings });
    useGateDependencies(await fastGateDependencies(aws, {}, { policySet: await loadPolicySet(policyDir) }));

    // 1. Quarantined, source tag removed, archived; the alert says how to restore it.
    const quarantined = await invoke(basicScanHandler, scanEvent(aws, repository, digest, ['2.0.0']));
    expect(quarantined).toMatchObject({ outcome: 'decided', verdict: 'quarantined' });
    expect(tagsOf(repository, digest)).toEqual(['quarantined-2.0.0']);
    expect(statusOf(repository, digest)).toBe('ARCHIVED');
    const alert = publishesAbout(digest).at(-1);
    expect(alert?.message).toContain('update-image-storage-class');
    expect(alert?.message).toContain(`imageDigest=${digest}`);

    // The archive event ECR sends next is ignored.
    const archived = await invoke(pushHandler, restoreEvent(repository, digest, 'ARCHIVE'));
    expect(archived.outcome).toBe('ignored');

    // 2. An exception now waives the CVE (a new policy version is deployed).
    writeFileSync(
      join(policyDir, 'exceptions/payments.yaml'),
      [
        'apiVersion: gatekeeper/v1',
        'kind: Exceptions',
        'exceptions:',
        '  - id: payments-accepted',
        `    finding: ${cve}`,
        '    reason: Not reachable in this service.',
        '    owner: payments@example.com',
        '    expires: 2099-12-31',
        '    scope:',
        `      repositories: ["${repository}"]`,
        '',
      ].join('\n'),
    );
    useGateDependencies(await fastGateDependencies(aws, {}, { policySet: await loadPolicySet(policyDir) }));

    // 3. The operator restores it; ECR reports the restore.
    await aws.clients.ecr().send(
      new UpdateImageStorageClassCommand({
        repositoryName: repository,
        imageId: { imageDigest: digest },
        targetStorageClass: 'STANDARD',
      }),
    );
    const before = publishesAbout(digest).length;
    aws.resetCounts();
    const event = restoreEvent(repository, digest);

    const restored = await invoke(pushHandler, event);

    expect(restored).toMatchObject({ outcome: 'decided', verdict: 'approved' });
    expect(tagsOf(repository, digest)).toEqual(['approved-2.0.0']);
    expect(statusOf(repository, digest)).toBe('ACTIVE');
    const published = publishesAbout(digest).slice(before);
    expect(published).toHaveLength(1);
    expect(published[0]?.messageAttributes.change?.StringValue).toBe('approved-after-exception');
    expect(aws.callCounts().ecr.UpdateImageStorageClass ?? 0).toBe(0);

    // Redelivered: no ECR write, no second notification.
    aws.resetCounts();
    await invoke(pushHandler, event);
    const counts = aws.callCounts().ecr;
    expect(
      (counts.PutImage ?? 0) + (counts.BatchDeleteImage ?? 0) + (counts.UpdateImageStorageClass ?? 0),
    ).toBe(0);
    expect(publishesAbout(digest).slice(before)).toHaveLength(1);
  });

  it('restored while the same decision still quarantines it → left restored, not archived again', async () => {
    const repository = 'strict/ledger';
    const { digest } = seedImage(aws, repository, ['1.0.0'], {
      status: 'COMPLETE',
      findings: basicFindings(1, 'CRITICAL').map((f) => ({ ...f, name: 'CVE-2099-77777' })),
    });
    useGateDependencies(await fastGateDependencies(aws, {}, { policySet: await loadPolicySet(policyDir) }));
    await invoke(basicScanHandler, scanEvent(aws, repository, digest, ['1.0.0']));
    expect(statusOf(repository, digest)).toBe('ARCHIVED');
    const before = publishesAbout(digest).length;

    await aws.clients.ecr().send(
      new UpdateImageStorageClassCommand({
        repositoryName: repository,
        imageId: { imageDigest: digest },
        targetStorageClass: 'STANDARD',
      }),
    );
    aws.resetCounts();
    const result = await invoke(pushHandler, restoreEvent(repository, digest));

    expect(result).toMatchObject({ outcome: 'unchanged', verdict: 'quarantined' });
    expect(statusOf(repository, digest)).toBe('ACTIVE');
    expect(tagsOf(repository, digest)).toEqual(['quarantined-1.0.0']);
    expect(aws.callCounts().ecr.UpdateImageStorageClass ?? 0).toBe(0);
    expect(publishesAbout(digest)).toHaveLength(before);
  });
});
