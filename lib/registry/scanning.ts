/**
 * How a registry's scanning configuration covers a repository, with ECR's documented semantics
 * (ECR User Guide, "Filters to choose which repositories are scanned"):
 *
 * - A filter without `*` matches every repository name that CONTAINS it; with `*`, the whole name must
 *   match, each `*` standing for zero or more characters (`prod*repo` matches `prod-repo`, not `repo-prod-repo`).
 * - BASIC: repositories matching a SCAN_ON_PUSH rule scan on push; the others are MANUAL (scan only when
 *   asked). The deprecated repository-level `scanOnPush` still counts when no registry rule matches.
 * - ENHANCED: when both a CONTINUOUS_SCAN and a SCAN_ON_PUSH filter match, continuous scanning wins.
 *   Repositories matching no filter are not scanned at all (reported as MANUAL: StartImageScan does not
 *   exist for enhanced scanning, so the gate alerts instead of waiting forever).
 */
import type { RepositoryScanning } from './registry.ts';

export type ScanFrequency = 'SCAN_ON_PUSH' | 'CONTINUOUS_SCAN' | 'MANUAL';

export interface ScanningRule {
  readonly scanFrequency: ScanFrequency;
  readonly filters: readonly { readonly filter: string; readonly filterType: 'WILDCARD' }[];
}

/** GetRegistryScanningConfiguration, normalised. */
export interface RegistryScanningConfiguration {
  readonly scanType: 'BASIC' | 'ENHANCED';
  readonly rules: readonly ScanningRule[];
}

/**
 * ECR's WILDCARD repository filter. Linear time: `*` is the only metacharacter, so a greedy left-to-right
 * match of the literal pieces is exact and cannot backtrack catastrophically.
 *
 * @example matchesScanFilter('prod*repo', 'prod-repo') // true
 */
export function matchesScanFilter(filter: string, repository: string): boolean {
  if (!filter.includes('*')) return repository.includes(filter);
  const pieces = filter.split('*');
  const first = pieces[0] ?? '';
  const last = pieces[pieces.length - 1] ?? '';
  if (!repository.startsWith(first)) return false;
  let position = first.length;
  for (let i = 1; i < pieces.length - 1; i++) {
    const piece = pieces[i] ?? '';
    const found = repository.indexOf(piece, position);
    if (found < 0) return false;
    position = found + piece.length;
  }
  return repository.length - last.length >= position && repository.endsWith(last);
}

/**
 * Resolves the scan frequency for one repository.
 *
 * @param repositoryScanOnPush the repository's own `imageScanningConfiguration.scanOnPush` (BASIC only;
 *   null when not looked up).
 * @example resolveRepositoryScanning(config, 'team/prod-api', null) // { scanType: 'ENHANCED', frequency: 'CONTINUOUS_SCAN' }
 */
export function resolveRepositoryScanning(
  config: RegistryScanningConfiguration,
  repository: string,
  repositoryScanOnPush: boolean | null,
): RepositoryScanning {
  const matching = new Set<ScanFrequency>();
  for (const rule of config.rules) {
    if (rule.filters.some((f) => f.filterType === 'WILDCARD' && matchesScanFilter(f.filter, repository))) {
      matching.add(rule.scanFrequency);
    }
  }
  if (config.scanType === 'ENHANCED') {
    if (matching.has('CONTINUOUS_SCAN')) return { scanType: 'ENHANCED', frequency: 'CONTINUOUS_SCAN' };
    if (matching.has('SCAN_ON_PUSH')) return { scanType: 'ENHANCED', frequency: 'SCAN_ON_PUSH' };
    return { scanType: 'ENHANCED', frequency: 'MANUAL' };
  }
  if (matching.has('SCAN_ON_PUSH') || matching.has('CONTINUOUS_SCAN') || repositoryScanOnPush === true) {
    return { scanType: 'BASIC', frequency: 'SCAN_ON_PUSH' };
  }
  return { scanType: 'BASIC', frequency: 'MANUAL' };
}

/** True when resolving BASIC scanning for `repository` needs the repository's own scanOnPush flag. */
export function needsRepositoryScanOnPush(
  config: RegistryScanningConfiguration,
  repository: string,
): boolean {
  return (
    config.scanType === 'BASIC' && resolveRepositoryScanning(config, repository, null).frequency === 'MANUAL'
  );
}
