/**
 * The local ECR: repositories, images, tags, scans, lifecycle policies and scanning configuration held in
 * memory, with the operations' documented behaviour (ECR API model and API reference). Operations take the
 * request JSON and return the response object (Dates are turned into epoch seconds by the HTTP layer), or
 * throw `EcrError`. The seed and inspect methods at the end are for tests; they never go over HTTP.
 */

import { createHash } from 'node:crypto';
import { type LocalClock, toDate, wildcardToRegExp } from '../wire.ts';
import { EcrError } from './ecr-errors.ts';
import {
  DEFAULT_ACCEPTED_MEDIA_TYPES,
  DIGEST_PATTERN,
  digestOf,
  isIndexMediaType,
  type ParsedManifest,
  parseManifest,
} from './manifest.ts';

export const TAG_MUTABILITIES = [
  'MUTABLE',
  'IMMUTABLE',
  'IMMUTABLE_WITH_EXCLUSION',
  'MUTABLE_WITH_EXCLUSION',
] as const;
export type TagMutability = (typeof TAG_MUTABILITIES)[number];
export type ImageStatus = 'ACTIVE' | 'ARCHIVED' | 'ACTIVATING';

const REPOSITORY_NAME = /^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$/;
const EXCLUSION_FILTER = /^[0-9a-zA-Z._*-]{1,128}$/;
const REGISTRY_FILTER = /^[a-z0-9*](?:[._\-/a-z0-9*]?[a-z0-9*]+)*$/;
const DAY_MS = 24 * 60 * 60 * 1000;
const MAX_MANIFEST_CHARS = 4_194_304;
const MAX_LIFECYCLE_CHARS = 30_720;

/** Timestamp fields inside findings (basic and enhanced) that go on the wire as epoch seconds. */
const FINDING_TIME_FIELDS = new Set([
  'firstObservedAt',
  'lastObservedAt',
  'updatedAt',
  'vendorCreatedAt',
  'vendorUpdatedAt',
  'pushedAt',
  'lastInUseAt',
  'imageScanCompletedAt',
  'vulnerabilitySourceUpdatedAt',
]);

export interface ScanSeed {
  /** ECR ScanStatus, e.g. COMPLETE, ACTIVE, FAILED, IN_PROGRESS. */
  readonly status: string;
  readonly description?: string | null;
  /** Basic findings (`imageScanFindings.findings`). */
  readonly findings?: readonly unknown[];
  /** Enhanced findings (`imageScanFindings.enhancedFindings`). */
  readonly enhancedFindings?: readonly unknown[];
  /**
   * `findingSeverityCounts`: omitted → computed from the findings when there are any;
   * null → absent from the response (as right after an enhanced scan-on-push).
   */
  readonly severityCounts?: Readonly<Record<string, number>> | null;
  readonly completedAt?: Date | string | number;
  readonly vulnerabilitySourceUpdatedAt?: Date | string | number;
}

interface ScanState {
  status: string;
  description: string | null;
  findings: unknown[] | undefined;
  enhancedFindings: unknown[] | undefined;
  severityCounts: Record<string, number> | null;
  completedAt: Date | null;
  vulnerabilitySourceUpdatedAt: Date | null;
}

interface ImageState {
  readonly digest: string;
  readonly manifest: string;
  readonly parsed: ParsedManifest;
  tags: string[];
  pushedAt: Date;
  sizeBytes: number;
  status: ImageStatus;
  activatesAt: number | null;
  lastArchivedAt: Date | null;
  lastActivatedAt: Date | null;
  lastRecordedPullTime: Date | null;
  lastScanStartedAt: Date | null;
  scan: ScanState | null;
}

interface ExclusionFilter {
  readonly filterType: 'WILDCARD';
  readonly filter: string;
}

interface RepositoryState {
  readonly name: string;
  readonly arn: string;
  readonly uri: string;
  readonly createdAt: Date;
  mutability: TagMutability;
  exclusions: ExclusionFilter[];
  scanOnPush: boolean;
  readonly encryption: { encryptionType: string; kmsKey?: string };
  readonly images: Map<string, ImageState>;
  readonly tags: Map<string, string>;
  /** Blobs known to the repository: bytes, or null for a layer known only by digest. */
  readonly blobs: Map<string, Buffer | null>;
  lifecyclePolicy: string | null;
}

interface ScanRule {
  readonly scanFrequency: 'SCAN_ON_PUSH' | 'CONTINUOUS_SCAN' | 'MANUAL';
  readonly repositoryFilters: { readonly filter: string; readonly filterType: 'WILDCARD' }[];
}

export interface EcrServiceOptions {
  readonly registryId: string;
  readonly region: string;
  readonly clock: LocalClock;
  /** PutImage checks that the config blob and layers were uploaded (LayersNotFoundException). Default false. */
  readonly requireBlobs?: boolean;
  /** Page size of enhanced findings (ECR returns 100 whatever maxResults says). */
  readonly enhancedPageSize?: number;
  /** How long a restored (STANDARD) image stays ACTIVATING, in clock milliseconds. Default 0. */
  readonly restoreDelayMs?: number;
}

export interface RepositorySeed {
  readonly tagMutability?: TagMutability;
  /** Wildcard exclusion filters for the *_WITH_EXCLUSION modes. */
  readonly exclusions?: readonly string[];
  readonly scanOnPush?: boolean;
  readonly createdAt?: Date | string | number;
}

export interface ImageSeed {
  /** The exact manifest bytes (as a string); the digest is their sha256. */
  readonly manifest: string;
  readonly mediaType?: string;
  readonly tags?: readonly string[];
  /** Config blob (object → JSON.stringify, or exact bytes); must hash to the manifest's config digest. */
  readonly config?: unknown;
  readonly pushedAt?: Date | string | number;
  readonly scan?: ScanSeed;
  readonly imageSizeInBytes?: number;
}

export interface ImageView {
  readonly digest: string;
  readonly tags: readonly string[];
  readonly manifest: string;
  readonly mediaType: string;
  readonly pushedAt: Date;
  readonly sizeBytes: number;
  readonly imageStatus: ImageStatus;
  readonly lastRecordedPullTime: Date | null;
  readonly lastScanStartedAt: Date | null;
  readonly scanStatus: string | null;
}

/** Called when ECR would start a scan (scan on push, StartImageScan); may return the finished result. */
export type ScanHook = (event: {
  readonly repository: string;
  readonly digest: string;
  readonly trigger: 'push' | 'start-image-scan';
}) => ScanSeed | undefined;

/**
 * Sees every successful response before it is sent and returns what is sent instead (fault injection: a page
 * about another digest, a scan that finished again between two pages). `call` counts calls of that operation.
 */
export type ResponseHook = (response: {
  readonly operation: string;
  readonly input: Readonly<Record<string, unknown>>;
  readonly output: unknown;
  readonly call: number;
}) => unknown;

type Input = Record<string, unknown>;
type Operation = (input: Input) => unknown;

export class EcrService {
  readonly registryId: string;
  readonly region: string;
  #downloadBase = 'http://127.0.0.1';
  readonly #clock: LocalClock;
  readonly #requireBlobs: boolean;
  readonly #enhancedPageSize: number;
  readonly #restoreDelayMs: number;
  readonly #repos = new Map<string, RepositoryState>();
  #scanType: 'BASIC' | 'ENHANCED' = 'BASIC';
  #scanRules: ScanRule[] = [];
  #scanHook: ScanHook | null = null;
  #responseHook: { readonly hook: ResponseHook; readonly calls: Map<string, number> } | null = null;
  readonly #operations: Record<string, Operation>;

  constructor(options: EcrServiceOptions) {
    this.registryId = options.registryId;
    this.region = options.region;
    this.#clock = options.clock;
    this.#requireBlobs = options.requireBlobs ?? false;
    this.#enhancedPageSize = options.enhancedPageSize ?? 100;
    this.#restoreDelayMs = options.restoreDelayMs ?? 0;
    this.#operations = {
      CreateRepository: (i) => this.createRepository(i),
      DescribeRepositories: (i) => this.describeRepositories(i),
      DeleteRepository: (i) => this.deleteRepository(i),
      PutImage: (i) => this.putImage(i),
      BatchGetImage: (i) => this.batchGetImage(i),
      BatchDeleteImage: (i) => this.batchDeleteImage(i),
      DescribeImages: (i) => this.describeImages(i),
      ListImages: (i) => this.listImages(i),
      DescribeImageScanFindings: (i) => this.describeImageScanFindings(i),
      StartImageScan: (i) => this.startImageScan(i),
      GetRegistryScanningConfiguration: () => this.getRegistryScanningConfiguration(),
      PutRegistryScanningConfiguration: (i) => this.putRegistryScanningConfiguration(i),
      BatchGetRepositoryScanningConfiguration: (i) => this.batchGetRepositoryScanningConfiguration(i),
      PutImageScanningConfiguration: (i) => this.putImageScanningConfiguration(i),
      PutImageTagMutability: (i) => this.putImageTagMutability(i),
      GetLifecyclePolicy: (i) => this.getLifecyclePolicy(i),
      PutLifecyclePolicy: (i) => this.putLifecyclePolicy(i),
      DeleteLifecyclePolicy: (i) => this.deleteLifecyclePolicy(i),
      UpdateImageStorageClass: (i) => this.updateImageStorageClass(i),
      GetDownloadUrlForLayer: (i) => this.getDownloadUrlForLayer(i),
      BatchCheckLayerAvailability: (i) => this.batchCheckLayerAvailability(i),
      GetAuthorizationToken: () => this.getAuthorizationToken(),
    };
  }

  /** Operation names this server implements. */
  get operations(): readonly string[] {
    return Object.keys(this.#operations);
  }

  /** Set by the HTTP layer: base of GetDownloadUrlForLayer URLs. */
  setDownloadBase(url: string): void {
    this.#downloadBase = url;
  }

  /** Runs one operation; unknown names throw UnknownOperationException. */
  invoke(operation: string, input: unknown): unknown {
    const op = this.#operations[operation];
    if (!op)
      throw new EcrError(
        'UnknownOperationException',
        `Operation ${operation} is not supported by the local ECR`,
      );
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      throw new EcrError('SerializationException', 'Request body must be a JSON object');
    }
    const output = op(input as Input);
    if (!this.#responseHook) return output;
    const { hook, calls } = this.#responseHook;
    const call = (calls.get(operation) ?? 0) + 1;
    calls.set(operation, call);
    return hook({ operation, input: input as Input, output, call });
  }

  /** Registers a hook that may replace successful responses (see {@link ResponseHook}); null removes it. */
  onResponse(hook: ResponseHook | null): void {
    this.#responseHook = hook ? { hook, calls: new Map() } : null;
  }

  // ---------------------------------------------------------------- repositories

  createRepository(input: Input): unknown {
    const name = requiredString(input, 'repositoryName');
    this.#checkRegistryId(input);
    validateRepositoryName(name);
    if (this.#repos.has(name)) {
      throw new EcrError(
        'RepositoryAlreadyExistsException',
        `The repository with name '${name}' already exists in the registry with id '${this.registryId}'`,
      );
    }
    const mutability = (optionalString(input, 'imageTagMutability') ?? 'MUTABLE') as TagMutability;
    const exclusions = validateMutability(mutability, input.imageTagMutabilityExclusionFilters);
    const scanning = optionalObject(input, 'imageScanningConfiguration');
    const encryption = optionalObject(input, 'encryptionConfiguration');
    const encryptionType = encryption ? requiredString(encryption, 'encryptionType') : 'AES256';
    if (!['AES256', 'KMS', 'KMS_DSSE'].includes(encryptionType)) {
      throw invalidParameter(
        'encryptionConfiguration.encryptionType',
        'must be one of AES256, KMS, KMS_DSSE',
      );
    }
    const repo = this.#newRepository(name, {
      mutability,
      exclusions,
      scanOnPush: scanning?.scanOnPush === true,
      createdAt: this.#clock.now(),
      encryption: {
        encryptionType,
        ...(typeof encryption?.kmsKey === 'string' ? { kmsKey: encryption.kmsKey } : {}),
      },
    });
    return { repository: this.#repositoryJson(repo) };
  }

  describeRepositories(input: Input): unknown {
    this.#checkRegistryId(input);
    const names = optionalStringArray(input, 'repositoryNames', 1, 100);
    if (names) {
      if (input.nextToken !== undefined || input.maxResults !== undefined) {
        throw invalidParameter('maxResults', 'cannot be used together with repositoryNames');
      }
      return { repositories: names.map((n) => this.#repositoryJson(this.#repo(n))) };
    }
    const all = [...this.#repos.values()].sort((a, b) => a.name.localeCompare(b.name));
    const page = paginate(all, input, 'repositories', 100);
    return { repositories: page.items.map((r) => this.#repositoryJson(r)), nextToken: page.nextToken };
  }

  deleteRepository(input: Input): unknown {
    const repo = this.#repoFrom(input);
    if (repo.images.size > 0 && input.force !== true) {
      throw new EcrError(
        'RepositoryNotEmptyException',
        `The repository with name '${repo.name}' in registry with id '${this.registryId}' cannot be deleted because it still contains images`,
      );
    }
    this.#repos.delete(repo.name);
    return { repository: this.#repositoryJson(repo) };
  }

  putImageScanningConfiguration(input: Input): unknown {
    const repo = this.#repoFrom(input);
    const config = requiredObject(input, 'imageScanningConfiguration');
    repo.scanOnPush = config.scanOnPush === true;
    return {
      registryId: this.registryId,
      repositoryName: repo.name,
      imageScanningConfiguration: { scanOnPush: repo.scanOnPush },
    };
  }

  putImageTagMutability(input: Input): unknown {
    const repo = this.#repoFrom(input);
    const mutability = requiredString(input, 'imageTagMutability') as TagMutability;
    repo.exclusions = validateMutability(mutability, input.imageTagMutabilityExclusionFilters);
    repo.mutability = mutability;
    return {
      registryId: this.registryId,
      repositoryName: repo.name,
      imageTagMutability: repo.mutability,
      ...(repo.exclusions.length > 0 ? { imageTagMutabilityExclusionFilters: repo.exclusions } : {}),
    };
  }

  // ---------------------------------------------------------------- images

  putImage(input: Input): unknown {
    const repo = this.#repoFrom(input);
    const manifest = requiredString(input, 'imageManifest');
    if (manifest.length > MAX_MANIFEST_CHARS) {
      throw invalidParameter('imageManifest', `must have length less than or equal to ${MAX_MANIFEST_CHARS}`);
    }
    const mediaType = optionalString(input, 'imageManifestMediaType');
    const tag = optionalString(input, 'imageTag');
    const expected = optionalString(input, 'imageDigest');
    const image = this.#put(repo, manifest, mediaType, tag, expected, 'api');
    return {
      image: {
        registryId: this.registryId,
        repositoryName: repo.name,
        imageId: { imageDigest: image.digest, ...(tag !== undefined ? { imageTag: tag } : {}) },
        imageManifest: image.manifest,
        imageManifestMediaType: image.parsed.mediaType,
      },
    };
  }

  batchGetImage(input: Input): unknown {
    const repo = this.#repoFrom(input);
    const ids = imageIdList(input, true);
    const accepted = optionalStringArray(input, 'acceptedMediaTypes', 1, 100) ?? DEFAULT_ACCEPTED_MEDIA_TYPES;
    const images: unknown[] = [];
    const failures: unknown[] = [];
    for (const id of ids) {
      const found = this.#lookup(repo, id);
      if ('failureCode' in found) {
        failures.push(found);
        continue;
      }
      const image = found.image;
      if (image.status !== 'ACTIVE') {
        // Archived images cannot be pulled (ECR User Guide, "Archiving an image": pulls fail with 404).
        failures.push({
          imageId: id,
          failureCode: 'ImageInaccessible',
          failureReason: `The image is ${image.status.toLowerCase()}`,
        });
        continue;
      }
      if (!accepted.includes(image.parsed.mediaType)) {
        failures.push({
          imageId: id,
          failureCode: 'ImageNotFound',
          failureReason: `Requested image not found: its manifest media type ${image.parsed.mediaType} is not in acceptedMediaTypes`,
        });
        continue;
      }
      image.lastRecordedPullTime = this.#clock.now();
      images.push({
        registryId: this.registryId,
        repositoryName: repo.name,
        imageId: {
          imageDigest: image.digest,
          ...(id.imageTag !== undefined ? { imageTag: id.imageTag } : {}),
        },
        imageManifest: image.manifest,
        imageManifestMediaType: image.parsed.mediaType,
      });
    }
    return { images, failures };
  }

  batchDeleteImage(input: Input): unknown {
    const repo = this.#repoFrom(input);
    const ids = imageIdList(input, true);
    const deleted: unknown[] = [];
    const failures: unknown[] = [];
    for (const id of ids) {
      const found = this.#lookup(repo, id);
      if ('failureCode' in found) {
        failures.push(found);
        continue;
      }
      const image = found.image;
      if (id.imageTag !== undefined) {
        // By tag: only that tag goes; the image goes with its last tag unless an index still needs it.
        image.tags = image.tags.filter((t) => t !== id.imageTag);
        repo.tags.delete(id.imageTag);
        if (image.tags.length === 0 && this.#referencingIndexes(repo, image.digest).length === 0) {
          repo.images.delete(image.digest);
        }
        deleted.push({ imageDigest: image.digest, imageTag: id.imageTag });
        continue;
      }
      const parents = this.#referencingIndexes(repo, image.digest);
      if (parents.length > 0) {
        failures.push({
          imageId: id,
          failureCode: 'ImageReferencedByManifestList',
          failureReason: `Requested image is referenced by manifest list: [${parents.join(', ')}]`,
        });
        continue;
      }
      for (const t of image.tags) repo.tags.delete(t);
      repo.images.delete(image.digest);
      if (image.tags.length === 0) deleted.push({ imageDigest: image.digest });
      for (const t of image.tags) deleted.push({ imageDigest: image.digest, imageTag: t });
    }
    return { imageIds: deleted, failures };
  }

  describeImages(input: Input): unknown {
    const repo = this.#repoFrom(input);
    const ids = imageIdList(input, false);
    const filter = optionalObject(input, 'filter');
    if (ids) {
      if (input.nextToken !== undefined || input.maxResults !== undefined) {
        throw invalidParameter('maxResults', 'cannot be used together with imageIds');
      }
      const seen = new Set<string>();
      const details: unknown[] = [];
      for (const id of ids) {
        const found = this.#lookup(repo, id);
        if ('failureCode' in found) {
          throw new EcrError(
            'ImageNotFoundException',
            `The image with imageId {imageDigest:'${id.imageDigest ?? 'null'}', imageTag:'${id.imageTag ?? 'null'}'} does not exist within the repository with name '${repo.name}' in the registry with id '${this.registryId}'`,
          );
        }
        if (seen.has(found.image.digest)) continue;
        seen.add(found.image.digest);
        details.push(this.#imageDetail(repo, found.image));
      }
      return { imageDetails: details };
    }
    const images = this.#filtered(repo, filter);
    const page = paginate(images, input, `images:${repo.name}`, 100);
    return { imageDetails: page.items.map((i) => this.#imageDetail(repo, i)), nextToken: page.nextToken };
  }

  listImages(input: Input): unknown {
    const repo = this.#repoFrom(input);
    const filter = optionalObject(input, 'filter');
    const entries: { imageDigest: string; imageTag?: string }[] = [];
    for (const image of this.#filtered(repo, filter)) {
      if (image.tags.length === 0) entries.push({ imageDigest: image.digest });
      for (const t of image.tags) entries.push({ imageDigest: image.digest, imageTag: t });
    }
    const page = paginate(entries, input, `list:${repo.name}`, 100);
    return { imageIds: page.items, nextToken: page.nextToken };
  }

  updateImageStorageClass(input: Input): unknown {
    const repo = this.#repoFrom(input);
    const id = imageIdentifier(requiredObject(input, 'imageId'), 'imageId');
    const target = requiredString(input, 'targetStorageClass');
    if (target !== 'ARCHIVE' && target !== 'STANDARD') {
      throw invalidParameter('targetStorageClass', 'must be one of STANDARD, ARCHIVE');
    }
    const image = this.#imageOrThrow(repo, id);
    this.#settle(image);
    if (target === 'ARCHIVE') {
      if (image.status === 'ACTIVATING') {
        throw new EcrError(
          'ImageStorageClassUpdateNotSupportedException',
          'The image is being restored and cannot be archived now',
        );
      }
      if (image.status === 'ACTIVE') {
        image.status = 'ARCHIVED';
        image.lastArchivedAt = this.#clock.now();
      }
    } else if (image.status === 'ARCHIVED') {
      image.status = 'ACTIVATING';
      image.activatesAt = this.#clock.now().getTime() + this.#restoreDelayMs;
    }
    const response = {
      registryId: this.registryId,
      repositoryName: repo.name,
      imageId: { imageDigest: image.digest, ...(id.imageTag !== undefined ? { imageTag: id.imageTag } : {}) },
      imageStatus: image.status,
    };
    if (this.#restoreDelayMs === 0) this.#settle(image);
    return response;
  }

  getDownloadUrlForLayer(input: Input): unknown {
    const repo = this.#repoFrom(input);
    const digest = requiredString(input, 'layerDigest');
    if (!DIGEST_PATTERN.test(digest)) throw invalidParameter('layerDigest', 'must be a sha256 digest');
    if (!repo.blobs.has(digest)) {
      throw new EcrError(
        'LayersNotFoundException',
        `The layer with digest '${digest}' could not be found in the repository '${repo.name}'`,
      );
    }
    if (repo.blobs.get(digest) === null) {
      throw new EcrError(
        'LayerInaccessibleException',
        `The layer with digest '${digest}' has no stored content in this local registry`,
      );
    }
    return { downloadUrl: this.blobUrl(repo.name, digest), layerDigest: digest };
  }

  batchCheckLayerAvailability(input: Input): unknown {
    const repo = this.#repoFrom(input);
    const digests = optionalStringArray(input, 'layerDigests', 1, 100);
    if (!digests) throw invalidParameter('layerDigests', 'is required');
    const layers: unknown[] = [];
    const failures: unknown[] = [];
    for (const d of digests) {
      if (!DIGEST_PATTERN.test(d))
        failures.push({
          layerDigest: d,
          failureCode: 'InvalidLayerDigest',
          failureReason: 'Invalid layer digest',
        });
      else if (!repo.blobs.has(d))
        failures.push({
          layerDigest: d,
          failureCode: 'MissingLayerDigest',
          failureReason: 'Layer not found',
        });
      else
        layers.push({
          layerDigest: d,
          layerAvailability: 'AVAILABLE',
          layerSize: repo.blobs.get(d)?.length ?? 0,
        });
    }
    return { layers, failures };
  }

  getAuthorizationToken(): unknown {
    return {
      authorizationData: [
        {
          authorizationToken: Buffer.from('AWS:local-registry-password').toString('base64'),
          expiresAt: new Date(this.#clock.now().getTime() + 12 * 60 * 60 * 1000),
          proxyEndpoint: `https://${this.registryId}.dkr.ecr.${this.region}.amazonaws.com`,
        },
      ],
    };
  }

  /** URL served by the HTTP layer for a stored blob. */
  blobUrl(repository: string, digest: string): string {
    return `${this.#downloadBase}/blobs/${encodeURIComponent(repository)}/${digest}`;
  }

  /** Blob bytes for the download route, or null. */
  blob(repository: string, digest: string): Buffer | null {
    return this.#repos.get(repository)?.blobs.get(digest) ?? null;
  }

  // ---------------------------------------------------------------- scanning

  startImageScan(input: Input): unknown {
    const repo = this.#repoFrom(input);
    const id = imageIdentifier(requiredObject(input, 'imageId'), 'imageId');
    const image = this.#imageOrThrow(repo, id);
    this.#settle(image);
    if (image.status !== 'ACTIVE') {
      throw new EcrError('ImageArchivedException', 'The specified image is archived and cannot be scanned.');
    }
    if (!this.#scannable(image)) {
      throw new EcrError(
        'UnsupportedImageTypeException',
        `The image of type ${image.parsed.mediaType} cannot be scanned.`,
      );
    }
    const now = this.#clock.now();
    if (image.lastScanStartedAt && now.getTime() - image.lastScanStartedAt.getTime() < DAY_MS) {
      // One basic scan per image per 24 hours, the scan on push included (ECR service quotas).
      throw new EcrError(
        'LimitExceededException',
        'The scan quota per image has been exceeded. Wait and try again.',
      );
    }
    this.#beginScan(repo, image, 'start-image-scan');
    return {
      registryId: this.registryId,
      repositoryName: repo.name,
      imageId: { imageDigest: image.digest, ...(id.imageTag !== undefined ? { imageTag: id.imageTag } : {}) },
      imageScanStatus: {
        status: image.scan?.status ?? 'IN_PROGRESS',
        ...(image.scan?.description ? { description: image.scan.description } : {}),
      },
    };
  }

  describeImageScanFindings(input: Input): unknown {
    const repo = this.#repoFrom(input);
    const id = imageIdentifier(requiredObject(input, 'imageId'), 'imageId');
    const image = this.#imageOrThrow(repo, id);
    this.#settle(image);
    const maxResults = optionalInt(input, 'maxResults', 1, 1000);
    const scan = image.scan;
    if (!scan) {
      throw new EcrError(
        'ScanNotFoundException',
        `Image scan does not exist for the image with '{imageDigest:'${image.digest}', imageTag:'${id.imageTag ?? 'null'}'}' in the repository with name '${repo.name}' in the registry with id '${this.registryId}'`,
      );
    }
    const base = {
      registryId: this.registryId,
      repositoryName: repo.name,
      imageId: { imageDigest: image.digest, ...(id.imageTag !== undefined ? { imageTag: id.imageTag } : {}) },
    };
    if (image.status !== 'ACTIVE') {
      return {
        ...base,
        imageScanStatus: { status: 'IMAGE_ARCHIVED', description: 'The image is archived.' },
      };
    }
    const status = {
      status: scan.status,
      ...(scan.description !== null ? { description: scan.description } : {}),
    };
    const hasResult =
      scan.findings !== undefined || scan.enhancedFindings !== undefined || scan.severityCounts !== null;
    if (!hasResult) {
      if (input.nextToken !== undefined) throw invalidToken();
      return { ...base, imageScanStatus: status };
    }
    const findingsPage = (list: unknown[], kind: string, size: number) =>
      paginate(
        list,
        { nextToken: input.nextToken, maxResults: size },
        `${kind}:${repo.name}@${image.digest}`,
        size,
      );
    const result: Record<string, unknown> = {
      ...(scan.completedAt ? { imageScanCompletedAt: scan.completedAt } : {}),
      ...(scan.vulnerabilitySourceUpdatedAt
        ? { vulnerabilitySourceUpdatedAt: scan.vulnerabilitySourceUpdatedAt }
        : {}),
      ...(scan.severityCounts !== null ? { findingSeverityCounts: scan.severityCounts } : {}),
    };
    let nextToken: string | undefined;
    if (scan.enhancedFindings !== undefined) {
      // Enhanced results come 100 per page whatever maxResults says (ECR API reference).
      const page = findingsPage(scan.enhancedFindings, 'enhanced', this.#enhancedPageSize);
      result.enhancedFindings = page.items;
      nextToken = page.nextToken;
    } else {
      const page = findingsPage(scan.findings ?? [], 'basic', maxResults ?? 100);
      result.findings = page.items;
      nextToken = page.nextToken;
    }
    return { ...base, imageScanStatus: status, imageScanFindings: result, nextToken };
  }

  getRegistryScanningConfiguration(): unknown {
    return {
      registryId: this.registryId,
      scanningConfiguration: { scanType: this.#scanType, rules: this.#scanRules },
    };
  }

  putRegistryScanningConfiguration(input: Input): unknown {
    const scanType = optionalString(input, 'scanType') ?? this.#scanType;
    if (scanType !== 'BASIC' && scanType !== 'ENHANCED')
      throw invalidParameter('scanType', 'must be one of BASIC, ENHANCED');
    const rawRules = input.rules ?? [];
    if (!Array.isArray(rawRules) || rawRules.length > 2)
      throw invalidParameter('rules', 'must be a list of at most 2 rules');
    const rules: ScanRule[] = rawRules.map((r, i) => {
      if (typeof r !== 'object' || r === null) throw invalidParameter(`rules[${i}]`, 'must be an object');
      const rule = r as Input;
      const scanFrequency = requiredString(rule, 'scanFrequency');
      if (!['SCAN_ON_PUSH', 'CONTINUOUS_SCAN', 'MANUAL'].includes(scanFrequency)) {
        throw invalidParameter(
          `rules[${i}].scanFrequency`,
          'must be one of SCAN_ON_PUSH, CONTINUOUS_SCAN, MANUAL',
        );
      }
      if (scanType === 'BASIC' && scanFrequency === 'CONTINUOUS_SCAN') {
        throw new EcrError(
          'ValidationException',
          'CONTINUOUS_SCAN is only supported with the ENHANCED scan type',
        );
      }
      const filters = rule.repositoryFilters;
      if (!Array.isArray(filters) || filters.length < 1 || filters.length > 100) {
        throw invalidParameter(`rules[${i}].repositoryFilters`, 'must have 1 to 100 filters');
      }
      const repositoryFilters = filters.map((f, j) => {
        const filter = requiredString(f as Input, 'filter');
        if (!REGISTRY_FILTER.test(filter) || filter.length > 255)
          throw invalidParameter(`rules[${i}].repositoryFilters[${j}].filter`, 'is not a valid filter');
        return { filter, filterType: 'WILDCARD' as const };
      });
      return { scanFrequency: scanFrequency as ScanRule['scanFrequency'], repositoryFilters };
    });
    this.#scanType = scanType;
    this.#scanRules = rules;
    return { registryScanningConfiguration: { scanType, rules } };
  }

  batchGetRepositoryScanningConfiguration(input: Input): unknown {
    const names = optionalStringArray(input, 'repositoryNames', 1, 25);
    if (!names) throw invalidParameter('repositoryNames', 'is required');
    const scanningConfigurations: unknown[] = [];
    const failures: unknown[] = [];
    for (const name of names) {
      const repo = this.#repos.get(name);
      if (!repo) {
        failures.push({
          repositoryName: name,
          failureCode: 'REPOSITORY_NOT_FOUND',
          failureReason: 'REPOSITORY_NOT_FOUND',
        });
        continue;
      }
      const rule = this.#ruleFor(repo.name);
      scanningConfigurations.push({
        repositoryArn: repo.arn,
        repositoryName: repo.name,
        scanOnPush: rule ? rule.scanFrequency === 'SCAN_ON_PUSH' : repo.scanOnPush,
        scanFrequency: rule ? rule.scanFrequency : repo.scanOnPush ? 'SCAN_ON_PUSH' : 'MANUAL',
        appliedScanFilters: rule ? rule.repositoryFilters : [],
      });
    }
    return { scanningConfigurations, failures };
  }

  // ---------------------------------------------------------------- lifecycle

  getLifecyclePolicy(input: Input): unknown {
    const repo = this.#repoFrom(input);
    if (repo.lifecyclePolicy === null) throw this.#noLifecyclePolicy(repo);
    return {
      registryId: this.registryId,
      repositoryName: repo.name,
      lifecyclePolicyText: repo.lifecyclePolicy,
      lastEvaluatedAt: this.#clock.now(),
    };
  }

  putLifecyclePolicy(input: Input): unknown {
    const repo = this.#repoFrom(input);
    const text = requiredString(input, 'lifecyclePolicyText');
    validateLifecyclePolicy(text);
    repo.lifecyclePolicy = text;
    return { registryId: this.registryId, repositoryName: repo.name, lifecyclePolicyText: text };
  }

  deleteLifecyclePolicy(input: Input): unknown {
    const repo = this.#repoFrom(input);
    if (repo.lifecyclePolicy === null) throw this.#noLifecyclePolicy(repo);
    const text = repo.lifecyclePolicy;
    repo.lifecyclePolicy = null;
    return {
      registryId: this.registryId,
      repositoryName: repo.name,
      lifecyclePolicyText: text,
      lastEvaluatedAt: this.#clock.now(),
    };
  }

  // ---------------------------------------------------------------- seed and inspect (tests only)

  /** Creates a repository directly (no HTTP, no counts). */
  seedRepository(name: string, seed: RepositorySeed = {}): { name: string; arn: string; uri: string } {
    validateRepositoryName(name);
    if (this.#repos.has(name)) throw new Error(`seedRepository: repository ${name} already exists`);
    const mutability = seed.tagMutability ?? 'MUTABLE';
    const exclusions = validateMutability(
      mutability,
      seed.exclusions?.map((filter) => ({ filterType: 'WILDCARD', filter })),
    );
    const repo = this.#newRepository(name, {
      mutability,
      exclusions,
      scanOnPush: seed.scanOnPush ?? false,
      createdAt: seed.createdAt !== undefined ? toDate(seed.createdAt, 'createdAt') : this.#clock.now(),
      encryption: { encryptionType: 'AES256' },
    });
    return { name: repo.name, arn: repo.arn, uri: repo.uri };
  }

  /**
   * Pushes an image as `docker push` would (same checks as PutImage, tags applied in order), storing
   * the config blob when given. Returns the digest. Re-pushing the same manifest and tags is a no-op.
   */
  seedImage(
    repository: string,
    seed: ImageSeed,
  ): { digest: string; mediaType: string; configDigest: string | null } {
    const repo = this.#repoOrError(repository);
    const parsed = parseManifest(seed.manifest, seed.mediaType);
    if (seed.config !== undefined) {
      const bytes = blobBytes(seed.config);
      const configDigest = digestOf(bytes);
      if (parsed.config?.digest !== configDigest) {
        throw new Error(
          `seedImage(${repository}): config blob hashes to ${configDigest} but the manifest's config is ${parsed.config?.digest ?? 'absent'}`,
        );
      }
      repo.blobs.set(configDigest, bytes);
    }
    if (this.#requireBlobs)
      for (const l of parsed.layers) if (!repo.blobs.has(l.digest)) repo.blobs.set(l.digest, null);
    const tags = seed.tags ?? [];
    const pushes: (string | undefined)[] = tags.length > 0 ? [...tags] : [undefined];
    let image: ImageState | undefined;
    for (const tag of pushes) {
      try {
        image = this.#put(repo, seed.manifest, seed.mediaType, tag, undefined, 'seed');
      } catch (error) {
        if (error instanceof EcrError && error.code === 'ImageAlreadyExistsException') {
          image = repo.images.get(parsed.digest);
          continue;
        }
        throw error;
      }
    }
    if (!image) throw new Error(`seedImage(${repository}): nothing pushed`);
    if (seed.pushedAt !== undefined) image.pushedAt = toDate(seed.pushedAt, 'pushedAt');
    if (seed.imageSizeInBytes !== undefined) image.sizeBytes = seed.imageSizeInBytes;
    if (seed.scan) this.seedScan(repository, image.digest, seed.scan);
    return {
      digest: image.digest,
      mediaType: image.parsed.mediaType,
      configDigest: parsed.config?.digest ?? null,
    };
  }

  /** Stores a blob (bytes, or an object serialised with JSON.stringify) and returns its digest. */
  seedBlob(repository: string, content: unknown): string {
    const repo = this.#repoOrError(repository);
    const bytes = blobBytes(content);
    const digest = digestOf(bytes);
    repo.blobs.set(digest, bytes);
    return digest;
  }

  /** Sets (replaces) the scan state and findings of an image. */
  seedScan(repository: string, digestOrTag: string, seed: ScanSeed): void {
    const repo = this.#repoOrError(repository);
    const image = this.#imageForSeed(repo, digestOrTag);
    image.scan = scanState(seed, this.#clock.now());
  }

  /** Scan COMPLETE with `findings: []` and no severity counts: what ECR shows right after an enhanced scan on push. */
  seedScanCompleteWithoutFindingsYet(repository: string, digestOrTag: string): void {
    this.seedScan(repository, digestOrTag, { status: 'COMPLETE', findings: [], severityCounts: null });
  }

  /** Removes the scan of an image (DescribeImageScanFindings → ScanNotFoundException), and its 24 h mark. */
  clearScan(repository: string, digestOrTag: string): void {
    const image = this.#imageForSeed(this.#repoOrError(repository), digestOrTag);
    image.scan = null;
    image.lastScanStartedAt = null;
  }

  /** Registers a hook called whenever a scan starts (scan on push, StartImageScan). */
  onScan(hook: ScanHook | null): void {
    this.#scanHook = hook;
  }

  setRegistryScanning(scanType: 'BASIC' | 'ENHANCED', rules: readonly ScanRule[] = []): void {
    this.putRegistryScanningConfiguration({ scanType, rules: rules.map((r) => ({ ...r })) });
  }

  /** The image as stored (by digest or tag), or null. */
  image(repository: string, digestOrTag: string): ImageView | null {
    const repo = this.#repos.get(repository);
    if (!repo) return null;
    const digest = digestOrTag.startsWith('sha256:') ? digestOrTag : repo.tags.get(digestOrTag);
    const image = digest ? repo.images.get(digest) : undefined;
    if (!image) return null;
    this.#settle(image);
    return viewOf(image);
  }

  /** Every image of a repository, in push order (all storage classes). */
  images(repository: string): ImageView[] {
    const repo = this.#repoOrError(repository);
    return [...repo.images.values()].map((i) => {
      this.#settle(i);
      return viewOf(i);
    });
  }

  /** Tags of a digest (sorted), or null when the image does not exist. */
  tagsOf(repository: string, digest: string): string[] | null {
    const image = this.#repos.get(repository)?.images.get(digest);
    return image ? [...image.tags].sort() : null;
  }

  /** Tag → digest map of a repository. */
  tagMap(repository: string): Record<string, string> {
    return Object.fromEntries([...this.#repoOrError(repository).tags].sort(([a], [b]) => a.localeCompare(b)));
  }

  repository(name: string): {
    name: string;
    arn: string;
    tagMutability: string;
    exclusions: string[];
    scanOnPush: boolean;
    lifecyclePolicy: string | null;
  } | null {
    const r = this.#repos.get(name);
    if (!r) return null;
    return {
      name: r.name,
      arn: r.arn,
      tagMutability: r.mutability,
      exclusions: r.exclusions.map((e) => e.filter),
      scanOnPush: r.scanOnPush,
      lifecyclePolicy: r.lifecyclePolicy,
    };
  }

  repositoryNames(): string[] {
    return [...this.#repos.keys()].sort();
  }

  // ---------------------------------------------------------------- internals

  #put(
    repo: RepositoryState,
    manifest: string,
    mediaType: string | undefined,
    tag: string | undefined,
    expectedDigest: string | undefined,
    source: 'api' | 'seed',
  ): ImageState {
    if (tag !== undefined) validateTag(tag);
    if (expectedDigest !== undefined && !DIGEST_PATTERN.test(expectedDigest)) {
      throw invalidParameter('imageDigest', 'must be a sha256 digest');
    }
    const parsed = parseManifest(manifest, mediaType);
    if (expectedDigest !== undefined && expectedDigest !== parsed.digest) {
      throw new EcrError(
        'ImageDigestDoesNotMatchException',
        `Provided digest ${expectedDigest} does not match the calculated digest ${parsed.digest} of the manifest`,
      );
    }
    const existing = repo.images.get(parsed.digest);
    if (existing && (tag === undefined || existing.tags.includes(tag))) {
      if (existing.status !== 'ACTIVE') {
        // Re-pushing an archived image restores it (ECR User Guide, "Archiving an image").
        existing.status = 'ACTIVE';
        existing.activatesAt = null;
        existing.lastActivatedAt = this.#clock.now();
        return existing;
      }
      throw new EcrError(
        'ImageAlreadyExistsException',
        `Image with digest '${parsed.digest}'${tag !== undefined ? ` and tag '${tag}'` : ''} already exists in the repository with name '${repo.name}' in registry with id '${this.registryId}'`,
      );
    }
    if (tag !== undefined) {
      const current = repo.tags.get(tag);
      if (current !== undefined && current !== parsed.digest && this.#tagImmutable(repo, tag)) {
        throw new EcrError(
          'ImageTagAlreadyExistsException',
          `The image tag '${tag}' already exists in the '${repo.name}' repository and cannot be overwritten because the tag is immutable.`,
        );
      }
    }
    if (!existing) {
      if (parsed.kind === 'index') {
        const missing = parsed.children.filter((c) => !repo.images.has(c.digest)).map((c) => c.digest);
        if (missing.length > 0) {
          throw new EcrError(
            'ReferencedImagesNotFoundException',
            `The manifest list is referencing images that do not exist: [${missing.join(', ')}]`,
          );
        }
      }
      if (this.#requireBlobs && source === 'api' && parsed.kind !== 'index') {
        const blobs = [...(parsed.config ? [parsed.config] : []), ...parsed.layers];
        const missing = blobs.filter((b) => !repo.blobs.has(b.digest)).map((b) => b.digest);
        if (missing.length > 0) {
          throw new EcrError(
            'LayersNotFoundException',
            `Layers [${missing.join(', ')}] could not be found in the repository '${repo.name}'`,
          );
        }
      }
    }
    if (tag !== undefined) {
      const previous = repo.tags.get(tag);
      if (previous !== undefined && previous !== parsed.digest) {
        // A mutable tag moves: the old image keeps its other tags, or stays untagged.
        const old = repo.images.get(previous);
        if (old) old.tags = old.tags.filter((t) => t !== tag);
      }
    }
    let image = existing;
    if (!image) {
      image = {
        digest: parsed.digest,
        manifest,
        parsed,
        tags: [],
        pushedAt: this.#clock.now(),
        sizeBytes: this.#sizeOf(repo, parsed),
        status: 'ACTIVE',
        activatesAt: null,
        lastArchivedAt: null,
        lastActivatedAt: null,
        lastRecordedPullTime: null,
        lastScanStartedAt: null,
        scan: null,
      };
      repo.images.set(image.digest, image);
      if (this.#scanOnPushApplies(repo) && this.#scannable(image)) this.#beginScan(repo, image, 'push');
    } else if (image.status !== 'ACTIVE') {
      image.status = 'ACTIVE';
      image.activatesAt = null;
      image.lastActivatedAt = this.#clock.now();
    }
    if (tag !== undefined) {
      image.tags.push(tag);
      repo.tags.set(tag, image.digest);
    }
    return image;
  }

  #beginScan(repo: RepositoryState, image: ImageState, trigger: 'push' | 'start-image-scan'): void {
    const now = this.#clock.now();
    image.lastScanStartedAt = now;
    image.scan = scanState({ status: 'IN_PROGRESS' }, now);
    const result = this.#scanHook?.({ repository: repo.name, digest: image.digest, trigger });
    if (result) image.scan = scanState(result, now);
  }

  #scannable(image: ImageState): boolean {
    if (image.parsed.kind !== 'image' || image.parsed.artifactType !== null) return false;
    const configType = image.parsed.config?.mediaType;
    return (
      configType === null ||
      configType === undefined ||
      // Early Docker Hub schema 2 manifests label the config application/octet-stream.
      configType === 'application/octet-stream' ||
      configType === 'application/vnd.docker.container.image.v1+json' ||
      configType === 'application/vnd.oci.image.config.v1+json'
    );
  }

  #ruleFor(repository: string): ScanRule | undefined {
    // The registry rule that applies: CONTINUOUS_SCAN wins over SCAN_ON_PUSH (ECR User Guide).
    const matching = this.#scanRules.filter((r) =>
      r.repositoryFilters.some((f) => wildcardToRegExp(f.filter).test(repository)),
    );
    return matching.find((r) => r.scanFrequency === 'CONTINUOUS_SCAN') ?? matching[0];
  }

  #scanOnPushApplies(repo: RepositoryState): boolean {
    if (this.#scanRules.length === 0) return this.#scanType === 'BASIC' && repo.scanOnPush;
    const rule = this.#ruleFor(repo.name);
    return rule !== undefined && rule.scanFrequency !== 'MANUAL';
  }

  #tagImmutable(repo: RepositoryState, tag: string): boolean {
    const excluded = repo.exclusions.some((e) => wildcardToRegExp(e.filter).test(tag));
    switch (repo.mutability) {
      case 'MUTABLE':
        return false;
      case 'IMMUTABLE':
        return true;
      case 'IMMUTABLE_WITH_EXCLUSION':
        return !excluded;
      case 'MUTABLE_WITH_EXCLUSION':
        return excluded;
    }
  }

  #sizeOf(repo: RepositoryState, parsed: ParsedManifest): number {
    if (parsed.kind === 'index') {
      // "the max size of all manifests in the list" (ECR API model, ImageDetail.imageSizeInBytes).
      return Math.max(0, ...parsed.children.map((c) => repo.images.get(c.digest)?.sizeBytes ?? 0));
    }
    return (parsed.config?.size ?? 0) + parsed.layers.reduce((sum, l) => sum + l.size, 0);
  }

  #referencingIndexes(repo: RepositoryState, digest: string): string[] {
    const out: string[] = [];
    for (const image of repo.images.values()) {
      if (image.parsed.children.some((c) => c.digest === digest)) out.push(image.digest);
    }
    return out;
  }

  #filtered(repo: RepositoryState, filter: Input | undefined): ImageState[] {
    const tagStatus = filter ? (optionalString(filter, 'tagStatus') ?? 'ANY') : 'ANY';
    const imageStatus = filter ? (optionalString(filter, 'imageStatus') ?? 'ACTIVE') : 'ACTIVE';
    if (!['TAGGED', 'UNTAGGED', 'ANY'].includes(tagStatus))
      throw invalidParameter('filter.tagStatus', 'must be one of TAGGED, UNTAGGED, ANY');
    if (!['ACTIVE', 'ARCHIVED', 'ACTIVATING', 'ANY'].includes(imageStatus)) {
      throw invalidParameter('filter.imageStatus', 'must be one of ACTIVE, ARCHIVED, ACTIVATING, ANY');
    }
    const out: ImageState[] = [];
    for (const image of repo.images.values()) {
      this.#settle(image);
      if (tagStatus === 'TAGGED' && image.tags.length === 0) continue;
      if (tagStatus === 'UNTAGGED' && image.tags.length > 0) continue;
      if (imageStatus !== 'ANY' && image.status !== imageStatus) continue;
      out.push(image);
    }
    return out;
  }

  #imageDetail(repo: RepositoryState, image: ImageState): unknown {
    const scan = image.scan;
    const detail: Record<string, unknown> = {
      registryId: this.registryId,
      repositoryName: repo.name,
      imageDigest: image.digest,
      ...(image.tags.length > 0 ? { imageTags: [...image.tags] } : {}),
      imageSizeInBytes: image.sizeBytes,
      imagePushedAt: image.pushedAt,
      imageManifestMediaType: image.parsed.mediaType,
      ...(image.parsed.config?.mediaType
        ? { artifactMediaType: image.parsed.artifactType ?? image.parsed.config.mediaType }
        : {}),
      ...(image.lastRecordedPullTime ? { lastRecordedPullTime: image.lastRecordedPullTime } : {}),
      ...(image.parsed.subjectDigest ? { subjectManifestDigest: image.parsed.subjectDigest } : {}),
      imageStatus: image.status,
      ...(image.lastArchivedAt ? { lastArchivedAt: image.lastArchivedAt } : {}),
      ...(image.lastActivatedAt ? { lastActivatedAt: image.lastActivatedAt } : {}),
    };
    if (scan && this.#scanType === 'BASIC') {
      detail.imageScanStatus = {
        status: scan.status,
        ...(scan.description !== null ? { description: scan.description } : {}),
      };
      if (scan.severityCounts !== null || scan.completedAt) {
        detail.imageScanFindingsSummary = {
          ...(scan.completedAt ? { imageScanCompletedAt: scan.completedAt } : {}),
          ...(scan.vulnerabilitySourceUpdatedAt
            ? { vulnerabilitySourceUpdatedAt: scan.vulnerabilitySourceUpdatedAt }
            : {}),
          findingSeverityCounts: scan.severityCounts ?? {},
        };
      }
    }
    return detail;
  }

  #settle(image: ImageState): void {
    if (
      image.status === 'ACTIVATING' &&
      image.activatesAt !== null &&
      this.#clock.now().getTime() >= image.activatesAt
    ) {
      image.status = 'ACTIVE';
      image.activatesAt = null;
      image.lastActivatedAt = this.#clock.now();
    }
  }

  #lookup(
    repo: RepositoryState,
    id: ImageId,
  ): { image: ImageState } | { imageId: ImageId; failureCode: string; failureReason: string } {
    if (id.imageDigest === undefined && id.imageTag === undefined) {
      return {
        imageId: id,
        failureCode: 'MissingDigestAndTag',
        failureReason: 'Invalid request, both digest and tag are missing',
      };
    }
    if (id.imageDigest !== undefined && !DIGEST_PATTERN.test(id.imageDigest)) {
      return { imageId: id, failureCode: 'InvalidImageDigest', failureReason: 'Invalid image digest' };
    }
    if (id.imageTag !== undefined && (id.imageTag.length < 1 || id.imageTag.length > 300)) {
      return { imageId: id, failureCode: 'InvalidImageTag', failureReason: 'Invalid image tag' };
    }
    if (id.imageTag !== undefined) {
      const digest = repo.tags.get(id.imageTag);
      if (digest === undefined)
        return { imageId: id, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' };
      if (id.imageDigest !== undefined && id.imageDigest !== digest) {
        return {
          imageId: id,
          failureCode: 'ImageTagDoesNotMatchDigest',
          failureReason: 'Invalid request, image tag does not match digest',
        };
      }
      const image = repo.images.get(digest);
      if (!image)
        return { imageId: id, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' };
      this.#settle(image);
      return { image };
    }
    const image = repo.images.get(id.imageDigest as string);
    if (!image)
      return { imageId: id, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' };
    this.#settle(image);
    return { image };
  }

  #imageOrThrow(repo: RepositoryState, id: ImageId): ImageState {
    const found = this.#lookup(repo, id);
    if ('failureCode' in found) {
      if (found.failureCode === 'ImageNotFound' || found.failureCode === 'ImageTagDoesNotMatchDigest') {
        throw new EcrError(
          'ImageNotFoundException',
          `The image with imageId {imageDigest:'${id.imageDigest ?? 'null'}', imageTag:'${id.imageTag ?? 'null'}'} does not exist within the repository with name '${repo.name}' in the registry with id '${this.registryId}'`,
        );
      }
      throw invalidParameter('imageId', found.failureReason);
    }
    return found.image;
  }

  #imageForSeed(repo: RepositoryState, digestOrTag: string): ImageState {
    const digest = digestOrTag.startsWith('sha256:') ? digestOrTag : repo.tags.get(digestOrTag);
    const image = digest ? repo.images.get(digest) : undefined;
    if (!image) throw new Error(`no image ${digestOrTag} in repository ${repo.name}`);
    return image;
  }

  #newRepository(
    name: string,
    init: {
      mutability: TagMutability;
      exclusions: ExclusionFilter[];
      scanOnPush: boolean;
      createdAt: Date;
      encryption: { encryptionType: string; kmsKey?: string };
    },
  ): RepositoryState {
    const repo: RepositoryState = {
      name,
      arn: `arn:aws:ecr:${this.region}:${this.registryId}:repository/${name}`,
      uri: `${this.registryId}.dkr.ecr.${this.region}.amazonaws.com/${name}`,
      createdAt: init.createdAt,
      mutability: init.mutability,
      exclusions: init.exclusions,
      scanOnPush: init.scanOnPush,
      encryption: init.encryption,
      images: new Map(),
      tags: new Map(),
      blobs: new Map(),
      lifecyclePolicy: null,
    };
    this.#repos.set(name, repo);
    return repo;
  }

  #repositoryJson(repo: RepositoryState): unknown {
    return {
      repositoryArn: repo.arn,
      registryId: this.registryId,
      repositoryName: repo.name,
      repositoryUri: repo.uri,
      createdAt: repo.createdAt,
      imageTagMutability: repo.mutability,
      ...(repo.exclusions.length > 0 ? { imageTagMutabilityExclusionFilters: repo.exclusions } : {}),
      imageScanningConfiguration: { scanOnPush: repo.scanOnPush },
      encryptionConfiguration: repo.encryption,
    };
  }

  #checkRegistryId(input: Input): void {
    const id = optionalString(input, 'registryId');
    if (id !== undefined && !/^[0-9]{12}$/.test(id))
      throw invalidParameter('registryId', "must satisfy regular expression '[0-9]{12}'");
  }

  #repoFrom(input: Input): RepositoryState {
    this.#checkRegistryId(input);
    return this.#repo(requiredString(input, 'repositoryName'));
  }

  #repo(name: string): RepositoryState {
    const repo = this.#repos.get(name);
    if (!repo) {
      throw new EcrError(
        'RepositoryNotFoundException',
        `The repository with name '${name}' does not exist in the registry with id '${this.registryId}'`,
      );
    }
    return repo;
  }

  #repoOrError(name: string): RepositoryState {
    const repo = this.#repos.get(name);
    if (!repo) throw new Error(`no repository ${name} in the local ECR (seed it first)`);
    return repo;
  }

  #noLifecyclePolicy(repo: RepositoryState): EcrError {
    return new EcrError(
      'LifecyclePolicyNotFoundException',
      `Lifecycle policy does not exist for the repository with name '${repo.name}' in the registry with id '${this.registryId}'`,
    );
  }
}

// ------------------------------------------------------------------ validation helpers

interface ImageId {
  imageDigest?: string;
  imageTag?: string;
}

function invalidParameter(path: string, problem: string): EcrError {
  return new EcrError(
    'InvalidParameterException',
    `Invalid parameter at '${path}' failed to satisfy constraint: '${problem}'`,
  );
}

function invalidToken(): EcrError {
  return invalidParameter('nextToken', 'Invalid pagination token');
}

function requiredString(input: Input, key: string): string {
  const v = input[key];
  if (typeof v !== 'string')
    throw invalidParameter(key, v === undefined ? 'Member must not be null' : 'Member must be a string');
  return v;
}

function optionalString(input: Input, key: string): string | undefined {
  const v = input[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw invalidParameter(key, 'Member must be a string');
  return v;
}

function optionalInt(input: Input, key: string, min: number, max: number): number | undefined {
  const v = input[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw invalidParameter(key, `Member must have value between ${min} and ${max}`);
  }
  return v;
}

function requiredObject(input: Input, key: string): Input {
  const v = optionalObject(input, key);
  if (!v) throw invalidParameter(key, 'Member must not be null');
  return v;
}

function optionalObject(input: Input, key: string): Input | undefined {
  const v = input[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw invalidParameter(key, 'Member must be an object');
  return v as Input;
}

function optionalStringArray(input: Input, key: string, min: number, max: number): string[] | undefined {
  const v = input[key];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))
    throw invalidParameter(key, 'Member must be a list of strings');
  if (v.length < min || v.length > max)
    throw invalidParameter(key, `Member must have length between ${min} and ${max}`);
  return v as string[];
}

function imageIdentifier(value: Input, path: string): ImageId {
  const id: ImageId = {};
  const digest = value.imageDigest;
  const tag = value.imageTag;
  if (digest !== undefined && digest !== null) {
    if (typeof digest !== 'string') throw invalidParameter(`${path}.imageDigest`, 'Member must be a string');
    id.imageDigest = digest;
  }
  if (tag !== undefined && tag !== null) {
    if (typeof tag !== 'string') throw invalidParameter(`${path}.imageTag`, 'Member must be a string');
    id.imageTag = tag;
  }
  return id;
}

function imageIdList(input: Input, required: true): ImageId[];
function imageIdList(input: Input, required: false): ImageId[] | undefined;
function imageIdList(input: Input, required: boolean): ImageId[] | undefined {
  const v = input.imageIds;
  if (v === undefined || v === null) {
    if (required) throw invalidParameter('imageIds', 'Member must not be null');
    return undefined;
  }
  if (!Array.isArray(v) || v.length < 1 || v.length > 100)
    throw invalidParameter('imageIds', 'Member must have length between 1 and 100');
  return v.map((x, i) => {
    if (typeof x !== 'object' || x === null)
      throw invalidParameter(`imageIds[${i}]`, 'Member must be an object');
    return imageIdentifier(x as Input, `imageIds[${i}]`);
  });
}

function validateRepositoryName(name: string): void {
  if (name.length < 2 || name.length > 256 || !REPOSITORY_NAME.test(name)) {
    throw invalidParameter(
      'repositoryName',
      "must satisfy regular expression '(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*' and have length between 2 and 256",
    );
  }
}

function validateTag(tag: string): void {
  if (tag.length < 1 || tag.length > 300)
    throw invalidParameter('imageTag', 'Member must have length between 1 and 300');
}

function validateMutability(mutability: string, rawFilters: unknown): ExclusionFilter[] {
  if (!(TAG_MUTABILITIES as readonly string[]).includes(mutability)) {
    throw invalidParameter('imageTagMutability', `must be one of ${TAG_MUTABILITIES.join(', ')}`);
  }
  const withExclusion = mutability.endsWith('_WITH_EXCLUSION');
  if (rawFilters === undefined || rawFilters === null) {
    if (withExclusion)
      throw invalidParameter('imageTagMutabilityExclusionFilters', `are required with ${mutability}`);
    return [];
  }
  if (!withExclusion)
    throw invalidParameter(
      'imageTagMutabilityExclusionFilters',
      `are only allowed with the *_WITH_EXCLUSION settings`,
    );
  if (!Array.isArray(rawFilters) || rawFilters.length < 1 || rawFilters.length > 5) {
    throw invalidParameter('imageTagMutabilityExclusionFilters', 'Member must have length between 1 and 5');
  }
  return rawFilters.map((f, i) => {
    const o = (typeof f === 'object' && f !== null ? f : {}) as Input;
    if (o.filterType !== 'WILDCARD')
      throw invalidParameter(`imageTagMutabilityExclusionFilters[${i}].filterType`, 'must be WILDCARD');
    if (typeof o.filter !== 'string' || !EXCLUSION_FILTER.test(o.filter)) {
      throw invalidParameter(
        `imageTagMutabilityExclusionFilters[${i}].filter`,
        "must satisfy regular expression '^[0-9a-zA-Z._*-]{1,128}$'",
      );
    }
    return { filterType: 'WILDCARD', filter: o.filter };
  });
}

function validateLifecyclePolicy(text: string): void {
  const fail = (problem: string) =>
    invalidParameter('lifecyclePolicyText', `Lifecycle policy validation failure: ${problem}`);
  if (text.length < 100 && text.trim().length === 0) throw fail('empty policy');
  if (text.length > MAX_LIFECYCLE_CHARS)
    throw fail(`policy is longer than ${MAX_LIFECYCLE_CHARS} characters`);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw fail('not valid JSON');
  }
  const rules = (doc as { rules?: unknown } | null)?.rules;
  if (!Array.isArray(rules) || rules.length < 1)
    throw fail('object has missing required properties (["rules"])');
  if (rules.length > 50) throw fail('a lifecycle policy can have at most 50 rules');
  const priorities = new Set<number>();
  rules.forEach((r: unknown, i: number) => {
    const rule = (r ?? {}) as Record<string, unknown>;
    const p = rule.rulePriority;
    if (typeof p !== 'number' || !Number.isInteger(p) || p < 1)
      throw fail(`rules[${i}].rulePriority must be a positive integer`);
    if (priorities.has(p)) throw fail(`rulePriority ${p} is used more than once`);
    priorities.add(p);
    const sel = (rule.selection ?? {}) as Record<string, unknown>;
    if (!['tagged', 'untagged', 'any'].includes(sel.tagStatus as string))
      throw fail(`rules[${i}].selection.tagStatus must be tagged, untagged or any`);
    const hasPrefix = Array.isArray(sel.tagPrefixList) && sel.tagPrefixList.length > 0;
    const hasPattern = Array.isArray(sel.tagPatternList) && sel.tagPatternList.length > 0;
    if (sel.tagStatus === 'tagged' && !hasPrefix && !hasPattern)
      throw fail(`rules[${i}]: tagged rules need tagPrefixList or tagPatternList`);
    if (sel.tagStatus !== 'tagged' && (hasPrefix || hasPattern))
      throw fail(`rules[${i}]: tagPrefixList/tagPatternList need tagStatus tagged`);
    if (hasPrefix && hasPattern)
      throw fail(`rules[${i}]: tagPrefixList and tagPatternList cannot be combined`);
    const countType = sel.countType;
    if (
      !['imageCountMoreThan', 'sinceImagePushed', 'sinceImagePulled', 'sinceImageTransitioned'].includes(
        countType as string,
      )
    ) {
      throw fail(`rules[${i}].selection.countType is not valid`);
    }
    if (typeof sel.countNumber !== 'number' || !Number.isInteger(sel.countNumber) || sel.countNumber < 1) {
      throw fail(`rules[${i}].selection.countNumber must be a positive integer`);
    }
    if (countType === 'imageCountMoreThan' && sel.countUnit !== undefined)
      throw fail(`rules[${i}]: countUnit is only used with sinceImage* count types`);
    if (countType !== 'imageCountMoreThan' && sel.countUnit !== 'days')
      throw fail(`rules[${i}]: countUnit must be days`);
    const action = (rule.action ?? {}) as Record<string, unknown>;
    if (action.type !== 'expire' && action.type !== 'transition')
      throw fail(`rules[${i}].action.type must be expire or transition`);
  });
}

// ------------------------------------------------------------------ pagination, scans, blobs

interface Page<T> {
  items: T[];
  nextToken: string | undefined;
}

/** Opaque tokens bound to one listing; a token from another listing is refused. */
function paginate<T>(all: readonly T[], input: Input, scope: string, defaultSize: number): Page<T> {
  const size = optionalInt(input, 'maxResults', 1, 1000) ?? defaultSize;
  let offset = 0;
  const token = optionalString(input, 'nextToken');
  if (token !== undefined) {
    let decoded: { s?: unknown; o?: unknown } | null = null;
    try {
      decoded = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    } catch {
      throw invalidToken();
    }
    if (decoded?.s !== scopeHash(scope) || typeof decoded.o !== 'number' || decoded.o < 0)
      throw invalidToken();
    offset = decoded.o;
  }
  const items = all.slice(offset, offset + size);
  const next = offset + size;
  return {
    items,
    nextToken:
      next < all.length
        ? Buffer.from(JSON.stringify({ s: scopeHash(scope), o: next })).toString('base64url')
        : undefined,
  };
}

function scopeHash(scope: string): string {
  return createHash('sha256').update(scope).digest('hex').slice(0, 16);
}

function scanState(seed: ScanSeed, now: Date): ScanState {
  const findings = seed.findings?.map(normaliseFindingTimes);
  const enhancedFindings = seed.enhancedFindings?.map(normaliseFindingTimes);
  let counts: Record<string, number> | null;
  if (seed.severityCounts === null) counts = null;
  else if (seed.severityCounts !== undefined) counts = { ...seed.severityCounts };
  else if ((findings?.length ?? 0) > 0 || (enhancedFindings?.length ?? 0) > 0)
    counts = countSeverities([...(findings ?? []), ...(enhancedFindings ?? [])]);
  else counts = findings !== undefined || enhancedFindings !== undefined ? {} : null;
  const finished = !['IN_PROGRESS', 'PENDING'].includes(seed.status);
  return {
    status: seed.status,
    description: seed.description ?? null,
    findings,
    enhancedFindings,
    severityCounts: counts,
    completedAt:
      seed.completedAt !== undefined
        ? toDate(seed.completedAt, 'completedAt')
        : finished && counts !== null
          ? now
          : null,
    vulnerabilitySourceUpdatedAt:
      seed.vulnerabilitySourceUpdatedAt !== undefined
        ? toDate(seed.vulnerabilitySourceUpdatedAt, 'vulnerabilitySourceUpdatedAt')
        : finished && counts !== null
          ? now
          : null,
  };
}

function countSeverities(findings: readonly unknown[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const f of findings) {
    const severity = (f as { severity?: unknown }).severity;
    const key = typeof severity === 'string' ? severity : 'UNDEFINED';
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

/** Deep copy of a finding with its timestamp fields as Dates (ISO strings and epoch numbers accepted). */
function normaliseFindingTimes(value: unknown): unknown {
  const walk = (v: unknown, key: string | null): unknown => {
    if (key !== null && FINDING_TIME_FIELDS.has(key) && (typeof v === 'string' || typeof v === 'number')) {
      const d = typeof v === 'number' ? new Date(v * 1000) : new Date(v);
      return Number.isNaN(d.getTime()) ? v : d;
    }
    if (v instanceof Date) return new Date(v.getTime());
    if (Array.isArray(v)) return v.map((x) => walk(x, null));
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = walk(x, k);
      return out;
    }
    return v;
  };
  return walk(value, null);
}

function blobBytes(content: unknown): Buffer {
  if (Buffer.isBuffer(content)) return Buffer.from(content);
  if (content instanceof Uint8Array) return Buffer.from(content);
  if (typeof content === 'string') return Buffer.from(content, 'utf8');
  return Buffer.from(JSON.stringify(content), 'utf8');
}

function viewOf(image: ImageState): ImageView {
  return {
    digest: image.digest,
    tags: [...image.tags],
    manifest: image.manifest,
    mediaType: image.parsed.mediaType,
    pushedAt: new Date(image.pushedAt.getTime()),
    sizeBytes: image.sizeBytes,
    imageStatus: image.status,
    lastRecordedPullTime: image.lastRecordedPullTime,
    lastScanStartedAt: image.lastScanStartedAt,
    scanStatus: image.scan?.status ?? null,
  };
}

export { isIndexMediaType };
