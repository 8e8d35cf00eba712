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
import { PaginationError } from '../aws/paginate.ts';
import {
  classifySdkError,
  type ServiceErrorCodes,
  sdkErrorCode,
  sdkErrorMessage,
  sdkHttpStatus,
} from '../aws/sdk-error.ts';
import { ServiceCallError } from '../errors/gatekeeper-error.ts';

export type InspectorErrorKind = 'no-access' | 'retryable' | 'final';

/** Base of the module's errors: the Inspector operation and the AWS error code (or a local code). */
export class InspectorError extends ServiceCallError {}

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

/** No permission, or Inspector not enabled for the account or Region (checked before the shared rules). */
const NO_ACCESS_CODES = new Set([
  'AccessDeniedException',
  'AccessDenied',
  'UnrecognizedClientException',
  'SubscriptionRequiredException',
  'OptInRequired',
]);

/** Inspector adds no codes to the shared lists (lib/aws/sdk-error.ts); its own errors keep their code. */
const INSPECTOR_CODES: ServiceErrorCodes = {
  ownCode: (error) => (error instanceof InspectorError ? error.code : undefined),
};

/** The AWS error code of an SDK exception, or the Node.js error code. */
export function inspectorErrorCode(error: unknown): string {
  return sdkErrorCode(error, INSPECTOR_CODES.ownCode);
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
  if (NO_ACCESS_CODES.has(inspectorErrorCode(error)) || sdkHttpStatus(error) === 403) return 'no-access';
  // Then the shared rules; without any HTTP status the request failed in transit, and retrying later is the safe
  // answer: nothing is changed meanwhile.
  return classifySdkError(error, INSPECTOR_CODES);
}

/** Wraps any failure of `operation` into the module's errors, chaining the original as `cause`. */
export function toInspectorError(error: unknown, operation: string, context: string): InspectorError {
  if (error instanceof InspectorError) return error;
  if (error instanceof PaginationError) {
    const message = `${context}: ${error.message}`;
    return error.retryable
      ? new InspectorUnavailableError(operation, error.code, message, { cause: error })
      : new InspectorRejectedError(operation, error.code, message, { cause: error });
  }
  const code = inspectorErrorCode(error);
  const message = `${context}: ${sdkErrorMessage(error)}`;
  switch (classifyInspectorError(error)) {
    case 'no-access':
      return new InspectorNoAccessError(operation, code, message, { cause: error });
    case 'retryable':
      return new InspectorUnavailableError(operation, code, message, { cause: error });
    default:
      return new InspectorRejectedError(operation, code, message, { cause: error });
  }
}
