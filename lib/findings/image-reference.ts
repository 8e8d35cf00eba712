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

/** One path component of a Docker repository name (distribution's reference grammar). */
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[A-Fa-f0-9]{32,}$/;
/** File names of image archives as scanners are given them (`docker save`, `skopeo copy oci-archive:`). */
const ARCHIVE_NAME = /\.(?:tar|tgz|tar\.gz|tar\.zst|tar\.xz|tar\.bz2|oci|zip)$/i;
/** Grype/Syft source schemes that name an image in a registry or a daemon; the rest name files. */
const IMAGE_SCHEMES = ['docker:', 'podman:', 'registry:', 'containerd:'];
const FILE_SCHEMES = [
  'docker-archive:',
  'oci-archive:',
  'oci-dir:',
  'oci-layout:',
  'singularity:',
  'dir:',
  'file:',
];

/**
 * The reference a scanner was given, when it names an image in a registry or a daemon; null when it is
 * a file path (an image archive such as `image.tar`, `./build/app.tar.gz`, `docker-archive:app.tar`) or not
 * a valid reference at all. Tag and digest are checked against Docker's reference grammar, each path
 * component of the repository too.
 * @example imageReferenceOrNull('123456789012.dkr.ecr.eu-west-1.amazonaws.com/orders/api:1.0') // { repository: 'orders/api', tag: '1.0', digest: null }
 * @example imageReferenceOrNull('testdata/fixtures/images/alpine-310.tar.gz') // null
 */
export function imageReferenceOrNull(input: string): ImageReference | null {
  let text = input.trim();
  for (const scheme of FILE_SCHEMES) if (text.startsWith(scheme)) return null;
  for (const scheme of IMAGE_SCHEMES) if (text.startsWith(scheme)) text = text.slice(scheme.length);
  if (text === '' || text.length > 4096 || looksLikePath(text)) return null;
  const ref = parseImageReference(text);
  if (ref.repository === null || !ref.repository.split('/').every((c) => COMPONENT.test(c))) return null;
  if (ref.tag !== null && !TAG.test(ref.tag)) return null;
  if (ref.digest !== null && !DIGEST.test(ref.digest)) return null;
  return ref;
}

function looksLikePath(text: string): boolean {
  return (
    text.startsWith('/') ||
    text.startsWith('./') ||
    text.startsWith('../') ||
    text.startsWith('~') ||
    text.includes('\\') ||
    /^[A-Za-z]:[\\/]/.test(text) ||
    ARCHIVE_NAME.test(text.split('@')[0] ?? text)
  );
}

/** The image a scanner report names: its repository, the tags it lists there and its registry digest. */
export interface NamedImage {
  readonly repository: string | null;
  readonly digest: string | null;
  readonly tags: readonly string[];
}

/**
 * The image a scanner report names, from the reference it was given (null for an image archive) and the
 * `repo:tag` and `repo@digest` references it lists (Grype's `tags[]`/`repoDigests[]`, Trivy's
 * `RepoTags`/`RepoDigests`). The given reference wins; otherwise the first tagged reference names the
 * repository. Only tags and digests of that repository count; references that are not valid are skipped.
 * @example namedImage(null, ['orders/api:1.0', 'other:2'], ['orders/api@sha256:…']) // { repository: 'orders/api', digest: 'sha256:…', tags: ['1.0'] }
 */
export function namedImage(
  given: ImageReference | null,
  tagReferences: readonly string[],
  digestReferences: readonly string[],
): NamedImage {
  let repository = given?.repository ?? null;
  let digest = given?.digest ?? null;
  const tags: string[] = given?.tag ? [given.tag] : [];
  for (const reference of tagReferences) {
    const t = imageReferenceOrNull(reference);
    if (t === null || t.tag === null) continue;
    repository ??= t.repository;
    if (t.repository === repository && !tags.includes(t.tag)) tags.push(t.tag);
  }
  for (const reference of digestReferences) {
    if (digest !== null) break;
    const d = imageReferenceOrNull(reference);
    if (d === null || d.digest === null) continue;
    if (repository === null || d.repository === repository) {
      repository ??= d.repository;
      digest = d.digest;
    }
  }
  return { repository, digest, tags };
}
