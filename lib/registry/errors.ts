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
import { PaginationError } from '../aws/paginate.ts';
import { classifySdkError, type ServiceErrorCodes, sdkErrorCode, sdkErrorMessage } from '../aws/sdk-error.ts';
import { GatekeeperError, ServiceCallError } from '../errors/gatekeeper-error.ts';

export type RegistryErrorKind = 'retryable' | 'final';

/** Base of the module's errors: the ECR operation and the AWS error code (or a local code) that caused it. */
export class RegistryError extends ServiceCallError {}

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

/**
 * ECR's own codes on top of the shared lists (lib/aws/sdk-error.ts). ThrottleException is ECR's wording
 * (troubleshooting page); LimitExceededException is ECR's quota error (except on StartImageScan, see below);
 * ServerException is ECR's 500; Upstream* come from pull-through cache and KMS trouble in BatchGetImage.
 * `final` lists codes that are final even though their HTTP status might suggest otherwise. The default for
 * any other 4xx is final too; the list documents the ones the gate meets (and keeps the table test honest).
 */
const ECR_CODES: ServiceErrorCodes = {
  throttling: new Set(['ThrottleException', 'LimitExceededException']),
  transient: new Set(['ServerException', 'UpstreamUnavailable', 'UpstreamTooManyRequests']),
  final: new Set([
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
  ]),
  ownCode: (error) => (error instanceof ScanQuotaExceededError ? error.code : undefined),
};

/** The AWS error code of an SDK exception (`__type` → `name`), or the Node.js error code. */
export function errorCode(error: unknown): string {
  return sdkErrorCode(error, ECR_CODES.ownCode);
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
  if (errorCode(error) === 'LimitExceededException' && operation === 'StartImageScan') return 'final';
  // Then the shared rules: throttling, ECR's final codes, transient and network errors retried; other 4xx final;
  // no HTTP status (failed in transit) retried: nothing is approved meanwhile, and the DLQ + alarm catch what
  // never recovers.
  return classifySdkError(error, ECR_CODES);
}

/** Wraps any failure of `operation` into the module's error kinds, chaining the original as `cause`. */
export function toRegistryError(error: unknown, operation: string, context: string): RegistryError {
  if (error instanceof RegistryError) return error;
  if (error instanceof PaginationError) {
    const message = `${context}: ${error.message}`;
    return error.retryable
      ? new RegistryUnavailableError(operation, error.code, message, { cause: error })
      : new RegistryRejectedError(operation, error.code, message, { cause: error });
  }
  const code = errorCode(error);
  const message = `${context}: ${sdkErrorMessage(error)}`;
  return classifyRegistryError(error, operation) === 'retryable'
    ? new RegistryUnavailableError(operation, code, message, { cause: error })
    : new RegistryRejectedError(operation, code, message, { cause: error });
}
