/**
 * Errors of the registry module. The ECR adapter translates every AWS SDK exception into one of two kinds:
 *
 * - {@link RegistryUnavailableError}: retryable. Throttling, 5xx, timeouts and dropped connections that the
 *   SDK's own retries did not absorb. The handler lets it escape so Lambda/EventBridge redeliver the event.
 * - {@link RegistryRejectedError}: final. ECR refused the request for a reason a retry cannot fix
 *   (RepositoryNotFound, InvalidParameter, LayersNotFound, KMS, a digest mismatch …). Recorded and alerted.
 *
 * `classifyRegistryError` is the single table deciding which is which (test/unit/registry/errors.test.ts).
 */
import { GatekeeperError } from '../errors/gatekeeper-error.ts';

export type RegistryErrorKind = 'retryable' | 'final';

/** Base of the module's errors: the ECR operation and the AWS error code (or a local code) that caused it. */
export class RegistryError extends GatekeeperError {
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

/** ECR could not be reached or asked us to slow down, after the SDK's retries: retry later. */
export class RegistryUnavailableError extends RegistryError {
  constructor(operation: string, code: string, message: string, options?: { cause?: unknown }) {
    super(operation, code, message, true, options);
  }
}

/** ECR refused the request for a reason a retry cannot fix: record it and alert a person. */
export class RegistryRejectedError extends RegistryError {
  constructor(operation: string, code: string, message: string, options?: { cause?: unknown }) {
    super(operation, code, message, false, options);
  }
}

/**
 * The manifest bytes do not hash to the digest they are supposed to have (e.g. a re-serialised manifest or
 * a trailing newline). Never pushed: a PutImage would create a different image under the gatekeeper's tag.
 */
export class ManifestDigestMismatchError extends RegistryRejectedError {
  readonly expected: string;
  readonly actual: string;

  constructor(operation: string, expected: string, actual: string) {
    super(
      operation,
      'ManifestDigestMismatch',
      `manifest bytes hash to ${actual}, not ${expected}; refusing to use them`,
    );
    this.expected = expected;
    this.actual = actual;
  }
}

/**
 * Image facts (size, user, labels) could not be read reliably: the config blob was too large, did not
 * match its digest, or was not an image config. Final: policies with image rules must fail closed on it.
 */
export class ImageFactsUnavailableError extends RegistryRejectedError {}

/** Thrown (inside the SDK's retry loop) for StartImageScan's LimitExceeded so the SDK does not retry it. */
export class ScanQuotaExceededError extends GatekeeperError {
  readonly code = 'LimitExceededException';
}

/** AWS error codes that mean "slow down": retried. ThrottleException is ECR's own wording (troubleshooting page). */
const THROTTLING_CODES = new Set([
  'ThrottlingException',
  'ThrottleException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'LimitExceededException',
]);

/** Server-side or transport problems: retried. */
const TRANSIENT_CODES = new Set([
  'ServerException',
  'InternalFailure',
  'InternalServerError',
  'InternalServerException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'RequestAbortedError',
  'ExpiredTokenException',
  'UpstreamUnavailable',
  'UpstreamTooManyRequests',
]);

/** Node.js socket/DNS error codes (and undici's) that a later attempt can get past. */
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

/**
 * Codes that are final even though their HTTP status might suggest otherwise. The default for any other
 * 4xx is final too; this list documents the ones the gate meets (and keeps the table test honest).
 */
const FINAL_CODES = new Set([
  'RepositoryNotFoundException',
  'ImageNotFoundException',
  'InvalidParameterException',
  'ValidationException',
  'LayersNotFoundException',
  'ReferencedImagesNotFoundException',
  'KmsException',
  'ImageDigestDoesNotMatchException',
  'ImageTagAlreadyExistsException',
  'ImageAlreadyExistsException',
  'UnsupportedImageTypeException',
  'ImageArchivedException',
  'ScanNotFoundException',
  'LifecyclePolicyNotFoundException',
  'TooManyTagsException',
  'AccessDeniedException',
  'UnrecognizedClientException',
  'UnableToGetUpstreamImageException',
]);

interface ErrorLike {
  readonly name?: unknown;
  readonly code?: unknown;
  readonly message?: unknown;
  readonly cause?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: number };
  readonly $retryable?: unknown;
}

/** The AWS error code of an SDK exception (`__type` → `name`), or the Node.js error code. */
export function errorCode(error: unknown): string {
  if (typeof error !== 'object' || error === null) return 'UnknownError';
  const e = error as ErrorLike;
  if (e instanceof ScanQuotaExceededError) return e.code;
  if (typeof e.name === 'string' && e.name !== 'Error' && e.name !== 'TypeError') return e.name;
  if (typeof e.code === 'string') return e.code;
  if (e.cause !== undefined && e.cause !== error) return errorCode(e.cause);
  return typeof e.name === 'string' ? e.name : 'UnknownError';
}

/**
 * Decides whether an ECR failure is worth retrying.
 *
 * Retryable: HTTP 429; throttling codes (incl. ThrottleException, which the SDK's own list lacks, and
 * LimitExceededException except on StartImageScan, where it means "one scan per image per 24 h"); HTTP 5xx;
 * network and timeout errors; errors without any HTTP response (the request may never have arrived).
 * Final: every other 4xx (RepositoryNotFound, InvalidParameter, Validation, LayersNotFound,
 * ReferencedImagesNotFound, Kms, ImageDigestDoesNotMatch …).
 *
 * @example classifyRegistryError({ name: 'LimitExceededException', $metadata: { httpStatusCode: 400 } }, 'StartImageScan') // 'final'
 */
export function classifyRegistryError(error: unknown, operation: string): RegistryErrorKind {
  if (error instanceof RegistryError) return error.retryable ? 'retryable' : 'final';
  if (error instanceof ScanQuotaExceededError) return 'final';
  if (typeof error !== 'object' || error === null) return 'retryable';
  const e = error as ErrorLike;
  const code = errorCode(error);
  const status = e.$metadata?.httpStatusCode;

  if (code === 'LimitExceededException' && operation === 'StartImageScan') return 'final';
  if (status === 429 || THROTTLING_CODES.has(code)) return 'retryable';
  if (FINAL_CODES.has(code)) return 'final';
  if (TRANSIENT_CODES.has(code) || NETWORK_CODES.has(code)) return 'retryable';
  if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return 'retryable';
  if (status !== undefined && status >= 500) return 'retryable';
  if (status !== undefined && status >= 400) return 'final';
  // No HTTP status: the request failed in transit (socket hang up, aborted, DNS). A retry is the safe answer:
  // nothing is approved meanwhile, and the DLQ + alarm catch what never recovers.
  return 'retryable';
}

/** Wraps any failure of `operation` into the module's error kinds, chaining the original as `cause`. */
export function toRegistryError(error: unknown, operation: string, context: string): RegistryError {
  if (error instanceof RegistryError) return error;
  const code = errorCode(error);
  const detail =
    typeof error === 'object' && error !== null && typeof (error as ErrorLike).message === 'string'
      ? ((error as ErrorLike).message as string)
      : String(error);
  const message = `${context}: ${detail}`;
  return classifyRegistryError(error, operation) === 'retryable'
    ? new RegistryUnavailableError(operation, code, message, { cause: error })
    : new RegistryRejectedError(operation, code, message, { cause: error });
}
