/**
 * DynamoDB for tests: dynalite (in-memory, tables ACTIVE at once) behind a small proxy that adds the
 * same fault injection and call counts as the other local endpoints.
 */

import { Agent, type IncomingMessage, request, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import type { HttpReply, ProtocolAdapter } from '../http/endpoint-server.ts';
import type { ReplyFault } from '../http/faults.ts';

type DynaliteFactory = (options: Record<string, unknown>) => Server;

export interface RunningDynalite {
  readonly url: string;
  close(): Promise<void>;
}

/** Starts dynalite on a free 127.0.0.1 port. */
export async function startDynalite(): Promise<RunningDynalite> {
  const dynalite = createRequire(import.meta.url)('dynalite') as DynaliteFactory;
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const sockets = new Set<import('node:net').Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}

export class DynamoDbProxyAdapter implements ProtocolAdapter {
  readonly #agent = new Agent({ keepAlive: true });
  constructor(private readonly target: string) {}

  identify(req: IncomingMessage): string | null {
    const target = req.headers['x-amz-target'];
    const t = Array.isArray(target) ? target[0] : target;
    return t?.split('.').pop() ?? '(no target)';
  }

  handle(_operation: string | null, req: IncomingMessage, body: Buffer): Promise<HttpReply> {
    const url = new URL(req.url ?? '/', this.target);
    return new Promise((resolve, reject) => {
      const headers = { ...req.headers, host: url.host, 'content-length': String(body.length) };
      const out = request(url, { method: req.method, headers, agent: this.#agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const h: Record<string, string> = {};
          for (const [k, v] of Object.entries(res.headers)) {
            if (v === undefined || k === 'content-length' || k === 'connection' || k === 'transfer-encoding')
              continue;
            h[k] = Array.isArray(v) ? v.join(', ') : v;
          }
          resolve({ status: res.statusCode ?? 500, headers: h, body: Buffer.concat(chunks) });
        });
        res.on('error', reject);
      });
      out.on('error', reject);
      out.end(body);
    });
  }

  faultReply(kind: ReplyFault, operation: string): HttpReply {
    const error = (status: number, code: string, message: string): HttpReply => ({
      status,
      headers: { 'content-type': 'application/x-amz-json-1.0' },
      body: JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${code}`, message }),
    });
    if (kind === 'throttle')
      return error(400, 'ThrottlingException', 'Rate of requests exceeds the allowed throughput.');
    if (kind === 'server-error')
      return error(500, 'InternalServerError', `Injected internal server error on ${operation}`);
    if (kind === 'unavailable') return error(503, 'ServiceUnavailable', 'Service Unavailable');
    return error(kind.status, kind.code, kind.message ?? `Injected ${kind.code} on ${operation}`);
  }

  close(): void {
    this.#agent.destroy();
  }
}
