/**
 * Findings from every source, normalised to {@link Finding}: ECR DescribeImageScanFindings (basic and
 * enhanced, one page or an array of pages of one image), Inspector2 ListFindings (one page or pages; also
 * an "Inspector2 Finding" event or one finding), Trivy JSON (SchemaVersion 2, and the results array of
 * Trivy before 0.20) and Grype JSON (every layout since 0.7).
 *
 * A file is read in full or refused with an {@link InvalidInputError} naming the file and the field: a
 * response whose shape shows findings are missing, a report that is not about a container image, or findings
 * about another image than the one named never yield findings to judge (docs/cli.md, "Input formats").
 */
import { readFile, stat } from 'node:fs/promises';
import { FindingsCollector, type NamedImage } from './collector.ts';

export type { NamedImage } from './collector.ts';

import {
  addEcrPage,
  checkEcrResponse,
  type EcrPageSummary,
  looksLikeEcrResponse,
  type ScanStatus,
} from './ecr.ts';
import { InvalidInputError, UnsupportedFindingsFormatError } from './errors.ts';
import type { Finding } from './finding.ts';
import { addGrypeReport, looksLikeGrype } from './grype.ts';
import {
  addInspectorDocument,
  checkInspectorDocument,
  looksLikeInspectorEvent,
  looksLikeInspectorFinding,
  looksLikeInspectorListFindings,
} from './inspector.ts';
import { describeValue, isRecord, JsonReader, type JsonRecord, readTwice } from './json-reader.ts';
import { addTrivyReport, looksLikeLegacyTrivy, looksLikeTrivy } from './trivy.ts';

export { InvalidInputError, UnsupportedFindingsFormatError } from './errors.ts';
export type { Finding, FindingSource, FixAvailability, Severity } from './finding.ts';
export { SEVERITIES, SUMMARY_SEVERITIES, severityRank } from './finding.ts';
export { severityCounts, summaryOfCounts } from './severity-counts.ts';

export type FindingsKind = 'ecr' | 'inspector' | 'trivy' | 'grype';
export type FindingsInput = 'auto' | FindingsKind;
export const FINDINGS_INPUTS: readonly FindingsInput[] = ['auto', 'ecr', 'inspector', 'trivy', 'grype'];

export interface FindingsReport {
  input: FindingsKind;
  findings: Finding[];
  /** The scan status an ECR response carries; null for other inputs. */
  scan: { status: string; description: string | null } | null;
  /** What the input says about the image; nulls and [] when it does not say. */
  image: { repository: string | null; digest: string | null; tags: string[] };
  /** Records left out and why (e.g. `status CLOSED`, `resource type AWS_EC2_INSTANCE`), sorted by reason. */
  excluded?: Record<string, number>;
}

/** Files larger than this are refused before reading (a findings dump of 100k findings is ~200 MB). */
export const MAX_FINDINGS_FILE_BYTES = 512 * 1024 * 1024;

/** Trivy before 0.20 prints `null` when it finds nothing: no image, no results, nothing to judge. */
const NULL_REPORT =
  'Trivy before 0.20 writes null when it finds nothing; such a report names no image and no result: scan again with Trivy 0.20 or later';
const EXPECTED_ANY =
  'an ECR DescribeImageScanFindings response (imageScanFindings), an Inspector2 ListFindings response (findings[]), Trivy JSON (SchemaVersion 2, Results[]) or Grype JSON (matches[])';
const EXPECTED: Readonly<Record<FindingsKind, string>> = {
  ecr: 'an ECR DescribeImageScanFindings response (imageScanFindings, imageScanStatus) or an array of its pages',
  inspector:
    'an Inspector2 ListFindings response (findings[]) or an array of its pages, an "Inspector2 Finding" event, or one finding',
  trivy:
    'Trivy JSON (trivy image -f json: SchemaVersion 2, Results[]; or the results array of Trivy before 0.20)',
  grype: 'Grype JSON (grype -o json: matches[])',
};

/**
 * Reads and normalises a findings file. `source` is how errors name it (default: `path`; the CLI passes the
 * name as the user typed it). `named` is the image being decided, when the caller knows it: findings about
 * another image are refused (see {@link NamedImage}).
 * @example const report = await readFindingsFile('scan.json', 'auto'); report.findings.length
 * @throws InvalidInputError naming the file (and field) when it cannot be read or is not a supported format.
 */
export async function readFindingsFile(
  path: string,
  input: FindingsInput,
  source: string = path,
  named: NamedImage = {},
): Promise<FindingsReport> {
  let text: string;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new InvalidInputError(source, null, 'not a regular file');
    if (info.size > MAX_FINDINGS_FILE_BYTES) {
      throw new InvalidInputError(
        source,
        null,
        `file is ${info.size} bytes; the limit is ${MAX_FINDINGS_FILE_BYTES}`,
      );
    }
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (error instanceof InvalidInputError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new InvalidInputError(source, null, `cannot read the file (${code ?? String(error)})`, {
      cause: error,
    });
  }
  return parseFindings(parseJsonText(source, text), source, input, named);
}

/**
 * JSON.parse with a UTF-8 BOM tolerated and errors (syntax, nesting too deep) naming the file.
 * @example parseJsonText('scan.json', '{"imageScanFindings":{"findings":[]}}')
 */
export function parseJsonText(source: string, text: string): unknown {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.trim() === '')
    throw new InvalidInputError(source, null, `the file is empty; expected ${EXPECTED_ANY}`);
  try {
    return JSON.parse(body);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new InvalidInputError(source, null, `not valid JSON (${message})`, { cause: error });
  }
}

/**
 * Normalises already-parsed JSON. `source` names the input in errors (a file name or event field).
 * @example parseFindings(JSON.parse(text), 'findings.json', 'auto').findings
 */
export function parseFindings(
  json: unknown,
  source: string,
  input: FindingsInput,
  named: NamedImage = {},
): FindingsReport {
  const reader = new JsonReader(source);
  const kind = input === 'auto' ? detectKind(reader, json) : input;
  if (input !== 'auto') checkKind(reader, json, input);
  return readTwice(source, (r) => collect(r, json, kind, named));
}

function collect(reader: JsonReader, json: unknown, kind: FindingsKind, named: NamedImage): FindingsReport {
  // ECR and Inspector name the ECR repository itself; Trivy and Grype the one the image was scanned under.
  const checkRepository = kind === 'ecr' || kind === 'inspector';
  const out = new FindingsCollector(reader, { ...named, checkRepository });
  let scan: ScanStatus | null = null;
  const pages: readonly unknown[] = Array.isArray(json) ? json : [json];
  const pagePath = (i: number): string => (Array.isArray(json) ? reader.at('', i) : '');
  switch (kind) {
    case 'ecr': {
      const summaries: EcrPageSummary[] = [];
      for (let i = 0; i < pages.length; i++) {
        const summary = addEcrPage(out, pages[i], pagePath(i));
        summaries.push(summary);
        scan ??= summary.scan;
      }
      checkEcrResponse(reader, summaries);
      break;
    }
    case 'inspector':
      for (let i = 0; i < pages.length; i++) addInspectorDocument(out, pages[i], pagePath(i));
      checkInspectorDocument(out, pages, pagePath);
      break;
    case 'trivy':
      addTrivyReport(out, json);
      break;
    case 'grype':
      addGrypeReport(out, json);
      break;
  }
  const report: FindingsReport = { input: kind, findings: out.findings, scan, image: out.imageIdentity() };
  if (out.excluded.size > 0) report.excluded = out.excludedCounts();
  return report;
}

/**
 * Findings of one DescribeImageScanFindings page, basic or enhanced. Accepts CLI JSON (epoch numbers, ISO
 * strings) and AWS SDK v3 output (Date objects, `$metadata`). Used by the ECR adapter page by page.
 * `withoutReportText` leaves out each finding's title and description (read by reports only), as the gate does.
 * @example findingsFromEcrResponse(await ecr.send(new DescribeImageScanFindingsCommand(input)), 'ecr:sample-repo')
 */
export function findingsFromEcrResponse(
  response: unknown,
  source: string,
  options: { readonly withoutReportText?: boolean } = {},
): Finding[] {
  return readTwice(source, (reader) => {
    const out = new FindingsCollector(reader, {}, options.withoutReportText ?? false);
    addEcrPage(out, response, '');
    return out.findings;
  });
}

function kindOf(value: JsonRecord): FindingsKind | null {
  if (looksLikeEcrResponse(value)) return 'ecr';
  if (looksLikeTrivy(value)) return 'trivy';
  if (looksLikeGrype(value)) return 'grype';
  if (
    looksLikeInspectorListFindings(value) ||
    looksLikeInspectorEvent(value) ||
    looksLikeInspectorFinding(value)
  ) {
    return 'inspector';
  }
  return null;
}

function detectKind(reader: JsonReader, json: unknown): FindingsKind {
  if (json === null) unsupported(reader, null, `expected ${EXPECTED_ANY}, got null (${NULL_REPORT})`);
  if (Array.isArray(json)) {
    if (json.length === 0) unsupported(reader, null, `expected ${EXPECTED_ANY}, got an empty array`);
    const first = json[0];
    if (looksLikeLegacyTrivy(first)) return 'trivy';
    const kind = isRecord(first) ? kindOf(first) : null;
    if (kind === null) unsupported(reader, '[0]', `expected ${EXPECTED_ANY}, got ${summarise(first)}`);
    if (kind === 'trivy' || kind === 'grype') {
      reader.fail(
        '',
        `an array of pages is supported for ECR and Inspector responses, not for ${kind} reports`,
      );
    }
    return kind;
  }
  const kind = isRecord(json) ? kindOf(json) : null;
  if (kind === null) unsupported(reader, null, `expected ${EXPECTED_ANY}, got ${summarise(json)}`);
  return kind;
}

function unsupported(reader: JsonReader, path: string | null, problem: string): never {
  throw new UnsupportedFindingsFormatError(reader.source, path, problem);
}

/** With an explicit --input, the document must have that shape (checked on its first page). */
function checkKind(reader: JsonReader, json: unknown, input: FindingsKind): void {
  if (json === null) unsupported(reader, null, `expected ${EXPECTED[input]}, got null (${NULL_REPORT})`);
  if (input === 'trivy' && Array.isArray(json) && looksLikeLegacyTrivy(json[0])) return;
  const paged = Array.isArray(json) && (input === 'ecr' || input === 'inspector');
  if (Array.isArray(json) && json.length === 0)
    unsupported(reader, null, `expected ${EXPECTED[input]}, got an empty array`);
  const first = paged ? (json as unknown[])[0] : json;
  const found = isRecord(first) ? kindOf(first) : null;
  if (found !== input) {
    const got = found === null ? summarise(first) : EXPECTED[found];
    unsupported(reader, paged ? '[0]' : null, `expected ${EXPECTED[input]}, got ${got}`);
  }
}

function summarise(value: unknown): string {
  if (!isRecord(value)) return describeValue(value);
  const keys = Object.keys(value);
  if (keys.length === 0) return 'an empty object';
  const shown = keys.slice(0, 5).map((k) => JSON.stringify(k.length > 30 ? `${k.slice(0, 30)}…` : k));
  return `an object with keys ${shown.join(', ')}${keys.length > 5 ? ', …' : ''}`;
}
