/**
 * (e) The alert summarising one hygiene sweep, and the sweep summary type itself (defined once, here: lib/hygiene
 * produces it and imports it from lib/notify).
 */
import { chatbotNotification } from '../chatbot.ts';
import type { OutboundMessage } from '../notifier.ts';
import { chatText, formatCount, oneLine, sanitiseSubject } from '../text.ts';
import {
  type AlertParts,
  assemble,
  capStrings,
  compactAttributes,
  type ListCut,
  NOTIFICATION_SCHEMA,
} from './assemble.ts';
import { type FormatOptions, isoTime, shortHash } from './context.ts';
import { EMAIL_LIST_LIMIT, finishEmail } from './email.ts';

/**
 * One hygiene sweep's summary: what lib/hygiene's sweep reports (its result and its log) and what the summary
 * alert renders. Defined once, here, because lib/hygiene may import lib/notify and not the other way round.
 */
export interface HygieneSweepSummary {
  readonly mode: 'report' | 'enforce';
  /** ISO 8601. */
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly registryId?: string | null;
  readonly region?: string | null;
  readonly repositories: {
    readonly scanned: number;
    readonly compliant: number;
    readonly drifted: number;
    readonly applied: number;
    readonly refused: number;
    readonly failed: number;
  };
  readonly topDrift: readonly {
    readonly repository: string;
    readonly kind: string;
    readonly message: string;
  }[];
  readonly safetyNet?: { readonly undecidedDecided: number; readonly exceptionExpiredDecided: number } | null;
  /** True for a dry run (nothing changed, safety net counted only); a dry run's summary is never sent. */
  readonly dryRun?: boolean;
}

/** (e) A hygiene sweep's summary as a notice; its times may also be given as dates. */
export interface HygieneSweepSummaryNotice extends Omit<HygieneSweepSummary, 'startedAt' | 'finishedAt'> {
  readonly kind: 'hygiene-summary';
  readonly startedAt: string | Date;
  readonly finishedAt: string | Date;
}

/** (e) The summary of one hygiene sweep: counts and the top drift. */
export function formatHygieneSummary(
  notice: HygieneSweepSummaryNotice,
  options: FormatOptions,
): OutboundMessage {
  return assemble(hygieneSummaryParts(notice, options));
}

export function hygieneSummaryParts(notice: HygieneSweepSummaryNotice, options: FormatOptions): AlertParts {
  void options;
  const r = notice.repositories;
  const started = isoTime(notice.startedAt);
  const finished = isoTime(notice.finishedAt);
  const drift = [...notice.topDrift];
  const problems = r.drifted + r.failed + r.refused;
  const subject = sanitiseSubject(
    `[gatekeeper] Hygiene ${notice.mode}: ${r.scanned} repositories, ${r.drifted} drifted, ${r.applied} fixed, ${r.failed} failed`,
  );
  const where = [notice.registryId, notice.region].filter((x): x is string => Boolean(x)).join(' ');

  const email: string[] = [];
  email.push(`Hygiene sweep (${notice.mode})${where ? ` for ${oneLine(where)}` : ''}`, '');
  email.push(`  Started : ${started}`, `  Finished: ${finished}`, '');
  email.push('Repositories');
  email.push(
    `  scanned ${formatCount(r.scanned)}, compliant ${formatCount(r.compliant)}, drifted ${formatCount(r.drifted)}, ` +
      `corrected ${formatCount(r.applied)}, refused ${formatCount(r.refused)}, failed ${formatCount(r.failed)}`,
  );
  if (notice.mode === 'report' && r.drifted > 0) {
    email.push(
      '  Report mode: drift is listed, nothing was changed. Set GATEKEEPER_HYGIENE_MODE=enforce to correct it.',
    );
  }
  if (notice.safetyNet) {
    email.push(
      '',
      'Safety net',
      `  images decided that had no decision: ${formatCount(notice.safetyNet.undecidedDecided)}`,
      `  images re-decided after an exception expired: ${formatCount(notice.safetyNet.exceptionExpiredDecided)}`,
    );
  }
  if (drift.length > 0) {
    email.push('', 'Top drift');
    for (const item of drift.slice(0, EMAIL_LIST_LIMIT)) {
      email.push(
        `  - ${oneLine(item.repository, 256)} [${oneLine(item.kind, 60)}]: ${oneLine(item.message, 400)}`,
      );
    }
    if (drift.length > EMAIL_LIST_LIMIT)
      email.push(`  … and ${formatCount(drift.length - EMAIL_LIST_LIMIT)} more`);
  }
  email.push(
    '',
    'Baseline: policies/hygiene.yaml. Preview a lifecycle policy with `gatekeeper lifecycle preview`.',
  );
  const emailText = finishEmail(email);

  const dedupeKey = `hygiene-summary:${notice.registryId ?? ''}/${notice.region ?? ''}:${started}`;
  const chat = chatbotNotification({
    id: shortHash(dedupeKey),
    threadId: `gatekeeper-hygiene-${notice.registryId ?? 'registry'}`,
    eventType: 'gatekeeper.hygiene-summary',
    title: `${problems > 0 ? ':broom:' : ':white_check_mark:'} Hygiene sweep (${notice.mode}): ${formatCount(
      r.drifted,
    )} drifted of ${formatCount(r.scanned)}`,
    description: [
      `Scanned ${formatCount(r.scanned)}, compliant ${formatCount(r.compliant)}, drifted ${formatCount(r.drifted)}, corrected ${formatCount(
        r.applied,
      )}, refused ${formatCount(r.refused)}, failed ${formatCount(r.failed)}.`,
      ...drift
        .slice(0, 5)
        .map(
          (d) => `• \`${chatText(d.repository, 150)}\` ${chatText(d.kind, 60)}: ${chatText(d.message, 200)}`,
        ),
      ...(drift.length > 5 ? [`… and ${formatCount(drift.length - 5)} more`] : []),
    ].join('\n'),
    nextSteps:
      notice.mode === 'report' && r.drifted > 0
        ? ['Review the drift, then set GATEKEEPER_HYGIENE_MODE=enforce to correct it']
        : [],
    keywords: ['hygiene', notice.mode],
    summary: subject,
    relatedResources: [],
    additionalContext: { mode: notice.mode, startedAt: started, finishedAt: finished },
  });
  const machine = (cut: ListCut): Record<string, unknown> =>
    capStrings({
      schema: NOTIFICATION_SCHEMA,
      kind: 'hygiene-summary',
      mode: notice.mode,
      startedAt: started,
      finishedAt: finished,
      registryId: notice.registryId ?? null,
      region: notice.region ?? null,
      repositories: r,
      safetyNet: notice.safetyNet ?? null,
      topDrift: cut('topDrift', drift),
    }) as Record<string, unknown>;
  const attributes = compactAttributes({
    kind: 'hygiene-summary',
    mode: notice.mode,
    account: notice.registryId ?? undefined,
  });
  return { subject, emailText, chat, machine, attributes, dedupeKey };
}
