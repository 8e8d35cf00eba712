import { describe, expect, it } from 'vitest';
import { SCANNING_CACHE_TTL_MS, ScanningCache } from '../../../lib/gate/scanning-cache.ts';
import type { Registry, RepositoryScanning } from '../../../lib/registry/registry.ts';

/** A registry whose scanning configuration can change, counting its reads. */
function registry(initial: RepositoryScanning) {
  const state = { value: initial, reads: 0 };
  const port = {
    getRepositoryScanning: async () => {
      state.reads += 1;
      return state.value;
    },
  } as unknown as Registry;
  return { port, state };
}

const BASIC: RepositoryScanning = { scanType: 'BASIC', frequency: 'SCAN_ON_PUSH' };
const ENHANCED: RepositoryScanning = { scanType: 'ENHANCED', frequency: 'CONTINUOUS_SCAN' };
const T0 = new Date('2026-06-01T12:00:00Z');
const at = (ms: number) => new Date(T0.getTime() + ms);

describe('ScanningCache', () => {
  it('reads once per repository within the TTL, again after it', async () => {
    const { port, state } = registry(BASIC);
    const cache = new ScanningCache();

    await cache.scanning(port, 'team/api', T0);
    await cache.scanning(port, 'team/api', at(SCANNING_CACHE_TTL_MS - 1));
    expect(state.reads).toBe(1);

    await cache.scanning(port, 'team/web', T0);
    expect(state.reads).toBe(2);

    state.value = ENHANCED;
    expect(await cache.scanning(port, 'team/api', at(SCANNING_CACHE_TTL_MS))).toEqual(ENHANCED);
    expect(state.reads).toBe(3);
  });

  it('reads fresh when the caller may not use the cached value, and keeps the fresh one', async () => {
    const { port, state } = registry(BASIC);
    const cache = new ScanningCache();
    const enhancedOnly = (s: RepositoryScanning) => s.scanType === 'ENHANCED';

    await cache.scanning(port, 'team/api', T0);
    state.value = ENHANCED; // switched to enhanced scanning while BASIC is cached

    // A cached BASIC would approve an empty result: never used for that.
    expect(await cache.scanning(port, 'team/api', at(1000), enhancedOnly)).toEqual(ENHANCED);
    expect(state.reads).toBe(2);
    // The fresh ENHANCED is cached and usable.
    expect(await cache.scanning(port, 'team/api', at(2000), enhancedOnly)).toEqual(ENHANCED);
    expect(state.reads).toBe(2);
  });

  it('does not trust an entry from the future (clock moved back)', async () => {
    const { port, state } = registry(BASIC);
    const cache = new ScanningCache();
    await cache.scanning(port, 'team/api', T0);
    await cache.scanning(port, 'team/api', at(-1000));
    expect(state.reads).toBe(2);
  });
});
