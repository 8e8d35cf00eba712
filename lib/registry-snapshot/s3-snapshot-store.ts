/**
 * S3 adapter of the snapshot store: one PutObject per object (S3 stores up to 5 GB in one request, far above a
 * snapshot: about 1 KB per image), so an object is never visible half-written. The body is the gzip file itself
 * (`Content-Type: application/gzip`, no `Content-Encoding`), so `aws s3 cp` keeps it as written; object metadata
 * `images` and `format` tell what it holds without downloading it. The SDK adds a CRC32 checksum by default, which
 * S3 verifies. Encryption is the bucket's default (serverless.yml). The only code that talks to S3.
 */
import { PutObjectCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { type AwsClientDefaults, type AwsClientSettings, createAwsClient } from '../aws/client-settings.ts';
import { inspectSdkError, sdkErrorMessage } from '../aws/sdk-error.ts';
import { SNAPSHOT_FORMAT, type SnapshotObject, type SnapshotStore } from '../snapshot/index.ts';
import { SnapshotStoreError } from './errors.ts';

export const S3_CLIENT_DEFAULTS = {
  maxAttempts: 5,
  retryMode: 'standard',
  connectionTimeoutMs: 3_000,
  // A snapshot of 100,000 images is about 100 MB: allow for its upload.
  requestTimeoutMs: 120_000,
} as const satisfies AwsClientDefaults;

/**
 * Builds the snapshot store's client (AWS_ENDPOINT_URL_S3, read by the SDK, points it at a local endpoint; the
 * SDK then addresses buckets path-style, as it does for any IP-address endpoint).
 * @example new S3SnapshotStore({ client: createS3Client(), bucket: config.snapshotBucket })
 */
export function createS3Client(options: S3ClientOptions = {}): S3Client {
  return createAwsClient(S3Client, options, S3_CLIENT_DEFAULTS);
}

export type S3ClientOptions = AwsClientSettings<NonNullable<S3ClientConfig['credentials']>>;

export interface S3SnapshotStoreOptions {
  readonly client: S3Client;
  readonly bucket: string;
}

export class S3SnapshotStore implements SnapshotStore {
  readonly #client: S3Client;
  readonly #bucket: string;

  constructor(options: S3SnapshotStoreOptions) {
    this.#client = options.client;
    this.#bucket = options.bucket;
  }

  async put(object: SnapshotObject): Promise<void> {
    try {
      await this.#client.send(
        new PutObjectCommand({
          Bucket: this.#bucket,
          Key: object.key,
          Body: object.body,
          ContentType: 'application/gzip',
          Metadata: { images: String(object.images), format: SNAPSHOT_FORMAT },
        }),
      );
    } catch (error) {
      const facts = inspectSdkError(error);
      throw new SnapshotStoreError(
        'PutObject',
        facts.code,
        `s3://${this.#bucket}/${object.key}: ${sdkErrorMessage(error)}`,
        facts.throttling || facts.transient || facts.network,
        { cause: error },
      );
    }
  }
}
