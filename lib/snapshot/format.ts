/**
 * The registry snapshot: every decided image of a registry with what a verdict needs (tags, normalised findings,
 * image facts, in-use data) and the verdict the gate recorded, so a policy change can be judged against the whole
 * registry offline (`gatekeeper policy impact`). One definition of the format: the types and constants here, the
 * JSON Schema beside them (registry-snapshot.schema.json, one schema per line kind), the reader in read.ts and the
 * writer in write.ts. A test checks that the schema and the reader accept and refuse the same lines.
 *
 * JSON Lines, UTF-8, optionally gzip-compressed (the reader detects it from the first bytes):
 *
 *   {"format":"gatekeeper-registry-snapshot/v1","takenAt":"2026-12-01T03:00:00.000Z","source":"sweep",…}   header
 *   {"repository":"orders/api","digest":"sha256:…","tags":["1.4.2"],"scan":{"findings":[[…],…]},…}      one per image
 *   {"end":true,"images":1}                                                                             end line
 *
 * The end line carries the image count, so a file cut short (an interrupted upload, a full disk) is refused
 * instead of read as a smaller registry. Findings are tuples in {@link FINDING_FIELDS} order: a registry of
 * 100,000 images holds millions of findings (about 85 bytes each as tuples), and repeating the ten key names in
 * each would more than double the file.
 */
import type { FixAvailability, Severity } from '../findings/finding.ts';
import type { ImageFacts, Verdict } from '../policy/decision.ts';

export const SNAPSHOT_FORMAT = 'gatekeeper-registry-snapshot/v1';

/** The order of a finding tuple's fields (fixed for v1; the header repeats it so the file describes itself). */
export const FINDING_FIELDS = [
  'id',
  'severity',
  'score',
  'epss',
  'fixAvailable',
  'exploitAvailable',
  'package',
  'version',
  'fixedIn',
  'kev',
] as const;

/** A finding as a snapshot stores it: what evaluation reads, nothing for reports (titles, descriptions, links). */
export type FindingTuple = [
  id: string,
  severity: Severity,
  score: number | null,
  epss: number | null,
  fixAvailable: FixAvailability | null,
  exploitAvailable: boolean | null,
  pkg: string | null,
  version: string | null,
  fixedIn: string | null,
  /** CISA KEV: [dateAdded, dateDue] (YYYY-MM-DD or null), or null when not listed / not known. */
  kev: [dateAdded: string | null, dateDue: string | null] | null,
];

/** How the snapshot was taken (docs/cli.md "Registry snapshots"). */
export type SnapshotSource = 'sweep' | 'read-only-role';

export interface SnapshotHeader {
  readonly format: typeof SNAPSHOT_FORMAT;
  /** ISO-8601 UTC. */
  readonly takenAt: string;
  readonly source: SnapshotSource;
  /** The AWS account of the registry, when known. */
  readonly registryId: string | null;
  readonly region: string | null;
  readonly findingFields: readonly string[];
}

/** What the scan of an image gave: findings, or a finished status without findings (FAILED, UNSUPPORTED_IMAGE …). */
export type SnapshotScan =
  | { readonly findings: readonly FindingTuple[] }
  | { readonly status: string; readonly description: string | null };

export interface SnapshotInUse {
  /** ECR `lastRecordedPullTime` (ISO-8601 UTC), null when never pulled or unknown. */
  readonly lastPulledAt: string | null;
  /** Inspector's in-use data (a running container was seen), null when unknown. */
  readonly inUse: boolean | null;
}

export interface SnapshotRecorded {
  readonly verdict: Verdict;
  /** The policy version of the recorded decision (`sha256:…`). */
  readonly policyVersion: string;
  /** ISO-8601 UTC. */
  readonly decidedAt: string;
}

export interface SnapshotImage {
  readonly repository: string;
  readonly digest: string;
  /** Source tags (no approved-/quarantined- tags); empty when untagged. */
  readonly tags: readonly string[];
  readonly scan: SnapshotScan;
  /** Manifest and config facts for image rules; null when not read (those rules are then not checked). */
  readonly facts: ImageFacts | null;
  readonly inUse: SnapshotInUse | null;
  /** The ledger's latest decision; null when the image has none yet. */
  readonly recorded: SnapshotRecorded | null;
}

export interface SnapshotEnd {
  readonly end: true;
  readonly images: number;
}

/** Limits that keep a hostile or broken file from exhausting memory; far above any real registry's image. */
export const SNAPSHOT_LIMITS = {
  /** Bytes of one line (an image with 20,000 findings is about 2 MB). */
  lineBytes: 16 * 1024 * 1024,
  tagsPerImage: 1000,
  findingsPerImage: 100_000,
  labelsPerImage: 1000,
  /** Characters of an id, package, version or label value. */
  text: 4096,
} as const;
