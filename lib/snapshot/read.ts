/**
 * Reading a registry snapshot (format.ts): streamed line by line, so a registry of any size is read in constant
 * memory, and checked as it is read. A bad file is refused with one error naming the file, the line and the
 * field (`snapshot.jsonl: line 12: scan.findings[3][1] (severity): expected one of CRITICAL, …, got "SEVERE"`);
 * nothing is skipped, because an image left out is an image whose flip the preview would hide.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { InvalidInputError } from '../errors/gatekeeper-error.ts';
import { type Finding, SEVERITIES, type Severity } from '../findings/finding.ts';
import type { ImageFacts } from '../policy/decision.ts';
import {
  FINDING_FIELDS,
  type FindingTuple,
  SNAPSHOT_FORMAT,
  SNAPSHOT_LIMITS,
  type SnapshotHeader,
  type SnapshotImage,
  type SnapshotInUse,
  type SnapshotRecorded,
  type SnapshotScan,
} from './format.ts';

const DIGEST = /^sha256:[0-9a-f]{64}$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
// ECR repository names (CreateRepository's documented pattern), up to 256 characters.
const REPOSITORY = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const FIX = ['YES', 'NO', 'PARTIAL'] as const;
const SOURCES = ['sweep', 'read-only-role'] as const;
const VERDICTS = ['approved', 'quarantined'] as const;
const SEVERITY_SET: ReadonlySet<string> = new Set(SEVERITIES);
const IMAGE_KEYS = new Set(['repository', 'digest', 'tags', 'scan', 'facts', 'inUse', 'recorded']);
const HEADER_KEYS = new Set(['format', 'takenAt', 'source', 'registryId', 'region', 'findingFields']);

/** A line that breaks the format: `line` and `path` say where (the path inside the line's JSON). */
class LineProblem extends Error {
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(problem);
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  if (typeof value === 'object') return 'an object';
  return String(value);
}

function fail(path: string, expected: string, value: unknown): never {
  throw new LineProblem(path, `expected ${expected}, got ${describe(value)}`);
}

function record(value: unknown, path: string, keys: ReadonlySet<string>): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(path, 'an object', value);
  for (const key of Object.keys(value)) {
    if (!keys.has(key)) throw new LineProblem(join(path, key), 'unknown field');
  }
  return value as Record<string, unknown>;
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function text(value: unknown, path: string, max: number = SNAPSHOT_LIMITS.text): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > max)
    fail(path, `a non-empty string of at most ${max} characters`, value);
  return value;
}

function textOrNull(value: unknown, path: string): string | null {
  return value === null || value === undefined ? null : text(value, path);
}

function matching(value: unknown, path: string, pattern: RegExp, what: string): string {
  if (typeof value !== 'string' || !pattern.test(value)) fail(path, what, value);
  return value;
}

function oneOf<T extends string>(value: unknown, path: string, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value))
    fail(path, `one of ${allowed.join(', ')}`, value);
  return value as T;
}

function numberIn(value: unknown, path: string, min: number, max: number): number | null {
  if (value === null) return null;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max)
    fail(path, `null or a number from ${min} to ${max}`, value);
  return value;
}

function isoTime(value: unknown, path: string): string {
  const time = matching(value, path, ISO_TIME, 'an ISO-8601 date-time with offset');
  if (!Number.isFinite(Date.parse(time))) fail(path, 'an ISO-8601 date-time with offset', value);
  return time;
}

function dateOrNull(value: unknown, path: string): string | null {
  return value === null ? null : matching(value, path, DATE, 'null or a YYYY-MM-DD date');
}

function findingTuple(value: unknown, path: string): FindingTuple {
  if (!Array.isArray(value) || value.length !== FINDING_FIELDS.length)
    fail(path, `an array of ${FINDING_FIELDS.length} fields (${FINDING_FIELDS.join(', ')})`, value);
  const at = (i: number) => `${path}[${i}] (${FINDING_FIELDS[i]})`;
  const [id, severity, score, epss, fix, exploit, pkg, version, fixedIn, kev] = value as unknown[];
  if (typeof severity !== 'string' || !SEVERITY_SET.has(severity))
    fail(at(1), `one of ${SEVERITIES.join(', ')}`, severity);
  if (exploit !== null && typeof exploit !== 'boolean') fail(at(5), 'null, true or false', exploit);
  let kevPair: FindingTuple[9] = null;
  if (kev !== null) {
    if (!Array.isArray(kev) || kev.length !== 2) fail(at(9), 'null or [dateAdded, dateDue]', kev);
    kevPair = [dateOrNull(kev[0], `${at(9)}[0]`), dateOrNull(kev[1], `${at(9)}[1]`)];
  }
  return [
    text(id, at(0), 256),
    severity as Severity,
    numberIn(score, at(2), 0, 10),
    numberIn(epss, at(3), 0, 1),
    fix === null ? null : oneOf(fix, at(4), FIX),
    exploit as boolean | null,
    textOrNull(pkg, at(6)),
    textOrNull(version, at(7)),
    textOrNull(fixedIn, at(8)),
    kevPair,
  ];
}

function scanOf(value: unknown, path: string): SnapshotScan {
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && 'findings' in value) {
    const scan = record(value, path, new Set(['findings']));
    const list = scan.findings;
    if (!Array.isArray(list)) fail(`${path}.findings`, 'an array of findings', list);
    if (list.length > SNAPSHOT_LIMITS.findingsPerImage)
      throw new LineProblem(`${path}.findings`, `more than ${SNAPSHOT_LIMITS.findingsPerImage} findings`);
    return { findings: list.map((f, i) => findingTuple(f, `${path}.findings[${i}]`)) };
  }
  const scan = record(value, path, new Set(['status', 'description']));
  const status = matching(scan.status, `${path}.status`, /^[A-Z_]{1,64}$/, 'a scan status such as FAILED');
  if (status === 'COMPLETE' || status === 'ACTIVE')
    throw new LineProblem(`${path}.status`, `a ${status} scan must be written with its findings`);
  return { status, description: textOrNull(scan.description, `${path}.description`) };
}

function factsOf(value: unknown, path: string): ImageFacts | null {
  if (value === null || value === undefined) return null;
  const facts = record(value, path, new Set(['sizeBytes', 'user', 'labels']));
  const out: { sizeBytes?: number; user?: string; labels?: Record<string, string> } = {};
  if (facts.sizeBytes !== undefined) {
    if (typeof facts.sizeBytes !== 'number' || !Number.isSafeInteger(facts.sizeBytes) || facts.sizeBytes < 0)
      fail(`${path}.sizeBytes`, 'a whole number of bytes', facts.sizeBytes);
    out.sizeBytes = facts.sizeBytes;
  }
  if (facts.user !== undefined) {
    if (typeof facts.user !== 'string' || facts.user.length > SNAPSHOT_LIMITS.text)
      fail(`${path}.user`, 'a string (empty means root)', facts.user);
    out.user = facts.user;
  }
  if (facts.labels !== undefined) {
    const labels = facts.labels;
    if (typeof labels !== 'object' || labels === null || Array.isArray(labels))
      fail(`${path}.labels`, 'an object of strings', labels);
    const entries = Object.entries(labels);
    if (entries.length > SNAPSHOT_LIMITS.labelsPerImage)
      throw new LineProblem(`${path}.labels`, `more than ${SNAPSHOT_LIMITS.labelsPerImage} labels`);
    const copy: Record<string, string> = Object.create(null);
    for (const [k, v] of entries) {
      if (typeof v !== 'string' || v.length > SNAPSHOT_LIMITS.text)
        fail(`${path}.labels.${k}`, 'a string', v);
      copy[k] = v;
    }
    out.labels = copy;
  }
  return out;
}

function inUseOf(value: unknown, path: string): SnapshotInUse | null {
  if (value === null || value === undefined) return null;
  const inUse = record(value, path, new Set(['lastPulledAt', 'inUse']));
  const used = inUse.inUse ?? null;
  if (used !== null && typeof used !== 'boolean') fail(`${path}.inUse`, 'null, true or false', used);
  return {
    lastPulledAt:
      inUse.lastPulledAt === null || inUse.lastPulledAt === undefined
        ? null
        : isoTime(inUse.lastPulledAt, `${path}.lastPulledAt`),
    inUse: used,
  };
}

function recordedOf(value: unknown, path: string): SnapshotRecorded | null {
  if (value === null || value === undefined) return null;
  const r = record(value, path, new Set(['verdict', 'policyVersion', 'decidedAt']));
  return {
    verdict: oneOf(r.verdict, `${path}.verdict`, VERDICTS),
    policyVersion: matching(r.policyVersion, `${path}.policyVersion`, DIGEST, 'sha256: and 64 hex digits'),
    decidedAt: isoTime(r.decidedAt, `${path}.decidedAt`),
  };
}

/**
 * One image line (already JSON-parsed) → a checked image, or a LineProblem naming the field.
 * Exported for the writer's round-trip check and the tests; readers use {@link readSnapshot}.
 */
export function parseImageLine(value: unknown): SnapshotImage {
  const line = record(value, '', IMAGE_KEYS);
  const repository = matching(line.repository, 'repository', REPOSITORY, 'an ECR repository name');
  if (repository.length > 256)
    fail('repository', 'an ECR repository name of at most 256 characters', repository);
  const tags = line.tags;
  if (!Array.isArray(tags)) fail('tags', 'an array of tags (empty when untagged)', tags);
  if (tags.length > SNAPSHOT_LIMITS.tagsPerImage)
    throw new LineProblem('tags', `more than ${SNAPSHOT_LIMITS.tagsPerImage} tags`);
  const seen = new Set<string>();
  for (const [i, tag] of tags.entries()) {
    matching(tag, `tags[${i}]`, TAG, 'an image tag');
    if (seen.has(tag)) throw new LineProblem(`tags[${i}]`, `duplicate tag "${tag}"`);
    seen.add(tag);
  }
  if (line.scan === undefined)
    throw new LineProblem('scan', 'missing (findings, or a status without findings)');
  return {
    repository,
    digest: matching(line.digest, 'digest', DIGEST, 'sha256: and 64 hex digits'),
    tags: tags as string[],
    scan: scanOf(line.scan, 'scan'),
    facts: factsOf(line.facts, 'facts'),
    inUse: inUseOf(line.inUse, 'inUse'),
    recorded: recordedOf(line.recorded, 'recorded'),
  };
}

/** The header line (already JSON-parsed) → a checked header, or a LineProblem naming the field. */
export function parseHeaderLine(value: unknown): SnapshotHeader {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const format = (value as Record<string, unknown>).format;
    if (
      typeof format === 'string' &&
      format.startsWith('gatekeeper-registry-snapshot/') &&
      format !== SNAPSHOT_FORMAT
    )
      throw new LineProblem(
        'format',
        `version "${format}" is not supported; this gatekeeper reads ${SNAPSHOT_FORMAT}`,
      );
  }
  const header = record(value, '', HEADER_KEYS);
  if (header.format !== SNAPSHOT_FORMAT) fail('format', `"${SNAPSHOT_FORMAT}"`, header.format);
  const fields = header.findingFields;
  if (!Array.isArray(fields) || fields.join(',') !== FINDING_FIELDS.join(','))
    fail('findingFields', `[${FINDING_FIELDS.map((f) => `"${f}"`).join(', ')}]`, fields);
  return {
    format: SNAPSHOT_FORMAT,
    takenAt: isoTime(header.takenAt, 'takenAt'),
    source: oneOf(header.source, 'source', SOURCES),
    registryId:
      header.registryId === null || header.registryId === undefined
        ? null
        : matching(header.registryId, 'registryId', /^\d{12}$/, 'a 12-digit AWS account id'),
    region: textOrNull(header.region, 'region'),
    findingFields: FINDING_FIELDS,
  };
}

/**
 * A snapshot finding as the policy engine's Finding. Report-only fields (url, title) are absent from snapshots
 * and never read by evaluation.
 */
export function findingOf(tuple: FindingTuple): Finding {
  const [id, severity, score, epss, fixAvailable, exploitAvailable, pkg, version, fixedIn, kev] = tuple;
  const finding: Finding = {
    id,
    severity,
    score,
    epss,
    fixAvailable,
    exploitAvailable,
    package: pkg,
    version,
    fixedIn,
    url: null,
    title: null,
    source: 'inspector',
  };
  return kev === null ? finding : { ...finding, kev: { dateAdded: kev[0], dateDue: kev[1] } };
}

/** Where the lines come from: the file's bytes, gunzipped when they start with gzip's magic number. */
async function lineSource(path: string): Promise<Readable> {
  const handle = await open(path, 'r');
  const magic = Buffer.alloc(2);
  try {
    await handle.read(magic, 0, 2, 0);
  } finally {
    await handle.close();
  }
  const raw = createReadStream(path);
  return magic[0] === 0x1f && magic[1] === 0x8b ? raw.pipe(createGunzip()) : raw;
}

export interface SnapshotReading {
  readonly header: SnapshotHeader;
  /** Images in file order; the iterator throws InvalidInputError on the first bad line. */
  readonly images: AsyncIterable<SnapshotImage>;
}

/**
 * Opens a snapshot (JSON Lines, or the same gzip-compressed) and reads its header; `images` then streams the
 * image lines, each checked, and checks the end line's count. `shown` is the file as the user typed it.
 * @example
 *   const { header, images } = await readSnapshot('/tmp/snapshot.jsonl.gz', 'snapshot.jsonl.gz');
 *   for await (const image of images) judge(image);
 * @throws InvalidInputError naming the file, the line and the field
 */
export async function readSnapshot(path: string, shown: string = path): Promise<SnapshotReading> {
  let source: Readable;
  try {
    source = await lineSource(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new InvalidInputError(shown, null, `cannot read the file (${code})`, { cause: error });
  }
  const lines = createInterface({ input: source, crlfDelay: Number.POSITIVE_INFINITY })[
    Symbol.asyncIterator
  ]();
  let lineNo = 0;
  const bad = (path: string, problem: string, cause?: unknown) =>
    new InvalidInputError(shown, `line ${lineNo}${path === '' ? '' : `: ${path}`}`, problem, { cause });
  const next = async (): Promise<unknown> => {
    let result: IteratorResult<string>;
    try {
      result = await lines.next();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      throw new InvalidInputError(shown, null, `cannot read the file (${code})`, { cause: error });
    }
    if (result.done) return undefined;
    lineNo += 1;
    const line = lineNo === 1 && result.value.charCodeAt(0) === 0xfeff ? result.value.slice(1) : result.value;
    if (line.length > SNAPSHOT_LIMITS.lineBytes)
      throw bad('', `line longer than ${SNAPSHOT_LIMITS.lineBytes} characters`);
    if (line.trim() === '') throw bad('', 'empty line');
    try {
      return JSON.parse(line);
    } catch (error) {
      throw bad('', `not valid JSON (${(error as Error).message})`, error);
    }
  };
  const checked = <T>(parse: () => T): T => {
    try {
      return parse();
    } catch (error) {
      if (error instanceof LineProblem) throw bad(error.path, error.problem, error);
      throw error;
    }
  };
  let header: SnapshotHeader;
  try {
    const first = await next();
    if (first === undefined)
      throw new InvalidInputError(
        shown,
        null,
        `the file is empty; expected a ${SNAPSHOT_FORMAT} header line`,
      );
    header = checked(() => parseHeaderLine(first));
  } catch (error) {
    source.destroy();
    throw error;
  }
  async function* images(): AsyncGenerator<SnapshotImage> {
    const seen = new Set<string>();
    let count = 0;
    try {
      for (;;) {
        const value = await next();
        if (value === undefined)
          throw new InvalidInputError(
            shown,
            null,
            `the file ends at line ${lineNo} without its end line {"end":true,…}: cut short?`,
          );
        if (typeof value === 'object' && value !== null && 'end' in value) {
          const end = checked(() => record(value, '', new Set(['end', 'images'])));
          if (end.end !== true) throw bad('end', 'expected true');
          if (end.images !== count)
            throw bad(
              'images',
              `the end line counts ${describe(end.images)} images, the file holds ${count}`,
            );
          if ((await next()) !== undefined) throw bad('', 'a line after the end line');
          return;
        }
        const image = checked(() => parseImageLine(value));
        const key = `${image.repository}@${image.digest}`;
        if (seen.has(key)) throw bad('digest', `${key} is listed twice`);
        seen.add(key);
        count += 1;
        yield image;
      }
    } finally {
      // Stops reading when the caller stops early or a line is refused.
      source.destroy();
    }
  }
  return { header, images: images() };
}
