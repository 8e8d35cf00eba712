/**
 * Manifests as ECR stores them: the digest is sha256 over the EXACT bytes (re-serialising, re-indenting or a
 * trailing newline changes it), Docker schema 2 and OCI types are 1:1 equivalents, and a multi-arch image is
 * an index (Docker manifest list / OCI image index) whose children are image manifests.
 */
import { createHash } from 'node:crypto';
import { ManifestDigestMismatchError, RegistryRejectedError } from './errors.ts';
import type { StoredManifest } from './registry.ts';

export const MEDIA_TYPES = {
  dockerV1: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerV1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
  dockerV2: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
} as const;

/**
 * BatchGetImage `acceptedMediaTypes`. The ECR model documents only the two Docker manifest types and the OCI
 * manifest, but ECR stores manifest lists and OCI indexes and returns them when asked (the SDK passes the
 * list through unchecked). Without the index types a multi-arch image could not be read, hence retagged.
 * Pull by digest never converts formats, so the stored bytes come back either way.
 */
export const ACCEPTED_MANIFEST_MEDIA_TYPES: readonly string[] = [
  MEDIA_TYPES.dockerV2,
  MEDIA_TYPES.dockerList,
  MEDIA_TYPES.ociManifest,
  MEDIA_TYPES.ociIndex,
  MEDIA_TYPES.dockerV1,
];

const INDEX_TYPES = new Set<string>([MEDIA_TYPES.dockerList, MEDIA_TYPES.ociIndex]);
const IMAGE_CONFIG_TYPES = new Set<string>([MEDIA_TYPES.dockerConfig, MEDIA_TYPES.ociConfig]);

/** sha256 of the manifest's UTF-8 bytes, as ECR computes `imageDigest`. */
export function manifestDigest(manifest: string | Uint8Array): string {
  return `sha256:${createHash('sha256').update(manifest).digest('hex')}`;
}

/**
 * Throws {@link ManifestDigestMismatchError} unless the bytes hash to `expected`.
 *
 * @example verifyManifestDigest(stored.manifest, ref.digest, 'PutImage');
 */
export function verifyManifestDigest(manifest: string, expected: string, operation: string): void {
  const actual = manifestDigest(manifest);
  if (actual !== expected) throw new ManifestDigestMismatchError(operation, expected, actual);
}

export function isIndexMediaType(mediaType: string): boolean {
  return INDEX_TYPES.has(mediaType);
}

/**
 * True when a manifest's config blob is a container image config (Docker or OCI). Early Docker Hub pushes
 * labelled it `application/octet-stream`; OCI artifacts (SBOMs, signatures) use their own types or the
 * empty descriptor `application/vnd.oci.empty.v1+json`, and carry no user or labels.
 */
export function isImageConfigMediaType(mediaType: string | null): boolean {
  return mediaType === null || mediaType === 'application/octet-stream' || IMAGE_CONFIG_TYPES.has(mediaType);
}

export interface Descriptor {
  readonly digest: string;
  readonly size: number;
  readonly mediaType: string | null;
}

export interface Platform {
  readonly os: string;
  readonly architecture: string;
  readonly variant: string | null;
}

export interface ChildManifest extends Descriptor {
  readonly platform: Platform | null;
  /**
   * True for entries that are not runnable images: BuildKit attestation manifests
   * (`vnd.docker.reference.type: attestation-manifest`, platform unknown/unknown). Their findings do not
   * describe the image, so the gate does not decide the index from them.
   */
  readonly attestation: boolean;
}

export type ParsedManifest =
  | {
      readonly kind: 'image';
      readonly mediaType: string;
      readonly config: Descriptor;
      readonly layers: readonly Descriptor[];
    }
  | { readonly kind: 'index'; readonly mediaType: string; readonly children: readonly ChildManifest[] }
  | { readonly kind: 'v1'; readonly mediaType: string; readonly v1Compatibility: string | null };

type Json = Record<string, unknown>;

/**
 * Parses manifest text into the parts the gate needs. `declaredMediaType` is what ECR reported
 * (`imageManifestMediaType`); the manifest's own `mediaType` field wins when present, and OCI manifests
 * without one are recognised by shape (`manifests[]` → index, `config` + `layers[]` → image).
 */
export function parseManifest(
  manifest: string,
  declaredMediaType: string | null,
  operation = 'BatchGetImage',
): ParsedManifest {
  let json: unknown;
  try {
    json = JSON.parse(manifest);
  } catch (error) {
    throw new RegistryRejectedError(
      operation,
      'InvalidManifest',
      `manifest is not JSON: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  if (!isObject(json)) throw invalid(operation, 'manifest is not a JSON object');
  const mediaType = mediaTypeOf(json, declaredMediaType);
  if (
    json.schemaVersion === 1 ||
    mediaType === MEDIA_TYPES.dockerV1 ||
    mediaType === MEDIA_TYPES.dockerV1Signed
  ) {
    const history = Array.isArray(json.history) ? json.history[0] : undefined;
    const v1 =
      isObject(history) && typeof history.v1Compatibility === 'string' ? history.v1Compatibility : null;
    return { kind: 'v1', mediaType, v1Compatibility: v1 };
  }
  if (isIndexMediaType(mediaType)) {
    if (!Array.isArray(json.manifests)) throw invalid(operation, 'index has no manifests[]');
    return { kind: 'index', mediaType, children: json.manifests.map((m, i) => child(m, i, operation)) };
  }
  if (!Array.isArray(json.layers) && !isObject(json.config)) {
    throw invalid(operation, `unsupported manifest media type ${JSON.stringify(mediaType)}`);
  }
  const config = descriptor(json.config, 'config', operation);
  const layers = Array.isArray(json.layers)
    ? json.layers.map((l, i) => descriptor(l, `layers[${i}]`, operation))
    : [];
  return { kind: 'image', mediaType, config, layers };
}

/**
 * The media type to send with PutImage: the manifest's own `mediaType` field (PutImage refuses a declared type
 * that contradicts it), else what ECR reported, else recognised by shape.
 */
export function mediaTypeOf(json: Json, declared: string | null): string {
  if (typeof json.mediaType === 'string' && json.mediaType !== '') return json.mediaType;
  if (declared) return declared;
  if (json.schemaVersion === 1) return MEDIA_TYPES.dockerV1;
  if (Array.isArray(json.manifests)) return MEDIA_TYPES.ociIndex;
  return MEDIA_TYPES.ociManifest;
}

/**
 * The child manifests of an index (Docker manifest list or OCI image index); [] for anything else.
 * The gate decides a multi-arch image from its children's findings and tags the index digest itself.
 *
 * @example childManifests(stored).filter((c) => !c.attestation).map((c) => c.digest)
 */
export function childManifests(manifest: StoredManifest): readonly ChildManifest[] {
  const parsed = parseManifest(manifest.manifest, manifest.mediaType);
  return parsed.kind === 'index' ? parsed.children : [];
}

/**
 * Compressed size the way ECR reports `imageSizeInBytes`: config plus layers for an image manifest; null
 * for an index (its size is the largest child's, which needs the children) and for schema 1 (no sizes).
 */
export function imageManifestSize(parsed: ParsedManifest): number | null {
  if (parsed.kind !== 'image') return null;
  return parsed.layers.reduce((sum, layer) => sum + layer.size, parsed.config.size);
}

export interface ImageConfigFacts {
  /** `config.User`; '' when unset (runs as root). */
  readonly user: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** Reads `config.User` and `config.Labels` from a Docker/OCI image config (or a schema 1 v1Compatibility). */
export function imageConfigFacts(configJson: unknown, operation: string): ImageConfigFacts {
  if (!isObject(configJson)) throw invalid(operation, 'image config is not a JSON object');
  const config = configJson.config ?? configJson.container_config;
  if (config !== undefined && config !== null && !isObject(config))
    throw invalid(operation, 'image config.config is not an object');
  const user = isObject(config) ? config.User : undefined;
  if (user !== undefined && user !== null && typeof user !== 'string')
    throw invalid(operation, 'image config.User is not a string');
  const rawLabels = isObject(config) ? config.Labels : undefined;
  const labels: Record<string, string> = {};
  if (rawLabels !== undefined && rawLabels !== null) {
    if (!isObject(rawLabels)) throw invalid(operation, 'image config.Labels is not an object');
    for (const [key, value] of Object.entries(rawLabels)) {
      if (typeof value !== 'string') throw invalid(operation, `image config.Labels.${key} is not a string`);
      labels[key] = value;
    }
  }
  return { user: typeof user === 'string' ? user : '', labels };
}

function child(value: unknown, i: number, operation: string): ChildManifest {
  const d = descriptor(value, `manifests[${i}]`, operation);
  const json = value as Json;
  const platform = isObject(json.platform)
    ? {
        os: String(json.platform.os ?? ''),
        architecture: String(json.platform.architecture ?? ''),
        variant: typeof json.platform.variant === 'string' ? json.platform.variant : null,
      }
    : null;
  const annotations = isObject(json.annotations) ? json.annotations : {};
  const attestation =
    annotations['vnd.docker.reference.type'] === 'attestation-manifest' ||
    (platform?.os === 'unknown' && platform.architecture === 'unknown');
  return { ...d, platform, attestation };
}

function descriptor(value: unknown, path: string, operation: string): Descriptor {
  if (!isObject(value)) throw invalid(operation, `${path} is not a descriptor object`);
  const { digest, size, mediaType } = value;
  if (typeof digest !== 'string' || !/^sha256:[a-f0-9]{64}$/.test(digest)) {
    throw invalid(operation, `${path}.digest is not a sha256 digest`);
  }
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw invalid(operation, `${path}.size is not a non-negative integer`);
  }
  return { digest, size, mediaType: typeof mediaType === 'string' ? mediaType : null };
}

function invalid(operation: string, problem: string): RegistryRejectedError {
  return new RegistryRejectedError(operation, 'InvalidManifest', problem);
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
