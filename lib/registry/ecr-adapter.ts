/**
 * What every part of the ECR adapter shares: its options, the injected `ECRClient`, the logger, and the small
 * steps each concern repeats (a no-op for an image that is gone, the registry scope of admin calls, paging,
 * translating SDK exceptions). The concerns build on it one layer each (ecr-scans.ts → ecr-image-reads.ts →
 * ecr-tag-writes.ts → ecr-repository-admin.ts) and ecr-registry.ts names the whole: `EcrRegistry`.
 *
 * Layers rather than delegating objects: the IAM analysis (scripts/template-checks/iam-actions.ts) attributes
 * each SDK command to the public method that issues it and keeps it only where a bundle calls that method; a
 * method defined once, in its concern's file, keeps that attribution exact.
 */
import type { ECRClient } from '@aws-sdk/client-ecr';
import { paginate } from '../aws/paginate.ts';
import { type ImageRef, imageKey } from '../events/image-ref.ts';
import { toRegistryError } from './errors.ts';

/** The structured logger the adapter reports no-ops and oddities to (lib/log's logger fits). */
export interface RegistryLogger {
  debug(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
}

export interface EcrRegistryOptions {
  readonly client: ECRClient;
  /** Used to download config blobs from the pre-signed URL GetDownloadUrlForLayer returns. */
  readonly fetch?: typeof fetch;
  readonly logger?: RegistryLogger;
  /** Registry (account) for the RegistryAdmin methods; default: the caller's own registry. */
  readonly registryId?: string;
  /** Largest config blob read for image facts (default 4 MiB; real configs are a few KiB). */
  readonly configBlobMaxBytes?: number;
  /** Time allowed to download one config blob (default 10 s). */
  readonly configBlobTimeoutMs?: number;
  /** Safety bound on DescribeImageScanFindings pages for one image (default 2,000 pages). */
  readonly maxFindingsPages?: number;
}

/** SDK exception codes that mean the image (or its repository) no longer exists: a value, not an error. */
export const IMAGE_GONE = new Set(['ImageNotFoundException', 'RepositoryNotFoundException']);
/** Most image ids one BatchGetImage / BatchDeleteImage call takes. */
export const BATCH_LIMIT = 100;
const NO_LOGGER: RegistryLogger = { debug() {}, warn() {} };

/** The shared state and steps of the ECR adapter's layers; not used on its own. */
export abstract class EcrAdapter {
  // Private fields behind read-only accessors: the layers read them, the instance exposes none of them.
  readonly #client: ECRClient;
  readonly #fetchBlob: typeof fetch;
  readonly #logger: RegistryLogger;
  readonly #registryId: string | undefined;
  readonly #configBlobMaxBytes: number;
  readonly #configBlobTimeoutMs: number;
  readonly #maxFindingsPages: number;

  constructor(options: EcrRegistryOptions) {
    this.#client = options.client;
    this.#fetchBlob = options.fetch ?? globalThis.fetch;
    this.#logger = options.logger ?? NO_LOGGER;
    this.#registryId = options.registryId;
    this.#configBlobMaxBytes = options.configBlobMaxBytes ?? 4 * 1024 * 1024;
    this.#configBlobTimeoutMs = options.configBlobTimeoutMs ?? 10_000;
    this.#maxFindingsPages = options.maxFindingsPages ?? 2_000;
  }

  protected get client(): ECRClient {
    return this.#client;
  }

  protected get fetchBlob(): typeof fetch {
    return this.#fetchBlob;
  }

  protected get logger(): RegistryLogger {
    return this.#logger;
  }

  protected get configBlobMaxBytes(): number {
    return this.#configBlobMaxBytes;
  }

  protected get configBlobTimeoutMs(): number {
    return this.#configBlobTimeoutMs;
  }

  protected get maxFindingsPages(): number {
    return this.#maxFindingsPages;
  }

  /** The registry (account) the RegistryAdmin calls address: the configured one, else the caller's own. */
  protected scope(): { registryId?: string } {
    return this.#registryId === undefined ? {} : { registryId: this.#registryId };
  }

  /**
   * Every page of a `nextToken`-paginated call (lib/aws/paginate.ts), SDK and pagination failures translated with
   * `context`.
   */
  protected async *pages<Output extends { nextToken?: string }>(
    operation: string,
    context: string,
    send: (page: { nextToken?: string }) => Promise<Output>,
  ): AsyncIterable<Output> {
    try {
      yield* paginate((nextToken) => send(nextToken ? { nextToken } : {}));
    } catch (error) {
      throw toRegistryError(error, operation, context);
    }
  }

  /** One repository-level write; SDK failures translated with the repository as context. */
  protected async admin(operation: string, repository: string, call: () => Promise<unknown>): Promise<void> {
    try {
      await call();
    } catch (error) {
      throw toRegistryError(error, operation, repository);
    }
  }

  /** Logs that the image or repository no longer exists (a no-op, not an error) and returns null. */
  protected gone(operation: string, ref: ImageRef, code: string): null {
    this.logger.debug('image or repository no longer exists', { operation, image: imageKey(ref), code });
    return null;
  }
}
