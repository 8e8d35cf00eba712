/**
 * Inspector-shaped findings: ECR enhanced scanning (`imageScanFindings.enhancedFindings[]`), Inspector2
 * ListFindings (`findings[]`) and the `detail` of an "Inspector2 Finding" event share one model
 * (aws-facts.md §4). Differences handled here: `score` (ECR) vs `inspectorScore` (Inspector),
 * `scoreDetails.cvss` vs `inspectorScoreDetails.adjustedCvss`, EPSS only from Inspector, `fixedInVersion`
 * "NotAvailable", several vulnerable packages per finding (one Finding each, sharing the id), finding
 * status CLOSED / SUPPRESSED (excluded: no longer applies, or muted in Inspector), and dates in any form.
 */
import { displayText, type FindingFields, type FindingsCollector } from './collector.ts';
import { preferredCvssScore } from './cvss.ts';
import type { FindingSource, FixAvailability, KnownExploited, Severity } from './finding.ts';
import { isRecord, type JsonReader, type JsonRecord, own } from './json-reader.ts';
import { toIsoTimestamp } from './timestamps.ts';

export const INSPECTOR_SEVERITIES: ReadonlyMap<string, Severity> = new Map<string, Severity>([
  ['CRITICAL', 'CRITICAL'],
  ['HIGH', 'HIGH'],
  ['MEDIUM', 'MEDIUM'],
  ['LOW', 'LOW'],
  ['INFORMATIONAL', 'INFORMATIONAL'],
  ['UNTRIAGED', 'UNTRIAGED'],
  ['UNDEFINED', 'UNDEFINED'],
]);
const FIX_AVAILABLE: ReadonlyMap<string, FixAvailability | null> = new Map<string, FixAvailability | null>([
  ['YES', 'YES'],
  ['NO', 'NO'],
  ['PARTIAL', 'PARTIAL'],
]);
const EXPLOIT_AVAILABLE: ReadonlyMap<string, boolean | null> = new Map<string, boolean | null>([
  ['YES', true],
  ['NO', false],
]);
const STATUS: ReadonlyMap<string, string> = new Map([
  ['ACTIVE', 'ACTIVE'],
  ['SUPPRESSED', 'SUPPRESSED'],
  ['CLOSED', 'CLOSED'],
]);
export const ECR_IMAGE_RESOURCE = 'AWS_ECR_CONTAINER_IMAGE';
const PACKAGE_VULNERABILITY = 'PACKAGE_VULNERABILITY';
/** Inspector's placeholder for "no fixed version known". */
const NOT_AVAILABLE = 'NotAvailable';

export interface InspectorFindingOptions {
  readonly source: FindingSource;
  /** ListFindings and events may list any resource type; only ECR container images count. */
  readonly requireEcrImageResource: boolean;
}

/** Normalises one Inspector-shaped finding into zero or more Findings (one per vulnerable package). */
export function addInspectorFinding(
  out: FindingsCollector,
  raw: unknown,
  path: string,
  options: InspectorFindingOptions,
): void {
  const r = out.reader;
  const finding = r.record(raw, path);

  const status = r.oneOf(finding.status, STATUS, 'ACTIVE', path, 'status');
  const type = r.optionalString(finding.type, path, 'type');

  const resources = r.optionalArray(finding.resources, path, 'resources');
  let ecrResource: JsonRecord | null = null;
  let ecrResourcePath = '';
  let otherType: string | null = null;
  for (let i = 0; i < resources.length; i++) {
    const resPath = r.at(r.at(path, 'resources'), i);
    const resource = r.record(resources[i], resPath);
    const resType = r.optionalString(resource.type, resPath, 'type');
    if (resType === ECR_IMAGE_RESOURCE) {
      ecrResource = resource;
      ecrResourcePath = resPath;
      break;
    }
    otherType ??= resType;
  }
  if (options.requireEcrImageResource && ecrResource === null) {
    const kind = otherType ?? 'missing';
    out.otherResources.set(kind, (out.otherResources.get(kind) ?? 0) + 1);
    out.otherResourcePath ??= r.at(path, 'resources');
    out.exclude(`resource type ${kind}`);
    return;
  }
  out.imageRecords++;
  // The image is named even when its findings are then excluded (e.g. all CLOSED): it is still the subject.
  if (ecrResource !== null) noteEcrResource(out, ecrResource, ecrResourcePath);
  if (status !== 'ACTIVE') {
    out.exclude(`status ${status}`);
    return;
  }
  if (type !== null && type !== PACKAGE_VULNERABILITY) {
    out.exclude(`type ${type}`);
    return;
  }

  const pvdPath = r.at(path, 'packageVulnerabilityDetails');
  const pvd = r.record(finding.packageVulnerabilityDetails, pvdPath);
  const id = r.id(pvd.vulnerabilityId, pvdPath, 'vulnerabilityId');

  const severity = r.oneOf(finding.severity, INSPECTOR_SEVERITIES, 'UNTRIAGED', path, 'severity');
  const score = findingScore(r, finding, pvd, path, pvdPath);
  const epss = readEpss(r, finding, path);
  const fixAvailable = r.oneOf(finding.fixAvailable, FIX_AVAILABLE, null, path, 'fixAvailable');
  const exploitAvailable = r.oneOf(
    finding.exploitAvailable,
    EXPLOIT_AVAILABLE,
    null,
    path,
    'exploitAvailable',
  );
  const url =
    r.optionalString(pvd.sourceUrl, pvdPath, 'sourceUrl') ??
    firstString(r, pvd.referenceUrls, r.at(pvdPath, 'referenceUrls'));
  const title = r.optionalString(finding.title, path, 'title');
  const firstObservedAt = toIsoTimestamp(finding.firstObservedAt);
  const kev = cisaData(r, finding.cisaData, path);

  const base: FindingFields = {
    id,
    severity,
    score,
    epss,
    fixAvailable,
    exploitAvailable,
    package: null,
    version: null,
    fixedIn: null,
    url,
    title,
    description: displayText(finding.description),
    source: options.source,
    firstObservedAt,
    arn: typeof finding.findingArn === 'string' && finding.findingArn !== '' ? finding.findingArn : null,
    updatedAt: toIsoTimestamp(finding.updatedAt),
    kev: kev ?? undefined,
  };

  const packagesPath = r.at(pvdPath, 'vulnerablePackages');
  const packages = r.optionalArray(pvd.vulnerablePackages, packagesPath);
  if (packages.length === 0) {
    // Never lose a finding because it names no package: keep it, unattributed.
    out.add(base);
    return;
  }
  for (let i = 0; i < packages.length; i++) {
    const pkgPath = r.at(packagesPath, i);
    const pkg = r.record(packages[i], pkgPath);
    const rawFixed = pkg.fixedInVersion;
    const fixed = r.optionalString(rawFixed, pkgPath, 'fixedInVersion');
    const fixedIn = fixed === NOT_AVAILABLE ? null : fixed;
    // `base` is a scratch record: add() copies it into a new Finding.
    base.package = r.optionalString(pkg.name, pkgPath, 'name');
    base.version = packageVersion(r, pkg, pkgPath);
    base.fixedIn = fixedIn;
    base.fixAvailable = packageFixAvailability(fixAvailable, fixedIn, fixed === NOT_AVAILABLE);
    out.add(base);
  }
}

/**
 * Per-package fix availability. The finding-level value is kept when it is YES or NO; PARTIAL (some
 * packages fixed) is resolved per package from its fixedInVersion; when the finding says nothing, a
 * concrete fixedInVersion means YES and anything else stays unknown (older captures lack the field).
 */
function packageFixAvailability(
  findingLevel: FixAvailability | null,
  fixedIn: string | null,
  explicitlyNotAvailable: boolean,
): FixAvailability | null {
  if (findingLevel === 'YES' || findingLevel === 'NO') return findingLevel;
  if (fixedIn !== null) return 'YES';
  if (findingLevel === 'PARTIAL') return explicitlyNotAvailable ? 'NO' : 'PARTIAL';
  return null;
}

/** `[epoch:]version[-release]`, the form package managers print (e.g. `2.9.14+dfsg-1.3~deb12u1`). */
function packageVersion(r: JsonReader, pkg: JsonRecord, path: string): string | null {
  const version = r.optionalString(pkg.version, path, 'version');
  if (version === null) return null;
  const release = r.optionalString(pkg.release, path, 'release');
  const epoch = r.optionalNumber(pkg.epoch, 0, Number.MAX_SAFE_INTEGER, path, 'epoch');
  const withEpoch = epoch !== null && epoch > 0 ? `${epoch}:${version}` : version;
  return release === null ? withEpoch : `${withEpoch}-${release}`;
}

/** Inspector's adjusted score first, then ECR's score, then the CVSS list (v3, else v4, else v2). */
function findingScore(
  r: JsonReader,
  finding: JsonRecord,
  pvd: JsonRecord,
  path: string,
  pvdPath: string,
): number | null {
  const direct =
    r.optionalNumber(finding.inspectorScore, 0, 10, path, 'inspectorScore') ??
    r.optionalNumber(finding.score, 0, 10, path, 'score');
  if (direct !== null) return direct;
  const details = nestedScore(r, finding, path, 'inspectorScoreDetails', 'adjustedCvss');
  if (details !== null) return details;
  const ecrDetails = nestedScore(r, finding, path, 'scoreDetails', 'cvss');
  if (ecrDetails !== null) return ecrDetails;
  return cvssListScore(r, pvd.cvss, r.at(pvdPath, 'cvss'));
}

function nestedScore(
  r: JsonReader,
  finding: JsonRecord,
  path: string,
  outer: string,
  inner: string,
): number | null {
  const o = own(finding, outer);
  if (o === undefined || o === null) return null;
  const oPath = r.at(path, outer);
  const i = own(r.record(o, oPath), inner);
  if (i === undefined || i === null) return null;
  const iPath = r.at(oPath, inner);
  return r.optionalNumber(own(r.record(i, iPath), 'score'), 0, 10, iPath, 'score');
}

function cvssListScore(r: JsonReader, value: unknown, path: string): number | null {
  return preferredCvssScore(r, value, path, (entry, entryPath) => {
    const score = r.optionalNumber(entry.baseScore, 0, 10, entryPath, 'baseScore');
    if (score === null) return null;
    const version = entry.version;
    return {
      score,
      version: typeof version === 'string' || typeof version === 'number' ? String(version) : '',
    };
  });
}

/**
 * CISA KEV data (`cisaData {dateAdded, dateDue, action}`, Inspector's CisaData type). ListFindings does not
 * carry it, BatchGetFindingDetails does; a finding merged with its details has it here. KEV dates will
 * decide deadlines, so one that cannot be read refuses the file.
 */
function cisaData(r: JsonReader, value: unknown, path: string): KnownExploited | null {
  if (value === undefined || value === null) return null;
  const cisaPath = r.at(path, 'cisaData');
  const cisa = r.record(value, cisaPath);
  return {
    dateAdded: cisaDate(r, cisa.dateAdded, cisaPath, 'dateAdded'),
    dateDue: cisaDate(r, cisa.dateDue, cisaPath, 'dateDue'),
    action: r.optionalString(cisa.action, cisaPath, 'action'),
  };
}

function cisaDate(r: JsonReader, value: unknown, path: string, key: string): string | null {
  if (value === undefined || value === null) return null;
  const iso = toIsoTimestamp(value);
  if (iso === null) r.expected(r.at(path, key), 'a date', value);
  return iso.slice(0, 10);
}

function readEpss(r: JsonReader, finding: JsonRecord, path: string): number | null {
  const epss = finding.epss;
  if (epss === undefined || epss === null) return null;
  const epssPath = r.at(path, 'epss');
  return r.optionalNumber(own(r.record(epss, epssPath), 'score'), 0, 1, epssPath, 'score');
}

function firstString(r: JsonReader, value: unknown, path: string): string | null {
  const list = r.optionalArray(value, path);
  for (let i = 0; i < list.length; i++) {
    const s = r.optionalString(list[i], path, i);
    if (s !== null) return s;
  }
  return null;
}

function noteEcrResource(out: FindingsCollector, resource: JsonRecord, path: string): void {
  const r = out.reader;
  const details = resource.details;
  if (!isRecord(details)) return;
  const image = details.awsEcrContainerImage;
  if (!isRecord(image)) return;
  const imagePath = r.at(r.at(path, 'details'), 'awsEcrContainerImage');
  const repository = r.optionalString(image.repositoryName, imagePath, 'repositoryName');
  const digest = r.optionalString(image.imageHash, imagePath, 'imageHash');
  const tagsPath = r.at(imagePath, 'imageTags');
  const rawTags = r.optionalArray(image.imageTags, tagsPath);
  const tags: string[] = [];
  for (let i = 0; i < rawTags.length; i++) tags.push(r.string(rawTags[i], tagsPath, i));
  out.noteImage(
    repository,
    digest,
    tags,
    { repository: r.at(imagePath, 'repositoryName'), digest: r.at(imagePath, 'imageHash') },
    'findings',
  );
}
