import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../fixtures/', import.meta.url));

/** A fresh parsed copy of a fixture (test/fixtures/<dir>/<name>), safe to edit. */
export function loadFixture(dir: 'aws' | 'scanners', name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(`${ROOT}${dir}/${name}`, 'utf8')) as Record<string, unknown>;
}

export function fixturePath(dir: 'aws' | 'scanners', name: string): string {
  return `${ROOT}${dir}/${name}`;
}

export const BASIC = 'ecr-describe-image-scan-findings-basic.json';
export const ENHANCED_ACTIVE = 'ecr-describe-image-scan-findings-enhanced-active.json';
export const ENHANCED_CENTOS8 = 'ecr-describe-image-scan-findings-enhanced-centos8.json';
export const INSPECTOR_LIST = 'inspector2-list-findings-ecr-image.json';
export const INSPECTOR_EVENT = 'inspector2-finding-ecr-package-vulnerability.json';
export const TRIVY = 'trivy-image-debian12-ecr.json';
export const GRYPE = 'grype-image-debian12-ecr.json';

/** Walks a path of keys/indexes into parsed JSON for test edits. */
// biome-ignore lint/suspicious/noExplicitAny: test helper editing arbitrary JSON
export function dig(value: unknown, ...keys: (string | number)[]): any {
  let cur = value as Record<string | number, unknown>;
  for (const k of keys) cur = cur[k] as Record<string | number, unknown>;
  return cur;
}
