/**
 * The field readers every detail-type parser shares: the validated envelope they receive, typed reads of
 * `detail` fields (strings, AWS enum tokens, tag lists, the repository + digest pair) and the error wording for a
 * missing or mistyped field. Each failure is an {@link InvalidEventError} naming the event id and the field.
 */
import { InvalidEventError } from './errors.ts';
import type { IgnoredEvent } from './gatekeeper-event.ts';
import { type ImageRef, isImageDigest, isImageTag, isRepositoryName } from './image-ref.ts';
import { quote } from './quote.ts';

/** An upper-case AWS enum value: PUSH, SUCCESS, COMPLETE, INITIAL_SCAN_COMPLETE, ACTIVE, HIGH, TOTAL … */
export const TOKEN = /^[A-Z][A-Z0-9_]{0,63}$/;

export type Json = Record<string, unknown>;

/** An EventBridge event whose envelope was checked (see envelope.ts); `detail` is still unchecked. */
export interface Envelope {
  readonly id: string;
  readonly detailType: string;
  readonly source: string;
  readonly account: string;
  readonly region: string;
  readonly time: string;
  readonly resources: readonly string[];
  readonly replayName: string | null;
  readonly detail: Json;
}

/** The fields every typed event carries from its envelope. */
export function base(envelope: Envelope): { eventId: string; time: string; replayName: string | null } {
  return { eventId: envelope.id, time: envelope.time, replayName: envelope.replayName };
}

/** A well-formed event the gate does nothing with, and why. */
export function ignored(envelope: Envelope, reason: string): IgnoredEvent {
  return { kind: 'ignored', ...base(envelope), reason, detailType: envelope.detailType };
}

/** The image named by `detail[repositoryKey]` and `detail[digestKey]`, in the given registry and Region. */
export function imageRef(
  envelope: Envelope,
  registryId: string,
  region: string,
  detail: Json,
  repositoryKey: string,
  digestKey: string,
): ImageRef {
  const { id } = envelope;
  const repository = detail[repositoryKey];
  if (!isRepositoryName(repository)) {
    const problem =
      typeof repository === 'string'
        ? `must be an ECR repository name: 2–256 characters of [a-z0-9] separated by . _ __ - or / (got ${quote(repository)})`
        : missingOrWrongType(repository, 'a string');
    throw new InvalidEventError(id, `detail.${repositoryKey}`, problem);
  }
  const digest = detail[digestKey];
  if (!isImageDigest(digest)) {
    const problem =
      typeof digest === 'string' ? digestProblem(digest) : missingOrWrongType(digest, 'a string');
    throw new InvalidEventError(id, `detail.${digestKey}`, problem);
  }
  return { registryId, region, repository, digest };
}

export function digestProblem(digest: string): string {
  // Several AWS documentation samples carry digests like "sha256:…EXAMPLE": the gate never writes with one.
  return `must be "sha256:" followed by 64 lowercase hex characters (got ${quote(digest)})`;
}

/** An optional list of ECR image tags, duplicates dropped; absent or null → []. */
export function tagList(id: string, value: unknown, field: string): readonly string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new InvalidEventError(id, field, 'must be an array of tags');
  value.forEach((tag, i) => {
    if (!isImageTag(tag)) {
      throw new InvalidEventError(
        id,
        `${field}[${i}]`,
        `must be an ECR image tag, 1–300 characters (got ${quote(tag)})`,
      );
    }
  });
  return [...new Set(value as string[])];
}

/** A required non-empty string; `prefix` is how the field is named in the error (`detail.`). */
export function requireString(id: string, object: Json, key: string, prefix = ''): string {
  const value = object[key];
  if (typeof value !== 'string' || value === '') {
    throw new InvalidEventError(
      id,
      `${prefix}${key}`,
      value === '' ? 'must not be empty' : missingOrWrongType(value, 'a string'),
    );
  }
  return value;
}

/** A `detail` enum value (action-type, result, scan-status …): upper-case AWS values only. */
export function requireToken(id: string, detail: Json, key: string): string {
  const value = requireString(id, detail, key, 'detail.');
  if (!TOKEN.test(value)) {
    throw new InvalidEventError(
      id,
      `detail.${key}`,
      `must be an upper-case AWS value such as COMPLETE (got ${quote(value)})`,
    );
  }
  return value;
}

export function missingOrWrongType(value: unknown, expected: string): string {
  if (value === undefined) return 'is missing';
  return `must be ${expected} (got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value})`;
}

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
