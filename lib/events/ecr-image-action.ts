/**
 * ECR Image Action → image-pushed (PUSH + SUCCESS, or a restore from the archive) or ignored (DELETE, archiving,
 * failed actions). The pushed tag and the media types are checked; the image is `repository-name` + `image-digest`.
 */
import { toIsoTimestamp } from '../findings/timestamps.ts';
import { InvalidEventError } from './errors.ts';
import { base, type Envelope, ignored, imageRef, type Json, requireToken } from './event-fields.ts';
import type { IgnoredEvent, ImagePushedEvent } from './gatekeeper-event.ts';
import { type ImageRef, isImageTag } from './image-ref.ts';
import { quote } from './quote.ts';

/** RFC 6838 `type/subtype` (restricted names), as ECR reports manifest and artifact media types. */
const MEDIA_TYPE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/;

export function parseImageAction(envelope: Envelope): ImagePushedEvent | IgnoredEvent {
  const { id, detail } = envelope;
  const actionType = requireToken(id, detail, 'action-type');
  const result = requireToken(id, detail, 'result');
  if (actionType === 'UPDATE_STORAGE_CLASS') return parseStorageClassChange(envelope, result);
  // DELETE and other actions need no decision; their details differ (no image-tag).
  if (actionType !== 'PUSH') return ignored(envelope, `ECR Image Action ${actionType} needs no decision`);
  if (result !== 'SUCCESS')
    return ignored(envelope, `ECR Image Action PUSH with result ${result}: nothing was pushed`);

  const image = actionImage(envelope);
  const tag = detail['image-tag'];
  if (tag !== undefined && tag !== null && !isImageTag(tag)) {
    throw new InvalidEventError(
      id,
      'detail.image-tag',
      `must be an ECR image tag, 1–300 characters (got ${quote(tag)})`,
    );
  }
  return {
    kind: 'image-pushed',
    action: 'push',
    ...base(envelope),
    image,
    tag: typeof tag === 'string' ? tag : null,
    ...mediaTypes(envelope),
  };
}

/**
 * UPDATE_STORAGE_CLASS: a restore (`target-storage-class: STANDARD`, SUCCESS) makes the image usable again and
 * is decided afresh (an image-pushed event with action `restore`, no tag); an archive (ARCHIVE) or a failed
 * transition needs no decision.
 */
function parseStorageClassChange(envelope: Envelope, result: string): ImagePushedEvent | IgnoredEvent {
  const { id, detail } = envelope;
  const target = requireToken(id, detail, 'target-storage-class');
  if (target !== 'STANDARD') {
    return ignored(
      envelope,
      `ECR Image Action UPDATE_STORAGE_CLASS to ${target} needs no decision (an archived image cannot be pulled)`,
    );
  }
  if (result !== 'SUCCESS') {
    return ignored(
      envelope,
      `ECR Image Action UPDATE_STORAGE_CLASS to STANDARD with result ${result}: nothing was restored`,
    );
  }
  return {
    kind: 'image-pushed',
    action: 'restore',
    ...base(envelope),
    image: actionImage(envelope),
    tag: null,
    ...mediaTypes(envelope),
    lastActivatedAt: toIsoTimestamp(detail['last-activated-at']),
  };
}

function actionImage(envelope: Envelope): ImageRef {
  return imageRef(
    envelope,
    envelope.account,
    envelope.region,
    envelope.detail,
    'repository-name',
    'image-digest',
  );
}

function mediaTypes(envelope: Envelope): {
  manifestMediaType: string | null;
  artifactMediaType: string | null;
} {
  return {
    manifestMediaType: optionalMediaType(envelope.id, envelope.detail, 'manifest-media-type'),
    artifactMediaType: optionalMediaType(envelope.id, envelope.detail, 'artifact-media-type'),
  };
}

function optionalMediaType(id: string, object: Json, key: string): string | null {
  const value = object[key];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || !MEDIA_TYPE.test(value))
    throw new InvalidEventError(
      id,
      `detail.${key}`,
      `must be a media type such as application/vnd.oci.image.manifest.v1+json (got ${quote(value)})`,
    );
  return value;
}
