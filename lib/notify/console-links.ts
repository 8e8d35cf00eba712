/**
 * AWS console links built from an image's registry, region, repository and digest. The console host depends on
 * the partition (aws, aws-cn, aws-us-gov); other partitions have no public console link and get none.
 */

export interface ImageLocation {
  readonly registryId: string;
  readonly region: string;
  readonly repository: string;
  readonly digest: string;
}

function consoleHost(region: string): string | null {
  if (region.startsWith('cn-')) return 'https://console.amazonaws.cn';
  if (region.startsWith('us-gov-')) return 'https://console.amazonaws-us-gov.com';
  if (/^(us-iso|us-isob|eu-isoe|us-isof)-/.test(region)) return null;
  return `https://${region}.console.aws.amazon.com`;
}

// Repository names may contain `/`, which the console keeps as path segments; each segment is encoded.
function repositoryPath(repository: string): string {
  return repository.split('/').map(encodeURIComponent).join('/');
}

/** The image's details page in the ECR console. */
export function ecrImageUrl(image: ImageLocation, region = image.region): string | null {
  const host = consoleHost(region);
  if (host === null) return null;
  return `${host}/ecr/repositories/private/${encodeURIComponent(image.registryId)}/${repositoryPath(
    image.repository,
  )}/_/image/${encodeURIComponent(image.digest).replace(/%3A/gi, ':')}/details?region=${encodeURIComponent(region)}`;
}

/** The repository page in the ECR console. */
export function ecrRepositoryUrl(image: Omit<ImageLocation, 'digest'>, region = image.region): string | null {
  const host = consoleHost(region);
  if (host === null) return null;
  return `${host}/ecr/repositories/private/${encodeURIComponent(image.registryId)}/${repositoryPath(
    image.repository,
  )}?region=${encodeURIComponent(region)}`;
}

/** Amazon Inspector's container-image findings in the console (enhanced scanning). */
export function inspectorFindingsUrl(region: string): string | null {
  const host = consoleHost(region);
  if (host === null) return null;
  return `${host}/inspector/v2/home?region=${encodeURIComponent(region)}#/findings/container`;
}

/** CloudTrail event history filtered on PutImage, to see who pushed a tag. */
export function cloudTrailPutImageUrl(region: string): string | null {
  const host = consoleHost(region);
  if (host === null) return null;
  return `${host}/cloudtrail/home?region=${encodeURIComponent(region)}#/events?EventName=PutImage`;
}

/** The image URI people pull: `<account>.dkr.ecr.<region>.amazonaws.com/<repository>@<digest>`. */
export function imageUri(image: ImageLocation): string {
  const suffix = image.region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  return `${image.registryId}.dkr.ecr.${image.region}.${suffix}/${image.repository}@${image.digest}`;
}
