/**
 * InspectorImageUsage with a scripted client: request shape, pagination, per-run cache, the not-enabled fallback
 * and error translation. The same paths over HTTP: test/integration/inspector/inspector-usage.test.ts.
 */
import type { Inspector2Client, ListCoverageCommand } from '@aws-sdk/client-inspector2';
import { describe, expect, it } from 'vitest';
import { InspectorRejectedError, InspectorUnavailableError } from '../../../lib/inspector/errors.ts';
import { InspectorImageUsage } from '../../../lib/inspector/inspector-usage.ts';
import type { Logger } from '../../../lib/log/index.ts';

const ACCOUNT = '123456789012';
const digest = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;
const entry = (repository: string, n: number, ecrImage: Record<string, unknown>, account = ACCOUNT) => ({
  resourceType: 'AWS_ECR_CONTAINER_IMAGE',
  resourceId: `arn:aws:ecr:us-east-1:${account}:repository/${repository}/${digest(n)}`,
  accountId: account,
  scanType: 'PACKAGE',
  resourceMetadata: { ecrImage },
});

type Reply = { coveredResources?: unknown[]; nextToken?: string } | Error;

function scripted(replies: Reply[]) {
  const inputs: ListCoverageCommand['input'][] = [];
  const client = {
    send: async (command: ListCoverageCommand) => {
      inputs.push(structuredClone(command.input));
      const reply = replies.shift();
      if (reply === undefined) throw new Error('unexpected call');
      if (reply instanceof Error) throw reply;
      return reply;
    },
  } as unknown as Inspector2Client;
  return { client, inputs };
}

function recordingLogger() {
  const lines: { level: string; message: string; data?: unknown }[] = [];
  const logger: Logger = {
    level: 'debug',
    debug: (message, data) => lines.push({ level: 'debug', message, data }),
    info: (message, data) => lines.push({ level: 'info', message, data }),
    warn: (message, data) => lines.push({ level: 'warn', message, data }),
    error: (message, data) => lines.push({ level: 'error', message, data }),
    child: () => logger,
  };
  return { logger, lines };
}

const sdkError = (name: string, status: number) =>
  Object.assign(new Error(`${name} from the service`), { name, $metadata: { httpStatusCode: status } });

describe('InspectorImageUsage', () => {
  it('filters by image type, repository and account, pages to the end and maps by digest', async () => {
    const { client, inputs } = scripted([
      { coveredResources: [entry('team/app', 1, { inUseCount: 2 })], nextToken: 'p2' },
      {
        coveredResources: [
          entry('team/app', 2, { lastInUseAt: new Date('2026-01-01T00:00:00Z'), inUseCount: 0 }),
          entry('team/app', 3, {}),
        ],
        nextToken: 'p3',
      },
      // A stray row of another repository or account is never trusted.
      {
        coveredResources: [
          entry('team/app-other', 4, { inUseCount: 9 }),
          entry('team/app', 5, { inUseCount: 9 }, '999999999999'),
        ],
      },
    ]);
    const usage = new InspectorImageUsage({ client, pageSize: 2 });
    const map = await usage.usage('team/app', { sweepId: 's1', registryId: ACCOUNT });

    expect(Object.fromEntries(map)).toEqual({
      [digest(1)]: { lastInUseAt: null, inUseCount: 2 },
      [digest(2)]: { lastInUseAt: Date.parse('2026-01-01T00:00:00Z'), inUseCount: 0 },
      [digest(3)]: { lastInUseAt: null, inUseCount: null },
    });
    expect(inputs).toEqual([
      {
        maxResults: 2,
        filterCriteria: {
          resourceType: [{ comparison: 'EQUALS', value: 'AWS_ECR_CONTAINER_IMAGE' }],
          ecrRepositoryName: [{ comparison: 'EQUALS', value: 'team/app' }],
          accountId: [{ comparison: 'EQUALS', value: ACCOUNT }],
        },
      },
      expect.objectContaining({ nextToken: 'p2' }),
      expect.objectContaining({ nextToken: 'p3' }),
    ]);
    expect(usage.stats).toEqual({ calls: 3, images: 3, skipped: 2 });
  });

  it('omits the account filter when the registry is not known', async () => {
    const { client, inputs } = scripted([{ coveredResources: [] }]);
    await new InspectorImageUsage({ client }).usage('team/app');
    expect(inputs[0]?.filterCriteria?.accountId).toBeUndefined();
    expect(inputs[0]?.maxResults).toBe(200);
  });

  it('caches per sweep run: the same run asks once, a new run asks again', async () => {
    const page = { coveredResources: [entry('team/app', 1, { inUseCount: 1 })] };
    const { client, inputs } = scripted([page, page]);
    const usage = new InspectorImageUsage({ client });
    const [a, b] = await Promise.all([
      usage.usage('team/app', { sweepId: 's1' }),
      usage.usage('team/app', { sweepId: 's1' }),
    ]);
    expect(a).toBe(b);
    await usage.usage('team/app', { sweepId: 's1' });
    expect(inputs).toHaveLength(1);
    await usage.usage('team/app', { sweepId: 's2' });
    expect(inputs).toHaveLength(2);
  });

  it('Inspector not enabled: no data, one warning per run, no further calls in that run; the next run tries again', async () => {
    const { client, inputs } = scripted([
      sdkError('AccessDeniedException', 403),
      { coveredResources: [entry('b/b', 1, { inUseCount: 1 })] },
    ]);
    const { logger, lines } = recordingLogger();
    const usage = new InspectorImageUsage({ client, logger });

    expect((await usage.usage('a/a', { sweepId: 's1' })).size).toBe(0);
    expect((await usage.usage('b/b', { sweepId: 's1' })).size).toBe(0);
    expect(inputs).toHaveLength(1);
    expect(usage.state).toMatchObject({ status: 'no-access', code: 'AccessDeniedException' });
    const warnings = lines.filter((l) => l.level === 'warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.message).toMatch(/falls back to the last recorded ECR pull/);

    expect((await usage.usage('b/b', { sweepId: 's2' })).size).toBe(1);
    expect(usage.state.status).toBe('available');
  });

  it.each([
    ['throttling after the SDK retries', sdkError('ThrottlingException', 429), InspectorUnavailableError],
    ['a server error', sdkError('InternalServerException', 500), InspectorUnavailableError],
    ['a validation error', sdkError('ValidationException', 400), InspectorRejectedError],
  ])(
    '%s is thrown (the sweep leaves the repository unchanged) and not cached',
    async (_name, error, type) => {
      const { client, inputs } = scripted([error, { coveredResources: [] }]);
      const usage = new InspectorImageUsage({ client });
      await expect(usage.usage('team/app', { sweepId: 's1' })).rejects.toBeInstanceOf(type);
      await expect(usage.usage('team/app', { sweepId: 's1' })).resolves.toEqual(new Map());
      expect(inputs).toHaveLength(2);
    },
  );

  it('stops on a repeated nextToken or a runaway paginator', async () => {
    const loop = scripted([
      { coveredResources: [], nextToken: 'same' },
      { coveredResources: [], nextToken: 'same' },
    ]);
    await expect(new InspectorImageUsage({ client: loop.client }).usage('x/y')).rejects.toThrow(
      /nextToken repeated/,
    );
    const endless = scripted(
      Array.from({ length: 4 }, (_, i) => ({ coveredResources: [], nextToken: `t${i}` })),
    );
    await expect(
      new InspectorImageUsage({ client: endless.client, maxPages: 3 }).usage('x/y'),
    ).rejects.toThrow(/more than 3 pages/);
  });

  it('rejects an impossible page size', () => {
    const { client } = scripted([]);
    expect(() => new InspectorImageUsage({ client, pageSize: 201 })).toThrow(RangeError);
  });
});
