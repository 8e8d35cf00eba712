/**
 * Test data built from the real AWS payloads in test/fixtures/aws: findings cloned with distinct ids for
 * pagination tests, and small images (config blob + manifest) whose digests are real sha256 values.
 */

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { digestOf, MEDIA_TYPES } from './manifest.ts';

const FIXTURES = fileURLToPath(new URL('../../fixtures/aws/', import.meta.url));

/** Raw text of a fixture file in test/fixtures/aws (exact bytes matter for manifests). */
export function fixtureText(name: string): string {
  return readFileSync(`${FIXTURES}${name}`, 'utf8');
}

export function fixtureJson<T = unknown>(name: string): T {
  return JSON.parse(fixtureText(name)) as T;
}

interface FindingsPage {
  imageScanFindings: { findings?: Record<string, unknown>[]; enhancedFindings?: Record<string, unknown>[] };
}

/** `count` basic findings cloned from the documented DescribeImageScanFindings sample (ids CVE-2099-00001 …). */
export function basicFindings(count: number, severity?: string): Record<string, unknown>[] {
  const page = fixtureJson<FindingsPage>('ecr-describe-image-scan-findings-basic.json');
  const template = page.imageScanFindings.findings?.[0];
  if (!template) throw new Error('basic findings fixture has no finding');
  return Array.from({ length: count }, (_, i) => {
    const f = structuredClone(template);
    const id = `CVE-2099-${String(i + 1).padStart(5, '0')}`;
    f.name = id;
    f.uri = `https://cve.example.org/${id}`;
    if (severity) f.severity = severity;
    return f;
  });
}

/** `count` enhanced findings cloned from the documented enhanced sample, each with its own id and ARN. */
export function enhancedFindings(count: number, severity?: string): Record<string, unknown>[] {
  const page = fixtureJson<FindingsPage>('ecr-describe-image-scan-findings-enhanced-active.json');
  const template = page.imageScanFindings.enhancedFindings?.[0];
  if (!template) throw new Error('enhanced findings fixture has no finding');
  return Array.from({ length: count }, (_, i) => {
    const f = structuredClone(template) as Record<string, unknown> & {
      packageVulnerabilityDetails: Record<string, unknown>;
    };
    const id = `CVE-2099-${String(i + 1).padStart(5, '0')}`;
    f.findingArn = `arn:aws:inspector2:us-east-1:123456789012:finding/${String(i + 1).padStart(32, '0')}`;
    f.title = `${id} - libxml2`;
    f.packageVulnerabilityDetails.vulnerabilityId = id;
    if (severity) f.severity = severity;
    return f;
  });
}

export interface BuiltImage {
  /** Exact manifest bytes. */
  readonly manifest: string;
  readonly digest: string;
  readonly mediaType: string;
  /** Exact config blob bytes. */
  readonly config: string;
  readonly configDigest: string;
}

/**
 * A Docker schema 2 (or OCI) image whose config blob is `config` (JSON), with `layers` fake gzip layer
 * descriptors of `layerSize` bytes. Distinct `config` values give distinct digests.
 */
export function buildImage(
  config: Record<string, unknown>,
  options: { layers?: number; layerSize?: number; oci?: boolean } = {},
): BuiltImage {
  const configText = JSON.stringify(config);
  const configDigest = digestOf(configText);
  const oci = options.oci ?? false;
  const mediaType = oci ? MEDIA_TYPES.ociManifest : MEDIA_TYPES.dockerV2;
  const layers = Array.from({ length: options.layers ?? 2 }, (_, i) => ({
    mediaType: oci
      ? 'application/vnd.oci.image.layer.v1.tar+gzip'
      : 'application/vnd.docker.image.rootfs.diff.tar.gzip',
    size: options.layerSize ?? 1000 * (i + 1),
    digest: digestOf(`${configDigest}/layer/${i}`),
  }));
  const manifest = JSON.stringify(
    {
      schemaVersion: 2,
      mediaType,
      config: {
        mediaType: oci
          ? 'application/vnd.oci.image.config.v1+json'
          : 'application/vnd.docker.container.image.v1+json',
        size: Buffer.byteLength(configText),
        digest: configDigest,
      },
      layers,
    },
    null,
    3,
  );
  return { manifest, digest: digestOf(manifest), mediaType, config: configText, configDigest };
}

/** A minimal image config for `buildImage`, distinct per `name`. */
export function imageConfig(
  name: string,
  extra: { user?: string; labels?: Record<string, string> } = {},
): Record<string, unknown> {
  return {
    architecture: 'amd64',
    os: 'linux',
    config: { User: extra.user ?? '', Labels: extra.labels ?? {}, Cmd: ['/bin/sh'] },
    rootfs: { type: 'layers', diff_ids: [digestOf(`diff/${name}`)] },
    history: [{ created_by: `local test image ${name}` }],
  };
}

/** A Docker manifest list (or OCI index) over already-built child manifests. */
export function buildIndex(
  children: readonly { digest: string; manifest: string; mediaType: string; arch: string }[],
  oci = false,
) {
  const mediaType = oci ? MEDIA_TYPES.ociIndex : MEDIA_TYPES.dockerList;
  const manifest = JSON.stringify(
    {
      schemaVersion: 2,
      mediaType,
      manifests: children.map((c) => ({
        mediaType: c.mediaType,
        digest: c.digest,
        size: Buffer.byteLength(c.manifest),
        platform: { architecture: c.arch, os: 'linux' },
      })),
    },
    null,
    2,
  );
  return { manifest, digest: digestOf(manifest), mediaType };
}
