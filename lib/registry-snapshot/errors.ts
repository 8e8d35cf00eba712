/** Errors of the registry snapshot. */
import { ServiceCallError } from '../errors/gatekeeper-error.ts';

/**
 * S3 did not store a snapshot object (after the client's retries). `retryable` says whether a later run may
 * succeed (throttling, 5xx, network) or the configuration must change first (NoSuchBucket, AccessDenied …).
 */
export class SnapshotStoreError extends ServiceCallError {}
