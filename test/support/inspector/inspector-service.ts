/**
 * A local Amazon Inspector (inspector2) endpoint for tests: the restJson1 protocol as @aws-sdk/client-inspector2
 * speaks it (`POST /coverage/list`, JSON body, epoch-second timestamps, errors named by `x-amzn-errortype`), with
 * seeded ECR image coverage (`lastInUseAt`, `inUseCount`, `imagePulledAt`), pagination, filter checks, an
 * "Inspector not enabled" switch (403 AccessDeniedException) and the shared fault injection (throttling is
 * Inspector's 429 ThrottlingException with Retry-After, server errors its 500 InternalServerException).
 *
 * @example
 * const inspector = new InspectorService({ accountId: '123456789012', region: 'us-east-1', clock });
 * inspector.seedImageCoverage({ repository: 'team/app', digest, inUseCount: 2, lastInUseAt: '2026-01-09T00:00:00Z' });
 * const endpoint = await startEndpoint(new InspectorHttpAdapter(inspector), faults);
 */
import type { IncomingMessage } from 'node:http';
import type { HttpReply, ProtocolAdapter } from '../http/endpoint-server.ts';
import type { ReplyFault } from '../http/faults.ts';
import { type LocalClock, toDate, toWire } from '../wire.ts';

export interface ImageCoverageSeed {
  readonly repository: string;
  readonly digest: string;
  readonly accountId?: string;
  readonly region?: string;
  readonly lastInUseAt?: Date | string | number | null;
  readonly inUseCount?: number | null;
  readonly imagePulledAt?: Date | string | number | null;
  readonly tags?: readonly string[];
  /** Default ACTIVE / SUCCESSFUL. */
  readonly scanStatus?: { readonly statusCode: string; readonly reason: string };
}

interface CoverageRow {
  readonly resourceType: string;
  readonly resourceId: string;
  readonly accountId: string;
  readonly repository: string;
  readonly scanType: string;
  readonly scanStatus: { statusCode: string; reason: string };
  readonly lastScannedAt: Date;
  readonly ecrImage: { tags?: string[]; imagePulledAt?: Date; lastInUseAt?: Date; inUseCount?: number };
}

class InspectorApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** Filters of ListCoverage the local endpoint evaluates; any other is refused so a test never passes by accident. */
const SUPPORTED_FILTERS = new Set(['resourceType', 'ecrRepositoryName', 'accountId', 'resourceId']);
const MAX_RESULTS = 200;

export class InspectorService {
  readonly accountId: string;
  readonly region: string;
  readonly #clock: LocalClock;
  readonly #rows: CoverageRow[] = [];
  #enabled = true;
  #requests: { operation: string; body: unknown }[] = [];

  constructor(options: { accountId: string; region: string; clock: LocalClock }) {
    this.accountId = options.accountId;
    this.region = options.region;
    this.#clock = options.clock;
  }

  /** Adds (or replaces, by digest) an ECR image coverage record. */
  seedImageCoverage(seed: ImageCoverageSeed): string {
    if (!/^sha256:[a-f0-9]{64}$/.test(seed.digest))
      throw new Error(`seedImageCoverage: bad digest ${seed.digest}`);
    const accountId = seed.accountId ?? this.accountId;
    const region = seed.region ?? this.region;
    const resourceId = `arn:aws:ecr:${region}:${accountId}:repository/${seed.repository}/${seed.digest}`;
    const index = this.#rows.findIndex((r) => r.resourceId === resourceId);
    const ecrImage: CoverageRow['ecrImage'] = {};
    if (seed.tags) ecrImage.tags = [...seed.tags];
    if (seed.imagePulledAt != null) ecrImage.imagePulledAt = toDate(seed.imagePulledAt, 'imagePulledAt');
    if (seed.lastInUseAt != null) ecrImage.lastInUseAt = toDate(seed.lastInUseAt, 'lastInUseAt');
    if (seed.inUseCount != null) ecrImage.inUseCount = seed.inUseCount;
    const row: CoverageRow = {
      resourceType: 'AWS_ECR_CONTAINER_IMAGE',
      resourceId,
      accountId,
      repository: seed.repository,
      scanType: 'PACKAGE',
      scanStatus: { ...(seed.scanStatus ?? { statusCode: 'ACTIVE', reason: 'SUCCESSFUL' }) },
      lastScannedAt: this.#clock.now(),
      ecrImage,
    };
    if (index >= 0) this.#rows[index] = row;
    else this.#rows.push(row);
    return resourceId;
  }

  /** false: every call answers 403 AccessDeniedException, as for an account where Inspector is not enabled. */
  setEnabled(enabled: boolean): void {
    this.#enabled = enabled;
  }

  /** Request bodies received (after faults), oldest first. */
  requests(): readonly { operation: string; body: unknown }[] {
    return this.#requests.map((r) => structuredClone(r));
  }

  clearRequests(): void {
    this.#requests = [];
  }

  call(operation: string, body: unknown): unknown {
    this.#requests.push({ operation, body: structuredClone(body) });
    if (!this.#enabled) {
      throw new InspectorApiError(
        'AccessDeniedException',
        'Invoking account does not have access to Amazon Inspector in this Region (not enabled)',
        403,
      );
    }
    if (operation === 'ListCoverage') return this.#listCoverage(body);
    throw new InspectorApiError('ValidationException', `operation ${operation} is not served locally`, 400);
  }

  #listCoverage(body: unknown): unknown {
    const input = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    const maxResults = input.maxResults ?? 100;
    if (
      typeof maxResults !== 'number' ||
      !Number.isInteger(maxResults) ||
      maxResults < 1 ||
      maxResults > MAX_RESULTS
    ) {
      throw new InspectorApiError('ValidationException', `maxResults must be from 1 to ${MAX_RESULTS}`, 400);
    }
    const criteria = (input.filterCriteria ?? {}) as Record<string, unknown>;
    const predicates: ((row: CoverageRow) => boolean)[] = [];
    for (const [name, filters] of Object.entries(criteria)) {
      if (!SUPPORTED_FILTERS.has(name)) {
        throw new InspectorApiError(
          'ValidationException',
          `filter ${name} is not supported by the local endpoint`,
          400,
        );
      }
      if (!Array.isArray(filters) || filters.length === 0 || filters.length > 10) {
        throw new InspectorApiError(
          'ValidationException',
          `filterCriteria.${name} must hold 1-10 filters`,
          400,
        );
      }
      const field = (row: CoverageRow): string =>
        name === 'ecrRepositoryName'
          ? row.repository
          : (row[name as 'resourceType' | 'accountId' | 'resourceId'] as string);
      const checks = filters.map((f: { comparison?: unknown; value?: unknown }) => {
        if (typeof f?.value !== 'string' || (f.comparison !== 'EQUALS' && f.comparison !== 'NOT_EQUALS')) {
          throw new InspectorApiError(
            'ValidationException',
            `filterCriteria.${name}: comparison EQUALS|NOT_EQUALS and a value`,
            400,
          );
        }
        const value = f.value;
        return f.comparison === 'EQUALS'
          ? (r: CoverageRow) => field(r) === value
          : (r: CoverageRow) => field(r) !== value;
      });
      // Inspector ORs the filters of one field and ANDs the fields.
      predicates.push((row) => checks.some((check) => check(row)));
    }
    const matching = this.#rows.filter((row) => predicates.every((p) => p(row)));
    let start = 0;
    if (input.nextToken !== undefined) {
      const decoded =
        typeof input.nextToken === 'string'
          ? Number(Buffer.from(input.nextToken, 'base64url').toString())
          : Number.NaN;
      if (!Number.isInteger(decoded) || decoded < 0 || decoded > matching.length) {
        throw new InspectorApiError('ValidationException', 'invalid nextToken', 400);
      }
      start = decoded;
    }
    const page = matching.slice(start, start + maxResults);
    const end = start + page.length;
    return toWire({
      coveredResources: page.map((row) => ({
        resourceType: row.resourceType,
        resourceId: row.resourceId,
        accountId: row.accountId,
        scanType: row.scanType,
        scanStatus: row.scanStatus,
        lastScannedAt: row.lastScannedAt,
        resourceMetadata: {
          ecrRepository: { name: row.repository, scanFrequency: 'CONTINUOUS_SCAN' },
          ecrImage: row.ecrImage,
        },
      })),
      ...(end < matching.length ? { nextToken: Buffer.from(String(end)).toString('base64url') } : {}),
    });
  }
}

const ROUTES: Readonly<Record<string, string>> = { 'POST /coverage/list': 'ListCoverage' };

/** restJson1 wire adapter for the shared endpoint server. */
export class InspectorHttpAdapter implements ProtocolAdapter {
  #requestCounter = 0;

  constructor(readonly service: InspectorService) {}

  identify(req: IncomingMessage): string | null {
    const path = (req.url ?? '').split('?')[0];
    return ROUTES[`${req.method} ${path}`] ?? `Unknown:${req.method} ${path}`;
  }

  handle(operation: string | null, _req: IncomingMessage, body: Buffer): HttpReply {
    if (operation === null || operation.startsWith('Unknown:')) {
      return this.#error(
        new InspectorApiError('ResourceNotFoundException', `no route for ${operation}`, 404),
      );
    }
    let json: unknown = {};
    try {
      json = body.length > 0 ? JSON.parse(body.toString('utf8')) : {};
    } catch {
      return this.#error(new InspectorApiError('ValidationException', 'request body is not JSON', 400));
    }
    try {
      return this.#json(200, this.service.call(operation, json));
    } catch (error) {
      if (error instanceof InspectorApiError) return this.#error(error);
      throw error;
    }
  }

  faultReply(kind: ReplyFault, operation: string): HttpReply {
    if (kind === 'throttle')
      return this.#error(
        new InspectorApiError('ThrottlingException', 'Rate exceeded', 429, { 'retry-after': '0' }),
      );
    if (kind === 'server-error')
      return this.#error(
        new InspectorApiError('InternalServerException', `Injected server error on ${operation}`, 500),
      );
    if (kind === 'unavailable')
      return this.#error(new InspectorApiError('ServiceUnavailableException', 'Service Unavailable', 503));
    return this.#error(
      new InspectorApiError(kind.code, kind.message ?? `Injected ${kind.code} on ${operation}`, kind.status),
    );
  }

  #error(error: InspectorApiError): HttpReply {
    const reply = this.#json(error.status, { message: error.message });
    return { ...reply, headers: { ...reply.headers, 'x-amzn-errortype': error.code, ...error.headers } };
  }

  #json(status: number, value: unknown): HttpReply {
    this.#requestCounter += 1;
    return {
      status,
      headers: {
        'content-type': 'application/json',
        'x-amzn-requestid': `local-inspector-${this.#requestCounter}`,
      },
      body: JSON.stringify(value),
    };
  }
}
