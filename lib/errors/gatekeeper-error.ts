/**
 * Root of the project's error hierarchy. Each module declares its own subclasses in its `errors.ts`;
 * adapters translate SDK exceptions into them, chaining the original as `cause`.
 */
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
  readonly source: string;
  readonly path: string | null;

  constructor(source: string, path: string | null, problem: string, options?: { cause?: unknown }) {
    super(path ? `${source}: ${path}: ${problem}` : `${source}: ${problem}`, options);
    this.source = source;
    this.path = path;
  }
}
