/** A service error as the local ECR returns it on the wire: `{"__type": code, "message": …}` with `status`. */
export class EcrError extends Error {
  override readonly name = 'EcrError';
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    /** Extra members written into the JSON body (e.g. `kmsError`). */
    readonly fields: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
  }
}
