/**
 * Splits an image reference as scanners print it (`registry/repo/name:tag`, `name@sha256:…`) into the
 * repository path, tag and digest. The registry host (first component with a `.` or `:`, or `localhost`)
 * is dropped: ECR repository names never include it.
 */
export interface ImageReference {
  readonly repository: string | null;
  readonly tag: string | null;
  readonly digest: string | null;
}

export function parseImageReference(reference: string): ImageReference {
  let rest = reference.trim();
  let digest: string | null = null;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1) || null;
    rest = rest.slice(0, at);
  }
  let tag: string | null = null;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1) || null;
    rest = rest.slice(0, colon);
  }
  const slash = rest.indexOf('/');
  if (slash > 0) {
    const first = rest.slice(0, slash);
    if (first.includes('.') || first.includes(':') || first === 'localhost') rest = rest.slice(slash + 1);
  }
  return { repository: rest === '' ? null : rest, tag, digest };
}
