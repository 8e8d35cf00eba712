/**
 * Trivy JSON (`trivy image -f json`, SchemaVersion 2): `Results[].Vulnerabilities[]` with VulnerabilityID,
 * PkgName, InstalledVersion, FixedVersion, Status, Severity, CVSS{source: {V3Score, V2Score, …}},
 * PrimaryURL, Title. Results of other classes (secrets, misconfigurations, licenses) carry no
 * vulnerabilities and are skipped. Severity UNKNOWN becomes UNDEFINED (ECR's name for "not rated").
 * Status `not_affected` (a VEX statement) is excluded and counted.
 */
import { displayText, type FindingsCollector } from './collector.ts';
import type { FixAvailability, Severity } from './finding.ts';
import { parseImageReference } from './image-reference.ts';
import { isRecord, type JsonReader, type JsonRecord, own } from './json-reader.ts';

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

export function looksLikeTrivy(value: JsonRecord): boolean {
  return (
    value.SchemaVersion !== undefined || (value.Results !== undefined && value.ArtifactName !== undefined)
  );
}

export function addTrivyReport(out: FindingsCollector, raw: unknown): void {
  const r = out.reader;
  const report = r.record(raw, '');
  const schema = report.SchemaVersion;
  if (schema !== SUPPORTED_SCHEMA) {
    r.expected('SchemaVersion', `${SUPPORTED_SCHEMA} (trivy image -f json, Trivy 0.20 or later)`, schema);
  }
  noteTrivyImage(out, report);

  const results = r.optionalArray(report.Results, 'Results');
  for (let i = 0; i < results.length; i++) {
    const resultPath = r.at('Results', i);
    const result = r.record(results[i], resultPath);
    const vulnsPath = r.at(resultPath, 'Vulnerabilities');
    const vulns = r.optionalArray(result.Vulnerabilities, vulnsPath);
    for (let j = 0; j < vulns.length; j++) addTrivyVulnerability(out, vulns[j], r.at(vulnsPath, j));
  }
}

function addTrivyVulnerability(out: FindingsCollector, raw: unknown, path: string): void {
  const r = out.reader;
  const v = r.record(raw, path);
  const id = r.string(v.VulnerabilityID, path, 'VulnerabilityID');
  if (id === '') r.expected(r.at(path, 'VulnerabilityID'), 'a vulnerability id', id);
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
    package: r.optionalString(v.PkgName, path, 'PkgName'),
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
  const artifactType = r.optionalString(report.ArtifactType, 'ArtifactType');
  if (artifactType !== null && artifactType !== 'container_image') return;
  const name = r.optionalString(report.ArtifactName, 'ArtifactName');
  const ref = name === null ? null : parseImageReference(name);
  let repository = ref?.repository ?? null;
  let digest = ref?.digest ?? null;
  const tags: string[] = ref?.tag ? [ref.tag] : [];
  const metadata = report.Metadata;
  if (isRecord(metadata)) {
    const digestsPath = 'Metadata.RepoDigests';
    const digests = r.optionalArray(metadata.RepoDigests, digestsPath);
    for (let i = 0; i < digests.length && digest === null; i++) {
      const d = parseImageReference(r.string(digests[i], digestsPath, i));
      if (repository === null || d.repository === repository) {
        repository ??= d.repository;
        digest = d.digest;
      }
    }
    const tagsPath = 'Metadata.RepoTags';
    const repoTags = r.optionalArray(metadata.RepoTags, tagsPath);
    for (let i = 0; i < repoTags.length; i++) {
      const t = parseImageReference(r.string(repoTags[i], tagsPath, i));
      if (t.tag !== null && (repository === null || t.repository === repository) && !tags.includes(t.tag)) {
        tags.push(t.tag);
      }
    }
  }
  out.noteImage(repository, digest, tags, 'Metadata.RepoDigests', 'Trivy results');
}
