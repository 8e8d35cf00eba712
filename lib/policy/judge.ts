/**
 * The verdict of an image, made in one place for the Lambda gate, `gatekeeper evaluate` and `policy test`.
 *
 * A digest carries any number of source tags, and anyone with push rights can add one. Each tag selects a policy
 * (`match.tags`) and is covered by the exceptions whose tag scope matches it; the verdict of the digest is the
 * strictest over all its tags, so adding a tag can never loosen it (docs/policies.md, "How tags affect the
 * verdict"). Tags that select the same policy and are covered by the same tag-scoped exceptions are judged
 * together: a release with 500 tags is evaluated once, not 500 times.
 */
import type { Finding } from '../findings/finding.ts';
import { applyDeadlines, type FindingHistory, hasTimeline } from './deadlines.ts';
import type { Decision, ImageFacts, ImageUnderTest, TagJudgement, Violation } from './decision.ts';
import { decideWithoutFindings, evaluate, selectPolicy } from './evaluate.ts';
import { compileGlob, type GlobMatcher } from './glob.ts';
import { exceptionEndsAt, type PolicyDefinition, type PolicySet } from './policy-set.ts';

/** What the scan gave: findings to judge, or a status without findings (FAILED, UNSUPPORTED_IMAGE …). */
export type ScanOutcome =
  | { readonly kind: 'findings'; readonly findings: readonly Finding[] }
  | { readonly kind: 'no-findings'; readonly status: string; readonly description: string | null };

export interface JudgeInput {
  /** The digest with every source tag it carries (none when untagged). */
  readonly image: ImageUnderTest;
  readonly policySet: PolicySet;
  readonly now: Date;
  readonly scan: ScanOutcome;
  /** Manifest and config facts for image rules; null when none were read (rules needing them are skipped). */
  readonly facts: ImageFacts | null;
  /**
   * Why the facts could not be read (registry failure); null when they were read or not asked for. When set, a
   * policy with image rules that need facts cannot be satisfied: enforce quarantines, audit records it.
   */
  readonly factsProblem: string | null;
  /**
   * Optional timeline for fix deadlines (lib/policy/deadlines.ts): first-seen and first-fixable dates per
   * {@link findingKey}. All three absent: exactly the judgement without deadlines.
   */
  readonly history?: FindingHistory;
  /** The image is in use; extends deadlines only where the policy sets `deadlines.inUse`. */
  readonly inUse?: boolean;
  /** The image carried an approval before; only such an image gets grace under `deadlines`. */
  readonly previouslyApproved?: boolean;
}

/** A tag-scoped exception reduced to what decides which tags it covers. */
interface TagScoped {
  readonly endsAt: number;
  readonly digest: string | null;
  readonly repositories: readonly GlobMatcher[] | null;
  readonly tags: readonly GlobMatcher[];
}

interface Judged {
  /** Sorted; empty for an untagged image. */
  readonly tags: readonly string[];
  readonly decision: Decision;
}

const tagScopedCache = new WeakMap<PolicySet, readonly TagScoped[]>();

function tagScopedExceptions(set: PolicySet): readonly TagScoped[] {
  const cached = tagScopedCache.get(set);
  if (cached) return cached;
  const out: TagScoped[] = [];
  for (const e of set.exceptions) {
    if (e.scope.tags === null) continue;
    out.push({
      endsAt: exceptionEndsAt(e.expires),
      digest: e.scope.digest,
      repositories: e.scope.repositories?.map(compileGlob) ?? null,
      tags: e.scope.tags.map(compileGlob),
    });
  }
  tagScopedCache.set(set, out);
  return out;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Partitions the source tags by (selected policy, tag-scoped exceptions covering the tag). Within a group,
 * evaluating all its tags at once equals evaluating each alone: selection and exception scope read "any tag
 * matches", and every tag of the group matches the same. Splitting too finely only costs time; merging two tags
 * that differ would let one tag's exception or policy speak for the other, so exceptions are left out of the key
 * only when they certainly do not apply to this image (expired, other digest, other repository).
 */
function groupTags(image: ImageUnderTest, set: PolicySet, now: Date): string[][] {
  const nowMs = now.getTime();
  const candidates = tagScopedExceptions(set).filter(
    (e) =>
      !(nowMs >= e.endsAt) &&
      (e.digest === null || e.digest === image.digest) &&
      (e.repositories === null || e.repositories.some((m) => m(image.repository))),
  );
  const groups = new Map<string, string[]>();
  for (const tag of [...new Set(image.tags)].sort(compareText)) {
    const policy = selectPolicy(set, { repository: image.repository, tags: [tag] });
    let covering = '';
    candidates.forEach((e, i) => {
      if (e.tags.some((m) => m(tag))) covering += `,${i}`;
    });
    const key = `${policy.name}\u0000${covering}`;
    const group = groups.get(key);
    if (group) group.push(tag);
    else groups.set(key, [tag]);
  }
  return [...groups.values()];
}

/**
 * True when some policy that judges a tag of the image (the one an untagged image selects, when it has no tag) has
 * image rules that read manifest/config facts: only then are the facts worth fetching. A caller that skips them
 * passes a `factsProblem`, so a policy that does need them still fails closed.
 * @example needsImageFacts(set, { repository: 'payments/api', tags: ['1.4.0'] }) // true when its policy denies root
 */
export function needsImageFacts(set: PolicySet, image: Pick<ImageUnderTest, 'repository' | 'tags'>): boolean {
  const groups = image.tags.length === 0 ? [[]] : [...new Set(image.tags)].map((tag) => [tag]);
  return groups.some((tags) => factsRulesActive(selectPolicy(set, { repository: image.repository, tags })));
}

/** Image rules that read manifest/config facts (tag rules never need them). */
function factsRulesActive(policy: PolicyDefinition): boolean {
  const rules = policy.rules.image;
  return rules.runsAsRoot === 'deny' || rules.requiredLabels.length > 0 || rules.maxSizeBytes !== null;
}

/** Image rules cannot be checked without facts: fail closed (enforce) or record it (audit). */
function failClosedOnFacts(decision: Decision, problem: string): Decision {
  const message = `image rules cannot be checked: ${problem}`;
  const violation: Violation = {
    rule: 'image.facts',
    findingId: null,
    severity: null,
    package: null,
    message,
  };
  const { atRisk, ...rest } = decision;
  const audit = decision.policy.mode === 'audit';
  return {
    ...rest,
    verdict: audit ? decision.verdict : 'quarantined',
    violations: [...decision.violations, violation],
    reason: decision.reason ?? message,
    // An unverifiable image rule has no deadline: grace ends here (audit keeps what it had).
    ...(audit && atRisk ? { atRisk } : {}),
  };
}

/**
 * `image.latestAlone` is about the digest's whole tag set ("the only tag is latest"), not one tag: a group holding
 * just `latest` does not violate it when the digest also carries another tag.
 */
function withoutLatestAlone(decision: Decision): Decision {
  if (!decision.violations.some((v) => v.rule === 'image.latestAlone')) return decision;
  const violations = decision.violations.filter((v) => v.rule !== 'image.latestAlone');
  const enforce = decision.policy.mode === 'enforce';
  return { ...decision, violations, verdict: enforce && violations.length > 0 ? 'quarantined' : 'approved' };
}

function policyNamed(set: PolicySet, name: string): PolicyDefinition {
  const policy = set.policies.find((p) => p.name === name);
  // Names are unique in a checked set and decisions only name its policies.
  if (!policy) throw new TypeError(`policy "${name}" is not in the policy set`);
  return policy;
}

function judgeGroup(input: JudgeInput, tags: readonly string[], latestOnly: boolean): Judged {
  const { policySet: set, now, scan } = input;
  const image: ImageUnderTest = { repository: input.image.repository, tags, digest: input.image.digest };
  let decision =
    scan.kind === 'findings'
      ? evaluate(scan.findings, image, input.facts, set, now)
      : decideWithoutFindings(scan.status, scan.description, image, set, now);
  if (!latestOnly) decision = withoutLatestAlone(decision);
  if (scan.kind === 'findings' && hasTimeline(input)) {
    decision = applyDeadlines(decision, policyNamed(set, decision.policy.name), scan.findings, input, now);
  }
  if (input.factsProblem !== null && factsRulesActive(policyNamed(set, decision.policy.name))) {
    decision = failClosedOnFacts(decision, input.factsProblem);
  }
  return { tags, decision };
}

/**
 * Strictest first: quarantined before approved; then more violations (an approved judgement that recorded audit
 * violations before a clean one); then fewer waived findings (the judgement that leans on fewer exceptions); then
 * policy file, policy name and first tag in code-unit order, so the choice never depends on input order.
 */
function compareStrictness(a: Judged, b: Judged): number {
  const da = a.decision;
  const db = b.decision;
  if (da.verdict !== db.verdict) return da.verdict === 'quarantined' ? -1 : 1;
  return (
    compareAtRisk(da, db) ||
    db.violations.length - da.violations.length ||
    da.waived.length - db.waived.length ||
    compareText(da.policy.file, db.policy.file) ||
    compareText(da.policy.name, db.policy.name) ||
    compareText(a.tags[0] ?? '', b.tags[0] ?? '')
  );
}

/** At risk before clean; the earlier deadline first (a pending clock, null, counts as the latest). */
function compareAtRisk(a: Decision, b: Decision): number {
  if (!a.atRisk || !b.atRisk) return a.atRisk ? -1 : b.atRisk ? 1 : 0;
  const da = a.atRisk.deadline ?? '\uffff';
  const db = b.atRisk.deadline ?? '\uffff';
  return compareText(da, db);
}

function tagJudgement(j: Judged): TagJudgement {
  const d = j.decision;
  return {
    tags: j.tags,
    verdict: d.verdict,
    policy: d.policy.name,
    mode: d.policy.mode,
    violations: d.violations.length,
    waived: d.waived.length,
  };
}

/**
 * Judges one image: the strictest judgement over all its source tags, each tag under the policy it selects and
 * the exceptions whose scope covers it (repository-, digest- and package-scoped exceptions apply to every tag).
 * An untagged image is judged with no tags: tag-selected policies and tag-scoped exceptions do not apply to it.
 * The returned decision is the governing judgement's (its `policy`, whose actions apply, its violations and its
 * waivers), with `image` as given; `governingTags` and `perTag` are added when tags were judged differently.
 * When `factsProblem` is set, each judgement whose policy has image rules that read facts gets an `image.facts`
 * violation (quarantined in enforce mode). Pure: the same inputs give a byte-identical `JSON.stringify`.
 * @example
 *   judgeImage({ image: { repository: 'orders/api', tags: ['1.4.0', 'legacy-zzz'], digest }, policySet, now,
 *     scan: { kind: 'findings', findings }, facts, factsProblem: null }).verdict // 'quarantined'
 */
export function judgeImage(input: JudgeInput): Decision {
  const { image } = input;
  const groups = image.tags.length === 0 ? [[]] : groupTags(image, input.policySet, input.now);
  const latestOnly = image.tags.every((t) => t === 'latest');
  const judged = groups.map((tags) => judgeGroup(input, tags, latestOnly)).sort(compareStrictness);
  const governing = judged[0] as Judged;
  const decision: Decision = {
    ...governing.decision,
    image: { repository: image.repository, tags: [...image.tags], digest: image.digest },
  };
  if (judged.length === 1) return decision;
  return { ...decision, governingTags: [...governing.tags], perTag: judged.map(tagJudgement) };
}

/**
 * The policy of a decision from {@link judgeImage}: the governing one, whose `actions` apply.
 * @example governingPolicy(set, judgeImage(input)).actions.removeSourceTags
 */
export function governingPolicy(policySet: PolicySet, decision: Decision): PolicyDefinition {
  return policyNamed(policySet, decision.policy.name);
}

/**
 * Every policy that judged some tag of the image, the governing one first, each once (e.g. to say which image
 * rules could not be checked for want of facts).
 * @example judgingPolicies(set, decision).map((p) => p.name) // ['payments', 'default']
 */
export function judgingPolicies(policySet: PolicySet, decision: Decision): readonly PolicyDefinition[] {
  const names = [decision.policy.name, ...(decision.perTag ?? []).map((j) => j.policy)];
  return [...new Set(names)].map((name) => policyNamed(policySet, name));
}
