/**
 * Root of the project's error hierarchy. Each module declares its own subclasses in its `errors.ts`;
 * adapters translate SDK exceptions into them, chaining the original as `cause`.
 *
 * Retry or not is one question, {@link retryableOf}: every error that knows the answer carries a boolean
 * `retryable` (see {@link Retryable}); the handlers ask that and list no error classes.
 */

/** An error that says whether a later attempt may succeed. */
export interface Retryable {
  readonly retryable: boolean;
}
export class GatekeeperError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * Input that can never be used as given (a file, an event, a policy). Not retryable. `source` names the
 * file or event, `path` the field inside it, so the one-line message tells the user where to look.
 */
export class InvalidInputError extends GatekeeperError {
  /** Final: the same input fails the same way. */
  readonly retryable = false;
  readonly source: string;
  readonly path: string | null;

  constructor(source: string, path: string | null, problem: string, options?: { cause?: unknown }) {
    super(path ? `${source}: ${path}: ${problem}` : `${source}: ${problem}`, options);
    this.source = source;
    this.path = path;
  }
}

/**
 * A call to an outside service failed (an ECR or Inspector operation …): which operation, the service's error
 * code (or a local code), and whether a later attempt may succeed. Each adapter module derives its own base
 * from it (RegistryError, InspectorError) so callers can tell the services apart.
 */
export class ServiceCallError extends GatekeeperError {
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

/**
 * What a gatekeeper error says about retrying: true (a later attempt may succeed), false (final), or null when
 * it does not say, or is not one of the gatekeeper's errors (an unexpected failure: the caller fails closed).
 *
 * @example retryableOf(new LedgerUnavailableError('throttled')) // true
 */
export function retryableOf(error: unknown): boolean | null {
  if (!(error instanceof GatekeeperError)) return null;
  const flag = (error as Partial<Retryable>).retryable;
  return typeof flag === 'boolean' ? flag : null;
}
