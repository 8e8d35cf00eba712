/**
 * `InspectorImageUsage`: the hygiene sweep's `ImageUsageSource` backed by Amazon Inspector coverage.
 *
 * For each repository the sweep plans, one ListCoverage walk (filters: resourceType AWS_ECR_CONTAINER_IMAGE,
 * ecrRepositoryName EQUALS the repository, and accountId EQUALS the registry when known — a delegated
 * administrator sees its members' images too), paginated until `nextToken` is absent, gives
 * `lastInUseAt` / `inUseCount` per image digest. Results are cached for the sweep run (`sweepId`): a resumed
 * invocation of the same sweep does not ask again, a new sweep does.
 *
 * Failures:
 * - AccessDenied / Inspector not enabled → an empty map ("no data") and ONE warning per sweep run; later
 *   repositories of that run do not call Inspector again. The sweep then falls back to ECR's last recorded pull,
 *   as it does without this adapter.
 * - throttling / 5xx / network after the SDK's retries → InspectorUnavailableError (retryable); other 4xx →
 *   InspectorRejectedError. The sweep counts that repository as failed and changes nothing in it this run: a
 *   lifecycle change is never applied on the strength of missing usage data that Inspector would have had.
 * - malformed coverage entries are skipped and counted (debug log), never trusted.
 */
import {
  type Inspector2Client,
  ListCoverageCommand,
  type ListCoverageCommandOutput,
  type ListCoverageRequest,
} from '@aws-sdk/client-inspector2';
import { PageTokens } from '../aws/paginate.ts';
import type { ImageUsageSource, UsageRequestContext } from '../hygiene/sweep-ports.ts';
import type { Logger } from '../log/index.ts';
import { type InspectorError, InspectorNoAccessError, toInspectorError } from './errors.ts';
import { type ImageUsage, mergeUsage, usageFromCoveredResource } from './image-usage.ts';

/** ListCoverage accepts 1–200 results per page. */
export const COVERAGE_PAGE_SIZE = 200;
/** A repository holds at most 100,000 images (ECR quota): 500 full pages, plus headroom. */
export const MAX_COVERAGE_PAGES = 600;

export interface InspectorImageUsageOptions {
  readonly client: Inspector2Client;
  readonly logger?: Logger;
  /** Results per ListCoverage page (1–200, default 200). */
  readonly pageSize?: number;
  /** Safety stop for a paginator that never ends (default 600 pages). */
  readonly maxPages?: number;
}

export type InspectorUsageState =
  | { readonly status: 'available' }
  | { readonly status: 'no-access'; readonly code: string; readonly message: string };

export interface CoverageStats {
  /** ListCoverage calls made (pages). */
  calls: number;
  /** Coverage entries mapped to a digest. */
  images: number;
  /** Coverage entries skipped (not an ECR image of this repository, unreadable id). */
  skipped: number;
}

const RUN_WITHOUT_ID = 'no-sweep-id';

export class InspectorImageUsage implements ImageUsageSource {
  readonly #client: Inspector2Client;
  readonly #logger: Logger | undefined;
  readonly #pageSize: number;
  readonly #maxPages: number;
  #runId: string | null = null;
  #cache = new Map<string, Promise<ReadonlyMap<string, ImageUsage>>>();
  #state: InspectorUsageState = { status: 'available' };
  #stats: CoverageStats = { calls: 0, images: 0, skipped: 0 };

  constructor(options: InspectorImageUsageOptions) {
    const pageSize = options.pageSize ?? COVERAGE_PAGE_SIZE;
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > COVERAGE_PAGE_SIZE) {
      throw new RangeError(`pageSize must be an integer from 1 to ${COVERAGE_PAGE_SIZE} (got ${pageSize})`);
    }
    this.#client = options.client;
    this.#logger = options.logger;
    this.#pageSize = pageSize;
    this.#maxPages = options.maxPages ?? MAX_COVERAGE_PAGES;
  }

  /** Whether Inspector answered in the current run (for logs and tests). */
  get state(): InspectorUsageState {
    return this.#state;
  }

  /** Counters of the current run. */
  get stats(): Readonly<CoverageStats> {
    return { ...this.#stats };
  }

  /**
   * In-use data of `repository`'s images by digest. Empty when Inspector has none (not enabled, no permission,
   * basic scanning, image never run on ECS/EKS).
   * @example const byDigest = await usage.usage('team/app', { sweepId: 'sweep-2026-01-10T02:00:00.000Z', registryId: '123456789012' })
   */
  usage(repository: string, context: UsageRequestContext = {}): Promise<ReadonlyMap<string, ImageUsage>> {
    this.#beginRun(context.sweepId ?? RUN_WITHOUT_ID);
    if (this.#state.status === 'no-access') return Promise.resolve(new Map());
    const key = `${context.registryId ?? ''}/${repository}`;
    const cached = this.#cache.get(key);
    if (cached) return cached;
    const pending = this.#load(repository, context.registryId ?? null).catch((error: unknown) => {
      // A failed lookup is not cached: the next request (e.g. the next resume) asks again.
      this.#cache.delete(key);
      throw error;
    });
    this.#cache.set(key, pending);
    return pending;
  }

  #beginRun(runId: string): void {
    if (this.#runId === runId) return;
    this.#runId = runId;
    this.#cache = new Map();
    this.#state = { status: 'available' };
    this.#stats = { calls: 0, images: 0, skipped: 0 };
  }

  async #load(repository: string, registryId: string | null): Promise<ReadonlyMap<string, ImageUsage>> {
    const byDigest = new Map<string, ImageUsage>();
    const filterCriteria: NonNullable<ListCoverageRequest['filterCriteria']> = {
      resourceType: [{ comparison: 'EQUALS', value: 'AWS_ECR_CONTAINER_IMAGE' }],
      ecrRepositoryName: [{ comparison: 'EQUALS', value: repository }],
      ...(registryId ? { accountId: [{ comparison: 'EQUALS', value: registryId }] } : {}),
    };
    let nextToken: string | undefined;
    const tokens = new PageTokens(this.#maxPages);
    do {
      let page: ListCoverageCommandOutput;
      try {
        page = await this.#client.send(
          new ListCoverageCommand({
            maxResults: this.#pageSize,
            filterCriteria,
            ...(nextToken ? { nextToken } : {}),
          }),
        );
      } catch (error) {
        const translated = toInspectorError(error, 'ListCoverage', `repository ${repository}`);
        if (translated instanceof InspectorNoAccessError) {
          this.#noAccess(translated);
          return new Map();
        }
        throw translated;
      }
      this.#stats.calls += 1;
      const resources = Array.isArray(page.coveredResources) ? page.coveredResources : [];
      for (const resource of resources) {
        const record = usageFromCoveredResource(resource);
        if (
          !record ||
          record.repository !== repository ||
          (registryId !== null && record.accountId !== registryId)
        ) {
          this.#stats.skipped += 1;
          continue;
        }
        this.#stats.images += 1;
        byDigest.set(record.digest, mergeUsage(byDigest.get(record.digest), record.usage));
      }
      try {
        nextToken = tokens.next(page.nextToken);
      } catch (error) {
        // The one pagination rule (lib/aws/paginate.ts): a repeated token retryable, too many pages final.
        throw toInspectorError(error, 'ListCoverage', `repository ${repository}`);
      }
    } while (nextToken !== undefined);
    this.#logger?.debug('inspector in-use data', {
      repository,
      images: byDigest.size,
      inUse: [...byDigest.values()].filter((u) => (u.inUseCount ?? 0) > 0).length,
      pages: tokens.pages,
    });
    return byDigest;
  }

  #noAccess(error: InspectorError): void {
    if (this.#state.status === 'no-access') return;
    this.#state = { status: 'no-access', code: error.code, message: error.message };
    this.#logger?.warn(
      'Amazon Inspector in-use data unavailable (not enabled, or no inspector2:ListCoverage permission); ' +
        'in use falls back to the last recorded ECR pull for this sweep',
      { code: error.code, error: error.message },
    );
  }
}
