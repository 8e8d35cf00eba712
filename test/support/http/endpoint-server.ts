/**
 * A minimal in-process HTTP endpoint on 127.0.0.1 (free port) that puts fault injection and call counting
 * in front of a protocol adapter. Every socket is tracked so `close()` leaves no open handle behind.
 */

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { FaultController, ReplyFault } from './faults.ts';

export interface HttpReply {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | Buffer;
}

export interface ProtocolAdapter {
  /**
   * The operation a request names (used for faults and counts), or null for a request that is served
   * without faults and counts (e.g. a blob download URL).
   */
  identify(req: IncomingMessage, body: Buffer): string | null;
  handle(operation: string | null, req: IncomingMessage, body: Buffer): Promise<HttpReply> | HttpReply;
  /** The wire form of an injected fault. */
  faultReply(kind: ReplyFault, operation: string): HttpReply;
}

export interface RunningEndpoint {
  readonly url: string;
  readonly port: number;
  /** TCP connections accepted since the endpoint started (a client that keeps its connection alive opens one). */
  connections(): number;
  close(): Promise<void>;
}

/**
 * How long an idle connection stays open, announced to clients as `Keep-Alive: timeout=65`. Node's HTTP agent
 * (the SDK's) stops reusing a connection 1 s before the announced timeout, so an announced 1 s meant a new
 * connection for every call, which Lambda talking to AWS does not pay. AWS endpoints keep idle connections for
 * tens of seconds; this matches. The headers timeout must be longer than the keep-alive timeout.
 */
const KEEP_ALIVE_MS = 65_000;

/** Largest request body accepted (ECR manifests are at most 4 MiB of characters). */
const MAX_BODY_BYTES = 32 * 1024 * 1024;

export async function startEndpoint(
  adapter: ProtocolAdapter,
  faults: FaultController,
): Promise<RunningEndpoint> {
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let closing = false;

  const delay = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
    });

  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readBody(req);
    const operation = adapter.identify(req, body);
    if (operation !== null) {
      const decision = faults.decide(operation);
      if (decision.delayMs > 0) await delay(decision.delayMs);
      if (decision.hold) await decision.hold;
      if (closing) {
        req.socket.destroy();
        return;
      }
      if (decision.action === 'fail') {
        if (typeof decision.kind === 'object' && 'hangMs' in decision.kind) {
          await delay(decision.kind.hangMs);
          req.socket.destroy();
          return;
        }
        if (decision.kind === 'drop') {
          // A connection reset before any byte of the response: the SDK sees ECONNRESET / socket hang up.
          req.socket.destroy();
          return;
        }
        send(res, adapter.faultReply(decision.kind, operation));
        return;
      }
    }
    send(res, await adapter.handle(operation, req, body));
  };

  const server = createServer((req, res) => {
    serve(req, res).catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const message = error instanceof Error ? error.message : String(error);
      send(res, {
        status: 500,
        headers: { 'content-type': 'text/plain' },
        body: `local endpoint failure: ${message}`,
      });
    });
  });
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  server.headersTimeout = KEEP_ALIVE_MS + 1_000;
  let accepted = 0;
  server.on('connection', (socket) => {
    accepted += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    connections: () => accepted,
    close: async () => {
      closing = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

function send(res: ServerResponse, reply: HttpReply): void {
  const body = typeof reply.body === 'string' ? Buffer.from(reply.body, 'utf8') : reply.body;
  res.writeHead(reply.status, { ...reply.headers, 'content-length': String(body.length) });
  res.end(body);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error(`request body larger than ${MAX_BODY_BYTES} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
