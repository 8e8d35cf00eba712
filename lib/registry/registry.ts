/**
 * The registry port: everything the gate and the hygiene sweep need from ECR. `EcrRegistry` (ecr-registry.ts,
 * one file per concern) is the only implementation that talks to AWS; tests may supply their own.
 *
 * Error contract for every method: throttling, 5xx, timeouts and dropped connections surface (after the
 * SDK's own retries) as `RegistryUnavailableError` (retryable: let Lambda/EventBridge redeliver);
 * permanent problems (RepositoryNotFound, InvalidParameter, LayersNotFound, KMS …) as `RegistryRejectedError`
 * (final: record and alert). An image that no longer exists is never an error: methods return null / 'gone'.
 */

import type { ImageRef } from '../events/image-ref.ts';
import type { Finding } from '../findings/finding.ts';
import type { ImageFacts } from '../policy/decision.ts';
import type { RegistryScanningConfiguration } from './scanning.ts';

export type { RegistryScanningConfiguration, ScanFrequency, ScanningRule } from './scanning.ts';

/** ECR `ScanStatus` values (ECR API model). */
export const SCAN_STATUSES = [
  'IN_PROGRESS',
  'COMPLETE',
  'FAILED',
  'UNSUPPORTED_IMAGE',
  'ACTIVE',
  'PENDING',
  'SCAN_ELIGIBILITY_EXPIRED',
  'FINDINGS_UNAVAILABLE',
  'LIMIT_EXCEEDED',
  'IMAGE_ARCHIVED',
] as const;
export type ScanStatus = (typeof SCAN_STATUSES)[number];

export interface ScanResult {
  readonly status: ScanStatus;
  readonly description: string | null;
  /** All pages, basic and enhanced shapes, normalised. */
  readonly findings: readonly Finding[];
  /** `findingSeverityCounts` as returned (absent right after an enhanced scan-on-push). */
  readonly severityCounts: Readonly<Record<string, number>> | null;
  /** True when the response carried `enhancedFindings` (enhanced scanning). */
  readonly enhanced: boolean;
  /** ISO-8601 or null. */
  readonly completedAt: string | null;
  /**
   * True when ECR answered ScanNotFoundException: no scan exists for this image (yet). `status` is then
   * PENDING, which the gate treats as not ready; the push path starts a scan when the registry's scanning
   * configuration does not cover the repository.
   */
  readonly scanNotFound?: boolean;
}

export interface StoredManifest {
  readonly digest: string;
  /** Exact bytes as ECR returned them: re-serialising would change the digest. */
  readonly manifest: string;
  readonly mediaType: string;
}

export interface ImageSummary {
  readonly digest: string;
  readonly tags: readonly string[];
  /** ISO-8601. */
  readonly pushedAt: string;
  readonly sizeBytes: number | null;
  readonly manifestMediaType: string | null;
  readonly artifactMediaType: string | null;
  /** ISO-8601 or null. */
  readonly lastPulledAt: string | null;
  /**
   * From ECR's `imageStatus`: STANDARD (ACTIVE, or absent in older responses), ARCHIVE (ARCHIVED) or
   * ACTIVATING (being restored from the archive: not pullable yet).
   */
  readonly storageClass: string;
}

export type PutTagOutcome =
  /** The tag now points at the digest (new, or ImageAlreadyExists: it already did). */
  | 'tagged'
  /** ImageTagAlreadyExists: the repository is immutable and the tag points elsewhere. */
  | 'immutable'
  /** The digest no longer exists. */
  | 'gone';

export type StartScanOutcome =
  | 'started'
  /** One scan per image per 24 h already used (LimitExceeded): final, never retried. */
  | 'limit-exceeded'
  | 'unsupported'
  | 'archived'
  | 'gone';

export interface RepositoryScanning {
  readonly scanType: 'BASIC' | 'ENHANCED';
  /** SCAN_ON_PUSH, CONTINUOUS_SCAN or MANUAL, resolved from the registry rules for this repository. */
  readonly frequency: 'SCAN_ON_PUSH' | 'CONTINUOUS_SCAN' | 'MANUAL';
}

export interface RepositorySummary {
  readonly name: string;
  readonly arn: string;
  readonly registryId: string;
  /** ECR ImageTagMutability plus its exclusion filters, if any. */
  readonly tagMutability: string;
  readonly tagMutabilityExclusions: readonly string[];
  readonly scanOnPush: boolean;
  /** ISO-8601. */
  readonly createdAt: string;
}

/** What the gate (event pipeline) needs. */
export interface Registry {
  /** Fresh findings by digest, every page. null when the image or repository is gone. */
  getScanResult(ref: ImageRef): Promise<ScanResult | null>;
  /** BatchGetImage by digest; verifies sha256(manifest) == digest. null when gone. */
  getManifest(ref: ImageRef): Promise<StoredManifest | null>;
  /** Current tags and metadata of one digest. null when gone. */
  describeImage(ref: ImageRef): Promise<ImageSummary | null>;
  /** PutImage of the exact manifest bytes with media type and digest. */
  putTag(ref: ImageRef, manifest: StoredManifest, tag: string): Promise<PutTagOutcome>;
  /** BatchDeleteImage by tag (never by digest); tags already absent are fine. */
  removeTags(ref: ImageRef, tags: readonly string[]): Promise<void>;
  startScan(ref: ImageRef): Promise<StartScanOutcome>;
  /** How the registry's scanning configuration covers this repository. */
  getRepositoryScanning(repository: string): Promise<RepositoryScanning>;
  /** Size from the manifest; user and labels from the config blob (GetDownloadUrlForLayer). */
  getImageFacts(ref: ImageRef, manifest: StoredManifest): Promise<ImageFacts>;
  /** UpdateImageStorageClass: ARCHIVE (quarantine option) or STANDARD (restore when approved). */
  setStorageClass(ref: ImageRef, storageClass: 'ARCHIVE' | 'STANDARD'): Promise<'done' | 'gone'>;
}

/** What the hygiene sweep needs on top. Every list is paginated to the end. */
export interface RegistryAdmin {
  listRepositories(): AsyncIterable<RepositorySummary>;
  listImages(repository: string): AsyncIterable<ImageSummary>;
  /** Lifecycle policy text, or null when the repository has none. */
  getLifecyclePolicy(repository: string): Promise<string | null>;
  putLifecyclePolicy(repository: string, policyText: string): Promise<void>;
  putTagMutability(repository: string, mutability: string, exclusions: readonly string[]): Promise<void>;
  putScanOnPush(repository: string, scanOnPush: boolean): Promise<void>;
  /** GetRegistryScanningConfiguration, read once per sweep; resolve per repository with `resolveRepositoryScanning`. */
  getRegistryScanning(): Promise<RegistryScanningConfiguration>;
}
