/** Errors of the re-judgement fan-out. */
import { GatekeeperError } from '../errors/gatekeeper-error.ts';

/** A queue message that is not a re-judgement message: reported as failed, it ends in the dead-letter queue. */
export class RejudgeMessageError extends GatekeeperError {}

/** The queue did not accept every message after retries; the caller's step is retried (at least once). */
export class QueueUnavailableError extends GatekeeperError {
  readonly retryable = true;
}
