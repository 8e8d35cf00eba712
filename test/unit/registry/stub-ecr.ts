/**
 * A stand-in for ECRClient's `send` in unit tests: each operation answers from a handler, every call is
 * recorded. Transport behaviour (retries, throttling) is proven over HTTP in test/integration/registry.
 */
import { type ECRClient, ECRServiceException } from '@aws-sdk/client-ecr';

export type Handler = (input: Record<string, unknown>, call: number) => unknown;

export interface RecordedCall {
  readonly operation: string;
  readonly input: Record<string, unknown>;
}

export class StubEcr {
  readonly calls: RecordedCall[] = [];
  readonly #handlers = new Map<string, Handler>();

  on(operation: string, handler: Handler): this {
    this.#handlers.set(operation, handler);
    return this;
  }

  callsTo(operation: string): Record<string, unknown>[] {
    return this.calls.filter((c) => c.operation === operation).map((c) => c.input);
  }

  get client(): ECRClient {
    const send = async (command: { constructor: { name: string }; input: unknown }) => {
      const operation = command.constructor.name.replace(/Command$/, '');
      const input = structuredClone(command.input) as Record<string, unknown>;
      this.calls.push({ operation, input });
      const handler = this.#handlers.get(operation);
      if (!handler) throw new Error(`stub: no handler for ${operation}`);
      const result = await handler(input, this.callsTo(operation).length);
      return { $metadata: { httpStatusCode: 200 }, ...(result as object) };
    };
    return { send } as unknown as ECRClient;
  }
}

/** An ECR service exception as the SDK raises it (`__type` → name, HTTP status in $metadata). */
export function awsError(name: string, status = 400, message = `${name} (stub)`): ECRServiceException {
  return new ECRServiceException({
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status },
    message,
  });
}
