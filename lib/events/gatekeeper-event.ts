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

/** ECR Image Action, PUSH + SUCCESS. */
export interface ImagePushedEvent extends EventBase {
  readonly kind: 'image-pushed';
  readonly image: ImageRef;
  /** The tag pushed, or null for a push by digest. */
  readonly tag: string | null;
  /** `detail.manifest-media-type` when ECR sends it (newer events), else null/absent. */
  readonly manifestMediaType?: string | null;
  /** `detail.artifact-media-type` when ECR sends it: lets the gate tell signatures/SBOMs from images. */
  readonly artifactMediaType?: string | null;
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
