/**
 * Errors of the Inspector module. The adapter translates every AWS SDK exception into one of three outcomes:
 *
 * - no access (AccessDeniedException, Inspector not enabled for the account or Region, an unrecognised client):
 *   not an error at all for the sweep — "no in-use data", one logged warning per sweep run, and in-use falls back
 *   to ECR's last recorded pull. {@link InspectorNoAccessError} carries it inside the module.
 * - {@link InspectorUnavailableError}: retryable. Throttling, 5xx, timeouts and dropped connections that the SDK's
 *   own retries did not absorb. The sweep counts the repository as failed and changes nothing in it this run.
 * - {@link InspectorRejectedError}: final. Inspector refused the request for a reason a retry cannot fix
 *   (ValidationException …): a defect to look at; the repository is not changed either.
 *
 * `classifyInspectorError` is the single table deciding which is which (test/unit/inspector/errors.test.ts).
 */
import { GatekeeperError } from '../errors/gatekeeper-error.ts';

export type InspectorErrorKind = 'no-access' | 'retryable' | 'final';

/** Base of the module's errors: the Inspector operation and the AWS error code (or a local code). */
export class InspectorError extends GatekeeperError {
  readonly operation: string;
  readonly code: string;
  readonly retryable: boolean;

  constructor(
    operation: string,
    code: string,
    message: string,
    retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(`${operation}: ${code}: ${message}`, options);
    this.operation = operation;
    this.code = code;
    this.retryable = retryable;
  }
}

/** Inspector could not be reached or asked us to slow down, after the SDK's retries: retry later. */
export class InspectorUnavailableError extends InspectorError {
  constructor(operation: string, code: string, message: string, options?: { cause?: unknown }) {
    super(operation, code, message, true, options);
  }
}

/** Inspector refused the request for a reason a retry cannot fix. */
export class InspectorRejectedError extends InspectorError {
  constructor(operation: string, code: string, message: string, options?: { cause?: unknown }) {
    super(operation, code, message, false, options);
  }
}

/** No permission, or Inspector is not enabled: the caller treats it as "no in-use data". */
export class InspectorNoAccessError extends InspectorError {
  constructor(operation: string, code: string, message: string, options?: { cause?: unknown }) {
    super(operation, code, message, false, options);
  }
}

const NO_ACCESS_CODES = new Set([
  'AccessDeniedException',
  'AccessDenied',
  'UnrecognizedClientException',
  'SubscriptionRequiredException',
  'OptInRequired',
]);

const THROTTLING_CODES = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
]);

const TRANSIENT_CODES = new Set([
  'InternalServerException',
  'InternalFailure',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'RequestAbortedError',
  'ExpiredTokenException',
]);

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

interface ErrorLike {
  readonly name?: unknown;
  readonly code?: unknown;
  readonly message?: unknown;
  readonly cause?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: number };
}

/** The AWS error code of an SDK exception, or the Node.js error code. */
export function inspectorErrorCode(error: unknown): string {
  if (typeof error !== 'object' || error === null) return 'UnknownError';
  const e = error as ErrorLike;
  if (error instanceof InspectorError) return error.code;
  if (typeof e.name === 'string' && e.name !== 'Error' && e.name !== 'TypeError') return e.name;
  if (typeof e.code === 'string') return e.code;
  if (e.cause !== undefined && e.cause !== error) return inspectorErrorCode(e.cause);
  return typeof e.name === 'string' ? e.name : 'UnknownError';
}

/**
 * Decides what an Inspector failure means for the sweep.
 *
 * No access: AccessDenied (IAM, or "Invoking account does not have access" when Inspector is not enabled), HTTP 403,
 * an unrecognised client. Retryable: HTTP 429 and throttling codes (Inspector's ThrottlingException, 429, with
 * `retryAfterSeconds`), HTTP 5xx (InternalServerException), timeouts, network errors, failures without any HTTP
 * response. Final: every other 4xx (ValidationException, BadRequestException …).
 *
 * @example classifyInspectorError({ name: 'AccessDeniedException', $metadata: { httpStatusCode: 403 } }) // 'no-access'
 */
export function classifyInspectorError(error: unknown): InspectorErrorKind {
  if (error instanceof InspectorNoAccessError) return 'no-access';
  if (error instanceof InspectorError) return error.retryable ? 'retryable' : 'final';
  if (typeof error !== 'object' || error === null) return 'retryable';
  const e = error as ErrorLike;
  const code = inspectorErrorCode(error);
  const status = e.$metadata?.httpStatusCode;
  if (NO_ACCESS_CODES.has(code) || status === 403) return 'no-access';
  if (status === 429 || THROTTLING_CODES.has(code)) return 'retryable';
  if (TRANSIENT_CODES.has(code) || NETWORK_CODES.has(code)) return 'retryable';
  if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return 'retryable';
  if (status !== undefined && status >= 500) return 'retryable';
  if (status !== undefined && status >= 400) return 'final';
  // No HTTP status: the request failed in transit. Retrying later is the safe answer: nothing is changed meanwhile.
  return 'retryable';
}

/** Wraps any failure of `operation` into the module's errors, chaining the original as `cause`. */
export function toInspectorError(error: unknown, operation: string, context: string): InspectorError {
  if (error instanceof InspectorError) return error;
  const code = inspectorErrorCode(error);
  const detail =
    typeof error === 'object' && error !== null && typeof (error as ErrorLike).message === 'string'
      ? ((error as ErrorLike).message as string)
      : String(error);
  const message = `${context}: ${detail}`;
  switch (classifyInspectorError(error)) {
    case 'no-access':
      return new InspectorNoAccessError(operation, code, message, { cause: error });
    case 'retryable':
      return new InspectorUnavailableError(operation, code, message, { cause: error });
    default:
      return new InspectorRejectedError(operation, code, message, { cause: error });
  }
}
