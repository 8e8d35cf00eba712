/**
 * (a) The alert for a decision that changes an image's state: approved, quarantined, re-quarantined, approved
 * after an exception or a fix.
 */
import type { Finding } from '../../findings/finding.ts';
import type { Decision, Verdict, Violation, Waived } from '../../policy/decision.ts';
import { chatbotNotification } from '../chatbot.ts';
import type { OutboundMessage } from '../notifier.ts';
import { chatText, formatCount, multiLine, oneLine, sanitiseSubject } from '../text.ts';
import { renderWaiverSnippet } from '../waiver-snippet.ts';
import {
  type AlertParts,
  assemble,
  attributeTags,
  capStrings,
  compactAttributes,
  type ListCut,
  machineDecision,
  machineImage,
  NOTIFICATION_SCHEMA,
} from './assemble.ts';
import {
  archivedParts,
  type FormatOptions,
  highestSeverity,
  type ImageContext,
  imageDisplayName,
  imageLinks,
  imageSection,
  imageThreadId,
  repositoryArn,
  shortHash,
  summaryText,
} from './context.ts';
import {
  highestViolationSeverity,
  type RankedViolation,
  rankViolations,
  ruleCounts,
  sortWaived,
  waiverCandidates,
} from './decision-ranking.ts';
import { EMAIL_LIST_LIMIT, finishEmail, indent, linksSection, wrapParagraph } from './email.ts';

/** (a) A decision that changes the image's state. */
export interface DecisionNotice {
  readonly kind: 'decision';
  readonly decision: Decision;
  readonly image: ImageContext;
  /** The verdict recorded before this decision, or null for the image's first decision. */
  readonly previousVerdict: Verdict | null;
  /** The findings evaluated, when available: they add scores, fixed-in versions and links to the alert. */
  readonly findings?: readonly Finding[];
  /** The quarantined image is archived (policy option `actions.archiveQuarantined`): say how to restore it. */
  readonly archived?: boolean;
}

/** How a decision changed the image's state. */
export type DecisionChange =
  | 'approved'
  | 'quarantined'
  | 're-quarantined'
  | 'approved-after-exception'
  | 'approved-after-fix'
  | 'unchanged';

/** How `decision` changes the state recorded as `previousVerdict`. */
export function decisionChange(decision: Decision, previousVerdict: Verdict | null): DecisionChange {
  if (previousVerdict === decision.verdict) return 'unchanged';
  if (decision.verdict === 'quarantined')
    return previousVerdict === 'approved' ? 're-quarantined' : 'quarantined';
  if (previousVerdict === 'quarantined') {
    return decision.waived.length > 0 ? 'approved-after-exception' : 'approved-after-fix';
  }
  return 'approved';
}

/** (a) A decision that changes state: approved, quarantined, re-quarantined, approved after an exception or fix. */
export function formatDecision(notice: DecisionNotice, options: FormatOptions): OutboundMessage {
  return assemble(decisionParts(notice, options));
}

export function decisionParts(notice: DecisionNotice, options: FormatOptions): AlertParts {
  const { decision, image } = notice;
  const change = decisionChange(decision, notice.previousVerdict);
  const audit = decision.policy.mode === 'audit';
  const ranked = rankViolations(decision.violations, notice.findings ?? []);
  const links = imageLinks(image, options);
  const headline = decisionHeadline(change, audit);
  const display = imageDisplayName(image, options);
  const severity = highestSeverity(decision.summary);
  const violationSeverity = highestViolationSeverity(decision.violations);
  const archived = notice.archived && decision.verdict === 'quarantined' ? archivedParts(image) : null;

  const subject = sanitiseSubject(
    `[gatekeeper] ${headline.label}: ${display}${
      decision.violations.length > 0
        ? ` - ${decision.violations.length} violation${decision.violations.length === 1 ? '' : 's'}`
        : ''
    }${severity !== 'NONE' ? `, highest ${severity}` : ''}${
      decision.atRisk?.deadline ? `, at risk until ${decision.atRisk.deadline.slice(0, 10)}` : ''
    }`,
  );

  // Email ----------------------------------------------------------------------------------------------
  const email: string[] = [];
  email.push(`${headline.label}: ${oneLine(display)}`, '');
  email.push('What happened');
  email.push(...indent(wrapParagraph(headline.explain(oneLine(display), oneLine(decision.policy.name)))));
  if (audit) {
    email.push(
      '  The policy is in audit mode: violations are reported, but no tag is changed because of them.',
    );
  }
  if (decision.atRisk) email.push(...indent(wrapParagraph(atRiskText(decision.atRisk))));
  email.push('');
  email.push(...imageSection(image, decision));
  email.push('');
  email.push('Why');
  if (decision.reason) email.push(...indent(wrapParagraph(multiLine(decision.reason, 2_000))));
  if (decision.violations.length === 0) {
    email.push(
      decision.verdict === 'approved'
        ? '  No rule of the policy is violated.'
        : '  No violation is listed (see the reason above).',
    );
  } else {
    email.push('  Rules violated:');
    for (const [rule, count, sample] of ruleCounts(decision.violations).slice(0, EMAIL_LIST_LIMIT)) {
      email.push(
        count === 1 && sample.findingId === null
          ? `    - ${oneLine(rule, 200)}: ${oneLine(sample.message, 300)}`
          : `    - ${oneLine(rule, 200)} (${formatCount(count)} finding${count === 1 ? '' : 's'})`,
      );
    }
    const rules = ruleCounts(decision.violations).length;
    if (rules > EMAIL_LIST_LIMIT) email.push(`    … and ${formatCount(rules - EMAIL_LIST_LIMIT)} more rules`);
  }
  email.push('');
  const findingViolations = ranked.filter((entry) => entry.violation.findingId !== null);
  if (findingViolations.length > 0) {
    email.push('Top findings (most severe first, then highest score)');
    findingViolations.slice(0, EMAIL_LIST_LIMIT).forEach((entry, index) => {
      email.push(...emailFindingLines(index + 1, entry));
    });
    if (findingViolations.length > EMAIL_LIST_LIMIT) {
      email.push(
        `  … and ${formatCount(findingViolations.length - EMAIL_LIST_LIMIT)} more (all are in the ECR console and the decision JSON)`,
      );
    }
    email.push('');
  }
  if (decision.waived.length > 0) {
    email.push('Waivers used');
    for (const waived of sortWaived(decision.waived).slice(0, EMAIL_LIST_LIMIT)) {
      email.push(...emailWaiverLines(waived));
    }
    if (decision.waived.length > EMAIL_LIST_LIMIT) {
      email.push(`  … and ${formatCount(decision.waived.length - EMAIL_LIST_LIMIT)} more`);
    }
    email.push('');
  }
  if (archived) email.push(...archived.email, '');
  email.push(...linksSection(links));
  const snippet =
    decision.verdict === 'quarantined' || (audit && decision.violations.length > 0)
      ? renderWaiverSnippet({
          repository: image.repository,
          candidates: waiverCandidates(findingViolations),
          now: options.now,
        })
      : null;
  if (decision.verdict === 'quarantined' || decision.violations.length > 0) {
    email.push('', 'How to fix or waive');
    email.push(
      '  Fix: rebuild the image with the fixed package versions and push it; the new image is vetted on push.',
    );
    if (snippet !== null) {
      email.push(
        '  Waive: if a finding is an accepted risk, add an exception by pull request. Ready to paste:',
      );
      email.push(
        '',
        '----- 8< ----- policies/exceptions/<team>.yaml -----',
        snippet.trimEnd(),
        '----- 8< -----',
      );
    } else if (decision.violations.length > 0) {
      email.push(
        '  The violated rules concern the image itself (not a finding): change the image or the policy.',
      );
    }
  }
  const emailText = finishEmail(email);

  // Chat -----------------------------------------------------------------------------------------------
  const chatLines: string[] = [];
  chatLines.push(
    `*${headline.label}* \`${chatText(display, 300)}\` by policy *${chatText(decision.policy.name, 100)}*`,
  );
  chatLines.push(chatText(headline.explain(display, decision.policy.name), 600));
  if (audit) chatLines.push('_Audit mode: no tag changed because of violations._');
  if (decision.atRisk) chatLines.push(`*${chatText(atRiskText(decision.atRisk), 300)}*`);
  chatLines.push(`Findings: ${summaryText(decision.summary)}`);
  if (decision.reason) chatLines.push(`Reason: ${chatText(decision.reason, 400)}`);
  if (archived) chatLines.push(archived.chat);
  if (findingViolations.length > 0) {
    chatLines.push('*Top findings*');
    for (const entry of findingViolations.slice(0, 5)) chatLines.push(chatFindingLine(entry));
    if (findingViolations.length > 5)
      chatLines.push(`… and ${formatCount(findingViolations.length - 5)} more`);
  }
  const imageRuleViolations = decision.violations.filter((v) => v.findingId === null);
  for (const violation of imageRuleViolations.slice(0, 3)) {
    chatLines.push(`• ${chatText(violation.rule, 100)}: ${chatText(violation.message, 200)}`);
  }
  if (decision.waived.length > 0) {
    chatLines.push(`*Waivers used*: ${formatCount(decision.waived.length)}`);
    for (const waived of sortWaived(decision.waived).slice(0, 3)) {
      chatLines.push(
        `• ${chatText(waived.findingId, 80)} by ${chatText(waived.exception.id, 80)} (expires ${chatText(waived.exception.expires, 20)})`,
      );
    }
  }
  const nextSteps: string[] = [];
  if (links.image) nextSteps.push(`Open the image: ${links.image}`);
  if (decision.verdict === 'quarantined' && findingViolations.length > 0) {
    nextSteps.push('Fix: rebuild with fixed package versions and push again');
    nextSteps.push(
      'Waive: add an exception in policies/exceptions/ by pull request (the email has a ready-to-paste snippet)',
    );
  }
  if (links.inspector && findingViolations.length > 0)
    nextSteps.push(`Inspector findings: ${links.inspector}`);

  const dedupeKey = options.stateChange
    ? `decision:${options.stateChange}`
    : `decision:${image.registryId}/${image.repository}@${image.digest}:${decision.verdict}:${decision.policy.version}`;
  const chat = chatbotNotification({
    id: shortHash(dedupeKey),
    threadId: imageThreadId(image),
    eventType: `gatekeeper.${change}`,
    title: `${headline.emoji} ${headline.label}: ${chatText(display, 150)}`,
    description: chatLines.join('\n'),
    nextSteps,
    keywords: [decision.verdict, severity, oneLine(decision.policy.name, 40), change],
    summary: subject,
    relatedResources: [repositoryArn(image)],
    additionalContext: {
      verdict: decision.verdict,
      repository: oneLine(image.repository, 256),
      digest: image.digest,
      policyVersion: oneLine(decision.policy.version, 100),
    },
  });

  // Machine --------------------------------------------------------------------------------------------
  const machineViolations = ranked.map((entry) => entry.violation);
  const machineWaived = sortWaived(decision.waived);
  const machine = (cut: ListCut): Record<string, unknown> => ({
    schema: NOTIFICATION_SCHEMA,
    kind: 'decision',
    change,
    previousVerdict: notice.previousVerdict,
    image: capStrings(machineImage(image, cut)),
    decision: machineDecision(decision, cut, machineViolations, machineWaived),
    links,
    ...(archived ? { archived: archived.machine } : {}),
  });

  const attributes = compactAttributes({
    kind: 'decision',
    verdict: decision.verdict,
    change,
    severity,
    violation_severity: violationSeverity,
    repository: image.repository,
    tags: attributeTags(image.tagsAfter),
    mode: decision.policy.mode,
    account: image.registryId,
  });
  return { subject, emailText, chat, machine, attributes, dedupeKey };
}

export function decisionHeadline(
  change: DecisionChange,
  audit: boolean,
): { label: string; emoji: string; explain: (image: string, policy: string) => string } {
  switch (change) {
    case 'approved':
      return {
        label: 'APPROVED',
        emoji: ':large_green_circle:',
        explain: (image, policy) =>
          `${image} passed policy "${policy}" and is tagged approved for deployment.`,
      };
    case 'approved-after-exception':
      return {
        label: 'APPROVED AFTER EXCEPTION',
        emoji: ':large_green_circle:',
        explain: (image, policy) =>
          `${image} was quarantined before; exceptions now waive its violations of policy "${policy}", so it is approved again.`,
      };
    case 'approved-after-fix':
      return {
        label: 'APPROVED AFTER FIX',
        emoji: ':large_green_circle:',
        explain: (image, policy) =>
          `${image} was quarantined before; it no longer violates policy "${policy}" (a finding was fixed or closed, or the policy changed), so it is approved again.`,
      };
    case 'quarantined':
      return {
        label: audit ? 'AUDIT: WOULD BE QUARANTINED' : 'QUARANTINED',
        emoji: ':red_circle:',
        explain: (image, policy) =>
          audit
            ? `${image} violates policy "${policy}" (audit mode).`
            : `${image} violates policy "${policy}" and is tagged quarantined; its approved tags are removed, so deployments pulling approved tags will not get it.`,
      };
    case 're-quarantined':
      return {
        label: audit ? 'AUDIT: WOULD BE RE-QUARANTINED' : 'RE-QUARANTINED',
        emoji: ':red_circle:',
        explain: (image, policy) =>
          `${image} was approved before; a new finding (or a policy change) now violates policy "${policy}"${
            audit ? ' (audit mode).' : ', so it is quarantined and its approved tags are removed.'
          }`,
      };
    case 'unchanged':
      return {
        label: 'DECISION CONFIRMED',
        emoji: ':information_source:',
        explain: (image, policy) =>
          `${image} was evaluated again against policy "${policy}"; the verdict did not change.`,
      };
  }
}

export function emailFindingLines(position: number, entry: RankedViolation): string[] {
  const v = entry.violation;
  const score = entry.score === null ? '' : ` ${entry.score.toFixed(1)}`;
  const pkg = v.package
    ? ` in ${oneLine(v.package, 200)}${entry.version ? ` ${oneLine(entry.version, 100)}` : ''}`
    : '';
  const fix = entry.fixedIn ? ` (fixed in ${oneLine(entry.fixedIn, 100)})` : '';
  const lines = [
    `  ${position}. ${v.severity ?? 'UNRATED'}${score} ${oneLine(v.findingId ?? '', 200)}${pkg}${fix}${kevText(v, oneLine)}`,
    `     rule ${oneLine(v.rule, 200)}: ${oneLine(v.message, 400)}`,
  ];
  if (v.deadline !== undefined) lines.push(`     ${deadlineText(v)}`);
  if (entry.url) lines.push(`     ${oneLine(entry.url, 500)}`);
  return lines;
}

export function chatFindingLine(entry: RankedViolation): string {
  const v = entry.violation;
  const score = entry.score === null ? '' : ` ${entry.score.toFixed(1)}`;
  const pkg = v.package ? ` in \`${chatText(v.package, 100)}\`` : '';
  const fix = entry.fixedIn ? ` (fixed in ${chatText(entry.fixedIn, 60)})` : '';
  const url = entry.url && /^https?:\/\/\S+$/.test(entry.url) ? ` ${chatText(entry.url, 300)}` : '';
  return `• *${v.severity ?? 'UNRATED'}${score}* ${chatText(v.findingId ?? '', 100)}${pkg}${fix}${kevText(v, chatText)}${url}`;
}

/** ` [KEV, CISA due 2023-12-12]` for a finding in CISA's Known Exploited Vulnerabilities catalogue, else ''. */
export function kevText(v: Violation, clean: (text: string, max: number) => string): string {
  if (!v.kev) return '';
  return v.kev.dateDue ? ` [KEV, CISA due ${clean(v.kev.dateDue, 40)}]` : ' [KEV]';
}

export function deadlineText(v: Violation): string {
  if (v.deadline === null || v.deadline === undefined) return 'fix deadline: not started (no fix known yet)';
  return `fix deadline: ${oneLine(v.deadline, 40)}${v.deadlineExpired ? ' (passed)' : ''}`;
}

export function atRiskText(atRisk: NonNullable<Decision['atRisk']>): string {
  const n = `${formatCount(atRisk.violations)} violation${atRisk.violations === 1 ? '' : 's'}`;
  return atRisk.deadline === null
    ? `At risk: the image keeps its approval while ${n} wait for a fix (no deadline has started yet).`
    : `At risk: the image keeps its approval until ${oneLine(atRisk.deadline, 40)} (${n} within their fix deadlines); then it is quarantined unless fixed or waived.`;
}

export function emailWaiverLines(waived: Waived): string[] {
  const e = waived.exception;
  return [
    `  - ${oneLine(waived.findingId, 200)}${waived.package ? ` (${oneLine(waived.package, 200)})` : ''}: exception "${oneLine(e.id, 200)}" in ${oneLine(e.file, 300)}`,
    `    owner ${oneLine(e.owner, 200)}, expires ${oneLine(e.expires, 40)}${e.ticket ? `, ticket ${oneLine(e.ticket, 200)}` : ''}`,
    `    reason: ${oneLine(e.reason, 500)}`,
  ];
}
