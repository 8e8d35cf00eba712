/**
 * An offline ECR lifecycle policy evaluator with ECR's documented semantics ("Lifecycle policy evaluation
 * rules", Amazon ECR User Guide), producing what GetLifecyclePolicyPreview would return.
 *
 * Semantics:
 * - Rules are applied in `rulePriority` order, lowest number first.
 * - A rule "identifies" (sees) every image that meets its tagging requirements (tag status, prefixes or patterns,
 *   storage class). It then marks the images its count criterion selects, but never one already seen by a
 *   higher-priority rule: such images are protected ("an image that matches the tagging requirements of a rule
 *   cannot be expired by a rule with a lower priority"). An image is acted on by exactly one or zero rules.
 * - `imageCountMoreThan` sorts the identified images youngest to oldest by push time and marks all beyond the
 *   count. Seen images still occupy their place in that order (documented Example A: Rule 2 "marks both Image A and
 *   Image B", B is skipped because Rule 1 saw it). Equal push times are ordered by digest, ascending: the image
 *   whose digest sorts first counts as the younger one (ECR documents no tie-break; ours is deterministic).
 * - `sinceImagePushed` marks images whose push time is *older than* countNumber days: strictly more than
 *   countNumber × 86,400,000 ms before `now`. An image pushed exactly N days ago is not expired yet
 *   (documented "Filtering on all images" Example B: the untagged image pushed 1 day ago survives a 1-day rule).
 * - `sinceImagePulled` uses the last recorded pull time, or the push time when the image was never pulled.
 * - `sinceImageTransitioned` (archive storage) uses the time the image was archived; an archived image whose
 *   archive time is unknown is never selected (conservative).
 * - `tagPrefixList` / `tagPatternList`: every listed prefix/pattern must match at least one of the image's tags.
 */
import type { LifecycleImage } from './lifecycle-images.ts';
import type { LifecyclePolicy, LifecycleRule } from './lifecycle-policy.ts';
import { compileWildcard } from './wildcard.ts';

export const DAY_MS = 86_400_000;

export interface PreviewAction {
  readonly type: 'EXPIRE' | 'TRANSITION';
  readonly targetStorageClass?: 'ARCHIVE';
}

export interface PreviewResult {
  readonly imageDigest: string;
  readonly imageTags: readonly string[];
  /** ISO-8601 (UTC). */
  readonly imagePushedAt: string;
  readonly action: PreviewAction;
  readonly appliedRulePriority: number;
  readonly storageClass: 'STANDARD' | 'ARCHIVE';
}

export interface LifecyclePreview {
  readonly previewResults: readonly PreviewResult[];
  readonly summary: {
    readonly expiringImageTotalCount: number;
    /** Present only when at least one image transitions, as in ECR. */
    readonly transitioningImageTotalCounts?: readonly {
      targetStorageClass: 'ARCHIVE';
      imageTotalCount: number;
    }[];
  };
}

type TagMatcher = (tags: readonly string[]) => boolean;

function tagMatcher(rule: LifecycleRule): TagMatcher {
  const s = rule.selection;
  if (s.tagStatus === 'untagged') return (tags) => tags.length === 0;
  if (s.tagStatus === 'any') return () => true;
  if (s.tagPrefixList) {
    const prefixes = s.tagPrefixList;
    return (tags) => tags.length > 0 && prefixes.every((p) => tags.some((t) => t.startsWith(p)));
  }
  const patterns = (s.tagPatternList ?? []).map(compileWildcard);
  return (tags) => tags.length > 0 && patterns.every((p) => tags.some((t) => p.test(t)));
}

/** Youngest first; equal push times by digest ascending (documented tie-break). */
function youngestFirst(a: LifecycleImage, b: LifecycleImage): number {
  if (a.pushedAt !== b.pushedAt) return b.pushedAt - a.pushedAt;
  return a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : 0;
}

function selectedByCount(
  rule: LifecycleRule,
  identified: readonly LifecycleImage[],
  now: number,
): LifecycleImage[] {
  const s = rule.selection;
  const limit = s.countNumber * DAY_MS;
  switch (s.countType) {
    case 'imageCountMoreThan':
      return [...identified].sort(youngestFirst).slice(s.countNumber);
    case 'sinceImagePushed':
      return identified.filter((img) => now - img.pushedAt > limit);
    case 'sinceImagePulled':
      return identified.filter((img) => now - (img.lastPulledAt ?? img.pushedAt) > limit);
    case 'sinceImageTransitioned':
      return identified.filter((img) => img.archivedAt !== null && now - img.archivedAt > limit);
  }
}

/** Per-image outcome with the rule that protected it, for explanations (drift plan, text output). */
export interface ImageVerdict {
  readonly image: LifecycleImage;
  readonly action: PreviewAction | null;
  /** Priority of the rule that acted on the image, or of the first rule that saw (protected) it. */
  readonly rulePriority: number | null;
}

/**
 * Evaluates a validated policy against a repository's images at `now` (epoch ms or Date).
 * Returns results ordered by applied rule priority, then oldest push first, then digest.
 * @example previewLifecycle(policy, imagesFromDescribeImages(json, 'images.json'), new Date()).summary
 */
export function previewLifecycle(
  policy: LifecyclePolicy,
  images: readonly LifecycleImage[],
  now: Date | number,
): LifecyclePreview {
  return previewFromVerdicts(evaluateLifecycle(policy, images, now));
}

/** The per-image view behind `previewLifecycle`: every image, acted on or not. */
export function evaluateLifecycle(
  policy: LifecyclePolicy,
  images: readonly LifecycleImage[],
  now: Date | number,
): ImageVerdict[] {
  const at = typeof now === 'number' ? now : now.getTime();
  const rules = [...policy.rules].sort((a, b) => a.rulePriority - b.rulePriority);
  const seenBy = new Map<string, number>();
  const acted = new Map<string, { action: PreviewAction; priority: number }>();
  for (const rule of rules) {
    const matches = tagMatcher(rule);
    const storage = rule.selection.storageClass ?? 'standard';
    const identified = images.filter((img) => img.storageClass === storage && matches(img.tags));
    for (const img of selectedByCount(rule, identified, at)) {
      if (seenBy.has(img.digest)) continue;
      acted.set(img.digest, {
        action:
          rule.action.type === 'transition'
            ? { type: 'TRANSITION', targetStorageClass: 'ARCHIVE' }
            : { type: 'EXPIRE' },
        priority: rule.rulePriority,
      });
    }
    for (const img of identified) if (!seenBy.has(img.digest)) seenBy.set(img.digest, rule.rulePriority);
  }
  return images.map((image) => {
    const a = acted.get(image.digest);
    return a
      ? { image, action: a.action, rulePriority: a.priority }
      : { image, action: null, rulePriority: seenBy.get(image.digest) ?? null };
  });
}

function previewFromVerdicts(verdicts: readonly ImageVerdict[]): LifecyclePreview {
  const results = verdicts
    .filter((v): v is ImageVerdict & { action: PreviewAction; rulePriority: number } => v.action !== null)
    .sort(
      (a, b) =>
        a.rulePriority - b.rulePriority ||
        a.image.pushedAt - b.image.pushedAt ||
        (a.image.digest < b.image.digest ? -1 : a.image.digest > b.image.digest ? 1 : 0),
    )
    .map(
      (v): PreviewResult => ({
        imageDigest: v.image.digest,
        imageTags: [...v.image.tags],
        imagePushedAt: new Date(v.image.pushedAt).toISOString(),
        action: v.action,
        appliedRulePriority: v.rulePriority,
        storageClass: v.image.storageClass === 'archive' ? 'ARCHIVE' : 'STANDARD',
      }),
    );
  const expiring = results.filter((r) => r.action.type === 'EXPIRE').length;
  const transitioning = results.filter((r) => r.action.type === 'TRANSITION').length;
  return {
    previewResults: results,
    summary: {
      expiringImageTotalCount: expiring,
      ...(transitioning > 0
        ? {
            transitioningImageTotalCounts: [
              { targetStorageClass: 'ARCHIVE' as const, imageTotalCount: transitioning },
            ],
          }
        : {}),
    },
  };
}
