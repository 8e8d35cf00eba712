/** Public entry of lib/events: parse EventBridge payloads into typed, validated events. */
export { InvalidEventError } from './errors.ts';
export type {
  FindingChangedEvent,
  GatekeeperEvent,
  IgnoredEvent,
  ImagePushedEvent,
  ScanCompletedEvent,
} from './gatekeeper-event.ts';
export {
  DIGEST_PATTERN,
  type ImageRef,
  imageKey,
  isImageDigest,
  isImageTag,
  isRepositoryName,
  parseImageResourceId,
  parseRepositoryArn,
  REPOSITORY_NAME_PATTERN,
  type RepositoryArnParts,
} from './image-ref.ts';
export { MAX_EVENT_BYTES, parseEvent } from './parse-event.ts';
