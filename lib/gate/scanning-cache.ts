/**
 * The registry's scanning configuration as it covers each repository, kept per warm container for a short time
 * (GetRegistryScanningConfiguration, plus DescribeRepositories for BASIC scanning, would otherwise be read on
 * every push and on every empty scan result).
 *
 * A cached value is used only where a stale one cannot produce a false approval; each caller says which cached
 * values it may use (`usable`), anything else is read fresh (and cached):
 * - making sure a scan happens (ensure-scan.ts): any value. Stale, it at worst starts a scan that was not
 *   needed (ECR answers LimitExceeded) or waits for a scan that will not come (the sweep's safety net decides
 *   the image); no verdict rests on it.
 * - telling an empty scan result from an enhanced scan whose findings are not visible yet (read-image.ts):
 *   only ENHANCED, which makes the empty result "not ready" for a while. A stale BASIC would call the empty
 *   result clean and approve, so BASIC is always read fresh.
 */
import type { Registry, RepositoryScanning } from '../registry/registry.ts';

/** How long a read scanning configuration is used: 5 minutes (a Lambda container lives for minutes to hours). */
export const SCANNING_CACHE_TTL_MS = 5 * 60_000;

/** Repositories kept at most; the oldest entry goes first. */
const MAX_ENTRIES = 1000;

export class ScanningCache {
  readonly #ttlMs: number;
  readonly #entries = new Map<string, { readonly value: RepositoryScanning; readonly readAt: number }>();

  constructor(ttlMs: number = SCANNING_CACHE_TTL_MS) {
    this.#ttlMs = ttlMs;
  }

  /**
   * The scanning of `repository`: the cached value when it is younger than the TTL at `now` and `usable`,
   * otherwise read through `registry` (and cached).
   * @example await cache.scanning(deps.registry, 'team/api', deps.now(), (s) => s.scanType === 'ENHANCED')
   */
  async scanning(
    registry: Registry,
    repository: string,
    now: Date,
    usable: (cached: RepositoryScanning) => boolean = () => true,
  ): Promise<RepositoryScanning> {
    const entry = this.#entries.get(repository);
    const age = entry ? now.getTime() - entry.readAt : Number.POSITIVE_INFINITY;
    if (entry && age >= 0 && age < this.#ttlMs && usable(entry.value)) return entry.value;
    const value = await registry.getRepositoryScanning(repository);
    this.#entries.delete(repository);
    this.#entries.set(repository, { value, readAt: now.getTime() });
    if (this.#entries.size > MAX_ENTRIES) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    return value;
  }
}

/**
 * The scanning of `repository` through the container's cache when the dependencies carry one (the wiring gives
 * every warm container one), otherwise read fresh.
 */
export function repositoryScanning(
  deps: { readonly registry: Registry; readonly scanningCache?: ScanningCache; readonly now: () => Date },
  repository: string,
  usable?: (cached: RepositoryScanning) => boolean,
): Promise<RepositoryScanning> {
  return deps.scanningCache
    ? deps.scanningCache.scanning(deps.registry, repository, deps.now(), usable)
    : deps.registry.getRepositoryScanning(repository);
}
