/**
 * The ECR adapter's repository administration for the hygiene sweep (the RegistryAdmin port): listing
 * repositories and images, lifecycle policies, tag mutability, scan-on-push, image storage class.
 */
import {
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  GetLifecyclePolicyCommand,
  PutImageScanningConfigurationCommand,
  PutImageTagMutabilityCommand,
  PutLifecyclePolicyCommand,
  type Repository,
  UpdateImageStorageClassCommand,
} from '@aws-sdk/client-ecr';
import { type ImageRef, imageKey } from '../events/image-ref.ts';
import { IMAGE_GONE } from './ecr-adapter.ts';
import { imageSummary, toIso } from './ecr-responses.ts';
import { EcrTagWrites } from './ecr-tag-writes.ts';
import { errorCode, RegistryRejectedError, toRegistryError } from './errors.ts';
import type { ImageSummary, RepositorySummary } from './registry.ts';

/** Repository administration over ECR (the layer above EcrTagWrites). */
export abstract class EcrRepositoryAdmin extends EcrTagWrites {
  async setStorageClass(ref: ImageRef, storageClass: 'ARCHIVE' | 'STANDARD'): Promise<'done' | 'gone'> {
    const operation = 'UpdateImageStorageClass';
    try {
      await this.client.send(
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
      if (IMAGE_GONE.has(code)) return this.gone(operation, ref, code) ?? 'gone';
      throw toRegistryError(error, operation, `${imageKey(ref)} → ${storageClass}`);
    }
  }
  async *listRepositories(): AsyncIterable<RepositorySummary> {
    const operation = 'DescribeRepositories';
    const pages = this.pages(operation, 'list repositories', (page) =>
      this.client.send(new DescribeRepositoriesCommand({ ...this.scope(), maxResults: 1000, ...page })),
    );
    for await (const output of pages) {
      for (const repository of output.repositories ?? []) yield repositorySummary(repository, operation);
    }
  }

  async *listImages(repository: string): AsyncIterable<ImageSummary> {
    const operation = 'DescribeImages';
    const pages = this.pages(operation, repository, (page) =>
      this.client.send(
        new DescribeImagesCommand({
          ...this.scope(),
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
      const output = await this.client.send(
        new GetLifecyclePolicyCommand({ ...this.scope(), repositoryName: repository }),
      );
      return output.lifecyclePolicyText ?? null;
    } catch (error) {
      if (errorCode(error) === 'LifecyclePolicyNotFoundException') return null;
      throw toRegistryError(error, operation, repository);
    }
  }

  async putLifecyclePolicy(repository: string, policyText: string): Promise<void> {
    await this.admin('PutLifecyclePolicy', repository, () =>
      this.client.send(
        new PutLifecyclePolicyCommand({
          ...this.scope(),
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
    await this.admin('PutImageTagMutability', repository, () =>
      this.client.send(
        new PutImageTagMutabilityCommand({
          ...this.scope(),
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
    await this.admin('PutImageScanningConfiguration', repository, () =>
      this.client.send(
        new PutImageScanningConfigurationCommand({
          ...this.scope(),
          repositoryName: repository,
          imageScanningConfiguration: { scanOnPush },
        }),
      ),
    );
  }
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
