/**
 * Grype JSON (`grype -o json`): `matches[]` of `{vulnerability, relatedVulnerabilities, artifact}`, in the
 * layouts Grype has written since 0.7:
 * - current: vulnerability {id, severity, fix {state, versions[]}, cvss[] {version, metrics.baseScore},
 *   epss[] {epss}, knownExploited[] {dateAdded, dueDate, requiredAction}, dataSource, urls[]};
 * - 2021 (0.8–0.12): `cvss[]` with a plain `fixedInVersion` string instead of `fix`;
 * - 0.7 and earlier: `cvssV2` / `cvssV3` objects {baseScore} and `fixedInVersion`, `matchDetails` an object.
 * Scores come from the vulnerability, else from its relatedVulnerabilities (GHSA and distro records often
 * carry none; the NVD record does); the same for EPSS and KEV.
 * Mapping: Negligible → INFORMATIONAL, Unknown → UNDEFINED; fix state fixed → YES, not-fixed / wont-fix →
 * NO, unknown or '' → null; a `fixedInVersion` → YES; a non-empty knownExploited (CISA KEV) → exploitAvailable
 * true and `kev`, else exploitAvailable unknown (null).
 * Only reports about a container image (`source.type` image) are read; directory and file scans are refused.
 * Ignored matches (`ignoredMatches`, suppressed by grype's own rules) are not read.
 */
import { displayText, type FindingsCollector } from './collector.ts';
import { preferredCvssScore } from './cvss.ts';
import type { FixAvailability, KnownExploited, Severity } from './finding.ts';
import { imageReferenceOrNull, namedImage } from './image-reference.ts';
import { describeValue, type JsonReader, type JsonRecord, own } from './json-reader.ts';

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
  const id = r.id(v.id, vPath, 'id');

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
    if (fixedIn !== null) fixAvailable ??= 'YES';
  } else {
    // Grype before the `fix` object (2021 and earlier): a plain fixedInVersion, absent when there is none known.
    fixedIn = r.optionalString(v.fixedInVersion, vPath, 'fixedInVersion');
    if (fixedIn !== null) fixAvailable = 'YES';
  }

  const relPath = r.at(path, 'relatedVulnerabilities');
  const related = r.optionalArray(match.relatedVulnerabilities, relPath);
  let score = vulnerabilityScore(r, v, vPath);
  let epss = grypeEpss(r, v.epss, r.at(vPath, 'epss'));
  let kev = knownExploited(r, v.knownExploited, r.at(vPath, 'knownExploited'));
  // GHSA and distro records often carry no CVSS, EPSS or KEV; grype puts the NVD record's in relatedVulnerabilities.
  for (let i = 0; i < related.length; i++) {
    if (score !== null && epss !== null && kev !== null) break;
    const relItemPath = r.at(relPath, i);
    const rel = r.record(related[i], relItemPath);
    score ??= vulnerabilityScore(r, rel, relItemPath);
    epss ??= grypeEpss(r, rel.epss, r.at(relItemPath, 'epss'));
    kev ??= knownExploited(r, rel.knownExploited, r.at(relItemPath, 'knownExploited'));
  }

  let url = r.optionalString(v.dataSource, vPath, 'dataSource');
  if (url === null) {
    // `links` is the 0.7 name of `urls`.
    const key = v.urls !== undefined ? 'urls' : 'links';
    const urlsPath = r.at(vPath, key);
    const urls = r.optionalArray(key === 'urls' ? v.urls : v.links, urlsPath);
    if (urls.length > 0) url = r.optionalString(urls[0], urlsPath, 0);
  }

  out.add({
    id,
    severity: r.oneOf(v.severity, GRYPE_SEVERITIES, 'UNDEFINED', vPath, 'severity'),
    score,
    epss,
    fixAvailable,
    exploitAvailable: kev !== null ? true : null,
    // Every match names the package it was found in; one without is not a report Grype wrote.
    package: r.id(artifact.name, aPath, 'name'),
    version: r.optionalString(artifact.version, aPath, 'version'),
    fixedIn,
    url,
    title: null,
    description: displayText(v.description),
    source: 'grype',
    firstObservedAt: null,
    kev: kev ?? undefined,
  });
}

/** A vulnerability record's score: its `cvss[]` list, else (0.7 and earlier) `cvssV3`, else `cvssV2`. */
function vulnerabilityScore(r: JsonReader, v: JsonRecord, path: string): number | null {
  const listed = cvssScore(r, v.cvss, r.at(path, 'cvss'));
  if (listed !== null) return listed;
  return legacyCvss(r, v.cvssV3, r.at(path, 'cvssV3')) ?? legacyCvss(r, v.cvssV2, r.at(path, 'cvssV2'));
}

function legacyCvss(r: JsonReader, value: unknown, path: string): number | null {
  if (value === undefined || value === null) return null;
  return r.optionalNumber(own(r.record(value, path), 'baseScore'), 0, 10, path, 'baseScore');
}

/** The first CISA KEV entry, or null when the list is absent or empty. */
function knownExploited(r: JsonReader, value: unknown, path: string): KnownExploited | null {
  const list = r.optionalArray(value, path);
  if (list.length === 0) return null;
  let kev: KnownExploited | null = null;
  for (let i = 0; i < list.length; i++) {
    const entryPath = r.at(path, i);
    const entry = r.record(list[i], entryPath);
    const read: KnownExploited = {
      dateAdded: kevDate(r, entry.dateAdded, entryPath, 'dateAdded'),
      dateDue: kevDate(r, entry.dueDate, entryPath, 'dueDate'),
      action: r.optionalString(entry.requiredAction, entryPath, 'requiredAction'),
    };
    // Several entries (one per CVE alias): keep the earliest due date, the one a deadline rule must meet.
    if (kev === null || (read.dateDue !== null && (kev.dateDue === null || read.dateDue < kev.dateDue)))
      kev = read;
  }
  return kev;
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

/**
 * `source.type: "image"`, `source.target.{userInput, repoDigests[], tags[]}`; any other source type (a
 * directory, a file, an SBOM of one) is refused: its findings are not about a container image.
 */
function noteGrypeImage(out: FindingsCollector, report: JsonRecord): void {
  const r = out.reader;
  const source = r.record(report.source, 'source');
  const type = r.optionalString(source.type, 'source', 'type');
  if (type !== 'image') {
    r.fail(
      'source.type',
      type === null
        ? 'missing: cannot tell whether the report is about a container image (expected "image")'
        : `${describeValue(type)}: the report is not about a container image, so its findings cannot approve one; scan the image (grype IMAGE -o json)`,
    );
  }
  const target = r.record(source.target, 'source', 'target');
  const base = 'source.target';
  const input = r.optionalString(target.userInput, base, 'userInput');
  // docker-archive:app.tar, oci-archive:…, a bare app.tar: a file, not a repository; tags[] then name the image.
  const digestsPath = r.at(base, 'repoDigests');
  const image = namedImage(
    input === null ? null : imageReferenceOrNull(input),
    r.optionalStrings(target.tags, base, 'tags'),
    r.optionalStrings(target.repoDigests, digestsPath),
  );
  // manifestDigest is not used: for images read from a local daemon it is not the registry's digest.
  out.noteImage(
    image.repository,
    image.digest,
    image.tags,
    { repository: r.at(base, 'userInput'), digest: digestsPath },
    'Grype results',
  );
}

/** `YYYY-MM-DD` from a KEV date (CISA writes dates; some feeds add a time); null when absent. */
function kevDate(r: JsonReader, value: unknown, path: string, key: string): string | null {
  const text = r.optionalString(value, path, key);
  if (text === null) return null;
  const day = /^(\d{4}-\d{2}-\d{2})(?:$|T)/.exec(text)?.[1];
  if (day === undefined || Number.isNaN(Date.parse(`${day}T00:00:00Z`))) {
    r.expected(r.at(path, key), 'a date YYYY-MM-DD', value);
  }
  return day;
}
