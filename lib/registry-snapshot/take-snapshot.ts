/**
 * Taking the registry snapshot (lib/snapshot format) that `gatekeeper policy impact` previews a policy change on:
 * every image of every repository in scope with its source tags, its normalised findings, its image facts, its
 * in-use data and the verdict the ledger recorded. The scheduled `registry-snapshot` function runs it nightly,
 * after the hygiene sweep, over ports (registry, ledger, store), so tests run it against local endpoints.
 *
 * Why its own function and not the sweep: the S3 client would add about 100 KB to the sweep bundle, which is
 * already over its size target (BENCHMARKS.md "Function bundles"); and a snapshot must be whole, while the sweep
 * stops and resumes at repository boundaries.
 *
 * What is read, per image: the DescribeImages page it is listed on (tags, push time, last pull), the ledger record
 * (GetItem), the scan findings (DescribeImageScanFindings, every page) and, only when `facts` is on, the manifest
 * and config blob (BatchGetImage, GetDownloadUrlForLayer + download) for the image rules. Nothing is written to
 * the registry or the ledger, and by default no pull is recorded (see `facts`). The file is built gzip-compressed in memory (about 1 KB per image with a few
 * findings) and stored with one PutObject per key (S3 takes up to 5 GB in one request): first the dated key,
 * then `latest`, so `latest` only ever names a complete snapshot. Any failure fails the run and stores nothing.
 */
import { createGzip } from 'node:zlib';
import type { ImageRef } from '../events/image-ref.ts';
import type { Finding } from '../findings/finding.ts';
import type { Ledger, LedgerRecord } from '../ledger/ledger.ts';
import type { Logger } from '../log/index.ts';
import type { ImageFacts } from '../policy/decision.ts';
import { ImageFactsUnavailableError } from '../registry/errors.ts';
import type { ImageSummary, Registry, RegistryAdmin, RepositorySummary } from '../registry/registry.ts';
import {
  type SnapshotImageInput,
  type SnapshotInUse,
  type SnapshotSource,
  type SnapshotStore,
  snapshotKeys,
  writeSnapshot,
} from '../snapshot/index.ts';

/** Scan statuses whose findings are the image's findings (the others are written as a status). */
const FINDINGS_STATUSES: ReadonlySet<string> = new Set(['COMPLETE', 'ACTIVE']);
// The snapshot format's tag rule (ECR's documented tag pattern).
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** In-use data per digest (lib/inspector `InspectorImageUsage` has this shape). */
export interface SnapshotUsageSource {
  usage(repository: string): Promise<ReadonlyMap<string, { readonly inUseCount: number | null }>>;
}

export interface RegistrySnapshotSettings {
  /** The registry (account id); null: the one the listed repositories belong to. */
  readonly registryId: string | null;
  readonly region: string;
  /** Repository globs in scope (GATEKEEPER_REPOSITORY_SCOPE). */
  readonly inScope: (repository: string) => boolean;
  /** Decision tag prefixes: tags with them are not source tags. */
  readonly reservedPrefixes: readonly string[];
  /**
   * Read manifests and config blobs for image facts (2 more calls per image). Off in production wiring: ECR
   * records a BatchGetImage as a pull (`lastRecordedPullTime`), so a nightly read would make every image look
   * recently pulled to the hygiene sweep. Images are then written with `facts: null` and the preview says which
   * image rules it could not check.
   */
  readonly facts: boolean;
  /** The header's `source`: `sweep` for the stack's nightly run (default), `read-only-role` for an outside script. */
  readonly source?: SnapshotSource;
}

export interface RegistrySnapshotDependencies {
  readonly admin: RegistryAdmin;
  readonly registry: Pick<Registry, 'getScanResult' | 'getManifest' | 'getImageFacts'>;
  readonly ledger: Pick<Ledger, 'get'>;
  readonly store: SnapshotStore;
  readonly usage?: SnapshotUsageSource;
  readonly logger: Logger;
  readonly now: () => Date;
  readonly settings: RegistrySnapshotSettings;
}

export interface RegistrySnapshotResult {
  readonly images: number;
  readonly repositories: number;
  readonly bytes: number;
  /** The keys written, dated first; empty when no repository is in scope (nothing is written). */
  readonly keys: readonly string[];
  readonly takenAt: string;
}

/**
 * Takes a snapshot of the registry and stores it under the dated key, then under `latest`.
 * @example const { images, keys } = await takeRegistrySnapshot(await getSnapshotDependencies())
 */
export async function takeRegistrySnapshot(
  deps: RegistrySnapshotDependencies,
): Promise<RegistrySnapshotResult> {
  const { settings } = deps;
  const takenAt = deps.now();
  const repositories: RepositorySummary[] = [];
  for await (const repository of deps.admin.listRepositories()) {
    if (settings.inScope(repository.name)) repositories.push(repository);
  }
  repositories.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const registryId = settings.registryId ?? repositories[0]?.registryId ?? null;
  if (registryId === null) {
    deps.logger.warn('registry snapshot: no repository in scope, nothing written');
    return { images: 0, repositories: 0, bytes: 0, keys: [], takenAt: takenAt.toISOString() };
  }
  const keys = snapshotKeys(registryId, settings.region, takenAt);

  const chunks: Buffer[] = [];
  const gzip = createGzip({ level: 9 });
  gzip.on('data', (chunk: Buffer) => chunks.push(chunk));
  const finished = new Promise<void>((resolve, reject) => {
    gzip.on('end', resolve);
    gzip.on('error', reject);
  });
  const images = await writeSnapshot(
    gzip,
    { takenAt, source: settings.source ?? 'sweep', registryId, region: settings.region },
    imagesOf(deps, registryId, repositories),
  );
  gzip.end();
  await finished;
  const body = Buffer.concat(chunks);

  await deps.store.put({ key: keys.dated, body, images });
  await deps.store.put({ key: keys.latest, body, images });
  const result = {
    images,
    repositories: repositories.length,
    bytes: body.length,
    keys: [keys.dated, keys.latest],
    takenAt: takenAt.toISOString(),
  };
  deps.logger.info('registry snapshot stored', { ...result });
  return result;
}

async function* imagesOf(
  deps: RegistrySnapshotDependencies,
  registryId: string,
  repositories: readonly RepositorySummary[],
): AsyncGenerator<SnapshotImageInput> {
  for (const { name: repository } of repositories) {
    const usage = deps.usage ? await deps.usage.usage(repository) : null;
    for await (const summary of deps.admin.listImages(repository)) {
      const ref: ImageRef = { registryId, region: deps.settings.region, repository, digest: summary.digest };
      const image = await imageOf(deps, ref, summary, usage);
      if (image) yield image;
    }
  }
}

/** One image's line, or null for an image with nothing to judge (untagged and never decided, or gone). */
async function imageOf(
  deps: RegistrySnapshotDependencies,
  ref: ImageRef,
  summary: ImageSummary,
  usage: ReadonlyMap<string, { readonly inUseCount: number | null }> | null,
): Promise<SnapshotImageInput | null> {
  const tags = sourceTags(summary.tags, deps.settings.reservedPrefixes);
  const record = await deps.ledger.get(ref);
  const recorded = recordedOf(record);
  if (tags.length === 0 && recorded === null && summary.tags.length === 0) return null;
  const scan = await deps.registry.getScanResult(ref);
  if (scan === null) return null;
  // Facts never change for a digest: the ones the gate kept in the ledger need no manifest read (and no pull).
  const facts =
    record?.imageFacts ??
    (deps.settings.facts && summary.storageClass !== 'ARCHIVE' ? await factsOf(deps, ref) : null);
  const seen = usage?.get(ref.digest);
  const inUse: SnapshotInUse = {
    lastPulledAt: summary.lastPulledAt,
    inUse: seen ? (seen.inUseCount ?? 0) > 0 : null,
  };
  return {
    repository: ref.repository,
    digest: ref.digest,
    tags,
    scan: FINDINGS_STATUSES.has(scan.status)
      ? { findings: scan.findings as readonly Finding[] }
      : { status: scan.status, description: scan.description },
    facts,
    inUse,
    recorded,
  };
}

function sourceTags(tags: readonly string[], reserved: readonly string[]): string[] {
  return tags.filter((tag) => TAG.test(tag) && !reserved.some((prefix) => tag.startsWith(prefix))).sort();
}

function recordedOf(record: LedgerRecord | null): SnapshotImageInput['recorded'] {
  if (record?.state !== 'decided' || !record.decision) return null;
  return {
    verdict: record.decision.verdict,
    policyVersion: record.decision.policyVersion,
    decidedAt: record.decision.decidedAt,
  };
}

async function factsOf(deps: RegistrySnapshotDependencies, ref: ImageRef): Promise<ImageFacts | null> {
  const manifest = await deps.registry.getManifest(ref);
  if (!manifest) return null;
  try {
    return await deps.registry.getImageFacts(ref, manifest);
  } catch (error) {
    // An index, or a config blob that cannot be read: the image rules are then not checked for this image.
    if (error instanceof ImageFactsUnavailableError) return null;
    throw error;
  }
}
