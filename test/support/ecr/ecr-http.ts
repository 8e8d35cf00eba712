/**
 * awsJson1_1 over HTTP for the local ECR, as @aws-sdk/client-ecr sends it: `POST /`,
 * `X-Amz-Target: AmazonEC2ContainerRegistry_V20150921.<Operation>`, `Content-Type: application/x-amz-json-1.1`.
 * Errors: HTTP 400 (500 for ServerException) with `{"__type": "...", "message": "..."}`; timestamps are
 * epoch seconds. `GET /blobs/<repository>/<digest>` serves blobs for GetDownloadUrlForLayer URLs.
 */

import type { IncomingMessage } from 'node:http';
import type { HttpReply, ProtocolAdapter } from '../http/endpoint-server.ts';
import type { ReplyFault } from '../http/faults.ts';
import { toWire } from '../wire.ts';
import { EcrError } from './ecr-errors.ts';
import type { EcrService } from './ecr-service.ts';

export const ECR_TARGET_PREFIX = 'AmazonEC2ContainerRegistry_V20150921.';
const JSON_TYPE = 'application/x-amz-json-1.1';

export interface EcrThrottleStyle {
  /** 400 ThrottlingException "Rate exceeded" (what ECR API calls report) or 429 ThrottleException. */
  readonly throttle?: 'ThrottlingException' | 'http-429';
}

export class EcrHttpAdapter implements ProtocolAdapter {
  #requestCounter = 0;
  constructor(
    private readonly service: EcrService,
    private readonly style: EcrThrottleStyle = {},
  ) {}

  identify(req: IncomingMessage): string | null {
    if (req.method === 'GET' && req.url?.startsWith('/blobs/')) return null;
    const target = headerValue(req, 'x-amz-target');
    if (target?.startsWith(ECR_TARGET_PREFIX)) return target.slice(ECR_TARGET_PREFIX.length);
    return target ?? '(no target)';
  }

  handle(operation: string | null, req: IncomingMessage, body: Buffer): HttpReply {
    if (operation === null) return this.#blob(req);
    if (req.method !== 'POST')
      return this.#error(new EcrError('UnknownOperationException', `${req.method} is not supported`));
    const target = headerValue(req, 'x-amz-target');
    if (!target?.startsWith(ECR_TARGET_PREFIX)) {
      return this.#error(
        new EcrError('UnknownOperationException', `Unknown X-Amz-Target: ${target ?? '(none)'}`),
      );
    }
    let input: unknown;
    try {
      input = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
    } catch {
      return this.#error(new EcrError('SerializationException', 'Request body is not valid JSON'));
    }
    try {
      const output = this.service.invoke(operation, input);
      return this.#json(200, toWire(output));
    } catch (error) {
      if (error instanceof EcrError) return this.#error(error);
      const message = error instanceof Error ? error.message : String(error);
      return this.#error(new EcrError('ServerException', `Internal failure: ${message}`, 500));
    }
  }

  faultReply(kind: ReplyFault, operation: string): HttpReply {
    if (kind === 'throttle') {
      if (this.style.throttle === 'http-429')
        return this.#error(new EcrError('ThrottleException', 'Rate exceeded', 429));
      return this.#error(new EcrError('ThrottlingException', 'Rate exceeded', 400));
    }
    if (kind === 'server-error')
      return this.#error(new EcrError('ServerException', `Injected server error on ${operation}`, 500));
    if (kind === 'unavailable')
      return this.#error(new EcrError('ServiceUnavailableException', 'Service Unavailable', 503));
    return this.#error(
      new EcrError(kind.code, kind.message ?? `Injected ${kind.code} on ${operation}`, kind.status),
    );
  }

  #blob(req: IncomingMessage): HttpReply {
    const match = /^\/blobs\/([^/]+)\/(sha256:[a-f0-9]{64})$/.exec(req.url ?? '');
    const bytes = match?.[1] && match[2] ? this.service.blob(decodeURIComponent(match[1]), match[2]) : null;
    if (!bytes)
      return {
        status: 404,
        headers: { 'content-type': 'application/xml' },
        body: '<Error><Code>NoSuchKey</Code></Error>',
      };
    return { status: 200, headers: { 'content-type': 'application/octet-stream' }, body: bytes };
  }

  #error(error: EcrError): HttpReply {
    return this.#json(
      error.status,
      { __type: error.code, message: error.message, ...error.fields },
      error.code,
    );
  }

  #json(status: number, value: unknown, errorType?: string): HttpReply {
    this.#requestCounter += 1;
    return {
      status,
      headers: {
        'content-type': JSON_TYPE,
        'x-amzn-requestid': `local-ecr-${this.#requestCounter.toString().padStart(8, '0')}`,
        ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
      },
      body: JSON.stringify(value),
    };
  }
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
