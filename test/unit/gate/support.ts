/**
 * Test doubles for the gate's unit tests: an in-memory Registry that behaves like ECR where the gate depends
 * on it (tag moves, ImageAlreadyExists = tagged, immutable repositories, removing the last tag deletes the
 * image) and counts calls, a recording Notifier, and dependencies built around them with the real policy
 * engine, the real message formatter and the in-memory ledger.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ImageRef } from '../../../lib/events/image-ref.ts';
import type { Finding, Severity } from '../../../lib/findings/finding.ts';
import {
  DEFAULT_GATE_SETTINGS,
  type GateDependencies,
  type GateSettings,
} from '../../../lib/gate/context.ts';
import { notifyMessages } from '../../../lib/gate/messages.ts';
import { DEFAULT_TAG_SCHEME } from '../../../lib/gate/tags.ts';
import { MemoryLedger } from '../../../lib/ledger/memory-ledger.ts';
import { createLogger, type Logger } from '../../../lib/log/index.ts';
import type { Notifier, OutboundMessage } from '../../../lib/notify/notifier.ts';
import type { ImageFacts } from '../../../lib/policy/decision.ts';
import { loadPolicySet } from '../../../lib/policy/index.ts';
import type { PolicySet } from '../../../lib/policy/policy-set.ts';
import type {
  ImageSummary,
  PutTagOutcome,
  Registry,
  RepositoryScanning,
  ScanResult,
  StartScanOutcome,
  StoredManifest,
} from '../../../lib/registry/registry.ts';

export const REGISTRY_ID = '123456789012';
export const REGION = 'us-east-1';
export const NOW = new Date('2026-11-23T12:00:00Z');

/** Byte-exact Docker Hub manifest from the AWS fixtures (its digest is known). */
export const V2_MANIFEST = readFileSync('test/fixtures/aws/manifest-docker-v2s2-dockerhub-real.json', 'utf8');
export const V2_MEDIA_TYPE = 'application/vnd.docker.distribution.manifest.v2+json';

export function digestOf(text: string): string {
  return `sha256:${createHash('sha256').update(text, 'utf8').digest('hex')}`;
}

/** A distinct image manifest per `seed` (the fixture with an annotation appended to its config digest). */
export function imageManifest(seed: string): string {
  const json = JSON.parse(V2_MANIFEST) as { config: { digest: string } };
  json.config.digest = digestOf(`config-${seed}`);
  return JSON.stringify(json);
}

/**
 * A BuildKit attestation manifest: OCI image manifest whose layers are in-toto statements (SBOM, provenance),
 * as `docker buildx build --attest` pushes them beside the platform images.
 */
export function attestationManifest(seed: string): string {
  return JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: {
      mediaType: 'application/vnd.oci.image.config.v1+json',
      digest: digestOf(`att-config-${seed}`),
      size: 167,
    },
    layers: [
      {
        mediaType: 'application/vnd.in-toto+json',
        digest: digestOf(`att-spdx-${seed}`),
        size: 1234,
        annotations: { 'in-toto.io/predicate-type': 'https://spdx.dev/Document' },
      },
      {
        mediaType: 'application/vnd.in-toto+json',
        digest: digestOf(`att-provenance-${seed}`),
        size: 567,
        annotations: { 'in-toto.io/predicate-type': 'https://slsa.dev/provenance/v0.2' },
      },
    ],
  });
}

export function indexManifest(children: readonly string[], attestation?: string): string {
  const manifests: unknown[] = children.map((digest, i) => ({
    mediaType: V2_MEDIA_TYPE,
    digest,
    size: 1000 + i,
    platform: { architecture: i === 0 ? 'amd64' : 'arm64', os: 'linux' },
  }));
  if (attestation) {
    manifests.push({
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: attestation,
      size: 500,
      annotations: {
        'vnd.docker.reference.type': 'attestation-manifest',
        'vnd.docker.reference.digest': children[0],
      },
      platform: { architecture: 'unknown', os: 'unknown' },
    });
  }
  return JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests,
  });
}

export function finding(id: string, severity: Severity, extra: Partial<Finding> = {}): Finding {
  return {
    id,
    severity,
    score: null,
    epss: null,
    fixAvailable: 'YES',
    exploitAvailable: null,
    package: 'openssl',
    version: '1.0.0',
    fixedIn: '1.0.1',
    url: `https://nvd.nist.gov/vuln/detail/${id}`,
    title: `${id} in openssl`,
    source: 'ecr-enhanced',
    ...extra,
  };
}

export function completeScan(findings: readonly Finding[], overrides: Partial<ScanResult> = {}): ScanResult {
  const counts: Record<string, number> = {};
  for (const f of findings) counts[f.severity] = (counts[f.severity] ?? 0) + 1;
  return {
    status: 'COMPLETE',
    description: 'The scan was completed successfully.',
    findings,
    severityCounts: counts,
    enhanced: false,
    completedAt: new Date(NOW.getTime() - 60 * 60_000).toISOString(),
    ...overrides,
  };
}

interface FakeImage {
  repository: string;
  digest: string;
  manifest: string;
  mediaType: string;
  pushedAt: string;
  storageClass: string;
  scan: ScanResult | null;
  facts: ImageFacts;
  /** ECR `lastRecordedPullTime`; null when never pulled. */
  lastPulledAt?: string | null;
}

export interface SeedImage {
  readonly repository?: string;
  readonly manifest?: string;
  readonly mediaType?: string;
  readonly tags?: readonly string[];
  readonly scan?: ScanResult | null;
  readonly facts?: ImageFacts;
  readonly pushedAt?: string;
}

/** In-memory registry. Tags are a repository-level map tag → digest, as in ECR. */
export class FakeRegistry implements Registry {
  readonly images = new Map<string, FakeImage>();
  readonly tags = new Map<string, Map<string, string>>();
  readonly immutable = new Set<string>();
  scanning: RepositoryScanning = { scanType: 'BASIC', frequency: 'SCAN_ON_PUSH' };
  startScanOutcome: StartScanOutcome = 'started';
  readonly calls: Record<string, number> = {};
  /** Hooks to inject failures: called before an operation; may throw. */
  readonly before: Record<string, (() => void) | undefined> = {};
  /** When set, a manifest read is recorded as a pull at this clock's time, as ECR records a BatchGetImage. */
  pullClock: (() => Date) | null = null;

  private count(op: string): void {
    this.calls[op] = (this.calls[op] ?? 0) + 1;
    this.before[op]?.();
  }

  /** ECR write operations made so far. */
  writes(): number {
    return (
      (this.calls.putTag ?? 0) +
      (this.calls.removeTags ?? 0) +
      (this.calls.setStorageClass ?? 0) +
      (this.calls.startScan ?? 0)
    );
  }

  seed(seed: SeedImage = {}): ImageRef {
    const repository = seed.repository ?? 'app';
    const manifest = seed.manifest ?? imageManifest(`${repository}-${this.images.size}`);
    const digest = digestOf(manifest);
    this.images.set(`${repository}@${digest}`, {
      repository,
      digest,
      manifest,
      mediaType: seed.mediaType ?? V2_MEDIA_TYPE,
      pushedAt: seed.pushedAt ?? new Date(NOW.getTime() - 2 * 60 * 60_000).toISOString(),
      storageClass: 'STANDARD',
      scan: seed.scan === undefined ? completeScan([]) : seed.scan,
      facts: seed.facts ?? { sizeBytes: 1234, user: 'app', labels: { team: 'a' } },
    });
    for (const tag of seed.tags ?? []) this.repoTags(repository).set(tag, digest);
    return { registryId: REGISTRY_ID, region: REGION, repository, digest };
  }

  repoTags(repository: string): Map<string, string> {
    let map = this.tags.get(repository);
    if (!map) {
      map = new Map();
      this.tags.set(repository, map);
    }
    return map;
  }

  tagsOf(ref: ImageRef): string[] {
    return [...this.repoTags(ref.repository).entries()]
      .filter(([, d]) => d === ref.digest)
      .map(([t]) => t)
      .sort();
  }

  image(ref: ImageRef): FakeImage | undefined {
    return this.images.get(`${ref.repository}@${ref.digest}`);
  }

  /** Someone else pulls the image at `at` (ECR records it as `lastRecordedPullTime`). */
  pull(ref: ImageRef, at: Date): void {
    const image = this.image(ref);
    if (image) image.lastPulledAt = at.toISOString();
  }

  setScan(ref: ImageRef, scan: ScanResult | null): void {
    const image = this.image(ref);
    if (image) image.scan = scan;
  }

  deleteImage(ref: ImageRef): void {
    this.images.delete(`${ref.repository}@${ref.digest}`);
    for (const tag of this.tagsOf(ref)) this.repoTags(ref.repository).delete(tag);
  }

  async getScanResult(ref: ImageRef): Promise<ScanResult | null> {
    this.count('getScanResult');
    const image = this.image(ref);
    if (!image) return null;
    return (
      image.scan ?? {
        status: 'PENDING',
        description: 'ScanNotFound',
        findings: [],
        severityCounts: null,
        enhanced: false,
        completedAt: null,
      }
    );
  }

  async getManifest(ref: ImageRef): Promise<StoredManifest | null> {
    this.count('getManifest');
    const image = this.image(ref);
    if (image && this.pullClock) image.lastPulledAt = this.pullClock().toISOString();
    return image ? { digest: image.digest, manifest: image.manifest, mediaType: image.mediaType } : null;
  }

  async describeImage(ref: ImageRef): Promise<ImageSummary | null> {
    this.count('describeImage');
    const image = this.image(ref);
    if (!image) return null;
    return {
      digest: image.digest,
      tags: this.tagsOf(ref),
      pushedAt: image.pushedAt,
      sizeBytes: 1234,
      manifestMediaType: image.mediaType,
      artifactMediaType: null,
      lastPulledAt: image.lastPulledAt ?? null,
      storageClass: image.storageClass,
    };
  }

  async putTag(ref: ImageRef, manifest: StoredManifest, tag: string): Promise<PutTagOutcome> {
    this.count('putTag');
    if (digestOf(manifest.manifest) !== ref.digest) throw new Error('manifest bytes changed');
    if (!this.image(ref)) return 'gone';
    const tags = this.repoTags(ref.repository);
    const existing = tags.get(tag);
    if (existing === ref.digest) return 'tagged';
    if (existing !== undefined && this.immutable.has(ref.repository)) return 'immutable';
    tags.set(tag, ref.digest);
    return 'tagged';
  }

  async removeTags(ref: ImageRef, tags: readonly string[]): Promise<void> {
    this.count('removeTags');
    const map = this.repoTags(ref.repository);
    for (const tag of tags) {
      if (map.get(tag) === ref.digest) map.delete(tag);
    }
    // ECR deletes an image whose last tag is removed.
    if (this.image(ref) && this.tagsOf(ref).length === 0)
      this.images.delete(`${ref.repository}@${ref.digest}`);
  }

  async startScan(ref: ImageRef): Promise<StartScanOutcome> {
    this.count('startScan');
    return this.image(ref) ? this.startScanOutcome : 'gone';
  }

  async getRepositoryScanning(): Promise<RepositoryScanning> {
    this.count('getRepositoryScanning');
    return this.scanning;
  }

  async getImageFacts(ref: ImageRef): Promise<ImageFacts> {
    this.count('getImageFacts');
    return this.image(ref)?.facts ?? {};
  }

  async setStorageClass(ref: ImageRef, storageClass: 'ARCHIVE' | 'STANDARD'): Promise<'done' | 'gone'> {
    this.count('setStorageClass');
    const image = this.image(ref);
    if (!image) return 'gone';
    image.storageClass = storageClass;
    return 'done';
  }
}

export class RecordingNotifier implements Notifier {
  readonly messages: OutboundMessage[] = [];
  failNext = 0;
  async publish(message: OutboundMessage): Promise<string> {
    if (this.failNext > 0) {
      this.failNext -= 1;
      const { NotifierUnavailableError } = await import('../../../lib/notify/errors.ts');
      throw new NotifierUnavailableError('SNS unavailable (test)', 'ServiceUnavailable', 503);
    }
    this.messages.push(message);
    return `msg-${this.messages.length}`;
  }
}

let policySetPromise: Promise<PolicySet> | null = null;
export function testPolicySet(): Promise<PolicySet> {
  policySetPromise ??= loadPolicySet('test/unit/gate/policies');
  return policySetPromise;
}

export interface TestGate {
  readonly deps: GateDependencies;
  readonly registry: FakeRegistry;
  readonly ledger: MemoryLedger;
  readonly notifier: RecordingNotifier;
  readonly lines: Record<string, unknown>[];
  clock: Date;
}

export async function testGate(settings: Partial<GateSettings> = {}): Promise<TestGate> {
  const registry = new FakeRegistry();
  const ledger = new MemoryLedger();
  const notifier = new RecordingNotifier();
  const lines: Record<string, unknown>[] = [];
  const state = { clock: NOW };
  const logger: Logger = createLogger({
    level: 'debug',
    sink: (line) => lines.push(JSON.parse(line) as Record<string, unknown>),
  });
  const now = () => state.clock;
  const deps: GateDependencies = {
    registry,
    ledger,
    notifier,
    messages: notifyMessages(DEFAULT_TAG_SCHEME, null, now),
    policySet: await testPolicySet(),
    policySetProblem: null,
    scheme: DEFAULT_TAG_SCHEME,
    repositoryScope: ['*'],
    logger,
    now,
    settings: { ...DEFAULT_GATE_SETTINGS, ...settings },
  };
  return {
    deps,
    registry,
    ledger,
    notifier,
    lines,
    get clock() {
      return state.clock;
    },
    set clock(value: Date) {
      state.clock = value;
    },
  };
}

export const scanTrigger = (id = 'evt-1', time = NOW.toISOString()) =>
  ({
    kind: 'scan-completed',
    id,
    time,
    scanner: 'basic',
    scanStatus: 'COMPLETE',
    severityCountsHint: {},
  }) as const;
