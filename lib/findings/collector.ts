/**
 * Gathers normalised findings from one input: builds every Finding with the same shape, drops exact
 * duplicates (same id, package and version, e.g. repeated across pages), counts what was excluded and
 * why, and keeps the image identity the input names, checking that all of it is about one image.
 */
import type { Finding, FindingSource, FixAvailability, KnownExploited, Severity } from './finding.ts';
import { severityRank } from './finding.ts';
import type { JsonReader } from './json-reader.ts';

/** A scanner's free-text description, if it is a non-empty string (display only, so anything else is ignored). */
export function displayText(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value : null;
}

export interface FindingFields {
  id: string;
  severity: Severity;
  score: number | null;
  epss: number | null;
  fixAvailable: FixAvailability | null;
  exploitAvailable: boolean | null;
  package: string | null;
  version: string | null;
  fixedIn: string | null;
  url: string | null;
  title: string | null;
  /** Display text only: read leniently (a non-string is dropped, not an error). */
  description?: string | null;
  source: FindingSource;
  firstObservedAt: string | null;
  /** Inspector / ECR enhanced only: the finding's ARN and last update (ISO-8601), for matching finding events. */
  arn?: string | null;
  updatedAt?: string | null;
  /** CISA KEV entry, when the source carries one. */
  kev?: KnownExploited | undefined;
}

export interface ImageIdentity {
  repository: string | null;
  digest: string | null;
  tags: string[];
}

/**
 * The image a caller is deciding (the CLI's `--digest` / `--repository`). Findings about another image are
 * refused, naming the field: they cannot decide this one. The digest is checked for every input; the
 * repository only where the input names the ECR repository itself (ECR and Inspector responses), since
 * Trivy and Grype name the repository an image was scanned under (often a local build such as `app:ci`,
 * pushed to ECR under another name).
 */
export interface NamedImage {
  readonly repository?: string | undefined;
  readonly digest?: string | undefined;
}

export class FindingsCollector {
  readonly findings: Finding[] = [];
  readonly excluded = new Map<string, number>();
  /** Inspector-shaped records about an ECR container image. */
  imageRecords = 0;
  /** Inspector-shaped records about other resources, by resource type (`missing` when none is named). */
  readonly otherResources = new Map<string, number>();
  /** Where the first record about another resource names its resources (for errors). */
  otherResourcePath: string | null = null;
  /** Finding indexes by id; an id usually has one or a few packages, so a short scan beats string keys. */
  private readonly byId = new Map<string, number[]>();
  private readonly image: ImageIdentity = { repository: null, digest: null, tags: [] };
  private digestPath: string | null = null;

  constructor(
    readonly reader: JsonReader,
    private readonly named: NamedImage & { readonly checkRepository?: boolean } = {},
    /**
     * Leave out what only reports read (title, description): the gate keeps every finding of an image in memory
     * for one decision and reads neither.
     */
    private readonly withoutReportText = false,
  ) {}

  add(f: FindingFields): void {
    // One literal, one key order: every Finding shares a hidden class, which keeps 10k+ findings fast.
    const finding: Finding = {
      id: f.id,
      severity: f.severity,
      score: f.score,
      epss: f.epss,
      fixAvailable: f.fixAvailable,
      exploitAvailable: f.exploitAvailable,
      package: f.package,
      version: f.version,
      fixedIn: f.fixedIn,
      url: f.url,
      title: this.withoutReportText ? null : f.title,
      // undefined, not null, when absent: the field is optional in Finding.
      description: this.withoutReportText ? undefined : (f.description ?? undefined),
      source: f.source,
      firstObservedAt: f.firstObservedAt,
      arn: f.arn ?? undefined,
      updatedAt: f.updatedAt ?? undefined,
      // undefined when absent, like description.
      kev: f.kev,
    };
    const same = this.byId.get(f.id);
    if (same === undefined) {
      this.byId.set(f.id, [this.findings.length]);
      this.findings.push(finding);
      return;
    }
    for (const index of same) {
      const kept = this.findings[index];
      if (kept && kept.package === f.package && kept.version === f.version) {
        // Same vulnerability in the same package version seen twice: keep one, the graver if they differ.
        const graver = severityRank(finding.severity) < severityRank(kept.severity) ? finding : kept;
        // Keep what either copy knows about exploitation (KEV).
        const kev = kept.kev ?? finding.kev;
        this.findings[index] = graver.kev === kev ? graver : { ...graver, kev };
        return;
      }
    }
    same.push(this.findings.length);
    this.findings.push(finding);
  }

  exclude(reason: string): void {
    this.excluded.set(reason, (this.excluded.get(reason) ?? 0) + 1);
  }

  /**
   * Records the image the input is about. A second, different repository or digest is an error naming both;
   * so is one that differs from the image the caller named (see {@link NamedImage}).
   */
  noteImage(
    repository: string | null,
    digest: string | null,
    tags: readonly string[],
    paths: { readonly repository: string; readonly digest: string },
    what: string,
  ): void {
    const named = this.named;
    if (repository !== null) {
      if (this.image.repository === null) this.image.repository = repository;
      else if (this.image.repository !== repository) {
        this.reader.fail(
          paths.repository,
          `${what} must all be about one image: repository ${this.image.repository}, then ${repository}`,
        );
      }
      if (named.checkRepository && named.repository !== undefined && repository !== named.repository) {
        this.reader.fail(
          paths.repository,
          `the findings are about repository ${repository}, not ${named.repository}: findings of another repository cannot decide it`,
        );
      }
    }
    if (digest !== null) {
      if (this.image.digest === null) {
        this.image.digest = digest;
        this.digestPath = paths.digest;
      } else if (this.image.digest !== digest) {
        this.reader.fail(
          paths.digest,
          `${what} must all be about one image: ${this.digestPath} is ${this.image.digest}, this is ${digest}`,
        );
      }
      if (named.digest !== undefined && digest !== named.digest) {
        this.reader.fail(
          paths.digest,
          `the findings are about image ${digest}, not ${named.digest}: findings of another image cannot decide it`,
        );
      }
    }
    for (const tag of tags) if (!this.image.tags.includes(tag)) this.image.tags.push(tag);
  }

  imageIdentity(): ImageIdentity {
    return { repository: this.image.repository, digest: this.image.digest, tags: [...this.image.tags] };
  }

  excludedCounts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const key of [...this.excluded.keys()].sort()) out[key] = this.excluded.get(key) ?? 0;
    return out;
  }
}
