/**
 * The escalation alert of an image kept approved within fix deadlines (at risk): sent when it enters that state,
 * halfway through the grace period and one day before the deadline (lib/gate/deadline-check.ts claims each once
 * per image and deadline). The last step is the quarantine at the deadline, announced by the decision message.
 * Every alert names the deadline, the days left and the findings responsible. The text depends only on its input
 * (the alert's recorded time, not the clock), so a message re-sent after a crash is the same, byte for byte.
 */
import { ecrImageUrl } from './console-links.ts';
import type { OutboundMessage } from './notifier.ts';

export type AtRiskAlertStage = 'entered' | 'halfway' | 'one-day-before';

export interface AtRiskAlertInput {
  readonly stage: AtRiskAlertStage;
  readonly image: {
    readonly registryId: string;
    readonly region: string;
    readonly repository: string;
    readonly digest: string;
  };
  readonly sourceTags: readonly string[];
  readonly policyName: string;
  /** The earliest fix deadline (ISO-8601): the image is quarantined then unless fixed or waived. */
  readonly deadline: string;
  /** The alert's time (ISO-8601): the days left are counted from it. */
  readonly at: string;
  /** The violations within their deadlines (at most 20 recorded; `total` counts them all). */
  readonly findings: readonly {
    readonly findingId: string | null;
    readonly severity: string | null;
    readonly package: string | null;
    readonly rule: string;
    readonly deadline?: string | null;
  }[];
  readonly total: number;
  readonly dedupeKey: string;
  /** Region for the console link; null: none. */
  readonly consoleRegion: string | null;
}

const DAY_MS = 24 * 3600 * 1000;
const LISTED = 20;
const HEADLINE: Record<AtRiskAlertStage, string> = {
  entered: 'at risk',
  halfway: 'halfway to its fix deadline',
  'one-day-before': 'one day before its fix deadline',
};

/** Days left from `at` to `deadline`, a started day counting as one (0 once the deadline has passed). */
export function daysLeft(at: string, deadline: string): number {
  return Math.max(0, Math.ceil((Date.parse(deadline) - Date.parse(at)) / DAY_MS));
}

/**
 * Renders the alert: plain text for email, the same facts as JSON for machines.
 * @example atRiskAlertMessage({ stage: 'halfway', image, sourceTags: ['1.0'], policyName: 'default',
 *   deadline: '2026-12-10T00:00:00.000Z', at: '2026-12-05T00:00:00.000Z', findings, total: 1, dedupeKey, consoleRegion: null })
 */
export function atRiskAlertMessage(input: AtRiskAlertInput): OutboundMessage {
  const left = daysLeft(input.at, input.deadline);
  const leftText = left === 0 ? 'no time left' : `${left === 1 ? 'less than 1 day' : `${left} days`} left`;
  const name = `${input.image.repository}${input.sourceTags[0] ? `:${input.sourceTags[0]}` : ''}`;
  const day = input.deadline.slice(0, 10);
  const subject = `AT RISK (${HEADLINE[input.stage]}): ${name} quarantined on ${day} unless fixed`
    .replace(/[^\x20-\x7e]/g, '?')
    .slice(0, 100);
  const listed = input.findings.slice(0, LISTED);
  const link = input.consoleRegion ? ecrImageUrl(input.image, input.consoleRegion) : null;
  const lines = [
    `The image ${name} (${input.image.digest}) is approved, but only until its fix deadline: ${input.deadline} (${leftText}).`,
    `At the deadline it is quarantined (its approved tags removed) unless the findings below are fixed or waived.`,
    '',
    `Stage: ${input.stage}   Policy: ${input.policyName}   Registry: ${input.image.registryId}   Region: ${input.image.region}`,
    ...(link ? [`Image: ${link}`] : []),
    '',
    `Findings responsible (${input.total}):`,
    ...listed.map(
      (f) =>
        `  ${f.findingId ?? f.rule}  ${f.severity ?? '-'}  ${f.package ?? '-'}  rule ${f.rule}${
          f.deadline ? `  fix by ${f.deadline}` : ''
        }`,
    ),
    ...(input.total > listed.length ? [`  … and ${input.total - listed.length} more`] : []),
    '',
    'To keep the image approved: push a fixed build, or add an exception (finding id, reason, owner, expires) to the policies.',
  ];
  const machine = {
    kind: 'at-risk',
    stage: input.stage,
    image: { ...input.image, tags: [...input.sourceTags] },
    policy: input.policyName,
    deadline: input.deadline,
    at: input.at,
    daysLeft: left,
    findings: listed,
    findingsTotal: input.total,
    dedupeKey: input.dedupeKey,
  };
  const severities = [...new Set(listed.flatMap((f) => (f.severity ? [f.severity] : [])))];
  return {
    subject,
    bodies: { default: JSON.stringify(machine), email: lines.join('\n') },
    attributes: {
      kind: 'at-risk',
      stage: input.stage,
      verdict: 'approved',
      repository: input.image.repository,
      ...(severities.length > 0 ? { severity: severities } : {}),
    },
    dedupeKey: input.dedupeKey,
  };
}
