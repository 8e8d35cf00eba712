/**
 * `--image-facts FILE`: what the image rules read (size, user, labels), in one of three shapes:
 *
 * 1. Facts: `{ "sizeBytes": 31457280, "user": "10001", "labels": { "org.opencontainers.image.source": "…" } }`
 *    (every key optional; no other keys allowed, so a typo is an error rather than a skipped rule).
 * 2. A raw Docker / OCI image config blob (`docker inspect`-style `{ "architecture", "os", "config": { "User",
 *    "Labels" }, "rootfs" }`, or `crane config`): user and labels; no size.
 * 3. `{ "manifest": <image manifest>, "config": <config blob> }`: size = config size + layer sizes from the
 *    manifest (ECR's compressed size), user and labels from the config blob (either part may be left out).
 *
 * An empty or absent `User` means the image runs as root; it is kept as '' so the rule can say so.
 */
import { isRecord, JsonReader, type JsonRecord } from '../findings/json-reader.ts';
import type { ImageFacts } from '../policy/decision.ts';

const FACT_KEYS = new Set(['sizeBytes', 'user', 'labels']);

export function parseImageFacts(json: unknown, source: string): ImageFacts {
  const r = new JsonReader(source);
  const doc = r.record(json, '');
  if (Object.hasOwn(doc, 'manifest')) return fromManifestAndConfig(r, doc);
  if (looksLikeConfigBlob(doc)) return fromConfigBlob(r, doc, '');
  for (const key of Object.keys(doc)) {
    if (!FACT_KEYS.has(key)) {
      r.fail(
        key,
        'unknown key; expected image facts {sizeBytes, user, labels}, a Docker/OCI config blob, or {manifest, config}',
      );
    }
  }
  const facts: { sizeBytes?: number; user?: string; labels?: Record<string, string> } = {};
  if (doc.sizeBytes !== undefined) facts.sizeBytes = nonNegativeInteger(r, doc.sizeBytes, 'sizeBytes');
  if (doc.user !== undefined) facts.user = r.string(doc.user, 'user');
  if (doc.labels !== undefined) facts.labels = labels(r, doc.labels, 'labels');
  return facts;
}

function looksLikeConfigBlob(doc: JsonRecord): boolean {
  return (
    doc.rootfs !== undefined ||
    ((doc.architecture !== undefined || doc.os !== undefined) &&
      (doc.config === undefined || isRecord(doc.config)))
  );
}

function fromConfigBlob(r: JsonReader, blob: JsonRecord, path: string): ImageFacts {
  const configValue = blob.config;
  if (configValue === undefined || configValue === null) return { user: '' };
  const configPath = r.at(path, 'config');
  const config = r.record(configValue, configPath);
  const user = r.optionalString(config.User, configPath, 'User') ?? '';
  const facts: { user: string; labels?: Record<string, string> } = { user };
  if (config.Labels !== undefined && config.Labels !== null) {
    facts.labels = labels(r, config.Labels, r.at(configPath, 'Labels'));
  } else {
    facts.labels = {};
  }
  return facts;
}

function fromManifestAndConfig(r: JsonReader, doc: JsonRecord): ImageFacts {
  const manifest = r.record(doc.manifest, 'manifest');
  if (manifest.manifests !== undefined) {
    r.fail('manifest', 'is an image index; give the manifest of one platform image');
  }
  const config = r.record(manifest.config, 'manifest', 'config');
  let size = nonNegativeInteger(r, config.size, 'manifest.config.size');
  const layers = r.array(manifest.layers, 'manifest', 'layers');
  for (let i = 0; i < layers.length; i++) {
    const layerPath = r.at('manifest.layers', i);
    const layer = r.record(layers[i], layerPath);
    size += nonNegativeInteger(r, layer.size, r.at(layerPath, 'size'));
  }
  const facts: ImageFacts =
    doc.config === undefined ? {} : fromConfigBlob(r, r.record(doc.config, 'config'), 'config');
  return { sizeBytes: size, ...facts };
}

function nonNegativeInteger(r: JsonReader, value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    r.expected(path, 'a whole number of bytes (0 or more)', value);
  }
  return value;
}

function labels(r: JsonReader, value: unknown, path: string): Record<string, string> {
  const record = r.record(value, path);
  const out: Record<string, string> = Object.create(null);
  for (const key of Object.keys(record).sort()) out[key] = r.string(record[key], path, key);
  return { ...out };
}
