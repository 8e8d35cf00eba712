/**
 * Trivy JSON, in every layout Trivy has written for `trivy image -f json`:
 * - SchemaVersion 2 (Trivy 0.20 and later): `{SchemaVersion, ArtifactName, ArtifactType, Metadata, Results[]}`;
 * - before 0.20 (0.1x): a bare array of results `[{Target, Type, Vulnerabilities[]}]`, and `null` when
 *   nothing was found (refused: it says nothing about which image or whether anything was scanned).
 * Each vulnerability: VulnerabilityID, PkgName, InstalledVersion, FixedVersion, Status (0.3x+), Severity,
 * SeveritySource, CVSS{source: {V2Score, V3Score, V40Score}}, PrimaryURL, Title. Results of other classes
 * (secrets, misconfigurations, licenses) carry no vulnerabilities and are skipped. Severity UNKNOWN becomes
 * UNDEFINED (ECR's name for "not rated"). Status `not_affected` (a VEX statement) is excluded and counted.
 *
 * Only reports about a container image are read: ArtifactType `filesystem`, `repository`, `vm`, SBOMs and
 * Kubernetes cluster reports are refused, naming the field, since their findings cannot approve an image.
 * The image comes from ArtifactName when it is a registry or daemon reference; for an image archive
 * (ArtifactName is a file path) from Metadata.RepoTags, else the report names no repository.
 */
import { displayText, type FindingsCollector } from './collector.ts';
import type { FixAvailability, Severity } from './finding.ts';
import { imageReferenceOrNull, namedImage } from './image-reference.ts';
import { describeValue, isRecord, type JsonReader, type JsonRecord, own } from './json-reader.ts';

const TRIVY_SEVERITIES: ReadonlyMap<string, Severity> = new Map<string, Severity>([
  ['CRITICAL', 'CRITICAL'],
  ['HIGH', 'HIGH'],
  ['MEDIUM', 'MEDIUM'],
  ['LOW', 'LOW'],
  ['UNKNOWN', 'UNDEFINED'],
]);
/** Trivy's vulnerability status → fix availability (null: Trivy does not know). */
const TRIVY_STATUS: ReadonlyMap<string, FixAvailability | 'EXCLUDE' | null> = new Map<
  string,
  FixAvailability | 'EXCLUDE' | null
>([
  ['fixed', 'YES'],
  ['affected', 'NO'],
  ['will_not_fix', 'NO'],
  ['fix_deferred', 'NO'],
  ['end_of_life', 'NO'],
  ['under_investigation', 'NO'],
  ['unknown', null],
  ['not_affected', 'EXCLUDE'],
]);
const SUPPORTED_SCHEMA = 2;
const IMAGE_ARTIFACT = 'container_image';

export function looksLikeTrivy(value: JsonRecord): boolean {
  return (
    value.SchemaVersion !== undefined ||
    (value.Results !== undefined && value.ArtifactName !== undefined) ||
    // trivy k8s --format json: recognised so that it is refused by name, not as an unknown document.
    (value.ClusterName !== undefined &&
      (value.Resources !== undefined || value.Vulnerabilities !== undefined))
  );
}

/** Trivy before 0.20 printed a bare array of results: `[{Target, Type, Vulnerabilities}]`. */
export function looksLikeLegacyTrivy(value: unknown): boolean {
  return (
    isRecord(value) &&
    typeof value.Target === 'string' &&
    (value.Type !== undefined || value.Vulnerabilities !== undefined)
  );
}

export function addTrivyReport(out: FindingsCollector, raw: unknown): void {
  const r = out.reader;
  if (Array.isArray(raw)) {
    // Before 0.20 the report names no artifact type: its results are read; the image must be named by the user.
    addTrivyResults(out, raw, '');
    return;
  }
  const report = r.record(raw, '');
  if (report.ClusterName !== undefined) {
    r.fail(
      'ClusterName',
      'a Trivy Kubernetes report (trivy k8s) covers a whole cluster, not one image: scan the image with trivy image -f json',
    );
  }
  const schema = report.SchemaVersion;
  if (schema !== SUPPORTED_SCHEMA) {
    r.expected(
      'SchemaVersion',
      `${SUPPORTED_SCHEMA} (trivy image -f json, Trivy 0.20 or later; the array layout of earlier versions is also read)`,
      schema,
    );
  }
  const artifactType = r.optionalString(report.ArtifactType, '', 'ArtifactType');
  if (artifactType !== IMAGE_ARTIFACT) {
    r.fail(
      'ArtifactType',
      artifactType === null
        ? `missing: cannot tell whether the report is about a container image (expected "${IMAGE_ARTIFACT}")`
        : `${describeValue(artifactType)}: the report is not about a container image, so its findings cannot approve one; scan the image (trivy image -f json)`,
    );
  }
  noteTrivyImage(out, report);
  addTrivyResults(out, r.optionalArray(report.Results, '', 'Results'), 'Results');
}

function addTrivyResults(out: FindingsCollector, results: readonly unknown[], path: string): void {
  const r = out.reader;
  for (let i = 0; i < results.length; i++) {
    const resultPath = path === '' ? r.at('', i) : r.at(path, i);
    const result = r.record(results[i], resultPath);
    const vulnsPath = r.at(resultPath, 'Vulnerabilities');
    const vulns = r.optionalArray(result.Vulnerabilities, vulnsPath);
    for (let j = 0; j < vulns.length; j++) addTrivyVulnerability(out, vulns[j], r.at(vulnsPath, j));
  }
}

function addTrivyVulnerability(out: FindingsCollector, raw: unknown, path: string): void {
  const r = out.reader;
  const v = r.record(raw, path);
  const id = r.id(v.VulnerabilityID, path, 'VulnerabilityID');
  const status = r.oneOf(v.Status, TRIVY_STATUS, null, path, 'Status');
  if (status === 'EXCLUDE') {
    out.exclude('status not_affected');
    return;
  }
  const fixedIn = r.optionalString(v.FixedVersion, path, 'FixedVersion');
  // Without a Status (older Trivy), a FixedVersion is the only signal that a fix exists.
  const fixAvailable: FixAvailability | null = status ?? (fixedIn !== null ? 'YES' : null);
  const severitySource = r.optionalString(v.SeveritySource, path, 'SeveritySource');
  let url = r.optionalString(v.PrimaryURL, path, 'PrimaryURL');
  if (url === null) {
    const refsPath = r.at(path, 'References');
    const refs = r.optionalArray(v.References, refsPath);
    if (refs.length > 0) url = r.optionalString(refs[0], refsPath, 0);
  }
  out.add({
    id,
    severity: r.oneOf(v.Severity, TRIVY_SEVERITIES, 'UNDEFINED', path, 'Severity'),
    score: trivyScore(r, v.CVSS, r.at(path, 'CVSS'), severitySource),
    epss: null,
    fixAvailable,
    exploitAvailable: null,
    // Every Trivy vulnerability names its package; one without is not a report Trivy wrote.
    package: r.id(v.PkgName, path, 'PkgName'),
    version: r.optionalString(v.InstalledVersion, path, 'InstalledVersion'),
    fixedIn,
    url,
    title: r.optionalString(v.Title, path, 'Title'),
    description: displayText(v.Description),
    source: 'trivy',
    firstObservedAt: null,
  });
}

/**
 * CVSS per source (`nvd`, `redhat`, `ghsa` …). Sources are tried in a fixed order: the one Trivy took the
 * severity from, then `nvd`, then the rest alphabetically; the first V3 score wins, else V4.0, else V2.
 */
function trivyScore(
  r: JsonReader,
  value: unknown,
  path: string,
  severitySource: string | null,
): number | null {
  if (value === undefined || value === null) return null;
  const cvss = r.record(value, path);
  // Fast path: the severity source or nvd nearly always has a V3 score.
  const preferred: string[] = [];
  if (severitySource !== null && Object.hasOwn(cvss, severitySource)) preferred.push(severitySource);
  if (severitySource !== 'nvd' && Object.hasOwn(cvss, 'nvd')) preferred.push('nvd');
  const fast = versionScore(r, cvss, preferred, 'V3Score', path);
  if (fast !== null) return fast;
  const order = preferred.concat(
    Object.keys(cvss)
      .filter((n) => !preferred.includes(n))
      .sort(),
  );
  for (const key of ['V3Score', 'V40Score', 'V2Score'] as const) {
    const score = versionScore(r, cvss, order, key, path);
    if (score !== null) return score;
  }
  return null;
}

function versionScore(
  r: JsonReader,
  cvss: JsonRecord,
  sources: readonly string[],
  key: 'V3Score' | 'V40Score' | 'V2Score',
  path: string,
): number | null {
  for (const name of sources) {
    const entryPath = r.at(path, name);
    const entry = r.record(own(cvss, name), entryPath);
    const raw = key === 'V3Score' ? entry.V3Score : key === 'V2Score' ? entry.V2Score : entry.V40Score;
    const score = r.optionalNumber(raw, 0, 10, entryPath, key);
    // Trivy writes 0 for "no score of this version".
    if (score !== null && score > 0) return score;
  }
  return null;
}

function noteTrivyImage(out: FindingsCollector, report: JsonRecord): void {
  const r = out.reader;
  const name = r.optionalString(report.ArtifactName, '', 'ArtifactName');
  // An archive's path (trivy image --input app.tar) is not a repository: RepoTags then name the image.
  const metadata = report.Metadata;
  const m: JsonRecord = metadata === undefined || metadata === null ? {} : r.record(metadata, 'Metadata');
  const digestsPath = 'Metadata.RepoDigests';
  const image = namedImage(
    name === null ? null : imageReferenceOrNull(name),
    r.optionalStrings(m.RepoTags, 'Metadata.RepoTags'),
    r.optionalStrings(m.RepoDigests, digestsPath),
  );
  out.noteImage(
    image.repository,
    image.digest,
    image.tags,
    { repository: 'ArtifactName', digest: digestsPath },
    'Trivy results',
  );
}
