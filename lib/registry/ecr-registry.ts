/**
 * The ECR adapter: the only code that talks to Amazon ECR. It implements the {@link Registry} port the gate
 * uses and the {@link RegistryAdmin} port the hygiene sweep uses, over an injected `ECRClient` (build one
 * with `createEcrClient`). Every SDK exception is translated into RegistryUnavailableError (retryable) or
 * RegistryRejectedError (final); an image or repository that no longer exists is a value (null / 'gone').
 *
 * ECR API actions called (IAM): DescribeImageScanFindings, BatchGetImage, DescribeImages, PutImage,
 * BatchDeleteImage, StartImageScan, GetRegistryScanningConfiguration, DescribeRepositories,
 * GetDownloadUrlForLayer, UpdateImageStorageClass, GetLifecyclePolicy, PutLifecyclePolicy,
 * PutImageTagMutability, PutImageScanningConfiguration.
 */
import { createHash } from 'node:crypto';
import {
  BatchDeleteImageCommand,
  BatchGetImageCommand,
  type BatchGetImageCommandOutput,
  DescribeImageScanFindingsCommand,
  type DescribeImageScanFindingsCommandOutput,
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  type ECRClient,
  GetDownloadUrlForLayerCommand,
  GetLifecyclePolicyCommand,
  GetRegistryScanningConfigurationCommand,
  type GetRegistryScanningConfigurationCommandOutput,
  type ImageDetail,
  type ImageFailure,
  PutImageCommand,
  PutImageScanningConfigurationCommand,
  PutImageTagMutabilityCommand,
  PutLifecyclePolicyCommand,
  type Repository,
  StartImageScanCommand,
  UpdateImageStorageClassCommand,
} from '@aws-sdk/client-ecr';
import { PageTokens, paginate } from '../aws/paginate.ts';
import { type ImageRef, imageKey, isImageTag } from '../events/image-ref.ts';
import type { Finding } from '../findings/finding.ts';
import { findingsFromEcrResponse } from '../findings/index.ts';
import type { ImageFacts } from '../policy/decision.ts';
import {
  errorCode,
  ImageFactsUnavailableError,
  ManifestDigestMismatchError,
  RegistryRejectedError,
  RegistryUnavailableError,
  ScanQuotaExceededError,
  toRegistryError,
} from './errors.ts';
import {
  ACCEPTED_MANIFEST_MEDIA_TYPES,
  type ChildManifest,
  type Descriptor,
  type ImageConfigFacts,
  imageConfigFacts,
  imageManifestSize,
  isImageConfigMediaType,
  mediaTypeOf,
  parseManifest,
  verifyManifestDigest,
} from './manifest.ts';
import {
  type ImageSummary,
  type PutTagOutcome,
  type Registry,
  type RegistryAdmin,
  type RepositoryScanning,
  type RepositorySummary,
  SCAN_STATUSES,
  type ScanResult,
  type ScanStatus,
  type StartScanOutcome,
  type StoredManifest,
} from './registry.ts';
import {
  needsRepositoryScanOnPush,
  type RegistryScanningConfiguration,
  resolveRepositoryScanning,
  type ScanFrequency,
} from './scanning.ts';

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

const IMAGE_GONE = new Set(['ImageNotFoundException', 'RepositoryNotFoundException']);
/** BatchGetImage / BatchDeleteImage `failureCode`s a later attempt can get past. */
const RETRYABLE_FAILURE_CODES = new Set([
  'KmsError',
  'UpstreamTooManyRequests',
  'UpstreamUnavailable',
  // Archived images are not pullable; ACTIVATING ones become pullable once the restore completes.
  'ImageInaccessible',
]);
const BATCH_LIMIT = 100;
const NO_LOGGER: RegistryLogger = { debug() {}, warn() {} };

type MiddlewareStack = StartImageScanCommand['middlewareStack'];
type RelativeMiddleware = Parameters<MiddlewareStack['addRelativeTo']>[0];

/**
 * Runs inside the SDK's retry loop (after `retryMiddleware`) for StartImageScan only. LimitExceeded there
 * means "one scan per image per 24 hours", which no retry can fix, yet the SDK classifies it as throttling.
 * Re-throwing it as ScanQuotaExceededError (no HTTP metadata, not a throttling name) makes the retry
 * strategy give up after the first attempt, whatever maxAttempts/retryMode the client has.
 */
const noRetryOnScanLimit = ((next: (args: unknown) => Promise<unknown>) => async (args: unknown) => {
  try {
    return await next(args);
  } catch (error) {
    if (errorCode(error) === 'LimitExceededException') {
      throw new ScanQuotaExceededError(`StartImageScan: ${(error as Error).message}`, { cause: error });
    }
    throw error;
  }
}) as unknown as RelativeMiddleware;

/**
 * Why a DescribeImageScanFindings page cannot be merged with the first one, or null. Every page must be about
 * the digest asked for (and the registry and repository, when the page names them) and report the first page's
 * scan status and, where both carry one, its completion time: a scan that finished again between two pages,
 * or a page about another image, would otherwise mix two results into one verdict.
 */
function pageDisagreement(
  ref: ImageRef,
  first: DescribeImageScanFindingsCommandOutput,
  page: DescribeImageScanFindingsCommandOutput,
): string | null {
  const digest = page.imageId?.imageDigest;
  if (digest !== ref.digest)
    return `is about digest ${JSON.stringify(digest ?? null)}, not the one asked for`;
  if (page.registryId !== undefined && page.registryId !== ref.registryId)
    return `is about registry ${JSON.stringify(page.registryId)}, not ${ref.registryId}`;
  if (page.repositoryName !== undefined && page.repositoryName !== ref.repository)
    return `is about repository ${JSON.stringify(page.repositoryName)}, not ${ref.repository}`;
  const status = page.imageScanStatus?.status;
  const firstStatus = first.imageScanStatus?.status;
  if (status !== firstStatus)
    return `has scan status ${JSON.stringify(status ?? null)}, page 1 had ${JSON.stringify(firstStatus ?? null)}`;
  const completed = toIso(page.imageScanFindings?.imageScanCompletedAt);
  const firstCompleted = toIso(first.imageScanFindings?.imageScanCompletedAt);
  if (completed && firstCompleted && completed !== firstCompleted)
    return `is of a scan completed at ${completed}, page 1 at ${firstCompleted}`;
  return null;
}

/** A DescribeImageScanFindings page without its findings lists: status, identity, counts and times only. */
function pageHeader(page: DescribeImageScanFindingsCommandOutput): DescribeImageScanFindingsCommandOutput {
  const summary = page.imageScanFindings;
  if (summary === undefined) return page;
  const { findings: _basic, enhancedFindings: _enhanced, ...header } = summary;
  return { ...page, imageScanFindings: header };
}

/**
 * ECR implementation of the registry ports.
 *
 * @example
 *   const registry = new EcrRegistry({ client: createEcrClient({ region: 'eu-west-1' }), logger });
 *   const scan = await registry.getScanResult(event.image);
 */
export class EcrRegistry implements Registry, RegistryAdmin {
  readonly #client: ECRClient;
  readonly #fetch: typeof fetch;
  readonly #logger: RegistryLogger;
  readonly #registryId: string | undefined;
  readonly #configBlobMaxBytes: number;
  readonly #configBlobTimeoutMs: number;
  readonly #maxFindingsPages: number;

  constructor(options: EcrRegistryOptions) {
    this.#client = options.client;
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#logger = options.logger ?? NO_LOGGER;
    this.#registryId = options.registryId;
    this.#configBlobMaxBytes = options.configBlobMaxBytes ?? 4 * 1024 * 1024;
    this.#configBlobTimeoutMs = options.configBlobTimeoutMs ?? 10_000;
    this.#maxFindingsPages = options.maxFindingsPages ?? 2_000;
  }

  // ------------------------------------------------------------------------------------------ Registry

  /**
   * Every page of DescribeImageScanFindings (until `nextToken` is absent), basic and enhanced shapes.
   * ImageNotFound / RepositoryNotFound → null. ScanNotFound → status PENDING with `scanNotFound: true`
   * (not ready: no verdict). An empty COMPLETE/ACTIVE result is returned as is; the gate decides whether
   * it is "not ready yet" (right after an enhanced scan-on-push) using `severityCounts === null`.
   */
  async getScanResult(ref: ImageRef): Promise<ScanResult | null> {
    const operation = 'DescribeImageScanFindings';
    const findings: Finding[] = [];
    const tokens = new PageTokens(this.#maxFindingsPages);
    let nextToken: string | undefined;
    let first: DescribeImageScanFindingsCommandOutput | undefined;
    let enhanced = false;
    let pages = 0;
    do {
      let page: DescribeImageScanFindingsCommandOutput;
      try {
        page = await this.#client.send(
          new DescribeImageScanFindingsCommand({
            registryId: ref.registryId,
            repositoryName: ref.repository,
            imageId: { imageDigest: ref.digest },
            maxResults: 1000,
            ...(nextToken ? { nextToken } : {}),
          }),
        );
      } catch (error) {
        const code = errorCode(error);
        if (IMAGE_GONE.has(code)) return this.#gone(operation, ref, code);
        if (code === 'ScanNotFoundException') return scanNotFound(error);
        throw toRegistryError(error, operation, imageKey(ref));
      }
      // Only the first page's header is kept (later pages are checked against it): its findings are read below.
      first ??= pageHeader(page);
      pages++;
      const disagreement = pageDisagreement(ref, first, page);
      if (disagreement) {
        // A page about another image or another scan cannot be merged with the rest: the read is unusable.
        throw new RegistryUnavailableError(
          operation,
          'InconsistentFindingsPages',
          `${imageKey(ref)}: page ${pages} ${disagreement}; its findings were not merged`,
        );
      }
      if (page.imageScanFindings?.enhancedFindings !== undefined) enhanced = true;
      try {
        // Without titles and descriptions: a decision reads neither, and 50,000 of them weigh tens of MB.
        findings.push(
          ...findingsFromEcrResponse(page, `${operation} ${imageKey(ref)} page ${pages}`, {
            withoutReportText: true,
          }),
        );
      } catch (error) {
        throw new RegistryRejectedError(
          operation,
          'InvalidResponse',
          `${imageKey(ref)}: ${(error as Error).message}`,
          {
            cause: error,
          },
        );
      }
      try {
        nextToken = tokens.next(page.nextToken);
      } catch (error) {
        // The one pagination rule (lib/aws/paginate.ts): a repeated token retryable, too many pages final.
        throw toRegistryError(error, operation, imageKey(ref));
      }
    } while (nextToken !== undefined);

    const status = first.imageScanStatus?.status;
    if (!isScanStatus(status)) {
      throw new RegistryRejectedError(
        operation,
        'UnknownScanStatus',
        `${imageKey(ref)}: imageScanStatus.status ${JSON.stringify(status ?? null)} is not a known ECR scan status`,
      );
    }
    const summary = first.imageScanFindings;
    return {
      status,
      description: first.imageScanStatus?.description ?? null,
      findings,
      severityCounts: summary?.findingSeverityCounts ? { ...summary.findingSeverityCounts } : null,
      enhanced,
      completedAt: toIso(summary?.imageScanCompletedAt),
    };
  }

  /**
   * BatchGetImage by digest, accepting every manifest type ECR stores (incl. manifest lists / OCI indexes),
   * then sha256(bytes) == digest or ManifestDigestMismatchError (final: never pushed). Missing → null.
   */
  async getManifest(ref: ImageRef): Promise<StoredManifest | null> {
    const operation = 'BatchGetImage';
    let output: BatchGetImageCommandOutput;
    try {
      output = await this.#client.send(batchGetManifests(ref, [ref.digest]));
    } catch (error) {
      const code = errorCode(error);
      if (IMAGE_GONE.has(code)) return this.#gone(operation, ref, code);
      throw toRegistryError(error, operation, imageKey(ref));
    }
    const image = output.images?.find((i) => i.imageId?.imageDigest === ref.digest) ?? output.images?.[0];
    if (!image) {
      const failure = output.failures?.[0];
      if (!failure || failure.failureCode === 'ImageNotFound')
        return this.#gone(operation, ref, 'ImageNotFound');
      throw failureError(operation, imageKey(ref), [failure]);
    }
    const manifest = image.imageManifest;
    if (typeof manifest !== 'string' || manifest === '') {
      throw new RegistryRejectedError(
        operation,
        'InvalidResponse',
        `${imageKey(ref)}: no imageManifest in the response`,
      );
    }
    // Exact bytes: re-serialising would change the digest.
    verifyManifestDigest(manifest, ref.digest, operation);
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(manifest) as Record<string, unknown>;
    } catch (error) {
      throw new RegistryRejectedError(
        operation,
        'InvalidManifest',
        `${imageKey(ref)}: manifest is not JSON`,
        { cause: error },
      );
    }
    return {
      digest: ref.digest,
      manifest,
      mediaType: mediaTypeOf(json, image.imageManifestMediaType ?? null),
    };
  }

  async describeImage(ref: ImageRef): Promise<ImageSummary | null> {
    const operation = 'DescribeImages';
    try {
      const output = await this.#client.send(
        new DescribeImagesCommand({
          registryId: ref.registryId,
          repositoryName: ref.repository,
          imageIds: [{ imageDigest: ref.digest }],
        }),
      );
      const detail = output.imageDetails?.find((d) => d.imageDigest === ref.digest);
      return detail ? imageSummary(detail, operation) : this.#gone(operation, ref, 'ImageNotFound');
    } catch (error) {
      const code = errorCode(error);
      if (IMAGE_GONE.has(code)) return this.#gone(operation, ref, code);
      throw toRegistryError(error, operation, imageKey(ref));
    }
  }

  /**
   * PutImage of the exact manifest bytes with `imageManifestMediaType` and `imageDigest`.
   * ImageAlreadyExists → 'tagged' (it already was). ImageTagAlreadyExists (immutable repository) →
   * 'immutable', unless the tag turns out to point at this digest already → 'tagged'.
   * Repository or image gone → 'gone'. The bytes are hashed first: a mismatch is never pushed.
   */
  async putTag(ref: ImageRef, manifest: StoredManifest, tag: string): Promise<PutTagOutcome> {
    const operation = 'PutImage';
    if (manifest.digest !== ref.digest)
      throw new ManifestDigestMismatchError(operation, ref.digest, manifest.digest);
    verifyManifestDigest(manifest.manifest, ref.digest, operation);
    if (!isImageTag(tag)) {
      throw new RegistryRejectedError(
        operation,
        'InvalidTag',
        `${imageKey(ref)}: ${JSON.stringify(tag)} is not a valid tag`,
      );
    }
    try {
      const output = await this.#client.send(
        new PutImageCommand({
          registryId: ref.registryId,
          repositoryName: ref.repository,
          imageManifest: manifest.manifest,
          imageManifestMediaType: manifest.mediaType,
          imageDigest: ref.digest,
          imageTag: tag,
        }),
      );
      const written = output.image?.imageId?.imageDigest;
      if (written !== undefined && written !== ref.digest) {
        throw new RegistryRejectedError(
          operation,
          'ImageDigestDoesNotMatch',
          `${imageKey(ref)}: ECR stored ${written}`,
        );
      }
      return 'tagged';
    } catch (error) {
      const code = errorCode(error);
      if (code === 'ImageAlreadyExistsException') return 'tagged';
      if (IMAGE_GONE.has(code)) return this.#gone(operation, ref, code) ?? 'gone';
      if (code === 'ImageTagAlreadyExistsException') {
        return (await this.#tagPointsAt(ref, tag)) ? 'tagged' : 'immutable';
      }
      throw toRegistryError(error, operation, `${imageKey(ref)} tag ${tag}`);
    }
  }

  /**
   * BatchDeleteImage by tag only (never by digest: that would delete the image), ≤ 100 ids per call.
   * Only tags that are on THIS digest right now are deleted (a tag that moved to another image is left
   * alone), and never the image's last tag (ECR deletes an image with its last tag). Per-item failures
   * are checked: ImageNotFound (tag already gone) is fine, anything else is an error.
   */
  async removeTags(ref: ImageRef, tags: readonly string[]): Promise<void> {
    const operation = 'BatchDeleteImage';
    const wanted = [...new Set(tags)];
    if (wanted.length === 0) return;
    const current = await this.describeImage(ref);
    if (!current) return;
    const onImage = new Set(current.tags);
    const toDelete = wanted.filter((t) => onImage.has(t));
    const skipped = wanted.filter((t) => !onImage.has(t));
    if (skipped.length > 0)
      this.#logger.debug('tags not on this image, left alone', { image: imageKey(ref), tags: skipped });
    if (toDelete.length === 0) return;
    if (toDelete.length === onImage.size) {
      throw new RegistryRejectedError(
        operation,
        'WouldDeleteImage',
        `${imageKey(ref)}: removing ${toDelete.join(', ')} would remove its last tag and so delete the image`,
      );
    }
    const failures: ImageFailure[] = [];
    for (let i = 0; i < toDelete.length; i += BATCH_LIMIT) {
      const chunk = toDelete.slice(i, i + BATCH_LIMIT);
      try {
        const output = await this.#client.send(
          new BatchDeleteImageCommand({
            registryId: ref.registryId,
            repositoryName: ref.repository,
            imageIds: chunk.map((imageTag) => ({ imageTag })),
          }),
        );
        for (const failure of output.failures ?? []) {
          if (failure.failureCode === 'ImageNotFound') {
            this.#logger.debug('tag already absent', {
              image: imageKey(ref),
              tag: failure.imageId?.imageTag,
            });
          } else {
            failures.push(failure);
          }
        }
      } catch (error) {
        const code = errorCode(error);
        if (code === 'RepositoryNotFoundException') {
          this.#gone(operation, ref, code);
          return;
        }
        throw toRegistryError(error, operation, imageKey(ref));
      }
    }
    if (failures.length > 0) throw failureError(operation, imageKey(ref), failures);
  }

  /**
   * StartImageScan. LimitExceeded (one scan per image per 24 h, or the daily basic-scan quota) is final:
   * 'limit-exceeded' after ONE attempt (see {@link noRetryOnScanLimit}). UnsupportedImageType →
   * 'unsupported', ImageArchived → 'archived', image/repository gone → 'gone'.
   */
  async startScan(ref: ImageRef): Promise<StartScanOutcome> {
    const operation = 'StartImageScan';
    const command = new StartImageScanCommand({
      registryId: ref.registryId,
      repositoryName: ref.repository,
      imageId: { imageDigest: ref.digest },
    });
    command.middlewareStack.addRelativeTo(noRetryOnScanLimit, {
      relation: 'after',
      toMiddleware: 'retryMiddleware',
      name: 'gatekeeperNoRetryOnScanLimit',
    });
    try {
      await this.#client.send(command);
      return 'started';
    } catch (error) {
      const code = errorCode(error);
      if (error instanceof ScanQuotaExceededError || code === 'LimitExceededException')
        return 'limit-exceeded';
      if (code === 'UnsupportedImageTypeException') return 'unsupported';
      if (code === 'ImageArchivedException') return 'archived';
      if (IMAGE_GONE.has(code)) return this.#gone(operation, ref, code) ?? 'gone';
      throw toRegistryError(error, operation, imageKey(ref));
    }
  }

  async getRepositoryScanning(repository: string): Promise<RepositoryScanning> {
    const config = await this.getRegistryScanning();
    if (!needsRepositoryScanOnPush(config, repository))
      return resolveRepositoryScanning(config, repository, null);
    const operation = 'DescribeRepositories';
    try {
      const output = await this.#client.send(
        new DescribeRepositoriesCommand({ ...this.#registry(), repositoryNames: [repository] }),
      );
      const scanOnPush = output.repositories?.[0]?.imageScanningConfiguration?.scanOnPush ?? false;
      return resolveRepositoryScanning(config, repository, scanOnPush);
    } catch (error) {
      if (errorCode(error) === 'RepositoryNotFoundException')
        return resolveRepositoryScanning(config, repository, false);
      throw toRegistryError(error, operation, repository);
    }
  }

  /**
   * Image facts for image rules. Image manifest: size = config + layers; user and labels from the config
   * blob (GetDownloadUrlForLayer + a bounded, timed download whose sha256 must match). Index: the least
   * favourable of its runnable children: largest size (as ECR reports an index), the shared user or ''
   * (root) when children differ, only labels every child carries with the same value. Schema 1: user and
   * labels from `history[0].v1Compatibility`, size unknown. Artifacts (non-image config): size only.
   */
  async getImageFacts(ref: ImageRef, manifest: StoredManifest): Promise<ImageFacts> {
    if (manifest.digest !== ref.digest)
      throw new ManifestDigestMismatchError('GetImageFacts', ref.digest, manifest.digest);
    verifyManifestDigest(manifest.manifest, ref.digest, 'GetImageFacts');
    const parsed = parseManifest(manifest.manifest, manifest.mediaType, 'GetImageFacts');
    if (parsed.kind === 'index') return this.#indexFacts(ref, parsed.children);
    if (parsed.kind === 'v1') {
      if (parsed.v1Compatibility === null) return {};
      return toFacts(
        imageConfigFacts(parseJson(parsed.v1Compatibility, 'GetImageFacts', ref), 'GetImageFacts'),
      );
    }
    const sizeBytes = imageManifestSize(parsed) ?? undefined;
    if (!isImageConfigMediaType(parsed.config.mediaType)) return sizeBytes === undefined ? {} : { sizeBytes };
    const config = await this.#configFacts(ref, parsed.config);
    return { ...(sizeBytes === undefined ? {} : { sizeBytes }), ...toFacts(config) };
  }

  async setStorageClass(ref: ImageRef, storageClass: 'ARCHIVE' | 'STANDARD'): Promise<'done' | 'gone'> {
    const operation = 'UpdateImageStorageClass';
    try {
      await this.#client.send(
        new UpdateImageStorageClassCommand({
          registryId: ref.registryId,
          repositoryName: ref.repository,
          imageId: { imageDigest: ref.digest },
          targetStorageClass: storageClass,
        }),
      );
      return 'done';
    } catch (error) {
      const code = errorCode(error);
      if (IMAGE_GONE.has(code)) return this.#gone(operation, ref, code) ?? 'gone';
      throw toRegistryError(error, operation, `${imageKey(ref)} → ${storageClass}`);
    }
  }

  // ------------------------------------------------------------------------------------- RegistryAdmin

  async *listRepositories(): AsyncIterable<RepositorySummary> {
    const operation = 'DescribeRepositories';
    const pages = this.#pages(operation, 'list repositories', (page) =>
      this.#client.send(new DescribeRepositoriesCommand({ ...this.#registry(), maxResults: 1000, ...page })),
    );
    for await (const output of pages) {
      for (const repository of output.repositories ?? []) yield repositorySummary(repository, operation);
    }
  }

  async *listImages(repository: string): AsyncIterable<ImageSummary> {
    const operation = 'DescribeImages';
    const pages = this.#pages(operation, repository, (page) =>
      this.#client.send(
        new DescribeImagesCommand({
          ...this.#registry(),
          repositoryName: repository,
          maxResults: 1000,
          // Archived and restoring images too: hygiene must see everything the repository holds.
          filter: { tagStatus: 'ANY', imageStatus: 'ANY' },
          ...page,
        }),
      ),
    );
    for await (const output of pages) {
      for (const detail of output.imageDetails ?? []) yield imageSummary(detail, operation);
    }
  }

  async getLifecyclePolicy(repository: string): Promise<string | null> {
    const operation = 'GetLifecyclePolicy';
    try {
      const output = await this.#client.send(
        new GetLifecyclePolicyCommand({ ...this.#registry(), repositoryName: repository }),
      );
      return output.lifecyclePolicyText ?? null;
    } catch (error) {
      if (errorCode(error) === 'LifecyclePolicyNotFoundException') return null;
      throw toRegistryError(error, operation, repository);
    }
  }

  async putLifecyclePolicy(repository: string, policyText: string): Promise<void> {
    await this.#admin('PutLifecyclePolicy', repository, () =>
      this.#client.send(
        new PutLifecyclePolicyCommand({
          ...this.#registry(),
          repositoryName: repository,
          lifecyclePolicyText: policyText,
        }),
      ),
    );
  }

  async putTagMutability(
    repository: string,
    mutability: string,
    exclusions: readonly string[],
  ): Promise<void> {
    await this.#admin('PutImageTagMutability', repository, () =>
      this.#client.send(
        new PutImageTagMutabilityCommand({
          ...this.#registry(),
          repositoryName: repository,
          imageTagMutability: mutability as never,
          ...(exclusions.length > 0
            ? {
                imageTagMutabilityExclusionFilters: exclusions.map((filter) => ({
                  filterType: 'WILDCARD',
                  filter,
                })),
              }
            : {}),
        }),
      ),
    );
  }

  async putScanOnPush(repository: string, scanOnPush: boolean): Promise<void> {
    await this.#admin('PutImageScanningConfiguration', repository, () =>
      this.#client.send(
        new PutImageScanningConfigurationCommand({
          ...this.#registry(),
          repositoryName: repository,
          imageScanningConfiguration: { scanOnPush },
        }),
      ),
    );
  }

  async getRegistryScanning(): Promise<RegistryScanningConfiguration> {
    const operation = 'GetRegistryScanningConfiguration';
    let output: GetRegistryScanningConfigurationCommandOutput;
    try {
      output = await this.#client.send(new GetRegistryScanningConfigurationCommand({}));
    } catch (error) {
      throw toRegistryError(error, operation, 'registry scanning configuration');
    }
    const config = output.scanningConfiguration;
    const scanType = config?.scanType ?? 'BASIC';
    if (scanType !== 'BASIC' && scanType !== 'ENHANCED') {
      throw new RegistryRejectedError(
        operation,
        'InvalidResponse',
        `unknown scanType ${JSON.stringify(scanType)}`,
      );
    }
    const rules = (config?.rules ?? []).map((rule) => {
      const frequency = rule.scanFrequency as ScanFrequency | undefined;
      if (frequency !== 'SCAN_ON_PUSH' && frequency !== 'CONTINUOUS_SCAN' && frequency !== 'MANUAL') {
        throw new RegistryRejectedError(
          operation,
          'InvalidResponse',
          `unknown scanFrequency ${JSON.stringify(frequency)}`,
        );
      }
      const filters = (rule.repositoryFilters ?? [])
        .filter((f) => f.filterType === 'WILDCARD' && typeof f.filter === 'string')
        .map((f) => ({ filter: f.filter as string, filterType: 'WILDCARD' as const }));
      return { scanFrequency: frequency, filters };
    });
    return { scanType, rules };
  }

  // ------------------------------------------------------------------------------------------ internals

  #registry(): { registryId?: string } {
    return this.#registryId === undefined ? {} : { registryId: this.#registryId };
  }

  /**
   * Every page of a `nextToken`-paginated call (lib/aws/paginate.ts), SDK and pagination failures translated with
   * `context`.
   */
  async *#pages<Output extends { nextToken?: string }>(
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

  async #admin(operation: string, repository: string, call: () => Promise<unknown>): Promise<void> {
    try {
      await call();
    } catch (error) {
      throw toRegistryError(error, operation, repository);
    }
  }

  /** Logs that the image or repository no longer exists (a no-op, not an error) and returns null. */
  #gone(operation: string, ref: ImageRef, code: string): null {
    this.#logger.debug('image or repository no longer exists', { operation, image: imageKey(ref), code });
    return null;
  }

  async #tagPointsAt(ref: ImageRef, tag: string): Promise<boolean> {
    try {
      const output = await this.#client.send(
        new DescribeImagesCommand({
          registryId: ref.registryId,
          repositoryName: ref.repository,
          imageIds: [{ imageTag: tag }],
        }),
      );
      return output.imageDetails?.some((d) => d.imageDigest === ref.digest) ?? false;
    } catch (error) {
      if (IMAGE_GONE.has(errorCode(error))) return false;
      throw toRegistryError(error, 'DescribeImages', `${imageKey(ref)} tag ${tag}`);
    }
  }

  async #indexFacts(ref: ImageRef, children: readonly ChildManifest[]): Promise<ImageFacts> {
    const runnable = children.filter((c) => !c.attestation);
    if (runnable.length === 0) return {};
    const facts: ImageFacts[] = [];
    for (let i = 0; i < runnable.length; i += BATCH_LIMIT) {
      const chunk = runnable.slice(i, i + BATCH_LIMIT);
      const manifests = await this.#childManifests(ref, chunk);
      for (const child of chunk) {
        const stored = manifests.get(child.digest);
        if (!stored) {
          throw new ImageFactsUnavailableError(
            'GetImageFacts',
            'ChildManifestMissing',
            `${imageKey(ref)}: child ${child.digest} is missing`,
          );
        }
        const childRef = { ...ref, digest: child.digest };
        // A nested index is decided through its own children; its facts are not needed here.
        if (parseManifest(stored.manifest, stored.mediaType, 'GetImageFacts').kind === 'index') continue;
        facts.push(await this.getImageFacts(childRef, stored));
      }
    }
    return leastFavourable(facts);
  }

  async #childManifests(
    ref: ImageRef,
    children: readonly Descriptor[],
  ): Promise<Map<string, StoredManifest>> {
    const operation = 'BatchGetImage';
    let output: BatchGetImageCommandOutput;
    try {
      output = await this.#client.send(
        batchGetManifests(
          ref,
          children.map((c) => c.digest),
        ),
      );
    } catch (error) {
      throw toRegistryError(error, operation, `children of ${imageKey(ref)}`);
    }
    const failures = (output.failures ?? []).filter((f) => f.failureCode !== 'ImageNotFound');
    if (failures.length > 0) throw failureError(operation, `children of ${imageKey(ref)}`, failures);
    const out = new Map<string, StoredManifest>();
    for (const image of output.images ?? []) {
      const digest = image.imageId?.imageDigest;
      if (!digest || typeof image.imageManifest !== 'string') continue;
      verifyManifestDigest(image.imageManifest, digest, operation);
      const json = parseJson(image.imageManifest, operation, { ...ref, digest }) as Record<string, unknown>;
      out.set(digest, {
        digest,
        manifest: image.imageManifest,
        mediaType: mediaTypeOf(json, image.imageManifestMediaType ?? null),
      });
    }
    return out;
  }

  async #configFacts(ref: ImageRef, config: Descriptor): Promise<ImageConfigFacts> {
    const operation = 'GetDownloadUrlForLayer';
    const context = `${imageKey(ref)} config ${config.digest}`;
    if (config.size > this.#configBlobMaxBytes) {
      throw new ImageFactsUnavailableError(
        operation,
        'ConfigTooLarge',
        `${context}: ${config.size} bytes, limit ${this.#configBlobMaxBytes}`,
      );
    }
    let url: string | undefined;
    try {
      const output = await this.#client.send(
        new GetDownloadUrlForLayerCommand({
          registryId: ref.registryId,
          repositoryName: ref.repository,
          layerDigest: config.digest,
        }),
      );
      url = output.downloadUrl;
    } catch (error) {
      const code = errorCode(error);
      if (code === 'LayersNotFoundException' || code === 'LayerInaccessibleException') {
        throw new ImageFactsUnavailableError(operation, code, `${context}: ${(error as Error).message}`, {
          cause: error,
        });
      }
      throw toRegistryError(error, operation, context);
    }
    if (!url) throw new RegistryRejectedError(operation, 'InvalidResponse', `${context}: no downloadUrl`);
    const bytes = await this.#download(url, config.size, context);
    const actual = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    if (actual !== config.digest) {
      throw new ImageFactsUnavailableError(
        'DownloadConfig',
        'ConfigDigestMismatch',
        `${context}: downloaded bytes hash to ${actual}`,
      );
    }
    return imageConfigFacts(parseJson(bytes.toString('utf8'), 'DownloadConfig', ref), 'DownloadConfig');
  }

  /** Bounded, timed download of a pre-signed blob URL (the URL itself is never logged: it carries a signature). */
  async #download(url: string, expectedSize: number, context: string): Promise<Buffer> {
    const operation = 'DownloadConfig';
    const limit = Math.min(this.#configBlobMaxBytes, Math.max(expectedSize, 0));
    let response: Response;
    try {
      response = await this.#fetch(url, {
        redirect: 'follow',
        signal: AbortSignal.timeout(this.#configBlobTimeoutMs),
      });
    } catch (error) {
      throw unavailable(operation, context, error);
    }
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => undefined);
      const retryable =
        response.status === 403 ||
        response.status === 408 ||
        response.status === 429 ||
        response.status >= 500;
      const message = `${context}: HTTP ${response.status}`;
      throw retryable
        ? new RegistryUnavailableError(operation, `HTTP${response.status}`, message)
        : new ImageFactsUnavailableError(operation, `HTTP${response.status}`, message);
    }
    const declared = Number(response.headers.get('content-length') ?? Number.NaN);
    if (Number.isFinite(declared) && declared > limit) {
      await response.body?.cancel().catch(() => undefined);
      throw new ImageFactsUnavailableError(
        operation,
        'ConfigTooLarge',
        `${context}: content-length ${declared} > ${limit}`,
      );
    }
    const chunks: Buffer[] = [];
    let total = 0;
    try {
      if (response.body) {
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
          total += chunk.byteLength;
          if (total > limit) {
            throw new ImageFactsUnavailableError(
              operation,
              'ConfigTooLarge',
              `${context}: more than ${limit} bytes`,
            );
          }
          chunks.push(Buffer.from(chunk));
        }
      }
    } catch (error) {
      if (error instanceof ImageFactsUnavailableError) {
        await response.body?.cancel().catch(() => undefined);
        throw error;
      }
      throw unavailable(operation, context, error);
    }
    return Buffer.concat(chunks);
  }
}

// ---------------------------------------------------------------------------------------------- helpers

function scanNotFound(error: unknown): ScanResult {
  return {
    status: 'PENDING',
    description: `ScanNotFound: ${(error as Error).message}`,
    findings: [],
    severityCounts: null,
    enhanced: false,
    completedAt: null,
    scanNotFound: true,
  };
}

/** BatchGetImage by digest, accepting every manifest type ECR stores. */
function batchGetManifests(ref: ImageRef, digests: readonly string[]): BatchGetImageCommand {
  return new BatchGetImageCommand({
    registryId: ref.registryId,
    repositoryName: ref.repository,
    imageIds: digests.map((imageDigest) => ({ imageDigest })),
    acceptedMediaTypes: [...ACCEPTED_MANIFEST_MEDIA_TYPES],
  });
}

/** A transport failure (retryable), carrying the original error. */
function unavailable(operation: string, context: string, error: unknown): RegistryUnavailableError {
  return new RegistryUnavailableError(
    operation,
    errorCode(error),
    `${context}: ${(error as Error).message}`,
    {
      cause: error,
    },
  );
}

function isScanStatus(value: unknown): value is ScanStatus {
  return typeof value === 'string' && (SCAN_STATUSES as readonly string[]).includes(value);
}

function failureError(operation: string, context: string, failures: readonly ImageFailure[]) {
  const described = failures
    .map(
      (f) =>
        `${f.imageId?.imageTag ?? f.imageId?.imageDigest ?? '?'}: ${f.failureCode ?? '?'} (${f.failureReason ?? ''})`,
    )
    .join('; ');
  const code = failures[0]?.failureCode ?? 'Failure';
  const retryable = failures.every((f) => RETRYABLE_FAILURE_CODES.has(f.failureCode ?? ''));
  return retryable
    ? new RegistryUnavailableError(operation, code, `${context}: ${described}`)
    : new RegistryRejectedError(operation, code, `${context}: ${described}`);
}

function imageSummary(detail: ImageDetail, operation: string): ImageSummary {
  if (!detail.imageDigest)
    throw new RegistryRejectedError(operation, 'InvalidResponse', 'imageDetails[] entry without imageDigest');
  const status = detail.imageStatus;
  return {
    digest: detail.imageDigest,
    tags: detail.imageTags ?? [],
    pushedAt: toIso(detail.imagePushedAt) ?? new Date(0).toISOString(),
    sizeBytes: detail.imageSizeInBytes ?? null,
    manifestMediaType: detail.imageManifestMediaType ?? null,
    artifactMediaType: detail.artifactMediaType ?? null,
    lastPulledAt: toIso(detail.lastRecordedPullTime),
    storageClass: status === 'ARCHIVED' ? 'ARCHIVE' : status === 'ACTIVATING' ? 'ACTIVATING' : 'STANDARD',
  };
}

function repositorySummary(repository: Repository, operation: string): RepositorySummary {
  if (!repository.repositoryName || !repository.repositoryArn) {
    throw new RegistryRejectedError(operation, 'InvalidResponse', 'repositories[] entry without name or ARN');
  }
  return {
    name: repository.repositoryName,
    arn: repository.repositoryArn,
    registryId: repository.registryId ?? repository.repositoryArn.split(':')[4] ?? '',
    tagMutability: repository.imageTagMutability ?? 'MUTABLE',
    tagMutabilityExclusions: (repository.imageTagMutabilityExclusionFilters ?? [])
      .map((f) => f.filter)
      .filter((f): f is string => typeof f === 'string'),
    scanOnPush: repository.imageScanningConfiguration?.scanOnPush ?? false,
    createdAt: toIso(repository.createdAt) ?? new Date(0).toISOString(),
  };
}

function toIso(value: Date | string | number | undefined | null): string | null {
  if (value === undefined || value === null) return null;
  const date = value instanceof Date ? value : new Date(typeof value === 'number' ? value * 1000 : value);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

function parseJson(text: string, operation: string, ref: ImageRef): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ImageFactsUnavailableError(operation, 'InvalidJson', `${imageKey(ref)}: not JSON`, {
      cause: error,
    });
  }
}

function toFacts(config: ImageConfigFacts): ImageFacts {
  return { user: config.user, labels: config.labels };
}

/** An index's facts: the least favourable of its children's (documented on getImageFacts). */
function leastFavourable(children: readonly ImageFacts[]): ImageFacts {
  if (children.length === 0) return {};
  const sizes = children.map((c) => c.sizeBytes);
  const users = new Set(children.map((c) => c.user ?? ''));
  const labelSets = children.map((c) => c.labels ?? {});
  const labels: Record<string, string> = {};
  for (const [key, value] of Object.entries(labelSets[0] ?? {})) {
    if (labelSets.every((set) => set[key] === value)) labels[key] = value;
  }
  const facts: { sizeBytes?: number; user: string; labels: Record<string, string> } = {
    user: users.size === 1 ? ([...users][0] ?? '') : '',
    labels,
  };
  if (sizes.every((s) => s !== undefined)) facts.sizeBytes = Math.max(...(sizes as number[]));
  return facts;
}
