/**
 * Where a finished snapshot is kept: the port the scheduled `registry-snapshot` function writes through
 * (lib/registry-snapshot `S3SnapshotStore` is the adapter), and the one definition of the object keys.
 *
 * Keys (docs/cli.md "Registry snapshots"):
 *   snapshots/<registryId>/<region>/<YYYY-MM-DD>.jsonl.gz   one per day (the day it was taken, UTC)
 *   snapshots/<registryId>/<region>/latest.jsonl.gz         the newest complete one
 */

/** A whole snapshot file, gzip-compressed, with what an operator sees without downloading it. */
export interface SnapshotObject {
  readonly key: string;
  readonly body: Uint8Array;
  /** Number of images in the file (the end line's count). */
  readonly images: number;
}

export interface SnapshotStore {
  /** Stores the object whole (one request: it is never visible half-written). Throws when it was not stored. */
  put(object: SnapshotObject): Promise<void>;
}

const ACCOUNT = /^\d{12}$/;
const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d$/;

/**
 * The dated key and the `latest` key of a snapshot taken at `takenAt`.
 * @example snapshotKeys('123456789012', 'eu-west-1', new Date('2026-12-01T03:00:00Z'))
 *   // { dated: 'snapshots/123456789012/eu-west-1/2026-12-01.jsonl.gz', latest: 'snapshots/123456789012/eu-west-1/latest.jsonl.gz' }
 * @throws Error naming the value when the account or region could not be part of a key
 */
export function snapshotKeys(
  registryId: string,
  region: string,
  takenAt: Date,
): { readonly dated: string; readonly latest: string } {
  if (!ACCOUNT.test(registryId))
    throw new Error(`snapshot key: registry id "${registryId}" is not a 12-digit account id`);
  if (!REGION.test(region)) throw new Error(`snapshot key: "${region}" is not an AWS region`);
  const prefix = `snapshots/${registryId}/${region}`;
  return {
    dated: `${prefix}/${takenAt.toISOString().slice(0, 10)}.jsonl.gz`,
    latest: `${prefix}/latest.jsonl.gz`,
  };
}
