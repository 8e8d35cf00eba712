/** One image in one registry, always addressed by digest: tags move, digests do not. */
export interface ImageRef {
  /** AWS account id that owns the registry. */
  readonly registryId: string;
  readonly region: string;
  /** Plain repository name (may contain `/`), never an ARN. */
  readonly repository: string;
  /** `sha256:` followed by 64 lowercase hex characters. */
  readonly digest: string;
}

/** Ledger and log key of an image: `registryId/repository@digest`. */
export function imageKey(ref: ImageRef): string {
  return `${ref.registryId}/${ref.repository}@${ref.digest}`;
}

/** The only digest form the gatekeeper acts on (OCI `sha256` grammar, lowercase hex). */
export const DIGEST_PATTERN = /^sha256:[a-f0-9]{64}$/;

/** ECR `RepositoryName` pattern (ECR API model); length 2–256 is checked separately. */
export const REPOSITORY_NAME_PATTERN =
  /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;

/** 12-digit AWS account id (ECR `RegistryId`). */
export const ACCOUNT_ID_PATTERN = /^[0-9]{12}$/;

/** AWS Region names in every partition (us-east-1, eu-north-1, cn-north-1, us-gov-west-1, us-isob-east-1 …). */
export const REGION_PATTERN = /^[a-z]{2}(?:-[a-z]+)+-[0-9]{1,2}$/;

export function isImageDigest(value: unknown): value is string {
  return typeof value === 'string' && DIGEST_PATTERN.test(value);
}

export function isRepositoryName(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    value.length >= 2 &&
    value.length <= 256 &&
    REPOSITORY_NAME_PATTERN.test(value)
  );
}

/** An ECR image tag as the API accepts it: 1–300 characters, no whitespace or control characters. */
export function isImageTag(value: unknown): value is string {
  return typeof value === 'string' && value.length >= 1 && value.length <= 300 && isPrintable(value);
}

/** Invisible format characters (zero-width, bidi overrides, BOM …): a tag carrying one looks like another tag. */
const FORMAT_CHARACTER = /\p{Cf}/u;

/**
 * True when the text has no whitespace, no control or invisible format characters and no unpaired surrogate
 * (which has no UTF-8 form: it would be stored as U+FFFD and no longer match). It goes into tags and log lines.
 */
export function isPrintable(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code <= 0x20 || code === 0x7f || (code >= 0x80 && code <= 0x9f) || /\s/.test(text[i] ?? ''))
      return false;
    if (code >= 0xd800 && code <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return false;
      i++;
    } else if (code >= 0xdc00 && code <= 0xdfff) return false;
  }
  return !FORMAT_CHARACTER.test(text);
}

/** The parts of an ECR repository ARN `arn:<partition>:ecr:<region>:<account>:repository/<name>`. */
export interface RepositoryArnParts {
  readonly partition: string;
  readonly region: string;
  readonly registryId: string;
  readonly repository: string;
}

const REPOSITORY_ARN = /^arn:(aws[a-z-]*):ecr:([a-z0-9-]+):([0-9]{12}):repository\/(.+)$/;

/**
 * Splits an ECR repository ARN. Returns null when the text is not one (or the name is not a valid ECR name).
 *
 * @example parseRepositoryArn('arn:aws:ecr:us-east-2:123456789012:repository/amazon/amazon-ecs-sample')
 *   // → { partition: 'aws', region: 'us-east-2', registryId: '123456789012', repository: 'amazon/amazon-ecs-sample' }
 */
export function parseRepositoryArn(arn: string): RepositoryArnParts | null {
  const match = REPOSITORY_ARN.exec(arn);
  if (!match) return null;
  const [, partition, region, registryId, repository] = match;
  if (!partition || !region || !registryId || !repository) return null;
  if (!REGION_PATTERN.test(region) || !isRepositoryName(repository)) return null;
  return { partition, region, registryId, repository };
}

/**
 * Splits the id of an Inspector `AWS_ECR_CONTAINER_IMAGE` resource,
 * `arn:aws:ecr:<region>:<account>:repository/<name>/sha256:<hex>`, on the LAST `/sha256:` (repository names
 * contain `/`). The digest is returned as written; callers validate it with {@link isImageDigest}.
 */
export function parseImageResourceId(id: string): (RepositoryArnParts & { readonly digest: string }) | null {
  const cut = id.lastIndexOf('/sha256:');
  if (cut < 0) return null;
  const repositoryArn = parseRepositoryArn(id.slice(0, cut));
  if (!repositoryArn) return null;
  return { ...repositoryArn, digest: id.slice(cut + 1) };
}
