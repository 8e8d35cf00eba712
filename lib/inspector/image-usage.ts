/**
 * Inspector's in-use data for ECR images, read from the two places Inspector records it (pure functions):
 *
 * - coverage (`ListCoverage` → `coveredResources[]`, resourceType AWS_ECR_CONTAINER_IMAGE):
 *   `resourceId` = `arn:<partition>:ecr:<region>:<account>:repository/<name>/sha256:<64 hex>` and
 *   `resourceMetadata.ecrImage.{ lastInUseAt, inUseCount, imagePulledAt, tags }`;
 * - findings (ListFindings, Inspector2 Finding events, ECR enhanced findings):
 *   `resources[].id` (same ARN) and `resources[].details.awsEcrContainerImage.{ imageHash, repositoryName,
 *   lastInUseAt, inUseCount }`.
 *
 * `lastInUseAt` is the last time an ECS task or EKS pod ran the image, `inUseCount` how many run it now; both are
 * refreshed by Inspector periodically, not in real time. Timestamps arrive as SDK `Date`s, epoch seconds (wire),
 * ISO strings (CLI dumps) or Inspector's free-form event strings ("Dec 3, 2021, 6:02:13 PM", UTC). A value that
 * cannot be read becomes null (unknown), never a guess; a negative or fractional count is unknown too.
 */
import { toIsoTimestamp } from '../findings/timestamps.ts';
import type { ImageUsage } from '../hygiene/drift.ts';

export type { ImageUsage } from '../hygiene/drift.ts';

/** One ECR image as Inspector names it. */
export interface EcrImageResource {
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
  readonly repository: string;
  readonly digest: string;
}

/** One image's in-use data with the image it belongs to. */
export interface ImageUsageRecord extends EcrImageResource {
  readonly usage: ImageUsage;
}

// Repository names: ECR's grammar (lowercase segments separated by /), as in Inspector's own resourceId pattern.
const RESOURCE_ID =
  /^arn:(aws[a-z-]*):ecr:([a-z0-9-]+):(\d{12}):repository\/((?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*)\/(sha256:[a-f0-9]{64})$/;

/**
 * Splits an Inspector ECR image resource id; null when it is not one (a repository-level id has no digest).
 * @example parseEcrImageResourceId('arn:aws:ecr:us-west-2:123456789012:repository/team/app/sha256:74b2…')
 */
export function parseEcrImageResourceId(id: unknown): EcrImageResource | null {
  if (typeof id !== 'string') return null;
  const m = RESOURCE_ID.exec(id.trim());
  if (!m) return null;
  const [, partition, region, accountId, repository, digest] = m;
  if (!partition || !region || !accountId || !repository || !digest) return null;
  return { partition, region, accountId, repository, digest };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Epoch ms of any timestamp form Inspector data comes in, or null. */
export function usageTimestamp(value: unknown): number | null {
  if (value === undefined || value === null) return null;
  const iso = toIsoTimestamp(value);
  if (iso === null) return null;
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? ms : null;
}

function usageCount(value: unknown): number | null {
  const n = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value;
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 ? n : null;
}

function toUsage(details: Record<string, unknown>): ImageUsage {
  return { lastInUseAt: usageTimestamp(details.lastInUseAt), inUseCount: usageCount(details.inUseCount) };
}

/**
 * One `coveredResources[]` entry of ListCoverage (SDK output or plain JSON) → the image and its usage; null when
 * the entry is not an ECR image or its id cannot be read.
 */
export function usageFromCoveredResource(resource: unknown): ImageUsageRecord | null {
  if (!isRecord(resource)) return null;
  if (resource.resourceType !== undefined && resource.resourceType !== 'AWS_ECR_CONTAINER_IMAGE') return null;
  const image = parseEcrImageResourceId(resource.resourceId);
  if (!image) return null;
  const metadata = isRecord(resource.resourceMetadata) ? resource.resourceMetadata : {};
  const ecrImage = isRecord(metadata.ecrImage) ? metadata.ecrImage : {};
  return { ...image, usage: toUsage(ecrImage) };
}

/**
 * One finding `resources[]` entry (ListFindings, an Inspector2 Finding event's `detail.resources[]`, or ECR's
 * `enhancedFindings[].resources[]`) → the image and its usage; null when it is not an ECR image. The id's
 * digest and repository are cross-checked with `imageHash` / `repositoryName` when both are present.
 */
export function usageFromFindingResource(resource: unknown): ImageUsageRecord | null {
  if (!isRecord(resource)) return null;
  if (resource.type !== undefined && resource.type !== 'AWS_ECR_CONTAINER_IMAGE') return null;
  const image = parseEcrImageResourceId(resource.id);
  if (!image) return null;
  const details = isRecord(resource.details) ? resource.details : {};
  const ecr = isRecord(details.awsEcrContainerImage) ? details.awsEcrContainerImage : {};
  if (typeof ecr.imageHash === 'string' && ecr.imageHash !== image.digest) return null;
  if (typeof ecr.repositoryName === 'string' && ecr.repositoryName !== image.repository) return null;
  return { ...image, usage: toUsage(ecr) };
}

/**
 * Merges records of the same digest (several findings, several coverage pages): the highest count and the latest
 * last-in-use time win, so a stale record never hides a newer sign of use.
 */
export function mergeUsage(a: ImageUsage | undefined, b: ImageUsage): ImageUsage {
  if (!a) return b;
  const max = (x: number | null, y: number | null) => (x === null ? y : y === null ? x : Math.max(x, y));
  return { lastInUseAt: max(a.lastInUseAt, b.lastInUseAt), inUseCount: max(a.inUseCount, b.inUseCount) };
}
