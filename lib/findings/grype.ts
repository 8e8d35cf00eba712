/**
 * Grype JSON (`grype -o json`): `matches[]` of `{vulnerability, relatedVulnerabilities, artifact}`.
 * vulnerability: id, severity (Critical, High, Medium, Low, Negligible, Unknown), fix {state, versions},
 * cvss[] {version, metrics.baseScore}, epss[] {epss}, knownExploited[], dataSource, urls[].
 * Mapping: Negligible → INFORMATIONAL, Unknown → UNDEFINED; fix state fixed → YES, not-fixed / wont-fix →
 * NO, unknown → null; a non-empty knownExploited (CISA KEV) → exploitAvailable true, else unknown (null).
 * Ignored matches (`ignoredMatches`, suppressed by grype's own rules) are not read.
 */
import { displayText, type FindingsCollector } from './collector.ts';
import { preferredCvssScore } from './cvss.ts';
import type { FixAvailability, Severity } from './finding.ts';
import { parseImageReference } from './image-reference.ts';
import { isRecord, type JsonReader, type JsonRecord, own } from './json-reader.ts';

const GRYPE_SEVERITIES: ReadonlyMap<string, Severity> = new Map<string, Severity>([
  ['Critical', 'CRITICAL'],
  ['High', 'HIGH'],
  ['Medium', 'MEDIUM'],
  ['Low', 'LOW'],
  ['Negligible', 'INFORMATIONAL'],
  ['Unknown', 'UNDEFINED'],
]);
const GRYPE_FIX_STATES: ReadonlyMap<string, FixAvailability | null> = new Map<string, FixAvailability | null>(
  [
    ['fixed', 'YES'],
    ['not-fixed', 'NO'],
    ['wont-fix', 'NO'],
    ['unknown', null],
    ['', null],
  ],
);

export function looksLikeGrype(value: JsonRecord): boolean {
  return Array.isArray(value.matches);
}

export function addGrypeReport(out: FindingsCollector, raw: unknown): void {
  const r = out.reader;
  const report = r.record(raw, '');
  const matches = r.array(report.matches, 'matches');
  noteGrypeImage(out, report);
  for (let i = 0; i < matches.length; i++) addGrypeMatch(out, matches[i], r.at('matches', i));
}

function addGrypeMatch(out: FindingsCollector, raw: unknown, path: string): void {
  const r = out.reader;
  const match = r.record(raw, path);
  const vPath = r.at(path, 'vulnerability');
  const v = r.record(match.vulnerability, vPath);
  const aPath = r.at(path, 'artifact');
  const artifact = r.record(match.artifact, aPath);
  const id = r.string(v.id, vPath, 'id');
  if (id === '') r.expected(r.at(vPath, 'id'), 'a vulnerability id', id);

  let fixAvailable: FixAvailability | null = null;
  let fixedIn: string | null = null;
  const fix = v.fix;
  if (fix !== undefined && fix !== null) {
    const fixPath = r.at(vPath, 'fix');
    const f = r.record(fix, fixPath);
    fixAvailable = r.oneOf(f.state, GRYPE_FIX_STATES, null, fixPath, 'state');
    const versionsPath = r.at(fixPath, 'versions');
    const versions = r.optionalArray(f.versions, versionsPath);
    // Grype sorts fix versions ascending: the first is the nearest upgrade.
    if (versions.length > 0) fixedIn = r.optionalString(versions[0], versionsPath, 0);
  }

  let score = cvssScore(r, v.cvss, r.at(vPath, 'cvss'));
  if (score === null) {
    // GHSA and distro records often carry no CVSS; grype puts NVD's in relatedVulnerabilities.
    const relPath = r.at(path, 'relatedVulnerabilities');
    const related = r.optionalArray(match.relatedVulnerabilities, relPath);
    for (let i = 0; i < related.length && score === null; i++) {
      const rel = r.record(related[i], relPath, i);
      score = cvssScore(r, rel.cvss, r.at(r.at(relPath, i), 'cvss'));
    }
  }

  let url = r.optionalString(v.dataSource, vPath, 'dataSource');
  if (url === null) {
    const urlsPath = r.at(vPath, 'urls');
    const urls = r.optionalArray(v.urls, urlsPath);
    if (urls.length > 0) url = r.optionalString(urls[0], urlsPath, 0);
  }

  const kevPath = r.at(vPath, 'knownExploited');
  const kev = r.optionalArray(v.knownExploited, kevPath);

  out.add({
    id,
    severity: r.oneOf(v.severity, GRYPE_SEVERITIES, 'UNDEFINED', vPath, 'severity'),
    score,
    epss: grypeEpss(r, v.epss, r.at(vPath, 'epss')),
    fixAvailable,
    exploitAvailable: kev.length > 0 ? true : null,
    package: r.optionalString(artifact.name, aPath, 'name'),
    version: r.optionalString(artifact.version, aPath, 'version'),
    fixedIn,
    url,
    title: null,
    description: displayText(v.description),
    source: 'grype',
    firstObservedAt: null,
  });
}

/** First CVSS v3.x base score, else v4, else v2. */
function cvssScore(r: JsonReader, value: unknown, path: string): number | null {
  return preferredCvssScore(r, value, path, (entry, entryPath) => {
    const metricsPath = r.at(entryPath, 'metrics');
    const metrics = entry.metrics;
    if (metrics === undefined || metrics === null) return null;
    const score = r.optionalNumber(
      own(r.record(metrics, metricsPath), 'baseScore'),
      0,
      10,
      metricsPath,
      'baseScore',
    );
    if (score === null) return null;
    return { score, version: r.optionalString(entry.version, entryPath, 'version') ?? '' };
  });
}

/** Highest EPSS probability listed (grype lists one per CVE the record maps to). */
function grypeEpss(r: JsonReader, value: unknown, path: string): number | null {
  const list = r.optionalArray(value, path);
  let best: number | null = null;
  for (let i = 0; i < list.length; i++) {
    const entryPath = r.at(path, i);
    const entry = r.record(list[i], entryPath);
    const epss = r.optionalNumber(entry.epss, 0, 1, entryPath, 'epss');
    if (epss !== null && (best === null || epss > best)) best = epss;
  }
  return best;
}

/** `source.type: "image"`, `source.target.{userInput, repoDigests[], tags[]}`. */
function noteGrypeImage(out: FindingsCollector, report: JsonRecord): void {
  const r = out.reader;
  const source = report.source;
  if (!isRecord(source) || source.type !== 'image') return;
  const target = source.target;
  if (!isRecord(target)) return;
  const base = 'source.target';
  const input = r.optionalString(target.userInput, base, 'userInput');
  const ref = input === null ? null : parseImageReference(input);
  let repository = ref?.repository ?? null;
  let digest = ref?.digest ?? null;
  const tags: string[] = ref?.tag ? [ref.tag] : [];
  const digestsPath = r.at(base, 'repoDigests');
  const digests = r.optionalArray(target.repoDigests, digestsPath);
  for (let i = 0; i < digests.length && digest === null; i++) {
    const d = parseImageReference(r.string(digests[i], digestsPath, i));
    if (repository === null || d.repository === repository) {
      repository ??= d.repository;
      digest = d.digest;
    }
  }
  // manifestDigest is not used: for images read from a local daemon it is not the registry's digest.
  const tagsPath = r.at(base, 'tags');
  const rawTags = r.optionalArray(target.tags, tagsPath);
  for (let i = 0; i < rawTags.length; i++) {
    const t = parseImageReference(r.string(rawTags[i], tagsPath, i));
    if (t.tag !== null && (repository === null || t.repository === repository) && !tags.includes(t.tag)) {
      tags.push(t.tag);
    }
  }
  out.noteImage(repository, digest, tags, digestsPath, 'Grype results');
}
