/**
 * DescribeImageScanFindings pages cross-checked, over HTTP: the real ECRClient against the local ECR, whose
 * response hook plays what can happen between two page requests (a scan finishing again) or a page that is
 * about something else. Any page that disagrees with the digest asked for or with the first page's scan makes
 * the whole read unusable: a retryable error (Lambda retry, then the dead-letter queue), never a merge.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as enhancedScanHandler } from '../../../handlers/enhanced-scan-completed.ts';
import { isRetryable } from '../../../lib/gate/handle-event.ts';
import { EcrRegistry } from '../../../lib/registry/ecr-registry.ts';
import { RegistryUnavailableError } from '../../../lib/registry/errors.ts';
import { resetGateDependencies, useGateDependencies } from '../../../lib/wiring/gate-dependencies.ts';
import { enhancedFindingsAbout } from '../../support/demo-images.ts';
import { enhancedFindings, type LocalAws, startLocalAws } from '../../support/local-aws.ts';
import {
  createTable,
  fastGateDependencies,
  LAMBDA_CONTEXT,
  type RawEvent,
  seedImage,
  stampEvent,
  TOPIC,
} from '../gate/local-gate.ts';

type Page = {
  imageId: { imageDigest: string };
  imageScanStatus: { status: string };
  imageScanFindings: { enhancedFindings: { severity: string }[] };
};

let aws: LocalAws;
let registry: EcrRegistry;

beforeAll(async () => {
  aws = await startLocalAws({ snsTopics: [TOPIC] });
  await createTable(aws);
  registry = new EcrRegistry({ client: aws.clients.ecr({ maxAttempts: 1 }) });
});
afterAll(async () => {
  resetGateDependencies();
  await aws?.stop();
});

/** An image whose enhanced scan (ACTIVE) has `count` findings of `severity`: 100 per page, so 3 pages for 250. */
function scannedImage(repository: string, count = 250, severity = 'LOW') {
  const { digest } = seedImage(aws, repository, ['1.0.0'], null);
  rescan(repository, digest, count, severity, new Date('2026-01-10T12:00:00Z'));
  return { registryId: aws.accountId, region: aws.region, repository, digest };
}

function rescan(
  repository: string,
  digest: string,
  count: number,
  severity: string,
  completedAt: Date,
): void {
  aws.ecr.seedScan(repository, digest, {
    status: 'ACTIVE',
    enhancedFindings: enhancedFindingsAbout(aws, repository, digest, enhancedFindings(count, severity)),
    completedAt,
  });
}

/** Runs `edit` on the `call`-th DescribeImageScanFindings response (after the local ECR built it). */
function onPage(call: number, edit: (page: Page) => void): void {
  aws.ecr.onResponse((response) => {
    if (response.operation === 'DescribeImageScanFindings' && response.call === call)
      edit(response.output as Page);
    return response.output;
  });
}

async function refusal(read: Promise<unknown>): Promise<RegistryUnavailableError> {
  const error = await read.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RegistryUnavailableError);
  return error as RegistryUnavailableError;
}

describe('DescribeImageScanFindings pages cross-checked', () => {
  it('pages of one scan are merged (control: 250 findings over 3 pages)', async () => {
    const ref = scannedImage('pages/control');
    aws.ecr.onResponse(null);
    aws.resetCounts();
    const result = await registry.getScanResult(ref);
    expect(result?.findings).toHaveLength(250);
    expect(aws.callCounts().ecr.DescribeImageScanFindings).toBe(3);
  });

  it('a rescan finishing between two pages → refused (retryable); the retry reads the new scan whole', async () => {
    // Prepare: page 1 comes from a clean scan, then a new scan with 250 CRITICALs completes.
    const ref = scannedImage('pages/rescan');
    aws.ecr.onResponse((response) => {
      if (response.operation === 'DescribeImageScanFindings' && response.call === 1)
        rescan(ref.repository, ref.digest, 250, 'CRITICAL', new Date('2026-01-10T12:30:00Z'));
      return response.output;
    });
    // Act
    const error = await refusal(registry.getScanResult(ref));
    // Assess
    expect(error).toMatchObject({ code: 'InconsistentFindingsPages', retryable: true });
    expect(error.message).toMatch(
      /page 2 is of a scan completed at 2026-01-10T12:30:00.000Z, page 1 at 2026-01-10T12:00:00.000Z/,
    );
    aws.ecr.onResponse(null);
    const retried = await registry.getScanResult(ref);
    expect(new Set(retried?.findings.map((f) => f.severity))).toEqual(new Set(['CRITICAL']));
    expect(retried?.findings).toHaveLength(250);
  });

  it.each<[string, number, (page: Page) => void, RegExp]>([
    [
      'a page about another digest',
      2,
      (page) => (page.imageId.imageDigest = `sha256:${'a'.repeat(64)}`),
      /page 2 is about digest "sha256:a{64}", not the one asked for/,
    ],
    [
      'a page with another scan status',
      3,
      (page) => (page.imageScanStatus.status = 'IN_PROGRESS'),
      /page 3 has scan status "IN_PROGRESS", page 1 had "ACTIVE"/,
    ],
    [
      'a first page about another digest',
      1,
      (page) => (page.imageId.imageDigest = `sha256:${'b'.repeat(64)}`),
      /page 1 is about digest "sha256:b{64}"/,
    ],
  ])('%s → refused (retryable), its findings never merged', async (_name, call, edit, message) => {
    const ref = scannedImage(`pages/injected-${call}`);
    onPage(call, edit);
    aws.resetCounts();
    const error = await refusal(registry.getScanResult(ref));
    expect(error).toMatchObject({ code: 'InconsistentFindingsPages', retryable: true });
    expect(error.message).toMatch(message);
    expect(aws.callCounts().ecr.DescribeImageScanFindings).toBe(call);
  });

  it('through the enhanced-scan handler: the event is thrown for a retry, no tag written, nothing published', async () => {
    // Prepare: a clean image whose second page is about another (vulnerable) image.
    const ref = scannedImage('pages/gate');
    useGateDependencies(await fastGateDependencies(aws));
    const event = stampEvent(
      aws,
      JSON.parse(readFileSync('events/inspector2-enhanced-scan-complete.json', 'utf8')) as RawEvent,
      {
        'repository-name': `arn:aws:ecr:${aws.region}:${aws.accountId}:repository/${ref.repository}`,
        'image-digest': ref.digest,
        'image-tags': ['1.0.0'],
      },
    );
    event.resources = [`arn:aws:ecr:${aws.region}:${aws.accountId}:repository/${ref.repository}`];
    onPage(2, (page) => {
      page.imageId.imageDigest = `sha256:${'c'.repeat(64)}`;
      for (const finding of page.imageScanFindings.enhancedFindings) finding.severity = 'CRITICAL';
    });
    const published = aws.sns.publishes().length;
    aws.resetCounts();
    // Act
    const outcome = await enhancedScanHandler(event, LAMBDA_CONTEXT).then(
      () => null,
      (e: unknown) => e,
    );
    // Assess
    expect(outcome).toBeInstanceOf(RegistryUnavailableError);
    expect(isRetryable(outcome)).toBe(true);
    expect([...(aws.ecr.tagsOf(ref.repository, ref.digest) ?? [])]).toEqual(['1.0.0']);
    expect(aws.callCounts().ecr.PutImage ?? 0).toBe(0);
    expect(aws.sns.publishes()).toHaveLength(published);
    aws.ecr.onResponse(null);
  });
});
