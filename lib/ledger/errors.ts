/** Errors of the decision ledger. */
import { GatekeeperError } from '../errors/gatekeeper-error.ts';

/** Another writer changed the record since it was read (conditional write failed). Re-read and retry. */
export class LedgerConflictError extends GatekeeperError {
  readonly retryable = true;
  readonly key: string;
  constructor(key: string, options?: { cause?: unknown }) {
    super(`ledger record ${key} changed concurrently`, options);
    this.key = key;
  }
}

/** The ledger could not be read or written (throttling, 5xx, network). Retryable: no tag change happens. */
export class LedgerUnavailableError extends GatekeeperError {
  readonly retryable = true;
}

/** A stored item that does not parse as a ledger record (hand-edited or from an incompatible version). */
export class LedgerCorruptError extends GatekeeperError {}
