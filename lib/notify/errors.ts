/**
 * Errors of the notify module. The SNS adapter translates every SDK failure into one of these, chaining the
 * original as `cause`: {@link NotifierUnavailableError} is worth a retry (throttling, 5xx, network), while
 * {@link NotifierRejectedError} is final (the request itself is wrong, or permissions / KMS deny it).
 */
import { GatekeeperError } from '../errors/gatekeeper-error.ts';

export abstract class NotifierError extends GatekeeperError {
  /** Whether publishing the same message again may succeed. */
  abstract readonly retryable: boolean;
  /** SDK error name, e.g. `ThrottledException`, or `NetworkError` when no response was received. */
  readonly code: string;
  /** HTTP status of the failed response, when there was one. */
  readonly httpStatusCode: number | null;

  constructor(message: string, code: string, httpStatusCode: number | null, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.httpStatusCode = httpStatusCode;
  }
}

/** SNS could not be reached or asked us to slow down: throw it so Lambda/EventBridge retry. */
export class NotifierUnavailableError extends NotifierError {
  readonly retryable = true;
}

/** SNS refused the message for good (too large, invalid parameter, not authorised, KMS): alert, do not retry. */
export class NotifierRejectedError extends NotifierError {
  readonly retryable = false;
}
