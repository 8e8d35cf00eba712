/**
 * ECR DescribeImageScanFindings responses, basic (`imageScanFindings.findings[]`) and enhanced
 * (`imageScanFindings.enhancedFindings[]`), as the CLI dumps them (epoch numbers or ISO strings) or as the
 * AWS SDK v3 returns them (Date objects, `$metadata`). Several pages of one image are read together.
 */
import { displayText, type FindingsCollector } from './collector.ts';
import type { Severity } from './finding.ts';
import { addInspectorFinding } from './inspector-finding.ts';
import type { JsonReader, JsonRecord } from './json-reader.ts';
import { own } from './json-reader.ts';

/** ECR's FindingSeverity enum, plus UNTRIAGED which enhanced results use although the enum lacks it. */
export const ECR_BASIC_SEVERITIES: ReadonlyMap<string, Severity> = new Map<string, Severity>([
  ['CRITICAL', 'CRITICAL'],
  ['HIGH', 'HIGH'],
  ['MEDIUM', 'MEDIUM'],
  ['LOW', 'LOW'],
  ['INFORMATIONAL', 'INFORMATIONAL'],
  ['UNDEFINED', 'UNDEFINED'],
  ['UNTRIAGED', 'UNTRIAGED'],
]);

export interface ScanStatus {
  status: string;
  description: string | null;
}

/** True when the value looks like a DescribeImageScanFindings page. */
export function looksLikeEcrResponse(value: JsonRecord): boolean {
  return value.imageScanFindings !== undefined || value.imageScanStatus !== undefined;
}

/** What one page says about itself, for the whole-response consistency checks of {@link checkEcrResponse}. */
export interface EcrPageSummary {
  readonly path: string;
  readonly scan: ScanStatus | null;
  /** The page has `imageScanFindings`. */
  readonly hasScanFindings: boolean;
  /** The page has the `enhancedFindings` key (even an empty list). */
  readonly hasEnhancedKey: boolean;
  /** `imageScanFindings` carries findingSeverityCounts or imageScanCompletedAt: a finished scan's result. */
  readonly hasResultMarkers: boolean;
  /** findingSeverityCounts as given (null when absent). */
  readonly counts: ReadonlyMap<string, number> | null;
  /** Finding records on the page (basic and enhanced). */
  readonly records: number;
  /** The key that says more pages follow, when one does: `nextToken` (API/SDK) or `NextToken` (AWS CLI --max-items). */
  readonly nextToken: 'nextToken' | 'NextToken' | null;
}

/**
 * Adds the findings of one page and returns what the page says about itself.
 * `path` is '' for a single page, `[i]` for pages given as an array.
 */
export function addEcrPage(out: FindingsCollector, raw: unknown, path: string): EcrPageSummary {
  const r = out.reader;
  const page = r.record(raw, path);
  if (!looksLikeEcrResponse(page)) {
    r.fail(path, 'expected a DescribeImageScanFindings response (imageScanFindings or imageScanStatus)');
  }

  const repository = r.optionalString(page.repositoryName, path, 'repositoryName');
  let digest: string | null = null;
  const tags: string[] = [];
  const imageId = page.imageId;
  const imageIdPath = r.at(path, 'imageId');
  if (imageId !== undefined && imageId !== null) {
    const id = r.record(imageId, imageIdPath);
    digest = r.optionalString(id.imageDigest, imageIdPath, 'imageDigest');
    const tag = r.optionalString(id.imageTag, imageIdPath, 'imageTag');
    if (tag !== null) tags.push(tag);
  }
  out.noteImage(
    repository,
    digest,
    tags,
    { repository: r.at(path, 'repositoryName'), digest: r.at(imageIdPath, 'imageDigest') },
    'pages',
  );

  let scan: ScanStatus | null = null;
  const statusValue = page.imageScanStatus;
  if (statusValue !== undefined && statusValue !== null) {
    const statusPath = r.at(path, 'imageScanStatus');
    const status = r.record(statusValue, statusPath);
    const code = r.optionalString(status.status, statusPath, 'status');
    if (code !== null) {
      scan = {
        status: code,
        description: r.optionalString(status.description, statusPath, 'description'),
      };
    }
  }
  const nextToken =
    r.optionalString(page.nextToken, path, 'nextToken') !== null
      ? 'nextToken'
      : r.optionalString(page.NextToken, path, 'NextToken') !== null
        ? 'NextToken'
        : null;
  const isfValue = page.imageScanFindings;
  if (isfValue === undefined || isfValue === null) {
    return {
      path,
      scan,
      hasScanFindings: false,
      hasEnhancedKey: false,
      hasResultMarkers: false,
      counts: null,
      records: 0,
      nextToken,
    };
  }
  const isfPath = r.at(path, 'imageScanFindings');
  const isf = r.record(isfValue, isfPath);
  const counts = severityCounts(out, isf.findingSeverityCounts, r.at(isfPath, 'findingSeverityCounts'));

  const basicPath = r.at(isfPath, 'findings');
  const basic = r.optionalArray(isf.findings, basicPath);
  for (let i = 0; i < basic.length; i++) addBasicFinding(out, basic[i], r.at(basicPath, i));

  const enhancedPath = r.at(isfPath, 'enhancedFindings');
  const enhanced = r.optionalArray(isf.enhancedFindings, enhancedPath);
  const options = { source: 'ecr-enhanced', requireEcrImageResource: false } as const;
  for (let i = 0; i < enhanced.length; i++)
    addInspectorFinding(out, enhanced[i], r.at(enhancedPath, i), options);
  return {
    path,
    scan,
    hasScanFindings: true,
    hasEnhancedKey: isf.enhancedFindings !== undefined,
    hasResultMarkers:
      (isf.findingSeverityCounts !== undefined && isf.findingSeverityCounts !== null) ||
      (isf.imageScanCompletedAt !== undefined && isf.imageScanCompletedAt !== null),
    counts,
    records: basic.length + enhanced.length,
    nextToken,
  };
}

/** Scan statuses whose response carries the scan's findings. */
const FINISHED = new Set(['COMPLETE', 'ACTIVE']);

/**
 * Whole-response checks for a DescribeImageScanFindings document read from a file (one page or all pages of
 * one image). A response whose shape shows that findings are missing is refused, naming the field, so that
 * it can never approve an image:
 * - pages that disagree on the scan status;
 * - a last page with `nextToken` / `NextToken` (later pages are missing);
 * - status ACTIVE, which only enhanced scanning reports, without the `enhancedFindings` key: clients older
 *   than enhanced scanning (AWS CLI before 2.4.3) drop that list silently (aws/aws-cli#6759);
 * - a finished status (COMPLETE, ACTIVE) without `imageScanFindings`;
 * - `findingSeverityCounts` counting more findings than the response lists;
 * - a finished status with no findings and neither findingSeverityCounts nor imageScanCompletedAt: ECR's
 *   answer right after an enhanced scan on push, before its findings are visible (aws/aws-sdk#289);
 * - no scan status at all and no findings: a clean scan cannot be told from an unfinished one.
 * Not applied page by page to live responses (the gate's readiness rules judge those across all pages).
 */
export function checkEcrResponse(r: JsonReader, pages: readonly EcrPageSummary[]): void {
  const first = pages[0];
  if (first === undefined) return;
  const at = (page: EcrPageSummary, field: string): string => r.at(page.path, field);

  const statusPage = pages.find((p) => p.scan !== null);
  const status = statusPage?.scan?.status ?? null;
  for (const page of pages) {
    if (page.scan !== null && status !== null && page.scan.status !== status) {
      r.fail(
        at(page, 'imageScanStatus.status'),
        `${page.scan.status} disagrees with ${status} on an earlier page: pages of different reads cannot be merged; fetch all pages again`,
      );
    }
  }
  const last = pages[pages.length - 1] ?? first;
  if (last.nextToken !== null) {
    r.fail(
      at(last, last.nextToken),
      'set on the last page: the response is one page of several and the findings of later pages are missing; fetch every page (the AWS CLI does unless --max-items or --no-paginate is given) or give all pages as an array',
    );
  }

  let records = 0;
  const counts = new Map<string, number>();
  let countsPage: EcrPageSummary | null = null;
  for (const page of pages) {
    records += page.records;
    if (page.counts !== null) {
      countsPage ??= page;
      // Every page carries the counts of the whole result; the largest is the one to meet.
      for (const [severity, n] of page.counts) counts.set(severity, Math.max(counts.get(severity) ?? 0, n));
    }
  }

  if (status === 'ACTIVE' && !pages.some((p) => p.hasEnhancedKey)) {
    r.fail(
      at(first, 'imageScanFindings.enhancedFindings'),
      'missing although the scan status is ACTIVE, which only enhanced scanning reports: the client that wrote this file dropped the enhanced findings (AWS CLI before 2.4.3 does); fetch the findings again with a current AWS CLI or SDK',
    );
  }
  if (status !== null && FINISHED.has(status) && !pages.some((p) => p.hasScanFindings)) {
    r.fail(
      at(first, 'imageScanFindings'),
      `missing although the scan status is ${status}: the file does not carry the findings`,
    );
  }
  if (countsPage !== null) {
    let counted = 0;
    for (const n of counts.values()) counted += n;
    const countsPath = at(countsPage, 'imageScanFindings.findingSeverityCounts');
    if (counted > records) {
      r.fail(
        countsPath,
        `counts ${counted} findings (${describeCounts(counts)}) but the response lists ${records}: findings were dropped (an older client, a cut page or an edited file); fetch the findings again`,
      );
    }
  }
  if (records === 0) {
    if (status === null) {
      r.fail(
        at(first, 'imageScanStatus'),
        'missing and the response lists no findings: a clean scan cannot be told from an unfinished one; give the whole DescribeImageScanFindings response',
      );
    }
    if (FINISHED.has(status) && !pages.some((p) => p.hasResultMarkers)) {
      r.fail(
        at(first, 'imageScanFindings'),
        `has no findings, no findingSeverityCounts and no imageScanCompletedAt although the scan status is ${status}: ECR answers this way right after an enhanced scan, before its findings are visible; fetch the findings again in a minute`,
      );
    }
  }
}

function describeCounts(counts: ReadonlyMap<string, number>): string {
  return [...counts]
    .filter(([, n]) => n > 0)
    .map(([severity, n]) => `${severity} ${n}`)
    .join(', ');
}

/** findingSeverityCounts: severity → whole count ≥ 0, or null when absent. */
function severityCounts(
  out: FindingsCollector,
  value: unknown,
  path: string,
): ReadonlyMap<string, number> | null {
  const r = out.reader;
  if (value === undefined || value === null) return null;
  const record = r.record(value, path);
  const counts = new Map<string, number>();
  for (const severity of Object.keys(record)) {
    const value = own(record, severity);
    const n = r.optionalNumber(value, 0, Number.MAX_SAFE_INTEGER, path, severity);
    if (n === null || !Number.isInteger(n)) {
      r.expected(r.at(path, severity), 'a whole number of findings', value);
      continue;
    }
    counts.set(severity, n);
  }
  return counts;
}

/**
 * Basic scanning: id in `name`, link in `uri`, package and scores in `attributes[]` as key/value strings
 * (`package_name`, `package_version`, `CVSS2_SCORE`, and in newer results `CVSS3_SCORE`).
 */
function addBasicFinding(out: FindingsCollector, raw: unknown, path: string): void {
  const r = out.reader;
  const finding = r.record(raw, path);
  const id = r.id(finding.name, path, 'name');
  const severity = r.oneOf(finding.severity, ECR_BASIC_SEVERITIES, 'UNDEFINED', path, 'severity');

  let pkg: string | null = null;
  let version: string | null = null;
  let cvss3: number | null = null;
  let cvss2: number | null = null;
  const attrsPath = r.at(path, 'attributes');
  const attributes = r.optionalArray(finding.attributes, attrsPath);
  for (let i = 0; i < attributes.length; i++) {
    const attrPath = r.at(attrsPath, i);
    const attr = r.record(attributes[i], attrPath);
    const key = r.string(attr.key, attrPath, 'key');
    const value = attr.value;
    const valuePath = r.at(attrPath, 'value');
    // First occurrence wins when a key repeats.
    switch (key) {
      case 'package_name':
        pkg ??= r.optionalString(value, valuePath);
        break;
      case 'package_version':
        version ??= r.optionalString(value, valuePath);
        break;
      case 'CVSS3_SCORE':
        cvss3 ??= r.optionalNumber(value, 0, 10, valuePath);
        break;
      case 'CVSS2_SCORE':
        cvss2 ??= r.optionalNumber(value, 0, 10, valuePath);
        break;
      default:
        break;
    }
  }

  out.add({
    id,
    severity,
    score: cvss3 ?? cvss2,
    epss: null,
    fixAvailable: null,
    exploitAvailable: null,
    package: pkg,
    version,
    fixedIn: null,
    url: r.optionalString(finding.uri, path, 'uri'),
    title: null,
    description: displayText(finding.description),
    source: 'ecr-basic',
    firstObservedAt: null,
  });
}
