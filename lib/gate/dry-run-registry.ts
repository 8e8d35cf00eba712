/**
 * A Registry that runs the gate's real path offline: it answers reads from what the caller knows (the event,
 * a findings file, the tags on the digest) and records every write instead of sending it. `gatekeeper replay`
 * uses it to print the actions the handler would take.
 */
import type { ImageRef } from '../events/image-ref.ts';
import type { ImageFacts } from '../policy/decision.ts';
import { ImageFactsUnavailableError } from '../registry/errors.ts';
import type {
  ImageSummary,
  PutTagOutcome,
  Registry,
  RepositoryScanning,
  ScanResult,
  StartScanOutcome,
  StoredManifest,
} from '../registry/registry.ts';

export type RecordedAction =
  | { readonly action: 'put-tag'; readonly tag: string }
  | { readonly action: 'remove-tags'; readonly tags: readonly string[] }
  | { readonly action: 'set-storage-class'; readonly storageClass: 'ARCHIVE' | 'STANDARD' }
  | { readonly action: 'start-scan' };

export interface DryRunImage {
  readonly ref: ImageRef;
  readonly tags: readonly string[];
  readonly scan: ScanResult | null;
  /** null: unknown (image rules fail closed, as when ECR cannot serve the config blob). */
  readonly facts: ImageFacts | null;
  readonly manifestMediaType: string;
  readonly scanning: RepositoryScanning;
  readonly pushedAt: string;
}

export class DryRunRegistry implements Registry {
  readonly actions: RecordedAction[] = [];
  #tags: string[];

  constructor(private readonly image: DryRunImage) {
    this.#tags = [...image.tags];
  }

  get tags(): readonly string[] {
    return [...this.#tags].sort();
  }

  #known(ref: ImageRef): boolean {
    return ref.digest === this.image.ref.digest && ref.repository === this.image.ref.repository;
  }

  async getScanResult(ref: ImageRef): Promise<ScanResult | null> {
    return this.#known(ref) ? this.image.scan : null;
  }

  async getManifest(ref: ImageRef): Promise<StoredManifest | null> {
    // The bytes are not needed to plan; PutImage is recorded, never sent.
    return this.#known(ref)
      ? { digest: ref.digest, manifest: '', mediaType: this.image.manifestMediaType }
      : null;
  }

  async describeImage(ref: ImageRef): Promise<ImageSummary | null> {
    if (!this.#known(ref)) return null;
    return {
      digest: ref.digest,
      tags: this.tags,
      pushedAt: this.image.pushedAt,
      sizeBytes: this.image.facts?.sizeBytes ?? null,
      manifestMediaType: this.image.manifestMediaType,
      artifactMediaType: null,
      lastPulledAt: null,
      storageClass: 'STANDARD',
    };
  }

  async putTag(ref: ImageRef, _manifest: StoredManifest, tag: string): Promise<PutTagOutcome> {
    if (!this.#known(ref)) return 'gone';
    this.actions.push({ action: 'put-tag', tag });
    if (!this.#tags.includes(tag)) this.#tags.push(tag);
    return 'tagged';
  }

  async removeTags(ref: ImageRef, tags: readonly string[]): Promise<void> {
    if (!this.#known(ref)) return;
    this.actions.push({ action: 'remove-tags', tags: [...tags] });
    this.#tags = this.#tags.filter((t) => !tags.includes(t));
  }

  async startScan(ref: ImageRef): Promise<StartScanOutcome> {
    if (!this.#known(ref)) return 'gone';
    this.actions.push({ action: 'start-scan' });
    return 'started';
  }

  async getRepositoryScanning(): Promise<RepositoryScanning> {
    return this.image.scanning;
  }

  async getImageFacts(ref: ImageRef): Promise<ImageFacts> {
    if (this.image.facts === null || !this.#known(ref)) {
      throw new ImageFactsUnavailableError('GetImageFacts', 'NoImageFacts', 'no --image-facts given');
    }
    return this.image.facts;
  }

  async setStorageClass(ref: ImageRef, storageClass: 'ARCHIVE' | 'STANDARD'): Promise<'done' | 'gone'> {
    if (!this.#known(ref)) return 'gone';
    this.actions.push({ action: 'set-storage-class', storageClass });
    return 'done';
  }
}
