/**
 * Inspector2 inputs: a ListFindings response (`findings[]`, one page or an array of pages), the
 * "Inspector2 Finding" EventBridge event (its `detail`), or one bare finding object. Only findings on an
 * AWS_ECR_CONTAINER_IMAGE resource count; findings on EC2 instances, Lambda functions etc. are excluded
 * and counted, as are CLOSED and SUPPRESSED findings.
 */
import type { FindingsCollector } from './collector.ts';
import { addInspectorFinding, type InspectorFindingOptions } from './inspector-finding.ts';
import type { JsonRecord } from './json-reader.ts';

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
