/**
 * Manifest facts the local ECR needs: the digest of the exact bytes, the media type, referenced
 * blobs and child manifests, and the compressed size ECR reports as `imageSizeInBytes`.
 */

import { createHash } from 'node:crypto';
import { EcrError } from './ecr-errors.ts';

export const MEDIA_TYPES = {
  dockerV1: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerV1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
  dockerV2: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
} as const;

const INDEX_TYPES = new Set<string>([MEDIA_TYPES.dockerList, MEDIA_TYPES.ociIndex]);
const IMAGE_TYPES = new Set<string>([MEDIA_TYPES.dockerV2, MEDIA_TYPES.ociManifest]);
const V1_TYPES = new Set<string>([MEDIA_TYPES.dockerV1, MEDIA_TYPES.dockerV1Signed]);

/** ECR's documented default for BatchGetImage `acceptedMediaTypes` (ECR API model). */
export const DEFAULT_ACCEPTED_MEDIA_TYPES: readonly string[] = [
  MEDIA_TYPES.dockerV1,
  MEDIA_TYPES.dockerV2,
  MEDIA_TYPES.ociManifest,
];

export const DIGEST_PATTERN = /^sha256:[a-f0-9]{64}$/;

export interface Descriptor {
  readonly digest: string;
  readonly size: number;
  readonly mediaType: string | null;
}

export interface ParsedManifest {
  readonly digest: string;
  readonly mediaType: string;
  readonly kind: 'image' | 'index' | 'v1';
  readonly config: Descriptor | null;
  readonly layers: readonly Descriptor[];
  readonly children: readonly Descriptor[];
  readonly artifactType: string | null;
  readonly subjectDigest: string | null;
}

/** sha256 over the UTF-8 bytes of the manifest string: exactly what ECR hashes. */
export function digestOf(manifest: string | Uint8Array): string {
  return `sha256:${createHash('sha256').update(manifest).digest('hex')}`;
}

export function isIndexMediaType(mediaType: string): boolean {
  return INDEX_TYPES.has(mediaType);
}

/**
 * Parses a manifest as PutImage would. `declared` is the request's `imageManifestMediaType`.
 * Throws InvalidParameterException for bad JSON, a missing or conflicting media type, bad descriptors.
 */
export function parseManifest(manifest: string, declared: string | undefined): ParsedManifest {
  let json: unknown;
  try {
    json = JSON.parse(manifest);
  } catch {
    throw new EcrError(
      'InvalidParameterException',
      "Invalid parameter at 'imageManifest' failed to satisfy constraint: 'Invalid JSON syntax'",
    );
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new EcrError(
      'InvalidParameterException',
      "Invalid parameter at 'imageManifest' failed to satisfy constraint: 'Invalid JSON syntax'",
    );
  }
  const m = json as Record<string, unknown>;
  const inline = typeof m.mediaType === 'string' ? m.mediaType : undefined;
  if (declared !== undefined && inline !== undefined && declared !== inline) {
    throw new EcrError(
      'InvalidParameterException',
      `Invalid parameter at 'imageManifestMediaType' failed to satisfy constraint: 'Manifest media type '${inline}' does not match the specified media type '${declared}''`,
    );
  }
  let mediaType = declared ?? inline;
  if (mediaType === undefined && m.schemaVersion === 1) mediaType = MEDIA_TYPES.dockerV1;
  if (mediaType === undefined) {
    throw new EcrError(
      'InvalidParameterException',
      "Invalid parameter at 'imageManifestMediaType' failed to satisfy constraint: 'The manifest has no mediaType; imageManifestMediaType is required'",
    );
  }
  const digest = digestOf(manifest);
  const subject = descriptorOrNull(m.subject, 'subject');
  const artifactType = typeof m.artifactType === 'string' ? m.artifactType : null;
  if (INDEX_TYPES.has(mediaType)) {
    if (!Array.isArray(m.manifests)) throw invalidManifest('an index needs a manifests array');
    const children = m.manifests.map((d, i) => descriptor(d, `manifests[${i}]`));
    return {
      digest,
      mediaType,
      kind: 'index',
      config: null,
      layers: [],
      children,
      artifactType,
      subjectDigest: subject?.digest ?? null,
    };
  }
  if (IMAGE_TYPES.has(mediaType)) {
    const config = descriptor(m.config, 'config');
    if (!Array.isArray(m.layers)) throw invalidManifest('an image manifest needs a layers array');
    const layers = m.layers.map((d, i) => descriptor(d, `layers[${i}]`));
    return {
      digest,
      mediaType,
      kind: 'image',
      config,
      layers,
      children: [],
      artifactType,
      subjectDigest: subject?.digest ?? null,
    };
  }
  if (V1_TYPES.has(mediaType)) {
    const fsLayers = Array.isArray(m.fsLayers) ? m.fsLayers : [];
    const layers = fsLayers.map((l, i) => {
      const sum = (l as { blobSum?: unknown } | null)?.blobSum;
      if (typeof sum !== 'string' || !DIGEST_PATTERN.test(sum))
        throw invalidManifest(`fsLayers[${i}].blobSum is not a sha256 digest`);
      return { digest: sum, size: 0, mediaType: null };
    });
    return {
      digest,
      mediaType,
      kind: 'v1',
      config: null,
      layers,
      children: [],
      artifactType: null,
      subjectDigest: null,
    };
  }
  throw new EcrError(
    'InvalidParameterException',
    `Invalid parameter at 'imageManifestMediaType' failed to satisfy constraint: 'Unsupported manifest media type ${mediaType}'`,
  );
}

function invalidManifest(problem: string): EcrError {
  return new EcrError(
    'InvalidParameterException',
    `Invalid parameter at 'imageManifest' failed to satisfy constraint: '${problem}'`,
  );
}

function descriptorOrNull(value: unknown, path: string): Descriptor | null {
  return value === undefined || value === null ? null : descriptor(value, path);
}

function descriptor(value: unknown, path: string): Descriptor {
  if (typeof value !== 'object' || value === null)
    throw invalidManifest(`${path} must be a descriptor object`);
  const d = value as Record<string, unknown>;
  if (typeof d.digest !== 'string' || !DIGEST_PATTERN.test(d.digest))
    throw invalidManifest(`${path}.digest is not a sha256 digest`);
  const size = typeof d.size === 'number' && Number.isFinite(d.size) && d.size >= 0 ? d.size : 0;
  return { digest: d.digest, size, mediaType: typeof d.mediaType === 'string' ? d.mediaType : null };
}
