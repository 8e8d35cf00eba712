/**
 * The local S3 endpoint: the restXml protocol that @aws-sdk/client-s3 speaks, for PutObject, GetObject and
 * HeadObject, path-style (`PUT /<bucket>/<key>`). The SDK picks path-style by itself for an endpoint whose host is
 * an IP address (S3's endpoint rules), which is what `AWS_ENDPOINT_URL_S3=http://127.0.0.1:<port>` is; no
 * `forcePathStyle` is needed. Buckets are seeded (`createBucket`), objects kept in memory.
 *
 * Behaviour modelled, as S3 documents it:
 * - Errors are `<Error><Code>…</Code><Message>…</Message></Error>` with the status of the S3 API Reference's
 *   "Error responses" table: NoSuchBucket 404, NoSuchKey 404, BadDigest 400, XAmzContentSHA256Mismatch 400,
 *   EntityTooLarge 400, InvalidRequest 400, SlowDown 503, InternalError 500, ServiceUnavailable 503. HEAD
 *   errors carry no body (the SDK then names them by status: NotFound).
 * - PutObject stores at most 5 GB in one request (API_PutObject: "upload objects up to 5 GB in size in a single
 *   operation"; larger objects need a multipart upload, not modelled). The harness's own request body cap is
 *   32 MiB, far above a registry snapshot.
 * - Checksums (S3 User Guide, "Checking object integrity"): the SDK sends `x-amz-checksum-crc32` as a header
 *   for a body of known bytes, and for a stream `Content-Encoding: aws-chunked` with
 *   `x-amz-decoded-content-length` and the checksum in a trailer (`x-amz-trailer`). Both are decoded and the
 *   CRC32 checked (mismatch → BadDigest); a signed `x-amz-content-sha256` is checked too. The checksum is
 *   stored and returned by GetObject/HeadObject when the request says `x-amz-checksum-mode: ENABLED` (the SDK
 *   does, and validates it).
 * - `x-amz-server-side-encryption` is recorded (default `AES256`, as S3 encrypts every new object since 2023).
 */

import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { crc32 } from 'node:zlib';
import type { HttpReply, ProtocolAdapter } from '../http/endpoint-server.ts';
import type { ReplyFault } from '../http/faults.ts';
import type { LocalClock } from '../wire.ts';

/** PutObject's single-request limit (API_PutObject). */
export const S3_MAX_PUT_OBJECT_BYTES = 5 * 1024 ** 3;

export interface StoredObject {
  readonly bucket: string;
  readonly key: string;
  readonly body: Buffer;
  readonly contentType: string;
  readonly contentEncoding: string | null;
  readonly metadata: Readonly<Record<string, string>>;
  readonly etag: string;
  /** Base64 CRC32 as the client sent it (checked), or null when the client sent no checksum. */
  readonly checksumCrc32: string | null;
  readonly serverSideEncryption: string;
  readonly sseKmsKeyId: string | null;
  readonly lastModified: Date;
}

class S3Error extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    readonly extra: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

const OPERATIONS: Readonly<Record<string, string>> = {
  PUT: 'PutObject',
  GET: 'GetObject',
  HEAD: 'HeadObject',
};

export class S3Service implements ProtocolAdapter {
  readonly #buckets = new Map<string, Map<string, StoredObject>>();

  constructor(private readonly clock: LocalClock) {}

  /** Creates a bucket (idempotent). */
  createBucket(name: string): void {
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name)) throw new Error(`invalid bucket name ${name}`);
    if (!this.#buckets.has(name)) this.#buckets.set(name, new Map());
  }

  /** The stored object, or null (no HTTP, not counted). */
  object(bucket: string, key: string): StoredObject | null {
    return this.#buckets.get(bucket)?.get(key) ?? null;
  }

  /** Keys of a bucket, sorted. */
  keys(bucket: string): string[] {
    return [...(this.#buckets.get(bucket)?.keys() ?? [])].sort();
  }

  identify(req: IncomingMessage): string | null {
    return OPERATIONS[req.method ?? ''] ?? 'Unsupported';
  }

  handle(operation: string | null, req: IncomingMessage, body: Buffer): HttpReply {
    try {
      const { bucket, key } = this.#target(req);
      if (operation === 'PutObject') return this.#put(bucket, key, req, body);
      if (operation === 'GetObject' || operation === 'HeadObject') return this.#get(bucket, key, req);
      throw new S3Error(
        'NotImplemented',
        'A header or method you provided implies functionality that is not implemented',
        501,
      );
    } catch (error) {
      if (error instanceof S3Error) return errorReply(error, req.method === 'HEAD');
      throw error;
    }
  }

  faultReply(kind: ReplyFault, operation: string): HttpReply {
    const head = operation === 'HeadObject';
    if (kind === 'throttle')
      return errorReply(new S3Error('SlowDown', 'Please reduce your request rate.', 503), head);
    if (kind === 'server-error')
      return errorReply(new S3Error('InternalError', `Injected internal error on ${operation}`, 500), head);
    if (kind === 'unavailable')
      return errorReply(new S3Error('ServiceUnavailable', 'Service Unavailable', 503), head);
    return errorReply(
      new S3Error(kind.code, kind.message ?? `Injected ${kind.code} on ${operation}`, kind.status),
      head,
    );
  }

  #target(req: IncomingMessage): { bucket: string; key: string } {
    const path = new URL(req.url ?? '/', 'http://local').pathname;
    const slash = path.indexOf('/', 1);
    const bucket = decodeURIComponent(slash < 0 ? path.slice(1) : path.slice(1, slash));
    const key = slash < 0 ? '' : decodeURIComponent(path.slice(slash + 1));
    if (!this.#buckets.has(bucket))
      throw new S3Error('NoSuchBucket', 'The specified bucket does not exist', 404, { BucketName: bucket });
    if (key === '') throw new S3Error('NotImplemented', 'bucket operations are not modelled', 501);
    return { bucket, key };
  }

  #put(bucket: string, key: string, req: IncomingMessage, raw: Buffer): HttpReply {
    const declared = Number(
      req.headers['x-amz-decoded-content-length'] ?? req.headers['content-length'] ?? raw.length,
    );
    if (declared > S3_MAX_PUT_OBJECT_BYTES)
      throw new S3Error('EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size');
    const chunked = String(req.headers['content-encoding'] ?? '')
      .split(',')
      .map((s) => s.trim())
      .includes('aws-chunked');
    const { body, trailers } = chunked ? decodeAwsChunked(raw) : { body: raw, trailers: {} };
    if (chunked && body.length !== declared)
      throw new S3Error(
        'IncompleteBody',
        'You did not provide the number of bytes specified by the Content-Length HTTP header',
      );
    const sha = header(req, 'x-amz-content-sha256');
    if (sha && /^[0-9a-f]{64}$/.test(sha) && createHash('sha256').update(body).digest('hex') !== sha)
      throw new S3Error(
        'XAmzContentSHA256Mismatch',
        "The provided 'x-amz-content-sha256' header does not match what was computed.",
      );
    const sentCrc = header(req, 'x-amz-checksum-crc32') ?? trailers['x-amz-checksum-crc32'] ?? null;
    const algorithm = header(req, 'x-amz-sdk-checksum-algorithm');
    if (algorithm && algorithm !== 'CRC32' && !sentCrc)
      throw new S3Error('InvalidRequest', `checksum algorithm ${algorithm} is not modelled by the local S3`);
    if (sentCrc !== null && crc32Base64(body) !== sentCrc)
      throw new S3Error('BadDigest', 'The CRC32 you specified did not match the calculated checksum.');
    const metadata: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (name.startsWith('x-amz-meta-') && typeof value === 'string') metadata[name.slice(11)] = value;
    }
    const encodings = String(req.headers['content-encoding'] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '' && s !== 'aws-chunked');
    const object: StoredObject = {
      bucket,
      key,
      body,
      contentType: header(req, 'content-type') ?? 'binary/octet-stream',
      contentEncoding: encodings.length > 0 ? encodings.join(',') : null,
      metadata,
      etag: `"${createHash('md5').update(body).digest('hex')}"`,
      checksumCrc32: sentCrc,
      serverSideEncryption: header(req, 'x-amz-server-side-encryption') ?? 'AES256',
      sseKmsKeyId: header(req, 'x-amz-server-side-encryption-aws-kms-key-id') ?? null,
      lastModified: this.clock.now(),
    };
    this.#buckets.get(bucket)?.set(key, object);
    return {
      status: 200,
      headers: {
        etag: object.etag,
        'x-amz-request-id': requestId(),
        'x-amz-server-side-encryption': object.serverSideEncryption,
        ...(sentCrc ? { 'x-amz-checksum-crc32': sentCrc, 'x-amz-checksum-type': 'FULL_OBJECT' } : {}),
      },
      body: '',
    };
  }

  #get(bucket: string, key: string, req: IncomingMessage): HttpReply {
    const object = this.#buckets.get(bucket)?.get(key);
    if (!object) throw new S3Error('NoSuchKey', 'The specified key does not exist.', 404, { Key: key });
    const withChecksum = header(req, 'x-amz-checksum-mode') === 'ENABLED' && object.checksumCrc32 !== null;
    const meta: Record<string, string> = {};
    for (const [name, value] of Object.entries(object.metadata)) meta[`x-amz-meta-${name}`] = value;
    return {
      status: 200,
      headers: {
        'content-type': object.contentType,
        ...(object.contentEncoding ? { 'content-encoding': object.contentEncoding } : {}),
        etag: object.etag,
        'last-modified': object.lastModified.toUTCString(),
        'x-amz-request-id': requestId(),
        'x-amz-server-side-encryption': object.serverSideEncryption,
        ...(withChecksum
          ? { 'x-amz-checksum-crc32': object.checksumCrc32 as string, 'x-amz-checksum-type': 'FULL_OBJECT' }
          : {}),
        ...meta,
      },
      // HEAD: Node sends the headers (content-length of the object) and no body.
      body: object.body,
    };
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' ? value : undefined;
}

function crc32Base64(body: Buffer): string {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(crc32(body) >>> 0);
  return out.toString('base64');
}

function requestId(): string {
  return randomUUID().replace(/-/g, '').slice(0, 16).toUpperCase();
}

/**
 * aws-chunked (S3 "Signature Version 4 streaming with trailers"): `<hex size>[;chunk-signature=…]\r\n<bytes>\r\n`
 * … `0\r\n<trailer lines>\r\n\r\n`.
 */
function decodeAwsChunked(raw: Buffer): { body: Buffer; trailers: Record<string, string> } {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = raw.indexOf('\r\n', at);
    if (eol < 0) throw new S3Error('IncompleteBody', 'aws-chunked body ends inside a chunk header');
    const size = Number.parseInt(raw.subarray(at, eol).toString('latin1').split(';')[0] ?? '', 16);
    if (!Number.isFinite(size) || size < 0) throw new S3Error('InvalidRequest', 'bad aws-chunked chunk size');
    at = eol + 2;
    if (size === 0) break;
    if (at + size + 2 > raw.length)
      throw new S3Error('IncompleteBody', 'aws-chunked body ends inside a chunk');
    parts.push(raw.subarray(at, at + size));
    at += size + 2;
  }
  const trailers: Record<string, string> = {};
  for (const line of raw.subarray(at).toString('latin1').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) trailers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { body: Buffer.concat(parts), trailers };
}

function errorReply(error: S3Error, head: boolean): HttpReply {
  const extra = Object.entries(error.extra)
    .map(([name, value]) => `<${name}>${escapeXml(value)}</${name}>`)
    .join('');
  const body = head
    ? ''
    : `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${error.code}</Code><Message>${escapeXml(error.message)}</Message>${extra}<RequestId>${requestId()}</RequestId></Error>`;
  return {
    status: error.status,
    headers: { 'content-type': 'application/xml', 'x-amz-request-id': requestId() },
    body,
  };
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
