/**
 * Errors of the gate. Only retryable problems are thrown out of a handler (Lambda/EventBridge redeliver,
 * then the dead-letter queue and its alarm); permanent ones become recorded outcomes and alerts.
 */
import { GatekeeperError } from '../errors/gatekeeper-error.ts';

/** A problem a later attempt can fix. Handlers rethrow these so Lambda retries the event. */
export class RetryableGateError extends GatekeeperError {
  readonly retryable = true;
}

/**
 * The scan is not finished, or its findings are not visible yet (enhanced scan-on-push returns COMPLETE
 * with no findings for a few seconds). No verdict is recorded; thrown while the event is young enough for
 * Lambda's asynchronous retries to re-check it, otherwise the image is left pending for the sweep.
 */
export class NotReadyError extends RetryableGateError {
  readonly why: string;
  constructor(why: string) {
    super(`scan results not ready: ${why}`);
    this.why = why;
  }
}

/** Several invocations raced on one image and this one kept losing the ledger's conditional write. */
export class GateContentionError extends RetryableGateError {}

/** Another invocation is publishing this decision's notification right now; check again later. */
export class NotificationInFlightError extends RetryableGateError {}

/**
 * The policy set could not be loaded or is invalid. The gate approves nothing: the event fails (function
 * error → alarm, dead-letter queue) and can be redriven once a valid policy set is deployed.
 */
export class PolicySetUnavailableError extends RetryableGateError {}

/** A tag scheme (prefixes) that cannot produce valid, distinguishable tags. */
export class InvalidTagSchemeError extends GatekeeperError {}
