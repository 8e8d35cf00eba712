/**
 * Inspector2 inputs: a ListFindings response (`findings[]`, one page or an array of pages), the
 * "Inspector2 Finding" EventBridge event (its `detail`), or one bare finding object. Only findings on an
 * AWS_ECR_CONTAINER_IMAGE resource count; findings on EC2 instances, Lambda functions etc. are excluded
 * and counted, as are CLOSED and SUPPRESSED findings.
 */
import type { FindingsCollector } from './collector.ts';
import { addInspectorFinding, type InspectorFindingOptions } from './inspector-finding.ts';
import { isRecord, type JsonRecord } from './json-reader.ts';

const OPTIONS: InspectorFindingOptions = {
  source: 'inspector',
  requireEcrImageResource: true,
};
const FINDING_EVENT = 'Inspector2 Finding';

export function looksLikeInspectorListFindings(value: JsonRecord): boolean {
  return Array.isArray(value.findings) && value.imageScanFindings === undefined;
}

export function looksLikeInspectorEvent(value: JsonRecord): boolean {
  return value['detail-type'] === FINDING_EVENT && value.source === 'aws.inspector2';
}

export function looksLikeInspectorFinding(value: JsonRecord): boolean {
  return value.findingArn !== undefined && value.packageVulnerabilityDetails !== undefined;
}

/** One ListFindings page (`path` '' or `[i]`), an Inspector2 Finding event, or a single finding. */
export function addInspectorDocument(out: FindingsCollector, raw: unknown, path: string): void {
  const r = out.reader;
  const doc = r.record(raw, path);
  if (looksLikeInspectorListFindings(doc)) {
    const listPath = r.at(path, 'findings');
    const list = r.array(doc.findings, listPath);
    for (let i = 0; i < list.length; i++) addInspectorFinding(out, list[i], r.at(listPath, i), OPTIONS);
    return;
  }
  if (looksLikeInspectorEvent(doc)) {
    addInspectorFinding(out, doc.detail, r.at(path, 'detail'), OPTIONS);
    return;
  }
  if (looksLikeInspectorFinding(doc)) {
    addInspectorFinding(out, doc, path, OPTIONS);
    return;
  }
  r.fail(
    path,
    'expected an Inspector2 ListFindings response (findings[]), an "Inspector2 Finding" event or one finding (findingArn, packageVulnerabilityDetails)',
  );
}

/**
 * Whole-document checks after every page is read. Refused, naming the field:
 * - a last ListFindings page with `nextToken` / `NextToken`: the findings of later pages are missing;
 * - findings of which none is about a container image (all about Lambda functions, EC2 instances …): such a
 *   file says nothing about any image, so it can never approve the image named on the command line.
 * Findings about other resources beside image findings are left out and counted (`excluded`).
 */
export function checkInspectorDocument(
  out: FindingsCollector,
  pages: readonly unknown[],
  pagePath: (index: number) => string,
): void {
  const r = out.reader;
  const lastIndex = pages.length - 1;
  const last = pages[lastIndex];
  if (isRecord(last) && looksLikeInspectorListFindings(last)) {
    const path = pagePath(lastIndex);
    const token =
      r.optionalString(last.nextToken, path, 'nextToken') ??
      r.optionalString(last.NextToken, path, 'NextToken');
    if (token !== null) {
      r.fail(
        r.at(path, last.nextToken !== undefined ? 'nextToken' : 'NextToken'),
        'set on the last page: the response is one page of several and the findings of later pages are missing; fetch every page or give all pages as an array',
      );
    }
  }
  if (out.imageRecords === 0 && out.otherResources.size > 0) {
    const kinds = [...out.otherResources]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([type, n]) => `${n} about ${type}`)
      .join(', ');
    r.fail(
      out.otherResourcePath ?? '',
      `no finding is about an ECR container image (${kinds}): findings about other resources cannot approve an image`,
    );
  }
}
