/**
 * What an AWS SDK v3 failure says about itself, read the same way for every service: its error code, the HTTP
 * status, and whether it is throttling, a transient server-side or timeout problem, or a network error. The
 * modules' own classifiers (registry, inspector, notify) build on it and add their service's codes; the shared
 * lists hold only codes whose meaning is the same for every AWS service.
 *
 * Tested once with a table: test/unit/aws/sdk-error.test.ts.
 */

/** AWS error codes that mean "slow down" in any service. */
export const THROTTLING_CODES: ReadonlySet<string> = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
]);

/** Server-side trouble (usually with a 5xx) that a later attempt can get past. */
export const SERVER_ERROR_CODES: ReadonlySet<string> = new Set([
  'InternalFailure',
  'InternalServerError',
  'InternalServerException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
]);

/** Timeouts and aborted requests: the SDK's own request timeout (`TimeoutError`) and the services' wording. */
export const TIMEOUT_CODES: ReadonlySet<string> = new Set([
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'RequestAbortedError',
]);

/** Temporary credentials expired mid-flight; the next attempt gets fresh ones. */
const EXPIRED_CREDENTIAL_CODES: ReadonlySet<string> = new Set(['ExpiredTokenException']);

/** Node.js socket/DNS error codes (and undici's) that a later attempt can get past. */
export const NETWORK_CODES: ReadonlySet<string> = new Set([
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
  readonly $metadata?: { readonly httpStatusCode?: unknown };
}

/** A service's own codes, added to the shared lists. */
export interface ServiceErrorCodes {
  /** Codes of this service that also mean "slow down". */
  readonly throttling?: ReadonlySet<string>;
  /** Codes of this service that are transient too. */
  readonly transient?: ReadonlySet<string>;
  /** Codes that are final whatever their status says (checked after throttling, before transient). */
  readonly final?: ReadonlySet<string>;
  /** The code of the module's own errors (met as the error or as a cause), which the SDK rules would misread. */
  readonly ownCode?: (error: object) => string | undefined;
}

export interface SdkErrorFacts {
  /** The AWS error code (`__type` → `name`), else the Node.js error code, else the cause's; `UnknownError`. */
  readonly code: string;
  /** HTTP status of the failed response; null when there was no response. */
  readonly httpStatus: number | null;
  /** HTTP 429 or a throttling code. */
  readonly throttling: boolean;
  /** A server-side, timeout or expired-credentials code. */
  readonly transient: boolean;
  /** A Node.js/undici network error code, on the error itself or as its code. */
  readonly network: boolean;
}

/**
 * The AWS error code of an SDK exception (`__type` → `name`), or the Node.js error code; a plain `Error` or
 * `TypeError` (fetch) is looked through to its `code` or `cause`.
 */
export function sdkErrorCode(error: unknown, ownCode?: ServiceErrorCodes['ownCode']): string {
  if (typeof error !== 'object' || error === null) return 'UnknownError';
  const own = ownCode?.(error);
  if (own !== undefined) return own;
  const e = error as ErrorLike;
  if (typeof e.name === 'string' && e.name !== 'Error' && e.name !== 'TypeError') return e.name;
  if (typeof e.code === 'string') return e.code;
  if (e.cause !== undefined && e.cause !== error) return sdkErrorCode(e.cause, ownCode);
  return typeof e.name === 'string' ? e.name : 'UnknownError';
}

/** The HTTP status the SDK recorded in `$metadata`, or null. */
export function sdkHttpStatus(error: unknown): number | null {
  if (typeof error !== 'object' || error === null) return null;
  const status = (error as ErrorLike).$metadata?.httpStatusCode;
  return typeof status === 'number' ? status : null;
}

/** The error's message, or its string form when it has none. */
export function sdkErrorMessage(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const message = (error as ErrorLike).message;
    if (typeof message === 'string') return message;
  }
  return String(error);
}

/**
 * Reads an SDK failure: code, HTTP status, and which kind of trouble it is. `codes` adds a service's own codes.
 *
 * @example inspectSdkError({ name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }).throttling // true
 */
export function inspectSdkError(error: unknown, codes: ServiceErrorCodes = {}): SdkErrorFacts {
  const code = sdkErrorCode(error, codes.ownCode);
  const httpStatus = sdkHttpStatus(error);
  const nodeCode =
    typeof error === 'object' && error !== null && typeof (error as ErrorLike).code === 'string'
      ? ((error as ErrorLike).code as string)
      : null;
  return {
    code,
    httpStatus,
    throttling: httpStatus === 429 || THROTTLING_CODES.has(code) || (codes.throttling?.has(code) ?? false),
    transient:
      SERVER_ERROR_CODES.has(code) ||
      TIMEOUT_CODES.has(code) ||
      EXPIRED_CREDENTIAL_CODES.has(code) ||
      (codes.transient?.has(code) ?? false),
    network: NETWORK_CODES.has(code) || (nodeCode !== null && NETWORK_CODES.has(nodeCode)),
  };
}

/**
 * Whether a failure is worth retrying, by the rules every adapter shares. Retryable: HTTP 429 and throttling
 * codes; server-side, timeout and network errors; HTTP 5xx; failures without any HTTP response (the request may
 * never have arrived). Final: a code in `codes.final` (unless throttling), every other 4xx.
 *
 * @example classifySdkError({ name: 'ValidationException', $metadata: { httpStatusCode: 400 } }) // 'final'
 */
export function classifySdkError(error: unknown, codes: ServiceErrorCodes = {}): 'retryable' | 'final' {
  if (typeof error !== 'object' || error === null) return 'retryable';
  const facts = inspectSdkError(error, codes);
  if (facts.throttling) return 'retryable';
  if (codes.final?.has(facts.code)) return 'final';
  if (facts.transient || facts.network) return 'retryable';
  if (facts.httpStatus !== null && facts.httpStatus >= 500) return 'retryable';
  if (facts.httpStatus !== null && facts.httpStatus >= 400) return 'final';
  // No HTTP status: the request failed in transit (socket hang up, aborted, DNS). A retry is the safe answer.
  return 'retryable';
}
