/**
 * The decision tag scheme (DESIGN.md "Tags"): `approved-<source tag>` / `quarantined-<source tag>` per
 * source tag, `<prefix>sha256-<first 12 hex>` for an untagged image. Every generated tag obeys the Docker
 * tag grammar; a tag that would not is cut (or cleaned) and ends in `-<8 hex of sha256(full tag)>` so two
 * different source tags never produce the same decision tag.
 */
import { createHash } from 'node:crypto';
import type { Verdict } from '../policy/decision.ts';
import { InvalidTagSchemeError } from './errors.ts';

/** Docker/OCI reference grammar for a tag: `[\w][\w.-]{0,127}`. */
export const TAG_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
export const MAX_TAG_LENGTH = 128;
/** ECR quota: tags per image (not adjustable). */
export const MAX_TAGS_PER_IMAGE = 1000;

export interface TagScheme {
  readonly approvedPrefix: string;
  readonly quarantinedPrefix: string;
}

export const DEFAULT_TAG_SCHEME: TagScheme = Object.freeze({
  approvedPrefix: 'approved-',
  quarantinedPrefix: 'quarantined-',
});

const PREFIX_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;
const HASH_SUFFIX_LENGTH = 9; // '-' + 8 hex

/**
 * Checks that the prefixes can produce valid tags and can be told apart (neither is a prefix of the
 * other), and returns a frozen scheme.
 * @example makeTagScheme('approved-', 'quarantined-')
 */
export function makeTagScheme(approvedPrefix: string, quarantinedPrefix: string): TagScheme {
  for (const [name, prefix] of [
    ['approved', approvedPrefix],
    ['quarantined', quarantinedPrefix],
  ] as const) {
    if (!PREFIX_PATTERN.test(prefix)) {
      throw new InvalidTagSchemeError(
        `${name} prefix ${JSON.stringify(prefix)} must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,63}`,
      );
    }
  }
  if (approvedPrefix.startsWith(quarantinedPrefix) || quarantinedPrefix.startsWith(approvedPrefix)) {
    throw new InvalidTagSchemeError(
      `prefixes ${JSON.stringify(approvedPrefix)} and ${JSON.stringify(quarantinedPrefix)} overlap: neither may start with the other`,
    );
  }
  return Object.freeze({ approvedPrefix, quarantinedPrefix });
}

export function prefixFor(scheme: TagScheme, verdict: Verdict): string {
  return verdict === 'approved' ? scheme.approvedPrefix : scheme.quarantinedPrefix;
}

/** Which decision a reserved-prefix tag stands for, or null for an ordinary (source) tag. */
export function reservedKind(scheme: TagScheme, tag: string): Verdict | null {
  if (tag.startsWith(scheme.approvedPrefix)) return 'approved';
  if (tag.startsWith(scheme.quarantinedPrefix)) return 'quarantined';
  return null;
}

export function isReservedTag(scheme: TagScheme, tag: string): boolean {
  return reservedKind(scheme, tag) !== null;
}

/** Tags that are not decision tags, sorted and deduplicated. */
export function sourceTagsOf(scheme: TagScheme, tags: readonly string[]): string[] {
  return [...new Set(tags.filter((t) => !isReservedTag(scheme, t)))].sort();
}

function shortHash(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex').slice(0, 8);
}

/**
 * `prefix + body`, made valid: characters outside `[A-Za-z0-9_.-]` become `_`, and a candidate that was
 * cleaned or is longer than 128 characters is cut and suffixed with `-<8 hex of sha256(prefix + body)>`.
 */
export function fitTag(prefix: string, body: string): string {
  const full = `${prefix}${body}`;
  if (TAG_PATTERN.test(full)) return full;
  const cleaned = full.replace(/[^A-Za-z0-9_.-]/g, '_');
  const head = cleaned.slice(0, MAX_TAG_LENGTH - HASH_SUFFIX_LENGTH);
  return `${head}-${shortHash(full)}`;
}

/** `<prefix>sha256-<first 12 hex of the digest>`, the decision tag of an untagged image. */
export function digestDecisionTag(prefix: string, digest: string): string {
  const hex = digest.startsWith('sha256:') ? digest.slice('sha256:'.length) : digest;
  return fitTag(prefix, `sha256-${hex.slice(0, 12)}`);
}

/** One decision tag per source tag, or the digest form when there are none. Sorted, unique. */
export function decisionTags(
  scheme: TagScheme,
  verdict: Verdict,
  sourceTags: readonly string[],
  digest: string,
): string[] {
  const prefix = prefixFor(scheme, verdict);
  const sources = sourceTagsOf(scheme, sourceTags);
  if (sources.length === 0) return [digestDecisionTag(prefix, digest)];
  return [...new Set(sources.map((t) => fitTag(prefix, t)))].sort();
}

export interface FittedTags {
  readonly tags: string[];
  /** True when not every wanted tag fits under the 1,000 tags-per-image quota. */
  readonly limited: boolean;
}

/**
 * Keeps an image under ECR's 1,000 tags-per-image quota. `keptTagCount` is the number of tags the image
 * keeps after the planned removals. When the per-source decision tags do not all fit, the single digest
 * form is used instead (it still marks the digest); when not even that fits, nothing is added.
 */
export function fitUnderTagLimit(
  wanted: readonly string[],
  digestForm: string,
  keptTagCount: number,
  alreadyPresent: ReadonlySet<string>,
): FittedTags {
  const missing = wanted.filter((t) => !alreadyPresent.has(t));
  const room = MAX_TAGS_PER_IMAGE - keptTagCount;
  if (missing.length <= room) return { tags: [...wanted], limited: false };
  if (alreadyPresent.has(digestForm)) return { tags: [digestForm], limited: true };
  if (room >= 1) return { tags: [digestForm], limited: true };
  return { tags: [], limited: true };
}
