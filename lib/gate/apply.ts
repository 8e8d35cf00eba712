/**
 * Applies a DecisionPlan through the Registry port. Every step is idempotent (PutImage of a tag that already
 * points at the digest is ImageAlreadyExists = done; removing an absent tag is fine), so a crash at any point
 * followed by a retry converges. Order: write new tags, remove tags by tag, archive (quarantine option).
 */
import type { ImageRef } from '../events/image-ref.ts';
import type { Registry, StoredManifest } from '../registry/registry.ts';
import type { DecisionPlan, TagRemoval } from './plan.ts';

export interface ApplyResult {
  /** Tags written (or found already in place) by this attempt. */
  readonly written: readonly string[];
  /** Tags the repository refused because it is immutable and the tag points at another digest. */
  readonly refused: readonly string[];
  /** Tags removed by this attempt. */
  readonly removed: readonly string[];
  /** Source tags removed by this attempt (policy option). */
  readonly removedSourceTags: readonly string[];
  /** Storage class set by this attempt. */
  readonly storageClass: 'ARCHIVE' | null;
  /** The digest disappeared while the plan was applied. */
  readonly gone: boolean;
  /** Tags on the digest after this attempt, as far as the gate knows. */
  readonly tagsAfter: readonly string[];
  readonly problems: readonly string[];
}

/**
 * Tag changes outside a decision's plan — a spoof's quarantined hold tag and its removal, a decision tag put back
 * on the digest it was moved off, the projection of a recorded decision — go through the same writer with the same
 * rules (puts first, removals by tag, never the last tag).
 * @example await applyTagChanges(registry, ref, manifest, { put: ['quarantined-sha256-…'], remove: ['approved-x'] }, tags, prefixes)
 */
export function applyTagChanges(
  registry: Registry,
  ref: ImageRef,
  manifest: StoredManifest | null,
  change: { readonly put: readonly string[]; readonly remove: readonly TagRemoval[] | readonly string[] },
  currentTags: readonly string[],
  prefixes: readonly string[],
): Promise<ApplyResult> {
  const removeTags = change.remove.map((r) =>
    typeof r === 'string' ? { tag: r, why: 'spoofed' as const } : r,
  );
  return applyPlan(
    registry,
    ref,
    manifest,
    {
      verdict: 'quarantined',
      sourceTags: [],
      desiredTags: [...change.put],
      putTags: [...change.put],
      removeTags,
      spoofed: [],
      storageClass: null,
      keptRestored: false,
      changed: false,
      stateKey: '',
      notify: false,
      problems: [],
    },
    currentTags,
    prefixes,
  );
}

/** Explains, for the alert, how to let the gatekeeper write its tags in an immutable repository. */
export function immutableAdvice(repository: string, prefixes: readonly string[]): string {
  const filters = prefixes.map((p) => `${p}*`).join(', ');
  return (
    `repository ${repository} has immutable tags, so the gatekeeper cannot move its decision tags. ` +
    `Set tag mutability to IMMUTABLE_WITH_EXCLUSION with exclusion filters ${filters} ` +
    `(aws ecr put-image-tag-mutability --repository-name ${repository} --image-tag-mutability IMMUTABLE_WITH_EXCLUSION ` +
    `--image-tag-mutability-exclusion-filters ${prefixes.map((p) => `filterType=WILDCARD,filter=${p}*`).join(' ')})`
  );
}

/**
 * Applies `plan` to the digest `ref` whose manifest is `manifest` (null when archived: no tag can be written)
 * and whose tags are `currentTags` now.
 * Throws only retryable registry errors (and final RegistryRejectedError for requests ECR refuses).
 */
export async function applyPlan(
  registry: Registry,
  ref: ImageRef,
  manifest: StoredManifest | null,
  plan: DecisionPlan,
  currentTags: readonly string[],
  prefixes: readonly string[],
): Promise<ApplyResult> {
  const present = new Set(currentTags);
  const written: string[] = [];
  const refused: string[] = [];
  const removed: string[] = [];
  const removedSourceTags: string[] = [];
  const problems: string[] = [];
  let storageClass: ApplyResult['storageClass'] = null;
  const result = (gone: boolean): ApplyResult => ({
    written,
    refused,
    removed,
    removedSourceTags,
    storageClass,
    gone,
    tagsAfter: [...present].sort(),
    problems,
  });

  if (manifest === null && plan.putTags.length > 0) {
    problems.push(
      `the image is archived: ${plan.putTags.join(', ')} cannot be written until it is restored (UpdateImageStorageClass STANDARD)`,
    );
  }
  for (const tag of plan.putTags) {
    if (manifest === null) break;
    const outcome = await registry.putTag(ref, manifest, tag);
    if (outcome === 'gone') return result(true);
    if (outcome === 'immutable') {
      refused.push(tag);
      continue;
    }
    written.push(tag);
    present.add(tag);
  }
  if (refused.length > 0)
    problems.push(`${immutableAdvice(ref.repository, prefixes)}; refused: ${refused.join(', ')}`);

  const decisionTagInPlace = plan.desiredTags.some((t) => present.has(t));
  const toRemove: string[] = [];
  for (const removal of plan.removeTags) {
    if (!present.has(removal.tag) || toRemove.includes(removal.tag)) continue;
    // Source tags go only once a quarantined tag holds the image.
    if (removal.why === 'source-tag' && !decisionTagInPlace) continue;
    if (present.size - toRemove.length <= 1) {
      problems.push(`tag ${removal.tag} is kept: removing it would delete the image (its last tag)`);
      continue;
    }
    toRemove.push(removal.tag);
  }
  if (toRemove.length > 0) {
    await registry.removeTags(ref, toRemove);
    for (const tag of toRemove) {
      present.delete(tag);
      removed.push(tag);
      if (plan.removeTags.some((r) => r.tag === tag && r.why === 'source-tag')) removedSourceTags.push(tag);
    }
  }

  if (plan.storageClass === 'ARCHIVE') {
    if ((await registry.setStorageClass(ref, 'ARCHIVE')) === 'gone') return result(true);
    storageClass = 'ARCHIVE';
  }
  return result(false);
}
