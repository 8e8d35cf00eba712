/**
 * Image rules of a policy: tag rules (`latestAlone`, `tagNaming`) that need only the tags, and the rules that read
 * the image's facts (`runsAsRoot`, `requiredLabels`, `maxSizeBytes`); which of them cannot be checked without facts.
 * Part of evaluation (evaluate.ts calls {@link imageRules}); pure.
 */
import type { CompiledPolicy } from './compiled.ts';
import type { ImageFacts, ImageUnderTest, Violation } from './decision.ts';
import type { PolicyDefinition } from './policy-set.ts';
import { compareText } from './violation-order.ts';

export function imageViolation(rule: string, message: string): Violation {
  return { rule, findingId: null, severity: null, package: null, message };
}

function isRootUser(user: string | undefined): boolean {
  const u = (user ?? '').trim();
  if (u === '') return true;
  const name = u.split(':')[0] as string;
  return name === 'root' || name === '0';
}

export function imageRules(
  policy: CompiledPolicy,
  image: ImageUnderTest,
  facts: ImageFacts | null,
  out: Violation[],
): void {
  const rules = policy.definition.rules.image;
  const tags = image.tags;
  if (rules.latestAlone === 'deny' && tags.length > 0 && tags.every((t) => t === 'latest')) {
    out.push(imageViolation('image.latestAlone', 'the only tag is "latest": push a versioned tag with it'));
  }
  if (policy.tagNaming) {
    const allowed = policy.tagNaming.map((n) => n.entry).join(', ');
    for (const tag of [...new Set(tags)].sort(compareText)) {
      if (tag === 'latest') continue; // governed by image.latestAlone, not by naming
      if (!policy.tagNaming.some((n) => n.matches(tag))) {
        out.push(imageViolation('image.tagNaming', `tag "${tag}" matches none of: ${allowed}`));
      }
    }
  }
  if (facts === null) return;
  if (rules.runsAsRoot === 'deny' && isRootUser(facts.user)) {
    const user =
      facts.user === undefined || facts.user.trim() === '' ? 'no User is set' : `User is "${facts.user}"`;
    out.push(imageViolation('image.runsAsRoot', `the image runs as root (${user} in its config)`));
  }
  const labels = facts.labels ?? {};
  for (const name of rules.requiredLabels) {
    if (!Object.hasOwn(labels, name)) {
      out.push(imageViolation('image.requiredLabels', `required label "${name}" is missing`));
    }
  }
  if (rules.maxSizeBytes !== null && facts.sizeBytes !== undefined && facts.sizeBytes > rules.maxSizeBytes) {
    out.push(
      imageViolation(
        'image.maxSizeBytes',
        `the image is ${facts.sizeBytes} bytes; the maximum is ${rules.maxSizeBytes}`,
      ),
    );
  }
}

/** An image rule that could not be checked because the fact it reads was not given. */
export interface SkippedImageRule {
  /** Rule id as in decisions, e.g. `image.runsAsRoot`. */
  readonly rule: string;
  /** The fact that was missing: `image facts` (none given) or the missing key, e.g. `sizeBytes`. */
  readonly missing: string;
}

/**
 * The image rules of a policy that {@link evaluate} cannot check with these facts (and therefore skips):
 * `runsAsRoot` and `requiredLabels` without facts, `maxSizeBytes` without facts or without `sizeBytes`.
 * Tag rules never need facts. Callers use it to say which checks did not run, instead of staying silent.
 * @example skippedImageRules(selectPolicy(set, image), null) // [{ rule: 'image.runsAsRoot', missing: 'image facts' }, …]
 */
export function skippedImageRules(
  policy: PolicyDefinition,
  facts: ImageFacts | null,
): readonly SkippedImageRule[] {
  const rules = policy.rules.image;
  const out: SkippedImageRule[] = [];
  if (facts === null) {
    if (rules.runsAsRoot === 'deny') out.push({ rule: 'image.runsAsRoot', missing: 'image facts' });
    if (rules.requiredLabels.length > 0) out.push({ rule: 'image.requiredLabels', missing: 'image facts' });
    if (rules.maxSizeBytes !== null) out.push({ rule: 'image.maxSizeBytes', missing: 'image facts' });
  } else if (rules.maxSizeBytes !== null && facts.sizeBytes === undefined) {
    out.push({ rule: 'image.maxSizeBytes', missing: 'sizeBytes' });
  }
  return out;
}
