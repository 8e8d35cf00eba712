/**
 * A minimal in-process HTTP endpoint on 127.0.0.1 (free port) that puts fault injection and call counting
 * in front of a protocol adapter. Every socket is tracked so `close()` leaves no open handle behind.
 */

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { FaultController, PageFault, ReplyFault } from './faults.ts';

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

  // Page faults: the token a `repeat-token` page handed out, per operation, for that operation's next page.
  const repeatNext = new Map<string, string>();

  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = unwrapEmptyPageToken(await readBody(req));
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
        if (typeof decision.kind === 'object' && 'page' in decision.kind) {
          const reply = await adapter.handle(operation, req, body);
          send(
            res,
            pageFault(reply, body, decision.kind, (token) => repeatNext.set(operation, token)),
          );
          return;
        }
        send(res, adapter.faultReply(decision.kind, operation));
        return;
      }
    }
    const reply = await adapter.handle(operation, req, body);
    const repeated = operation === null ? undefined : repeatNext.get(operation);
    if (operation !== null && repeated !== undefined && reply.status === 200) {
      repeatNext.delete(operation);
      send(res, withNextToken(reply, repeated));
      return;
    }
    send(res, reply);
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

/** Marks the nextToken of an `empty` page fault: what follows is the token of the request it answered. */
const EMPTY_PAGE_TOKEN = 'local-empty-page:';

/** A request carrying an `empty` page's token gets the token it stood for back (none: the first page). */
function unwrapEmptyPageToken(body: Buffer): Buffer {
  if (!body.includes(EMPTY_PAGE_TOKEN)) return body;
  const input = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
  const token = input.nextToken;
  if (typeof token !== 'string' || !token.startsWith(EMPTY_PAGE_TOKEN)) return body;
  const original = token.slice(EMPTY_PAGE_TOKEN.length);
  if (original === '') delete input.nextToken;
  else input.nextToken = original;
  return Buffer.from(JSON.stringify(input), 'utf8');
}

function jsonOf(reply: HttpReply): Record<string, unknown> {
  const text = typeof reply.body === 'string' ? reply.body : reply.body.toString('utf8');
  return JSON.parse(text) as Record<string, unknown>;
}

function withNextToken(reply: HttpReply, token: string): HttpReply {
  return { ...reply, body: JSON.stringify({ ...jsonOf(reply), nextToken: token }) };
}

/** Rewrites a paginated call's successful JSON page as a {@link PageFault} says. */
function pageFault(
  reply: HttpReply,
  requestBody: Buffer,
  fault: PageFault,
  repeatOnNextPage: (token: string) => void,
): HttpReply {
  if (reply.status !== 200) return reply;
  const page = jsonOf(reply);
  if (fault.page === 'repeat-token') {
    if (typeof page.nextToken === 'string') repeatOnNextPage(page.nextToken);
    return reply;
  }
  // `empty`: every list (top level, or one level down as in imageScanFindings) emptied, other fields kept.
  const emptied: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(page)) {
    if (Array.isArray(value)) emptied[key] = [];
    else if (typeof value === 'object' && value !== null) {
      emptied[key] = Object.fromEntries(
        Object.entries(value).map(([k, v]) => [k, Array.isArray(v) ? [] : v]),
      );
    } else emptied[key] = value;
  }
  const request =
    requestBody.length === 0 ? {} : (JSON.parse(requestBody.toString('utf8')) as Record<string, unknown>);
  const from = typeof request.nextToken === 'string' ? request.nextToken : '';
  emptied.nextToken = `${EMPTY_PAGE_TOKEN}${from}`;
  return { ...reply, body: JSON.stringify(emptied) };
}
