/**
 * The images a lifecycle policy is evaluated against, read from a DescribeImages response (`imageDetails[]`,
 * CLI JSON with epoch or ISO timestamps, or SDK v3 output with Date objects) or from the registry port.
 */
import { isRecord } from '../findings/json-reader.ts';
import { epochMillis } from '../findings/timestamps.ts';
import type { ImageSummary } from '../registry/registry.ts';
import { type HygieneProblem, LifecyclePolicyInvalidError } from './errors.ts';

export interface LifecycleImage {
  readonly digest: string;
  readonly tags: readonly string[];
  /** Epoch milliseconds. */
  readonly pushedAt: number;
  /** Epoch milliseconds of ECR's `lastRecordedPullTime`, null when never recorded. */
  readonly lastPulledAt: number | null;
  readonly storageClass: 'standard' | 'archive';
  /** Epoch milliseconds of `lastArchivedAt` (archived images only), null when unknown. */
  readonly archivedAt: number | null;
}

const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

/**
 * Reads `imageDetails[]` of a DescribeImages response. Throws naming the file and the field.
 * @example imagesFromDescribeImages(JSON.parse(readFileSync('images.json', 'utf8')), 'images.json')[0]?.pushedAt
 */
export function imagesFromDescribeImages(json: unknown, file: string): LifecycleImage[] {
  const problems: HygieneProblem[] = [];
  const add = (path: string, message: string) => problems.push({ file, path, message });
  const details = isRecord(json) ? json.imageDetails : Array.isArray(json) ? json : undefined;
  if (!Array.isArray(details)) {
    throw new LifecyclePolicyInvalidError([
      { file, path: 'imageDetails', message: 'expected a DescribeImages response with an imageDetails list' },
    ]);
  }
  const images: LifecycleImage[] = [];
  const seen = new Set<string>();
  details.forEach((raw, i) => {
    const at = `imageDetails[${i}]`;
    if (!isRecord(raw)) {
      add(at, 'must be an object');
      return;
    }
    const digest = raw.imageDigest;
    if (typeof digest !== 'string' || !DIGEST.test(digest)) {
      add(`${at}.imageDigest`, 'must be a digest such as sha256:…');
      return;
    }
    const tags = raw.imageTags ?? [];
    if (!Array.isArray(tags) || tags.some((t) => typeof t !== 'string' || t.length === 0)) {
      add(`${at}.imageTags`, 'must be a list of tag strings');
      return;
    }
    const pushedAt = epochMillis(raw.imagePushedAt);
    if (pushedAt === null) {
      add(
        `${at}.imagePushedAt`,
        `must be epoch seconds or an ISO-8601 time (got ${JSON.stringify(raw.imagePushedAt)})`,
      );
      return;
    }
    let lastPulledAt: number | null = null;
    if (raw.lastRecordedPullTime !== undefined && raw.lastRecordedPullTime !== null) {
      lastPulledAt = epochMillis(raw.lastRecordedPullTime);
      if (lastPulledAt === null) {
        add(`${at}.lastRecordedPullTime`, 'must be epoch seconds or an ISO-8601 time');
        return;
      }
    }
    const status = raw.imageStatus;
    if (status !== undefined && status !== 'ACTIVE' && status !== 'ARCHIVED' && status !== 'ACTIVATING') {
      add(`${at}.imageStatus`, `must be ACTIVE, ARCHIVED or ACTIVATING (got ${JSON.stringify(status)})`);
      return;
    }
    const archivedAt = raw.lastArchivedAt === undefined ? null : epochMillis(raw.lastArchivedAt);
    if (seen.has(digest)) {
      add(`${at}.imageDigest`, `${digest} is listed twice`);
      return;
    }
    seen.add(digest);
    images.push({
      digest,
      tags: [...(tags as string[])],
      pushedAt,
      lastPulledAt,
      // ACTIVATING images are being restored; ECR treats them as archive until the restore completes.
      storageClass: status === 'ARCHIVED' || status === 'ACTIVATING' ? 'archive' : 'standard',
      archivedAt,
    });
  });
  if (problems.length > 0) throw new LifecyclePolicyInvalidError(problems);
  return images;
}

/** The same view of an image listed through the registry port. */
export function imageFromSummary(summary: ImageSummary): LifecycleImage {
  const pushedAt = epochMillis(summary.pushedAt);
  return {
    digest: summary.digest,
    tags: [...summary.tags],
    pushedAt: pushedAt ?? 0,
    lastPulledAt: summary.lastPulledAt ? epochMillis(summary.lastPulledAt) : null,
    // ACTIVATING (being restored) still counts as archive, as in imagesFromDescribeImages.
    storageClass: ['ARCHIVE', 'ARCHIVED', 'ACTIVATING'].includes(summary.storageClass.toUpperCase())
      ? 'archive'
      : 'standard',
    archivedAt: null,
  };
}
