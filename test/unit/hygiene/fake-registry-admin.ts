/** An in-memory RegistryAdmin for sweep tests: counts every call per operation (as an API budget). */
import type {
  ImageSummary,
  RegistryAdmin,
  RegistryScanningConfiguration,
  RepositorySummary,
} from '../../../lib/registry/registry.ts';

export interface FakeRepository {
  summary: RepositorySummary;
  policy: string | null;
  images: ImageSummary[];
}

export class FakeRegistryAdmin implements RegistryAdmin {
  readonly repositories = new Map<string, FakeRepository>();
  readonly calls: Record<string, number> = {};
  scanning: RegistryScanningConfiguration = { scanType: 'BASIC', rules: [] };
  failPolicyFor = new Set<string>();

  private count(op: string): void {
    this.calls[op] = (this.calls[op] ?? 0) + 1;
  }

  total(): number {
    return Object.values(this.calls).reduce((a, b) => a + b, 0);
  }

  writes(): number {
    return (
      (this.calls.PutLifecyclePolicy ?? 0) +
      (this.calls.PutImageTagMutability ?? 0) +
      (this.calls.PutImageScanningConfiguration ?? 0)
    );
  }

  add(
    name: string,
    over: Partial<RepositorySummary> = {},
    policy: string | null = null,
    images: ImageSummary[] = [],
  ): void {
    this.repositories.set(name, {
      summary: {
        name,
        arn: `arn:aws:ecr:eu-west-1:123456789012:repository/${name}`,
        registryId: '123456789012',
        tagMutability: 'IMMUTABLE_WITH_EXCLUSION',
        tagMutabilityExclusions: ['approved-*', 'quarantined-*'],
        scanOnPush: true,
        createdAt: '2024-01-01T00:00:00.000Z',
        ...over,
      },
      policy,
      images,
    });
  }

  async *listRepositories(): AsyncIterable<RepositorySummary> {
    const all = [...this.repositories.values()].map((r) => r.summary);
    for (let i = 0; i < all.length || i === 0; i += 1000) {
      this.count('DescribeRepositories');
      for (const r of all.slice(i, i + 1000)) yield r;
      if (all.length === 0) break;
    }
  }

  async *listImages(repository: string): AsyncIterable<ImageSummary> {
    const images = this.repositories.get(repository)?.images ?? [];
    for (let i = 0; i < images.length || i === 0; i += 1000) {
      this.count('DescribeImages');
      for (const img of images.slice(i, i + 1000)) yield img;
      if (images.length === 0) break;
    }
  }

  async getLifecyclePolicy(repository: string): Promise<string | null> {
    this.count('GetLifecyclePolicy');
    if (this.failPolicyFor.has(repository))
      throw Object.assign(new Error('Rate exceeded'), { name: 'RegistryUnavailableError' });
    return this.repositories.get(repository)?.policy ?? null;
  }

  async putLifecyclePolicy(repository: string, policyText: string): Promise<void> {
    this.count('PutLifecyclePolicy');
    const repo = this.repositories.get(repository);
    if (repo) repo.policy = policyText;
  }

  async putTagMutability(
    repository: string,
    mutability: string,
    exclusions: readonly string[],
  ): Promise<void> {
    this.count('PutImageTagMutability');
    const repo = this.repositories.get(repository);
    if (repo)
      repo.summary = { ...repo.summary, tagMutability: mutability, tagMutabilityExclusions: [...exclusions] };
  }

  async putScanOnPush(repository: string, scanOnPush: boolean): Promise<void> {
    this.count('PutImageScanningConfiguration');
    const repo = this.repositories.get(repository);
    if (repo) repo.summary = { ...repo.summary, scanOnPush };
  }

  async getRegistryScanning(): Promise<RegistryScanningConfiguration> {
    this.count('GetRegistryScanningConfiguration');
    return this.scanning;
  }
}

export function imageSummary(
  digestChar: string,
  tags: string[],
  pushedAt: string,
  extra: Partial<ImageSummary> = {},
): ImageSummary {
  return {
    digest: `sha256:${digestChar.repeat(64)}`,
    tags,
    pushedAt,
    sizeBytes: 1000,
    manifestMediaType: 'application/vnd.oci.image.manifest.v1+json',
    artifactMediaType: null,
    lastPulledAt: null,
    storageClass: 'STANDARD',
    ...extra,
  };
}
