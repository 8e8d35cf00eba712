/**
 * The summary of one re-judgement run after a policy change: how many images were judged again, how many
 * flipped, by repository and direction, with console links. One message per run (lib/rejudge claims it).
 * Each flipped image also got its own decision message; this one is for the people who deployed the policy.
 */
import { ecrRepositoryUrl } from './console-links.ts';
import type { OutboundMessage } from './notifier.ts';

export interface RejudgeSummaryInput {
  readonly run: string;
  readonly policyVersion: string;
  readonly startedAt: string;
  readonly images: number;
  readonly unchanged: number;
  /** By `registryId/repository`. */
  readonly flipped: Readonly<Record<string, { readonly approved: number; readonly quarantined: number }>>;
  /** Images not judged again: their message failed on every receive and went to the dead-letter queue. */
  readonly deadLettered?: number;
  /** Their keys (`registryId/repository@digest`), possibly fewer than `deadLettered`. */
  readonly deadLetteredImages?: readonly string[];
  /** Region for console links; null: no links. */
  readonly region: string | null;
}

/** Repositories listed by name (the counts are always complete). */
const LISTED_REPOSITORIES = 200;

/**
 * Renders the run summary. Plain text for email, the same facts as JSON for machines.
 * @example rejudgeSummaryMessage({ run, policyVersion, startedAt, images: 120, unchanged: 117, flipped, region: 'eu-west-1' })
 */
export function rejudgeSummaryMessage(input: RejudgeSummaryInput): OutboundMessage {
  const rows = Object.entries(input.flipped)
    .map(([key, f]) => {
      const slash = key.indexOf('/');
      const registryId = key.slice(0, slash);
      const repository = key.slice(slash + 1);
      const link = input.region ? ecrRepositoryUrl({ registryId, repository, region: input.region }) : null;
      return { repository, registryId, ...f, link };
    })
    .sort(
      (a, b) =>
        b.quarantined + b.approved - (a.quarantined + a.approved) || (a.repository < b.repository ? -1 : 1),
    );
  const toQuarantined = rows.reduce((n, r) => n + r.quarantined, 0);
  const toApproved = rows.reduce((n, r) => n + r.approved, 0);
  const shown = rows.slice(0, LISTED_REPOSITORIES);
  const deadLettered = input.deadLettered ?? 0;
  const deadImages = input.deadLetteredImages ?? [];
  const subject = `Policy re-judgement: ${toQuarantined} quarantined, ${toApproved} approved of ${input.images} images${deadLettered > 0 ? `, ${deadLettered} failed` : ''}`;
  const lines = [
    `A new policy version (${input.policyVersion}) was deployed; every image decided under an older version was judged again.`,
    '',
    `Images judged again: ${input.images}`,
    `Unchanged: ${input.unchanged}`,
    `Now quarantined (were approved): ${toQuarantined}`,
    `Now approved (were quarantined): ${toApproved}`,
    '',
    ...(shown.length > 0 ? ['By repository:'] : []),
    ...shown.map(
      (r) =>
        `  ${r.repository}: ${r.quarantined} quarantined, ${r.approved} approved${r.link ? `  ${r.link}` : ''}`,
    ),
    ...(rows.length > shown.length ? [`  … and ${rows.length - shown.length} more repositories`] : []),
    ...(deadLettered > 0
      ? [
          '',
          `Not judged again (failed on every attempt, in the re-judgement dead-letter queue): ${deadLettered}`,
          ...deadImages.map((key) => `  ${key}`),
          ...(deadLettered > deadImages.length
            ? [`  … and ${deadLettered - deadImages.length} more (see the dead-letter queue)`]
            : []),
          'They keep their previous decision until they are judged again (redrive the dead-letter queue).',
        ]
      : []),
    '',
    `Run ${input.run}, started ${input.startedAt}. Each flipped image was also announced on its own.`,
  ];
  const machine = {
    kind: 'rejudge-summary',
    run: input.run,
    policyVersion: input.policyVersion,
    startedAt: input.startedAt,
    images: input.images,
    unchanged: input.unchanged,
    flipped: { quarantined: toQuarantined, approved: toApproved },
    repositories: shown,
    repositoriesNotListed: rows.length - shown.length,
    deadLettered,
    deadLetteredImages: deadImages,
  };
  return {
    subject: subject.slice(0, 100),
    bodies: { default: JSON.stringify(machine), email: lines.join('\n') },
    attributes: { kind: 'rejudge-summary' },
    dedupeKey: `rejudge-summary#${input.run}`,
  };
}
