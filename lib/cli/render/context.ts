import type { Finding } from '../../findings/finding.ts';
import type { Decision, Violation } from '../../policy/decision.ts';
import type { SkippedImageRule } from '../../policy/image-rules.ts';

/** Everything a renderer may show: the decision (the contract) plus the findings it was made from. */
export interface RenderContext {
  readonly decision: Decision;
  readonly findings: readonly Finding[];
  /** The findings file as the user named it. */
  readonly findingsFile: string;
  /** Records the reader left out, e.g. `{ "status CLOSED": 1 }`. */
  readonly excluded: Readonly<Record<string, number>>;
  readonly toolVersion: string;
  /** Image rules of the selected policy that were not checked for want of image facts (none when absent). */
  readonly skippedRules?: readonly SkippedImageRule[];
}

/**
 * One sentence naming the image rules that were not checked and why, or null when every rule ran, e.g.
 * `image rules not checked (no --image-facts given): image.runsAsRoot, image.requiredLabels`.
 */
export function skippedRulesNote(skipped: readonly SkippedImageRule[] | undefined): string | null {
  if (skipped === undefined || skipped.length === 0) return null;
  const byMissing = new Map<string, string[]>();
  for (const s of skipped) {
    const rules = byMissing.get(s.missing);
    if (rules) rules.push(s.rule);
    else byMissing.set(s.missing, [s.rule]);
  }
  return [...byMissing]
    .map(([missing, rules]) => {
      const why = missing === 'image facts' ? 'no --image-facts given' : `the image facts have no ${missing}`;
      return `image rules not checked (${why}): ${rules.join(', ')}`;
    })
    .join('; ');
}

/** `repo:tag1, tag2` or `repo@sha256:…` (short) for headlines. */
export function imageLabel(decision: Decision): string {
  const { repository, tags, digest } = decision.image;
  if (tags.length > 0) return `${repository}:${tags.join(', ')}`;
  if (digest) return `${repository}@${digest.slice(0, 19)}…`;
  return repository;
}

/** The finding a violation is about (first with the same id and package), for scores, fixes and links. */
export function findingFor(
  findings: readonly Finding[],
  v: Pick<Violation, 'findingId' | 'package'>,
): Finding | null {
  if (v.findingId === null) return null;
  let sameId: Finding | null = null;
  for (const f of findings) {
    if (f.id !== v.findingId) continue;
    if (f.package === v.package) return f;
    sameId ??= f;
  }
  return sameId;
}

/** The CISA KEV entry of a violation's finding (from the decision, else the finding), or null. */
export function kevOf(
  v: Pick<Violation, 'kev'>,
  f: Finding | null,
): { readonly dateAdded: string | null; readonly dateDue: string | null } | null {
  return v.kev ?? f?.kev ?? null;
}

/** `KEV due 2023-12-12` (or `KEV` without a due date): the marker every output shows for a KEV finding. */
export function kevMarker(kev: { readonly dateDue: string | null }): string {
  return kev.dateDue ? `KEV due ${kev.dateDue}` : 'KEV';
}

/**
 * The fix deadline of a violation in words, or null when none covers it, e.g.
 * `fix deadline 2026-12-04T00:00:00.000Z (passed)`.
 */
export function deadlineNote(v: Pick<Violation, 'deadline' | 'deadlineExpired'>): string | null {
  if (v.deadline === undefined) return null;
  if (v.deadline === null) return 'fix deadline not started (no fix known yet)';
  return `fix deadline ${v.deadline}${v.deadlineExpired ? ' (passed)' : ''}`;
}

/**
 * One sentence for a decision approved only by fix deadlines, or null, e.g. `at risk: 2 violations within their
 * fix deadlines; quarantined at 2026-12-04T00:00:00.000Z unless fixed or waived`.
 */
export function atRiskNote(decision: Decision): string | null {
  const r = decision.atRisk;
  if (!r) return null;
  const n = r.violations === 1 ? '1 violation' : `${r.violations} violations`;
  const when =
    r.deadline === null
      ? 'no deadline has started yet (no fix known)'
      : `quarantined at ${r.deadline} unless fixed or waived`;
  return `at risk: ${n} within their fix deadlines; ${when}`;
}
