/**
 * takeRegistrySnapshot over fake ports: which images a snapshot holds and how, the keys it writes and their order,
 * and that a failed write never leaves `latest` pointing at anything but a complete snapshot.
 */
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../../lib/findings/finding.ts';
import type { LedgerRecord } from '../../../lib/ledger/ledger.ts';
import { createLogger } from '../../../lib/log/index.ts';
import type { ImageSummary, RepositorySummary, ScanResult } from '../../../lib/registry/registry.ts';
import {
  type RegistrySnapshotDependencies,
  type SnapshotObject,
  takeRegistrySnapshot,
} from '../../../lib/registry-snapshot/index.ts';
import { parseImageLine, snapshotKeys } from '../../../lib/snapshot/index.ts';

const ACCOUNT = '123456789012';
const digest = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;

function summary(n: number, tags: string[]): ImageSummary {
  return {
    digest: digest(n),
    tags,
    pushedAt: '2026-11-01T00:00:00Z',
    sizeBytes: 100,
    manifestMediaType: 'application/vnd.oci.image.manifest.v1+json',
    artifactMediaType: null,
    lastPulledAt: n === 1 ? '2026-11-30T00:00:00.000Z' : null,
    storageClass: 'STANDARD',
  };
}

const FINDING: Finding = {
  id: 'CVE-2026-0001',
  severity: 'HIGH',
  score: 7.5,
  epss: null,
  fixAvailable: 'YES',
  exploitAvailable: null,
  package: 'openssl',
  version: '3.0.1',
  fixedIn: '3.0.2',
  url: null,
  title: null,
  source: 'inspector',
};

function fakes(images: Record<string, ImageSummary[]>, decided: Set<string> = new Set()) {
  const puts: SnapshotObject[] = [];
  const calls: string[] = [];
  const deps: RegistrySnapshotDependencies = {
    admin: {
      async *listRepositories() {
        for (const name of Object.keys(images))
          yield { name, registryId: ACCOUNT } as unknown as RepositorySummary;
      },
      async *listImages(repository: string) {
        for (const image of images[repository] ?? []) yield image;
      },
    } as unknown as RegistrySnapshotDependencies['admin'],
    registry: {
      getScanResult: async (ref) => {
        calls.push(`scan ${ref.digest}`);
        return {
          status: 'ACTIVE',
          description: null,
          findings: [FINDING],
          severityCounts: null,
          enhanced: true,
          completedAt: null,
        } satisfies ScanResult;
      },
      getManifest: async () => {
        calls.push('manifest');
        return null;
      },
      getImageFacts: async () => ({}),
    },
    ledger: {
      get: async (ref) =>
        decided.has(ref.digest)
          ? ({
              state: 'decided',
              decision: {
                verdict: 'approved',
                policyVersion: `sha256:${'a'.repeat(64)}`,
                decidedAt: '2026-11-02T00:00:00.000Z',
              },
              imageFacts: { user: 'app', labels: { team: 'a' }, sizeBytes: 1234 },
            } as unknown as LedgerRecord)
          : null,
    },
    store: {
      put: async (object) => {
        puts.push(object);
      },
    },
    logger: createLogger({ level: 'silent' }),
    now: () => new Date('2026-12-01T04:15:00Z'),
    settings: {
      registryId: null,
      region: 'eu-west-1',
      inScope: (repository) => repository.startsWith('team/'),
      reservedPrefixes: ['approved-', 'quarantined-'],
      facts: false,
    },
  };
  return { deps, puts, calls };
}

function linesOf(object: SnapshotObject | undefined): string[] {
  return gunzipSync(object?.body ?? new Uint8Array())
    .toString()
    .trimEnd()
    .split('\n');
}

describe('takeRegistrySnapshot', () => {
  it('writes the dated key, then latest, with the same complete file', async () => {
    const { deps, puts } = fakes({ 'team/api': [summary(1, ['1.0.0'])] });

    const result = await takeRegistrySnapshot(deps);

    const keys = snapshotKeys(ACCOUNT, 'eu-west-1', new Date('2026-12-01T04:15:00Z'));
    expect(puts.map((p) => p.key)).toEqual([keys.dated, keys.latest]);
    expect(keys.dated).toBe(`snapshots/${ACCOUNT}/eu-west-1/2026-12-01.jsonl.gz`);
    expect(puts[0]?.body).toEqual(puts[1]?.body);
    expect(result).toMatchObject({ images: 1, repositories: 1, keys: [keys.dated, keys.latest] });
    const lines = linesOf(puts[1]);
    expect(JSON.parse(lines[0] as string)).toMatchObject({ registryId: ACCOUNT, source: 'sweep' });
    expect(JSON.parse(lines.at(-1) as string)).toEqual({ end: true, images: 1 });
  });

  it('takes the image facts the gate kept in the ledger, with no manifest read (no pull recorded)', async () => {
    const decided = summary(1, ['1.0.0']);
    const undecided = summary(2, ['2.0.0']);
    const { deps, puts, calls } = fakes({ 'team/api': [decided, undecided] }, new Set([decided.digest]));

    await takeRegistrySnapshot(deps);

    const images = linesOf(puts[1])
      .map((line) => JSON.parse(line) as { digest?: string; facts?: unknown })
      .filter((line) => line.digest !== undefined);
    expect(images.find((i) => i.digest === decided.digest)?.facts).toEqual({
      user: 'app',
      labels: { team: 'a' },
      sizeBytes: 1234,
    });
    expect(images.find((i) => i.digest === undecided.digest)?.facts).toBeNull();
    expect(calls).not.toContain('manifest');
  });

  it('keeps source tags only, skips untagged undecided images and repositories out of scope', async () => {
    const { deps, puts, calls } = fakes(
      {
        'team/api': [
          summary(1, ['1.0.0', 'approved-1.0.0']),
          summary(2, []),
          summary(3, ['quarantined-2.0.0']),
          summary(4, []),
        ],
        'other/tool': [summary(5, ['x'])],
      },
      new Set([digest(4)]),
    );

    await takeRegistrySnapshot(deps);

    const images = linesOf(puts[0])
      .slice(1, -1)
      .map((line) => parseImageLine(JSON.parse(line)));
    expect(images.map((i) => [i.digest, i.tags, i.recorded?.verdict ?? null])).toEqual([
      [digest(1), ['1.0.0'], null],
      [digest(3), [], null],
      [digest(4), [], 'approved'],
    ]);
    expect(images[0]?.inUse).toEqual({ lastPulledAt: '2026-11-30T00:00:00.000Z', inUse: null });
    // Facts off: no manifest read (ECR would record it as a pull).
    expect(calls).not.toContain('manifest');
    expect(calls).not.toContain(`scan ${digest(5)}`);
  });

  it('stores nothing when writing the dated key fails, so latest keeps the previous complete snapshot', async () => {
    const { deps } = fakes({ 'team/api': [summary(1, ['1.0.0'])] });
    const written: string[] = [];
    const failing = {
      ...deps,
      store: {
        put: async (object: SnapshotObject) => {
          if (object.key.endsWith('2026-12-01.jsonl.gz')) throw new Error('SlowDown');
          written.push(object.key);
        },
      },
    };

    await expect(takeRegistrySnapshot(failing)).rejects.toThrow('SlowDown');
    expect(written).toEqual([]);
  });

  it('writes nothing when no repository is in scope', async () => {
    const { deps, puts } = fakes({ 'other/tool': [summary(5, ['x'])] });
    expect(await takeRegistrySnapshot(deps)).toMatchObject({ images: 0, keys: [] });
    expect(puts).toEqual([]);
  });
});

describe('snapshotKeys', () => {
  it.each([
    ['12345', 'eu-west-1', /registry id "12345" is not a 12-digit account id/],
    [ACCOUNT, '../eu', /"..\/eu" is not an AWS region/],
  ])('refuses %s / %s', (account, region, message) => {
    expect(() => snapshotKeys(account, region, new Date())).toThrow(message);
  });
});
