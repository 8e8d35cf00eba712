/**
 * The typed events the handlers act on, produced by lib/events from raw EventBridge payloads.
 * Counts carried by events are hints only: decisions always use fresh reads by digest.
 */
import type { ImageRef } from './image-ref.ts';

interface EventBase {
  /** EventBridge event id, carried into every log line. */
  readonly eventId: string;
  /** EventBridge `time`, ISO-8601. */
  readonly time: string;
  /** Set when EventBridge archive replay delivered it (`replay-name`). */
  readonly replayName: string | null;
}

/**
 * An ECR Image Action that makes an image available at a digest: PUSH + SUCCESS, or a restore from the
 * archive (UPDATE_STORAGE_CLASS with `target-storage-class: STANDARD` + SUCCESS). Both go to the image-pushed
 * function; a restored image is decided afresh (archiving, `target-storage-class: ARCHIVE`, is ignored).
 */
export interface ImagePushedEvent extends EventBase {
  readonly kind: 'image-pushed';
  /** `push`, or `restore` for an image restored from the archive. Absent means `push`. */
  readonly action?: 'push' | 'restore';
  readonly image: ImageRef;
  /** The tag pushed, or null for a push by digest (always null for a restore: the event carries no tag). */
  readonly tag: string | null;
  /** `detail.manifest-media-type` when ECR sends it (newer events), else null/absent. */
  readonly manifestMediaType?: string | null;
  /** `detail.artifact-media-type` when ECR sends it: lets the gate tell signatures/SBOMs from images. */
  readonly artifactMediaType?: string | null;
  /** Restore only: `detail.last-activated-at` as ISO-8601, or null when absent or unreadable. */
  readonly lastActivatedAt?: string | null;
}

/** ECR Image Scan (basic) or Inspector2 Scan (enhanced) for an ECR image. */
export interface ScanCompletedEvent extends EventBase {
  readonly kind: 'scan-completed';
  readonly scanner: 'basic' | 'enhanced';
  readonly image: ImageRef;
  readonly tags: readonly string[];
  /** As sent: COMPLETE, FAILED … for basic; INITIAL_SCAN_COMPLETE, SCAN_COMPLETE … for Inspector. */
  readonly scanStatus: string;
  readonly severityCountsHint: Readonly<Record<string, number>>;
}

/** Inspector2 Finding about an ECR container image. */
export interface FindingChangedEvent extends EventBase {
  readonly kind: 'finding-changed';
  readonly image: ImageRef;
  readonly tags: readonly string[];
  readonly findingArn: string;
  /** ACTIVE, SUPPRESSED or CLOSED. */
  readonly findingStatus: string;
  readonly severity: string;
  readonly vulnerabilityId: string | null;
  /** The finding's `updatedAt` (free-form Inspector date) as ISO-8601, or null when absent/unreadable. */
  readonly findingUpdatedAt?: string | null;
}

/** A well-formed event the gatekeeper deliberately does nothing with (another resource type, DELETE …). */
export interface IgnoredEvent extends EventBase {
  readonly kind: 'ignored';
  readonly reason: string;
  /** EventBridge `detail-type`, for the log line. */
  readonly detailType?: string;
}

export type GatekeeperEvent = ImagePushedEvent | ScanCompletedEvent | FindingChangedEvent | IgnoredEvent;
