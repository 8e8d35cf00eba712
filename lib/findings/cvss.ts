/**
 * Choosing one CVSS base score from a list that scanners give per source and CVSS version.
 */
import type { JsonReader, JsonRecord } from './json-reader.ts';

/** One entry's base score and CVSS version (e.g. `3.1`), or null when it carries no score. */
export type CvssEntryReader = (
  entry: JsonRecord,
  entryPath: string,
) => { readonly score: number; readonly version: string } | null;

/**
 * The first CVSS v3.x base score in the list, else the first v4, else the first v2 (other versions are
 * ignored); null when there is none. Each entry must be an object; `read` takes its score and version.
 *
 * @example
 * preferredCvssScore(r, finding.cvss, 'cvss', (entry, entryPath) => {
 *   const score = r.optionalNumber(entry.baseScore, 0, 10, entryPath, 'baseScore');
 *   return score === null ? null : { score, version: String(entry.version ?? '') };
 * });
 */
export function preferredCvssScore(
  r: JsonReader,
  value: unknown,
  path: string,
  read: CvssEntryReader,
): number | null {
  const list = r.optionalArray(value, path);
  let v3: number | null = null;
  let v4: number | null = null;
  let v2: number | null = null;
  for (let i = 0; i < list.length; i++) {
    const entryPath = r.at(path, i);
    const cvss = read(r.record(list[i], entryPath), entryPath);
    if (cvss === null) continue;
    const major = cvss.version.charAt(0);
    if (major === '3') v3 ??= cvss.score;
    else if (major === '4') v4 ??= cvss.score;
    else if (major === '2') v2 ??= cvss.score;
  }
  return v3 ?? v4 ?? v2;
}
