/**
 * ECR DescribeImageScanFindings responses, basic (`imageScanFindings.findings[]`) and enhanced
 * (`imageScanFindings.enhancedFindings[]`), as the CLI dumps them (epoch numbers or ISO strings) or as the
 * AWS SDK v3 returns them (Date objects, `$metadata`). Several pages of one image are read together.
 */
import { displayText, type FindingsCollector } from './collector.ts';
import type { Severity } from './finding.ts';
import { addInspectorFinding } from './inspector-finding.ts';
import type { JsonRecord } from './json-reader.ts';

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

/**
 * Adds the findings of one page. Returns the page's scan status (null when the page has none).
 * `path` is '' for a single page, `[i]` for pages given as an array.
 */
export function addEcrPage(out: FindingsCollector, raw: unknown, path: string): ScanStatus | null {
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
  out.noteImage(repository, digest, tags, r.at(imageIdPath, 'imageDigest'), 'pages');

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

  const isfValue = page.imageScanFindings;
  if (isfValue === undefined || isfValue === null) return scan;
  const isfPath = r.at(path, 'imageScanFindings');
  const isf = r.record(isfValue, isfPath);

  const basicPath = r.at(isfPath, 'findings');
  const basic = r.optionalArray(isf.findings, basicPath);
  for (let i = 0; i < basic.length; i++) addBasicFinding(out, basic[i], r.at(basicPath, i));

  const enhancedPath = r.at(isfPath, 'enhancedFindings');
  const enhanced = r.optionalArray(isf.enhancedFindings, enhancedPath);
  const options = { source: 'ecr-enhanced', requireEcrImageResource: false } as const;
  for (let i = 0; i < enhanced.length; i++)
    addInspectorFinding(out, enhanced[i], r.at(enhancedPath, i), options);
  return scan;
}

/**
 * Basic scanning: id in `name`, link in `uri`, package and scores in `attributes[]` as key/value strings
 * (`package_name`, `package_version`, `CVSS2_SCORE`, and in newer results `CVSS3_SCORE`).
 */
function addBasicFinding(out: FindingsCollector, raw: unknown, path: string): void {
  const r = out.reader;
  const finding = r.record(raw, path);
  const id = r.string(finding.name, path, 'name');
  if (id === '') r.expected(r.at(path, 'name'), 'a vulnerability id', id);
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
