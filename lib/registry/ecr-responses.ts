/**
 * ECR response shapes read into the registry ports' values: image details, per-item failures of the batch calls,
 * timestamps. Shared by the adapter's layers (ecr-adapter.ts).
 */
import type { ImageDetail, ImageFailure } from '@aws-sdk/client-ecr';
import { RegistryRejectedError, RegistryUnavailableError } from './errors.ts';
import type { ImageSummary } from './registry.ts';

/** BatchGetImage / BatchDeleteImage `failureCode`s a later attempt can get past. */
const RETRYABLE_FAILURE_CODES = new Set([
  'KmsError',
  'UpstreamTooManyRequests',
  'UpstreamUnavailable',
  // Archived images are not pullable; ACTIVATING ones become pullable once the restore completes.
  'ImageInaccessible',
]);

/** Per-item failures of a batch call as one error: retryable only when every failure is. */
export function failureError(operation: string, context: string, failures: readonly ImageFailure[]) {
  const described = failures
    .map(
      (f) =>
        `${f.imageId?.imageTag ?? f.imageId?.imageDigest ?? '?'}: ${f.failureCode ?? '?'} (${f.failureReason ?? ''})`,
    )
    .join('; ');
  const code = failures[0]?.failureCode ?? 'Failure';
  const retryable = failures.every((f) => RETRYABLE_FAILURE_CODES.has(f.failureCode ?? ''));
  return retryable
    ? new RegistryUnavailableError(operation, code, `${context}: ${described}`)
    : new RegistryRejectedError(operation, code, `${context}: ${described}`);
}

export function imageSummary(detail: ImageDetail, operation: string): ImageSummary {
  if (!detail.imageDigest)
    throw new RegistryRejectedError(operation, 'InvalidResponse', 'imageDetails[] entry without imageDigest');
  const status = detail.imageStatus;
  return {
    digest: detail.imageDigest,
    tags: detail.imageTags ?? [],
    pushedAt: toIso(detail.imagePushedAt) ?? new Date(0).toISOString(),
    sizeBytes: detail.imageSizeInBytes ?? null,
    manifestMediaType: detail.imageManifestMediaType ?? null,
    artifactMediaType: detail.artifactMediaType ?? null,
    lastPulledAt: toIso(detail.lastRecordedPullTime),
    storageClass: status === 'ARCHIVED' ? 'ARCHIVE' : status === 'ACTIVATING' ? 'ACTIVATING' : 'STANDARD',
  };
}

export function toIso(value: Date | string | number | undefined | null): string | null {
  if (value === undefined || value === null) return null;
  const date = value instanceof Date ? value : new Date(typeof value === 'number' ? value * 1000 : value);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}
