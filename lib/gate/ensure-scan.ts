/** Making sure an image gets scanned: by the registry's own coverage, or by StartImageScan. */
import type { ImageRef } from '../events/image-ref.ts';
import type { Logger } from '../log/logger.ts';
import type { GateDependencies, GateOutcome, GateTrigger } from './context.ts';
import { decideImage } from './decide-image.ts';
import { baseOutcome as outcome } from './outcome.ts';
import { repositoryScanning } from './scanning-cache.ts';

/**
 * Makes sure a scan of `ref` will happen: nothing when the registry's scanning configuration covers the
 * repository (`rescanned(frequency)` says whether that coverage scans this image by itself), otherwise
 * StartImageScan. LimitExceeded (one scan per image per 24 h) is final: the existing scan decides the image.
 * An image that cannot be scanned is decided at once through the fail-closed table.
 */
export async function ensureScan(
  deps: GateDependencies,
  ref: ImageRef,
  trigger: GateTrigger,
  log: Logger,
  rescanned: (frequency: string) => boolean = (frequency) => frequency !== 'MANUAL',
): Promise<GateOutcome> {
  // Any cached value will do: no verdict rests on it (scanning-cache.ts).
  const scanning = await repositoryScanning(deps, ref.repository);
  if (rescanned(scanning.frequency)) {
    log.info('the registry scans this image by itself: waiting for its scan', {
      scanType: scanning.scanType,
      frequency: scanning.frequency,
    });
    return outcome(
      ref,
      'pending',
      `waiting for the ${scanning.scanType.toLowerCase()} scan (${scanning.frequency})`,
    );
  }
  const started = await deps.registry.startScan(ref);
  switch (started) {
    case 'started':
      log.info('scan started (the registry does not scan this image by itself)');
      return outcome(ref, 'pending', 'scan started');
    case 'limit-exceeded':
      // One scan per image per 24 h: final. The existing scan (or the sweep) decides the image.
      log.warn('scan not started: one scan per image per 24 hours already used (final, not retried)');
      return outcome(
        ref,
        'pending',
        'scan limit reached for this image (1 per 24 h); the existing scan decides it',
      );
    case 'unsupported':
    case 'archived': {
      log.info('scan cannot run; deciding through the fail-closed table', { startScan: started });
      const decided = await decideImage(deps, ref, trigger);
      return decided.outcome === 'not-ready' ? { ...decided, outcome: 'pending' } : decided;
    }
    case 'gone':
      return outcome(ref, 'gone', 'the image was deleted');
  }
}
