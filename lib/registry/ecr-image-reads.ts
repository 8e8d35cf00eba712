/**
 * The ECR adapter's image reads: the stored manifest by digest, an image's details, and the facts image rules
 * read (manifest sizes, the config blob's user and labels; for an index, each runnable child's facts, combined
 * by the policy's roll-up `indexFacts`).
 */
import { createHash } from 'node:crypto';
import {
  BatchGetImageCommand,
  type BatchGetImageCommandOutput,
  DescribeImagesCommand,
  GetDownloadUrlForLayerCommand,
} from '@aws-sdk/client-ecr';
import { type ImageRef, imageKey } from '../events/image-ref.ts';
import type { ImageFacts } from '../policy/decision.ts';
import { indexFacts } from '../policy/index-facts.ts';
import { downloadBlob } from './config-blob.ts';
import { BATCH_LIMIT, IMAGE_GONE } from './ecr-adapter.ts';
import { failureError, imageSummary } from './ecr-responses.ts';
import { EcrScans } from './ecr-scans.ts';
import {
  errorCode,
  ImageFactsUnavailableError,
  ManifestDigestMismatchError,
  RegistryRejectedError,
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
import type { ImageSummary, StoredManifest } from './registry.ts';

/** Manifests, image details and image facts over ECR (the layer above EcrScans). */
export abstract class EcrImageReads extends EcrScans {
  /**
   * BatchGetImage by digest, accepting every manifest type ECR stores (incl. manifest lists / OCI indexes),
   * then sha256(bytes) == digest or ManifestDigestMismatchError (final: never pushed). Missing → null.
   */
  async getManifest(ref: ImageRef): Promise<StoredManifest | null> {
    const operation = 'BatchGetImage';
    let output: BatchGetImageCommandOutput;
    try {
      output = await this.client.send(batchGetManifests(ref, [ref.digest]));
    } catch (error) {
      const code = errorCode(error);
      if (IMAGE_GONE.has(code)) return this.gone(operation, ref, code);
      throw toRegistryError(error, operation, imageKey(ref));
    }
    const image = output.images?.find((i) => i.imageId?.imageDigest === ref.digest) ?? output.images?.[0];
    if (!image) {
      const failure = output.failures?.[0];
      if (!failure || failure.failureCode === 'ImageNotFound')
        return this.gone(operation, ref, 'ImageNotFound');
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
      const output = await this.client.send(
        new DescribeImagesCommand({
          registryId: ref.registryId,
          repositoryName: ref.repository,
          imageIds: [{ imageDigest: ref.digest }],
        }),
      );
      const detail = output.imageDetails?.find((d) => d.imageDigest === ref.digest);
      return detail ? imageSummary(detail, operation) : this.gone(operation, ref, 'ImageNotFound');
    } catch (error) {
      const code = errorCode(error);
      if (IMAGE_GONE.has(code)) return this.gone(operation, ref, code);
      throw toRegistryError(error, operation, imageKey(ref));
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
    return indexFacts(facts);
  }

  async #childManifests(
    ref: ImageRef,
    children: readonly Descriptor[],
  ): Promise<Map<string, StoredManifest>> {
    const operation = 'BatchGetImage';
    let output: BatchGetImageCommandOutput;
    try {
      output = await this.client.send(
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
    if (config.size > this.configBlobMaxBytes) {
      throw new ImageFactsUnavailableError(
        operation,
        'ConfigTooLarge',
        `${context}: ${config.size} bytes, limit ${this.configBlobMaxBytes}`,
      );
    }
    let url: string | undefined;
    try {
      const output = await this.client.send(
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
    const bytes = await downloadBlob(
      { fetch: this.fetchBlob, maxBytes: this.configBlobMaxBytes, timeoutMs: this.configBlobTimeoutMs },
      url,
      config.size,
      context,
    );
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
