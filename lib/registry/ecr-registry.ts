/**
 * The ECR adapter: the only code that talks to Amazon ECR. It implements the {@link Registry} port the gate
 * uses and the {@link RegistryAdmin} port the hygiene sweep uses, over an injected `ECRClient` (build one
 * with `createEcrClient`). Every SDK exception is translated into RegistryUnavailableError (retryable) or
 * RegistryRejectedError (final); an image or repository that no longer exists is a value (null / 'gone').
 *
 * One file per concern, each a layer of the class (ecr-adapter.ts explains why layers):
 * - ecr-adapter.ts: options, client, logger, paging, the "gone" no-op;
 * - ecr-scans.ts: scan findings (all pages, checked), StartImageScan, scanning configuration;
 * - ecr-image-reads.ts: manifests, image details, image facts (config blobs via config-blob.ts; an index's
 *   facts combined by lib/policy/index-facts.ts);
 * - ecr-tag-writes.ts: PutImage / BatchDeleteImage by tag;
 * - ecr-repository-admin.ts: the sweep's repository administration.
 *
 * ECR API actions called (IAM): DescribeImageScanFindings, BatchGetImage, DescribeImages, PutImage,
 * BatchDeleteImage, StartImageScan, GetRegistryScanningConfiguration, DescribeRepositories,
 * GetDownloadUrlForLayer, UpdateImageStorageClass, GetLifecyclePolicy, PutLifecyclePolicy,
 * PutImageTagMutability, PutImageScanningConfiguration.
 */
import { EcrRepositoryAdmin } from './ecr-repository-admin.ts';
import type { Registry, RegistryAdmin } from './registry.ts';

export type { EcrRegistryOptions, RegistryLogger } from './ecr-adapter.ts';

/**
 * ECR implementation of the registry ports.
 *
 * @example
 *   const registry = new EcrRegistry({ client: createEcrClient({ region: 'eu-west-1' }), logger });
 *   const scan = await registry.getScanResult(event.image);
 */
export class EcrRegistry extends EcrRepositoryAdmin implements Registry, RegistryAdmin {}
