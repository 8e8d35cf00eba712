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
