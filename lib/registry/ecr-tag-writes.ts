/**
 * The ECR adapter's tag writes: PutImage of the exact manifest bytes under a tag, BatchDeleteImage by tag only.
 * lib/gate/apply.ts is their only caller (the one tag writer).
 */
import {
  BatchDeleteImageCommand,
  DescribeImagesCommand,
  type ImageFailure,
  PutImageCommand,
} from '@aws-sdk/client-ecr';
import { type ImageRef, imageKey, isImageTag } from '../events/image-ref.ts';
import { BATCH_LIMIT, IMAGE_GONE } from './ecr-adapter.ts';
import { EcrImageReads } from './ecr-image-reads.ts';
import { failureError } from './ecr-responses.ts';
import { errorCode, ManifestDigestMismatchError, RegistryRejectedError, toRegistryError } from './errors.ts';
import { verifyManifestDigest } from './manifest.ts';
import type { PutTagOutcome, StoredManifest } from './registry.ts';

/** Tag writes over ECR (the layer above EcrImageReads). */
export abstract class EcrTagWrites extends EcrImageReads {
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
      const output = await this.client.send(
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
      if (IMAGE_GONE.has(code)) return this.gone(operation, ref, code) ?? 'gone';
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
      this.logger.debug('tags not on this image, left alone', { image: imageKey(ref), tags: skipped });
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
        const output = await this.client.send(
          new BatchDeleteImageCommand({
            registryId: ref.registryId,
            repositoryName: ref.repository,
            imageIds: chunk.map((imageTag) => ({ imageTag })),
          }),
        );
        for (const failure of output.failures ?? []) {
          if (failure.failureCode === 'ImageNotFound') {
            this.logger.debug('tag already absent', {
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
          this.gone(operation, ref, code);
          return;
        }
        throw toRegistryError(error, operation, imageKey(ref));
      }
    }
    if (failures.length > 0) throw failureError(operation, imageKey(ref), failures);
  }
  async #tagPointsAt(ref: ImageRef, tag: string): Promise<boolean> {
    try {
      const output = await this.client.send(
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
}
