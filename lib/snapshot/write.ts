/**
 * Writing a registry snapshot (format.ts). The nightly sweep streams every decided image through
 * {@link writeSnapshot} into the S3 object described in docs/cli.md ("Registry snapshots"); a read-only script
 * can do the same from ECR and the ledger. Every line written is checked by the reader's own parser first, so a
 * writer bug fails at write time instead of in a pull request's preview.
 */
import type { Finding } from '../findings/finding.ts';
import type { ImageFacts } from '../policy/decision.ts';
import {
  FINDING_FIELDS,
  type FindingTuple,
  SNAPSHOT_FORMAT,
  type SnapshotHeader,
  type SnapshotImage,
  type SnapshotInUse,
  type SnapshotRecorded,
  type SnapshotSource,
} from './format.ts';
import { parseHeaderLine, parseImageLine } from './read.ts';

/**
 * A normalised finding → its snapshot tuple (only what evaluation reads).
 * @example findingTuple(finding) // ['CVE-2024-0001', 'HIGH', 7.5, null, 'YES', null, 'openssl', '3.0.1', '3.0.2', null]
 */
export function findingTuple(finding: Finding): FindingTuple {
  const kev = finding.kev;
  return [
    finding.id,
    finding.severity,
    finding.score,
    finding.epss,
    finding.fixAvailable,
    finding.exploitAvailable,
    finding.package,
    finding.version,
    finding.fixedIn,
    kev === undefined ? null : [kev.dateAdded, kev.dateDue],
  ];
}

/** What a writer knows about one image; findings as the lib/findings readers return them. */
export interface SnapshotImageInput {
  readonly repository: string;
  readonly digest: string;
  readonly tags: readonly string[];
  readonly scan:
    | { readonly findings: readonly Finding[] }
    | { readonly status: string; readonly description: string | null };
  readonly facts: ImageFacts | null;
  readonly inUse: SnapshotInUse | null;
  readonly recorded: SnapshotRecorded | null;
}

/**
 * One image line (no newline), checked by the reader's parser.
 * @example sink.write(`${snapshotLine(image)}\n`)
 * @throws Error naming the field when the image cannot be written faithfully (e.g. a tag ECR would refuse)
 */
export function snapshotLine(image: SnapshotImageInput): string {
  const line: SnapshotImage = {
    repository: image.repository,
    digest: image.digest,
    tags: image.tags,
    scan:
      'findings' in image.scan
        ? { findings: image.scan.findings.map(findingTuple) }
        : { status: image.scan.status, description: image.scan.description },
    facts: image.facts,
    inUse: image.inUse,
    recorded: image.recorded,
  };
  const text = JSON.stringify(line);
  checkWith(parseImageLine, text, `${image.repository}@${image.digest}`);
  return text;
}

/** The header line (no newline). */
export function snapshotHeaderLine(meta: {
  readonly takenAt: Date;
  readonly source: SnapshotSource;
  readonly registryId?: string | null;
  readonly region?: string | null;
}): string {
  const header: SnapshotHeader = {
    format: SNAPSHOT_FORMAT,
    takenAt: meta.takenAt.toISOString(),
    source: meta.source,
    registryId: meta.registryId ?? null,
    region: meta.region ?? null,
    findingFields: FINDING_FIELDS,
  };
  const text = JSON.stringify(header);
  checkWith(parseHeaderLine, text, 'header');
  return text;
}

/** The end line (no newline): the image count, so a file cut short is refused by readers. */
export function snapshotEndLine(images: number): string {
  return JSON.stringify({ end: true, images });
}

function checkWith(parse: (value: unknown) => unknown, text: string, what: string): void {
  try {
    parse(JSON.parse(text));
  } catch (error) {
    const where = (error as { path?: string }).path;
    throw new Error(
      `cannot write snapshot line for ${what}: ${where ? `${where}: ` : ''}${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
}

/** Where a snapshot goes: a file stream, an S3 multipart upload body (through a PassThrough), a test buffer. */
export interface SnapshotSink {
  write(chunk: string): unknown;
}

/**
 * Writes a whole snapshot: header, one line per image, end line. Returns the number of images written.
 * @example
 *   const gzip = createGzip(); gzip.pipe(createWriteStream('snapshot.jsonl.gz'));
 *   await writeSnapshot(gzip, { takenAt: new Date(), source: 'sweep', registryId, region }, decidedImages());
 *   gzip.end();
 */
export async function writeSnapshot(
  sink: SnapshotSink,
  meta: Parameters<typeof snapshotHeaderLine>[0],
  images: Iterable<SnapshotImageInput> | AsyncIterable<SnapshotImageInput>,
): Promise<number> {
  sink.write(`${snapshotHeaderLine(meta)}\n`);
  let count = 0;
  for await (const image of images) {
    sink.write(`${snapshotLine(image)}\n`);
    count += 1;
  }
  sink.write(`${snapshotEndLine(count)}\n`);
  return count;
}
