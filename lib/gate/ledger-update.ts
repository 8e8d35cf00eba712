/** Read-modify-write of one image's ledger record under its optimistic version, retried on lost races. */
import { type ImageRef, imageKey } from '../events/image-ref.ts';
import { LedgerConflictError } from '../ledger/errors.ts';
import { type LedgerRecord, newLedgerRecord } from '../ledger/ledger.ts';
import type { GateDependencies } from './context.ts';
import { GateContentionError } from './errors.ts';

/**
 * Applies `change` to the image's record (a fresh one when it has none) and writes it; `change` returning
 * null means "nothing to write". A lost race re-reads and re-applies, up to `settings.contentionAttempts`.
 * @example await updateLedgerRecord(deps, ref, (r) => ({ ...r, ownTags: [...r.ownTags, tag] }))
 */
export async function updateLedgerRecord(
  deps: GateDependencies,
  ref: ImageRef,
  change: (record: LedgerRecord) => LedgerRecord | null,
): Promise<LedgerRecord | null> {
  for (let attempt = 1; ; attempt++) {
    const record = (await deps.ledger.get(ref)) ?? newLedgerRecord(imageKey(ref), ref, deps.now());
    const next = change(record);
    if (next === null) return record;
    try {
      return await deps.ledger.put(next, record.version);
    } catch (error) {
      if (!(error instanceof LedgerConflictError)) throw error;
      if (attempt >= deps.settings.contentionAttempts) {
        throw new GateContentionError(`${imageKey(ref)}: ledger record kept changing concurrently`, {
          cause: error,
        });
      }
    }
  }
}
