/**
 * Seeding the local ECR with ready-to-decide images: a repository with scan on push, images built from a
 * generated config or taken byte-exact from a fixture, their basic scan, and enhanced findings rewritten to be
 * about the image (ECR's DescribeImageScanFindings names the image in each finding's resource). Used by
 * `npm run demo` (scripts/demo.ts) and `npm run local-aws` (scripts/local-aws.ts).
 */
import type { ScanSeed } from './ecr/ecr-service.ts';
import { buildImage, fixtureJson, imageConfig } from './ecr/fixture-data.ts';
import type { LocalAws } from './local-aws.ts';

/** Where an image's manifest comes from. */
export type DemoImageSource =
  /** A generated image: config named `build` (with `user`, `architecture`), a manifest over it. */
  | { readonly build: string; readonly user?: string; readonly architecture?: string }
  /** Exact manifest bytes (e.g. {@link fixtureManifest}), so the digest is the one real ECR reported. */
  | { readonly manifest: string; readonly mediaType?: string };

export interface DemoImageSeed {
  readonly image: DemoImageSource;
  readonly tags?: readonly string[];
  readonly pushedAt: Date;
  /** The image's scan as seeded with it (basic findings, FAILED …). */
  readonly scan?: ScanSeed;
  /** Enhanced findings (fixture copies) seeded as an ACTIVE enhanced scan, rewritten to be about this image. */
  readonly enhancedFindings?: readonly unknown[];
  /** The digest the image must get (the events/ samples name it); a different digest throws. */
  readonly expectDigest?: string;
}

export interface DemoImage {
  readonly digest: string;
  readonly manifest: string;
  readonly mediaType: string;
}

/** The byte-exact manifest of the first image of a BatchGetImage response in test/fixtures/aws. */
export function fixtureManifest(fixture: string): string {
  const response = fixtureJson<{ images?: { imageManifest?: string }[] }>(fixture);
  const manifest = response.images?.[0]?.imageManifest;
  if (!manifest) throw new Error(`test/fixtures/aws/${fixture}: no images[0].imageManifest`);
  return manifest;
}

/**
 * Enhanced findings as ECR returns them for this image: each resource's id and awsEcrContainerImage details
 * name the repository, digest and registry. The input is cloned, never changed.
 */
export function enhancedFindingsAbout(
  aws: Pick<LocalAws, 'region' | 'accountId'>,
  repository: string,
  digest: string,
  findings: readonly unknown[],
): unknown[] {
  return findings.map((finding) => {
    const copy = structuredClone(finding) as {
      resources?: { id?: string; details?: { awsEcrContainerImage?: Record<string, unknown> } }[];
    };
    for (const resource of copy.resources ?? []) {
      resource.id = `arn:aws:ecr:${aws.region}:${aws.accountId}:repository/${repository}/${digest}`;
      if (resource.details?.awsEcrContainerImage) {
        Object.assign(resource.details.awsEcrContainerImage, {
          repositoryName: repository,
          imageHash: digest,
          registry: aws.accountId,
        });
      }
    }
    return copy;
  });
}

/**
 * Seeds one image and its scans, creating the repository (scan on push) on first use.
 *
 * @example seedDemoImage(aws, 'demo/web', { image: { build: 'demo-web' }, tags: ['1.4.2'], pushedAt: new Date() })
 */
export function seedDemoImage(aws: LocalAws, repository: string, seed: DemoImageSeed): DemoImage {
  if (!aws.ecr.repositoryNames().includes(repository)) {
    aws.ecr.seedRepository(repository, { scanOnPush: true });
  }
  const source = seed.image;
  const image =
    'build' in source
      ? buildImage({
          ...imageConfig(source.build, source.user === undefined ? {} : { user: source.user }),
          ...(source.architecture === undefined ? {} : { architecture: source.architecture }),
        })
      : null;
  const manifest = image ? image.manifest : (source as { manifest: string }).manifest;
  const seeded = aws.ecr.seedImage(repository, {
    manifest,
    ...(image ? { config: image.config } : {}),
    ...(!image && 'mediaType' in source && source.mediaType ? { mediaType: source.mediaType } : {}),
    ...(seed.tags ? { tags: seed.tags } : {}),
    pushedAt: seed.pushedAt,
    ...(seed.scan ? { scan: seed.scan } : {}),
  });
  if (seed.expectDigest !== undefined && seeded.digest !== seed.expectDigest) {
    throw new Error(
      `${repository}: seeded digest ${seeded.digest} differs from the expected ${seed.expectDigest}`,
    );
  }
  if (seed.enhancedFindings) {
    aws.ecr.seedScan(repository, seeded.digest, {
      status: 'ACTIVE',
      enhancedFindings: enhancedFindingsAbout(aws, repository, seeded.digest, seed.enhancedFindings),
    });
  }
  return { digest: seeded.digest, manifest, mediaType: seeded.mediaType };
}
