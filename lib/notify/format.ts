/**
 * Renders every alert the gatekeeper sends into one {@link OutboundMessage} (pure, deterministic: the same input
 * gives the same bytes). One SNS publish reaches every subscriber with `MessageStructure: 'json'`:
 *
 * - `email`: plain text for people (what happened, why, top findings with links, waivers used, how to waive);
 * - `https`: the AWS Chatbot custom notification (Chatbot subscribes over HTTPS), rendered in Slack;
 * - `default`: the notification JSON for machines (SQS, Lambda, email-json, HTTP, Firehose all fall back to it),
 *   carrying the decision contract unchanged except that long lists may be cut (`truncated` says how much).
 *
 * Message attributes (kind, verdict, change, severity, violation_severity, repository, tags, mode, account) are
 * set for subscription filter policies. The whole publish (bodies + subject + attributes) is kept under SNS's
 * 262,144-byte limit: lists are cut with "… and N more" and every cut is made on UTF-8 boundaries.
 */
import { createHash, randomUUID } from 'node:crypto';
import { DEFAULTS } from '../config/config.ts';
import { type Finding, SEVERITIES, type Severity, severityRank } from '../findings/finding.ts';
import type { Decision, Verdict, Violation, Waived } from '../policy/decision.ts';
import { chatbotNotification } from './chatbot.ts';
import {
  cloudTrailPutImageUrl,
  ecrImageUrl,
  ecrRepositoryUrl,
  type ImageLocation,
  imageUri,
  inspectorFindingsUrl,
} from './console-links.ts';
import { embeddedJsonBytes, messageSizeBytes, TARGET_PUBLISH_BYTES } from './message-size.ts';
import type { MessageAttributes, OutboundMessage } from './notifier.ts';
import {
  chatText,
  formatCount,
  multiLine,
  oneLine,
  sanitiseSubject,
  truncateUtf8,
  utf8Bytes,
} from './text.ts';
import { renderWaiverSnippet, type WaiverCandidate } from './waiver-snippet.ts';

// ---------------------------------------------------------------------------------------------- inputs

/** The image an alert is about, with its tags before and after the gatekeeper acted. */
export interface ImageContext extends ImageLocation {
  readonly tagsBefore: readonly string[];
  readonly tagsAfter: readonly string[];
}

export interface FormatOptions {
  /** Today, for the suggested expiry of a waiver. */
  readonly now: Date;
  /** Region for console links instead of the image's (GATEKEEPER_CONSOLE_URL_REGION). */
  readonly consoleRegion?: string | null;
  readonly approvedPrefix?: string;
  readonly quarantinedPrefix?: string;
  /**
   * The id of the state change a verdict message announces (the ledger's `<image key>#<decision seq>`). When
   * given, the message's dedupe key is built from it, so two changes of one image under one policy version
   * (approved → quarantined → approved) never share a key, and a re-sent copy of one change always does.
   */
  readonly stateChange?: string;
}

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

/** (b) Reserved-prefix tags that the gatekeeper did not write were removed. */
export interface SpoofedTagNotice {
  readonly kind: 'spoofed-tag';
  readonly image: ImageContext;
  readonly removedTags: readonly string[];
  /** Where the tag came from and whether the gatekeeper puts it back where it belongs (absent: unknown). */
  readonly detail?: SpoofedTagDetail | null;
}

/**
 * Where a spoofed decision tag came from. In a mutable repository a push of `approved-1.0` onto another image
 * moves the tag off the digest the gatekeeper had written it on; the gatekeeper puts it back there when its
 * ledger still vouches for it, and otherwise says precisely why not.
 */
export interface SpoofedTagDetail {
  /** The digest (in the same repository) the gatekeeper had written the tag on, or null if it never did. */
  readonly writtenOn: string | null;
  /** True when the gatekeeper puts the tag back on `writtenOn` (done right after this alert is published). */
  readonly putBack: boolean;
  /** One or two sentences for people: where the tag came from, and put back or precisely why not. */
  readonly explanation: string;
}

/** (c) The repository's tag immutability blocks the gatekeeper's tags. */
export interface ImmutableRepositoryNotice {
  readonly kind: 'immutable-repository';
  readonly image: ImageContext;
  readonly decision: Decision;
  /** Tags PutImage refused with ImageTagAlreadyExistsException. */
  readonly blockedTags: readonly string[];
  /** The repository's current setting, e.g. IMMUTABLE, when known. */
  readonly mutability?: string | null;
  /** Exclusion filters already set on the repository (IMMUTABLE_WITH_EXCLUSION), kept in the suggested command. */
  readonly existingExclusionFilters?: readonly string[];
}

export type ErrorProblem =
  | 'scan-failed'
  | 'scan-unsupported'
  | 'findings-unavailable'
  | 'scan-eligibility-expired'
  | 'image-archived'
  | 'policy-set-invalid'
  | 'scan-not-started'
  | 'tag-limit'
  | 'archive-bypassed'
  | 'action-failed';

/** (d) An error a person must look at. The gate has failed closed: the image is not approved. */
export interface ErrorNotice {
  readonly kind: 'error';
  readonly problem: ErrorProblem;
  /** One-paragraph explanation, e.g. the scan's status description or the failed action. */
  readonly detail: string;
  readonly image: ImageContext | null;
  /** The fail-closed decision recorded, if one was (e.g. quarantined with reason). */
  readonly decision: Decision | null;
  readonly scanStatus?: string | null;
  /** Policy-set problems (policy-set-invalid). */
  readonly problems?: readonly { readonly file: string; readonly path: string; readonly message: string }[];
  /** Where the problem is when there is no image (policy-set-invalid). */
  readonly registryId?: string | null;
  readonly region?: string | null;
  /** The quarantined image is archived (policy option `actions.archiveQuarantined`): say how to restore it. */
  readonly archived?: boolean;
}

/** (e) One hygiene sweep's summary (same field names as lib/hygiene's sweep summary). */
export interface HygieneSweepSummaryNotice {
  readonly kind: 'hygiene-summary';
  readonly mode: 'report' | 'enforce';
  readonly startedAt: string | Date;
  readonly finishedAt: string | Date;
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
}

export type Notice =
  | DecisionNotice
  | SpoofedTagNotice
  | ImmutableRepositoryNotice
  | ErrorNotice
  | HygieneSweepSummaryNotice;

/** How a decision changed the image's state. */
export type DecisionChange =
  | 'approved'
  | 'quarantined'
  | 're-quarantined'
  | 'approved-after-exception'
  | 'approved-after-fix'
  | 'unchanged';

// ---------------------------------------------------------------------------------------------- limits

/** Items listed in an email per section; the rest are counted. */
export const EMAIL_LIST_LIMIT = 20;
/** Upper bound of the email body. */
export const EMAIL_MAX_BYTES = 64 * 1024;
/** Strings in the machine JSON longer than this are cut. */
export const MACHINE_STRING_MAX_BYTES = 2_048;
/** Tag lists in the machine JSON never show more than this many tags. */
export const MACHINE_TAGS_LIMIT = 100;
export const NOTIFICATION_SCHEMA = 'ecr-scan-gatekeeper/notification@1';

// ---------------------------------------------------------------------------------------------- entry

/**
 * Renders any notice. Equivalent to calling the per-kind function.
 * @example formatNotification({ kind: 'decision', decision, image, previousVerdict: null }, { now: new Date() })
 */
export function formatNotification(notice: Notice, options: FormatOptions): OutboundMessage {
  switch (notice.kind) {
    case 'decision':
      return formatDecision(notice, options);
    case 'spoofed-tag':
      return formatSpoofedTag(notice, options);
    case 'immutable-repository':
      return formatImmutableRepository(notice, options);
    case 'error':
      return formatError(notice, options);
    case 'hygiene-summary':
      return formatHygieneSummary(notice, options);
  }
}

/** The parts of any notice's alert, before {@link assemble} cuts it to fit (the bench and the tests compare cuts on them). */
export function alertParts(notice: Notice, options: FormatOptions): AlertParts {
  switch (notice.kind) {
    case 'decision':
      return decisionParts(notice, options);
    case 'spoofed-tag':
      return spoofedTagParts(notice, options);
    case 'immutable-repository':
      return immutableRepositoryParts(notice, options);
    case 'error':
      return errorParts(notice, options);
    case 'hygiene-summary':
      return hygieneSummaryParts(notice, options);
  }
}

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

// ---------------------------------------------------------------------------------------------- (a) decision

/** (a) A decision that changes state: approved, quarantined, re-quarantined, approved after an exception or fix. */
export function formatDecision(notice: DecisionNotice, options: FormatOptions): OutboundMessage {
  return assemble(decisionParts(notice, options));
}

function decisionParts(notice: DecisionNotice, options: FormatOptions): AlertParts {
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
    decision: {
      ...(capStrings({ ...decision, violations: [], waived: [] }) as Decision),
      image: capStrings({
        ...decision.image,
        tags: cut('decision.image.tags', decision.image.tags, MACHINE_TAGS_LIMIT),
      }),
      violations: cut('decision.violations', machineViolations),
      waived: cut('decision.waived', machineWaived),
    },
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

// ---------------------------------------------------------------------------------------------- (b) spoofed tag

/** (b) Reserved-prefix tags written by someone else were removed. */
export function formatSpoofedTag(notice: SpoofedTagNotice, options: FormatOptions): OutboundMessage {
  return assemble(spoofedTagParts(notice, options));
}

function spoofedTagParts(notice: SpoofedTagNotice, options: FormatOptions): AlertParts {
  const { image } = notice;
  const prefixes = prefixesOf(options);
  const display = imageDisplayName(image, options);
  const removed = [...new Set(notice.removedTags)].sort();
  const detail = notice.detail ?? null;
  const links = imageLinks(image, options);
  const trail = cloudTrailPutImageUrl(consoleRegion(image, options));
  const subject = sanitiseSubject(
    `[gatekeeper] SPOOFED TAG removed: ${image.repository}:${removed[0] ?? '?'}${removed.length > 1 ? ` +${removed.length - 1}` : ''}`,
  );

  const email: string[] = [];
  email.push(`SPOOFED TAG REMOVED: ${oneLine(display)}`, '');
  email.push('What happened');
  email.push(
    ...indent(
      wrapParagraph(
        `Tags with the reserved prefixes "${prefixes.approved}" / "${prefixes.quarantined}" were pushed to ${oneLine(
          image.repository,
        )} by someone other than the gatekeeper. Only the gatekeeper writes these tags, because deployments trust them. The gatekeeper removed them; the image itself was not deleted and will be vetted as usual.`,
      ),
    ),
  );
  email.push('', 'Removed tags');
  for (const tag of removed.slice(0, EMAIL_LIST_LIMIT)) email.push(`  - ${oneLine(tag, 300)}`);
  if (removed.length > EMAIL_LIST_LIMIT)
    email.push(`  … and ${formatCount(removed.length - EMAIL_LIST_LIMIT)} more`);
  if (detail) {
    email.push('', 'Where the tag came from');
    email.push(...indent(wrapParagraph(multiLine(detail.explanation, 2_000))));
    if (detail.writtenOn) {
      email.push(
        `  ${detail.putBack ? 'Put back on' : 'Written by the gatekeeper on'}: ${oneLine(detail.writtenOn, 100)}`,
      );
    }
  }
  email.push('', ...imageSection(image, null), '');
  email.push('What to do');
  email.push(
    ...indent(
      wrapParagraph(
        'Find who pushed the tag in CloudTrail (event PutImage on this repository) and check why. If a pipeline pushes these tags, change it to push its own tag and let the gatekeeper vet the image.',
      ),
    ),
  );
  email.push('');
  email.push(...linksSection({ ...links, cloudTrail: trail }));
  const emailText = finishEmail(email);

  const dedupeKey = `spoofed-tag:${image.registryId}/${image.repository}@${image.digest}:${shortHash(removed.join(','))}`;
  const chat = chatbotNotification({
    id: shortHash(dedupeKey),
    threadId: imageThreadId(image),
    eventType: 'gatekeeper.spoofed-tag',
    title: `:warning: Spoofed tag removed: ${chatText(image.repository, 150)}`,
    description: [
      `Reserved-prefix tag${removed.length === 1 ? '' : 's'} pushed by someone other than the gatekeeper ${
        removed.length === 1 ? 'was' : 'were'
      } removed from \`${chatText(display, 300)}\`:`,
      ...removed.slice(0, 10).map((tag) => `• \`${chatText(tag, 200)}\``),
      ...(removed.length > 10 ? [`… and ${formatCount(removed.length - 10)} more`] : []),
      ...(detail ? [`Origin: ${chatText(detail.explanation, 600)}`] : []),
    ].join('\n'),
    nextSteps: [
      ...(trail ? [`Who pushed it (CloudTrail PutImage): ${trail}`] : []),
      ...(links.image ? [`Open the image: ${links.image}`] : []),
    ],
    keywords: ['spoofed-tag', oneLine(image.repository, 50)],
    summary: subject,
    relatedResources: [repositoryArn(image)],
    additionalContext: {
      repository: oneLine(image.repository, 256),
      digest: image.digest,
      ...(detail?.writtenOn ? { writtenOn: detail.writtenOn, putBack: String(detail.putBack) } : {}),
    },
  });
  const machine = (cut: ListCut): Record<string, unknown> =>
    capStrings({
      schema: NOTIFICATION_SCHEMA,
      kind: 'spoofed-tag',
      image: machineImage(image, cut),
      removedTags: cut('removedTags', removed, MACHINE_TAGS_LIMIT),
      detail,
      links: { ...links, cloudTrail: trail },
    }) as Record<string, unknown>;
  const attributes = compactAttributes({
    kind: 'spoofed-tag',
    repository: image.repository,
    tags: attributeTags(removed),
    account: image.registryId,
  });
  return { subject, emailText, chat, machine, attributes, dedupeKey };
}

// ---------------------------------------------------------------------------------------------- (c) immutable

/** The existing exclusion filters plus the gatekeeper's two prefixes, without repeats. */
function exclusionFilters(
  existing: readonly string[],
  approvedPrefix: string,
  quarantinedPrefix: string,
): string[] {
  return [...new Set([...existing, `${approvedPrefix}*`, `${quarantinedPrefix}*`])];
}

/** The AWS CLI command that keeps the repository immutable but lets the gatekeeper move its own tags. */
export function immutabilityExclusionCommand(
  image: Pick<ImageLocation, 'registryId' | 'region' | 'repository'>,
  approvedPrefix: string,
  quarantinedPrefix: string,
  existingFilters: readonly string[] = [],
): string {
  const filters = exclusionFilters(existingFilters, approvedPrefix, quarantinedPrefix);
  return [
    'aws ecr put-image-tag-mutability \\',
    `  --region ${image.region} --registry-id ${image.registryId} \\`,
    `  --repository-name '${image.repository}' \\`,
    '  --image-tag-mutability IMMUTABLE_WITH_EXCLUSION \\',
    `  --image-tag-mutability-exclusion-filters ${filters.map((f) => `'filterType=WILDCARD,filter=${f}'`).join(' ')}`,
  ].join('\n');
}

/** The AWS CLI command that restores an archived image to the standard storage class. */
export function restoreFromArchiveCommand(
  image: Pick<ImageLocation, 'registryId' | 'region' | 'repository' | 'digest'>,
): string {
  return [
    'aws ecr update-image-storage-class \\',
    `  --region ${image.region} --registry-id ${image.registryId} \\`,
    `  --repository-name '${image.repository}' \\`,
    `  --image-id imageDigest=${image.digest} \\`,
    '  --target-storage-class STANDARD',
  ].join('\n');
}

/** What an archived, quarantined image's alert says about getting it back (email, chat, machine JSON). */
function archivedParts(image: ImageContext): { email: string[]; chat: string; machine: unknown } {
  const command = restoreFromArchiveCommand(image);
  const automatic =
    'When the restore completes the gatekeeper re-decides the image automatically (no push needed): it gets its approved tags if an exception or a policy change now allows it. If the same decision still quarantines it, it stays restored and quarantined; it is not archived again for that decision.';
  return {
    email: [
      'Archived',
      ...indent(
        wrapParagraph(
          "The policy archives quarantined images (actions.archiveQuarantined): this image is in ECR's archive storage class and cannot be pulled or scanned. Once an exception or a policy change makes it approvable, restore it:",
        ),
      ),
      '',
      ...command.split('\n').map((line) => `  ${line}`),
      '',
      ...indent(wrapParagraph(automatic)),
    ],
    chat: `Archived (cannot be pulled). Once an exception or a policy change allows it, restore it with \`aws ecr update-image-storage-class --target-storage-class STANDARD\` (full command in the email); it is then re-decided automatically.`,
    machine: {
      storageClass: 'ARCHIVE',
      restoreCommand: command.replace(/ \\\n\s*/g, ' '),
      reDecidedOnRestore: true,
    },
  };
}

/** (c) ImageTagAlreadyExistsException: the repository's tag immutability blocks the gatekeeper's tags. */
export function formatImmutableRepository(
  notice: ImmutableRepositoryNotice,
  options: FormatOptions,
): OutboundMessage {
  return assemble(immutableRepositoryParts(notice, options));
}

function immutableRepositoryParts(notice: ImmutableRepositoryNotice, options: FormatOptions): AlertParts {
  const { image, decision } = notice;
  const prefixes = prefixesOf(options);
  const display = imageDisplayName(image, options);
  const blocked = [...new Set(notice.blockedTags)].sort();
  const links = imageLinks(image, options);
  // Filters outside ECR's grammar ([0-9a-zA-Z._*-], 1–128) cannot be passed back; they are dropped here.
  const existing = (notice.existingExclusionFilters ?? []).filter((f) => /^[0-9a-zA-Z._*-]{1,128}$/.test(f));
  const filters = exclusionFilters(existing, prefixes.approved, prefixes.quarantined);
  const command = immutabilityExclusionCommand(image, prefixes.approved, prefixes.quarantined, existing);
  const tooManyFilters = filters.length > 5;
  const subject = sanitiseSubject(
    `[gatekeeper] ACTION NEEDED: immutable repository blocks tags on ${image.repository}`,
  );

  const email: string[] = [];
  email.push(`ACTION NEEDED: tag immutability blocks the gatekeeper on ${oneLine(image.repository)}`, '');
  email.push('What happened');
  email.push(
    ...indent(
      wrapParagraph(
        `The image ${oneLine(display)} was decided ${decision.verdict.toUpperCase()} by policy "${oneLine(
          decision.policy.name,
        )}", but the repository's tag immutability (${oneLine(notice.mutability ?? 'IMMUTABLE')}) refused the gatekeeper's tags (ImageTagAlreadyExistsException). The decision is recorded; the tags below could not be written, and the gatekeeper will not retry until the setting changes.`,
      ),
    ),
  );
  email.push('', 'Tags refused');
  for (const tag of blocked.slice(0, EMAIL_LIST_LIMIT)) email.push(`  - ${oneLine(tag, 300)}`);
  if (blocked.length > EMAIL_LIST_LIMIT)
    email.push(`  … and ${formatCount(blocked.length - EMAIL_LIST_LIMIT)} more`);
  email.push('', ...imageSection(image, decision), '');
  email.push('How to fix');
  email.push(
    ...indent(
      wrapParagraph(
        `Keep every other tag immutable and exclude the gatekeeper's prefixes: set the repository to IMMUTABLE_WITH_EXCLUSION with WILDCARD exclusion filters "${prefixes.approved}*" and "${prefixes.quarantined}*" (at most 5 filters per repository). With the AWS CLI:`,
      ),
    ),
  );
  email.push('', command, '');
  if (tooManyFilters) {
    email.push('  Note: this would exceed 5 exclusion filters; merge the existing ones first.', '');
  }
  email.push(
    ...indent(
      wrapParagraph(
        'Or in CloudFormation (AWS::ECR::Repository): ImageTagMutability: IMMUTABLE_WITH_EXCLUSION with ImageTagMutabilityExclusionFilters entries { ImageTagMutabilityExclusionFilterType: WILDCARD, ImageTagMutabilityExclusionFilterValue: "<prefix>*" }. Then push the image again or wait for the next sweep.',
      ),
    ),
  );
  email.push('');
  email.push(
    ...linksSection({ ...links, repository: ecrRepositoryUrl(image, consoleRegion(image, options)) }),
  );
  const emailText = finishEmail(email);

  const dedupeKey = options.stateChange
    ? `immutable-repository:${options.stateChange}`
    : `immutable-repository:${image.registryId}/${image.repository}@${image.digest}:${decision.verdict}`;
  const chat = chatbotNotification({
    id: shortHash(dedupeKey),
    threadId: imageThreadId(image),
    eventType: 'gatekeeper.immutable-repository',
    title: `:no_entry: Immutable repository blocks the gatekeeper: ${chatText(image.repository, 150)}`,
    description: [
      `\`${chatText(display, 300)}\` was decided *${decision.verdict}* but tag immutability refused ${formatCount(
        blocked.length,
      )} tag${blocked.length === 1 ? '' : 's'}.`,
      `Exclude the gatekeeper prefixes: IMMUTABLE_WITH_EXCLUSION with WILDCARD filters \`${chatText(
        prefixes.approved,
      )}*\` and \`${chatText(prefixes.quarantined)}*\`.`,
      `\`\`\`${command}\`\`\``,
    ].join('\n'),
    nextSteps: [
      `Run: aws ecr put-image-tag-mutability --repository-name ${image.repository} --image-tag-mutability IMMUTABLE_WITH_EXCLUSION --image-tag-mutability-exclusion-filters filterType=WILDCARD,filter=${prefixes.approved}* filterType=WILDCARD,filter=${prefixes.quarantined}*`,
      ...(links.image ? [`Open the image: ${links.image}`] : []),
    ],
    keywords: ['immutable-repository', decision.verdict, oneLine(image.repository, 50)],
    summary: subject,
    relatedResources: [repositoryArn(image)],
    additionalContext: {
      repository: oneLine(image.repository, 256),
      digest: image.digest,
      verdict: decision.verdict,
    },
  });
  const machine = (cut: ListCut): Record<string, unknown> =>
    capStrings({
      schema: NOTIFICATION_SCHEMA,
      kind: 'immutable-repository',
      image: machineImage(image, cut),
      verdict: decision.verdict,
      policy: decision.policy,
      blockedTags: cut('blockedTags', blocked, MACHINE_TAGS_LIMIT),
      mutability: notice.mutability ?? null,
      fix: {
        imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
        imageTagMutabilityExclusionFilters: filters.map((filter) => ({ filterType: 'WILDCARD', filter })),
        command,
      },
      links,
    }) as Record<string, unknown>;
  const attributes = compactAttributes({
    kind: 'immutable-repository',
    verdict: decision.verdict,
    repository: image.repository,
    tags: attributeTags(image.tagsAfter),
    mode: decision.policy.mode,
    account: image.registryId,
  });
  return { subject, emailText, chat, machine, attributes, dedupeKey };
}

// ---------------------------------------------------------------------------------------------- (d) error

const PROBLEM_TEXT: Record<ErrorProblem, { title: string; action: string }> = {
  'scan-failed': {
    title: 'scan failed',
    action:
      'Check the scan status description, then start a new scan (at most one scan per image per 24 hours).',
  },
  'scan-unsupported': {
    title: 'image type cannot be scanned',
    action:
      'The scanner does not support this image (operating system or artifact type). Rebuild on a supported base image, or opt in per policy to another outcome for unsupported images.',
  },
  'findings-unavailable': {
    title: 'findings unavailable',
    action:
      'The scanner could not return findings. Start a new scan; if it persists, check Amazon Inspector coverage.',
  },
  'scan-eligibility-expired': {
    title: 'scan eligibility expired',
    action:
      'Continuous scanning stopped for this image (re-scan duration elapsed). Push the image again or extend the re-scan duration in Amazon Inspector.',
  },
  'image-archived': {
    title: 'image is archived',
    action: 'Archived images cannot be scanned. Restore the image to the standard storage class to vet it.',
  },
  'policy-set-invalid': {
    title: 'policy set invalid',
    action:
      'Run `gatekeeper policy validate` on policies/, fix every problem listed, and deploy again. Until then no image is approved.',
  },
  'scan-not-started': {
    title: 'scan could not be started',
    action:
      'Make sure the registry scanning configuration covers this repository (scan on push or continuous). ECR allows one manual scan per image per 24 hours; the image is decided when a scan completes, or by the nightly sweep.',
  },
  'tag-limit': {
    title: 'image has too many tags',
    action:
      'ECR allows 1,000 tags per image and this image has reached the limit, so the gatekeeper cannot add its tag. Remove tags that are no longer used.',
  },
  'archive-bypassed': {
    title: 'quarantined image pushed again and archived again',
    action:
      'Someone pushed this quarantined image again, which makes ECR restore it from the archive so it could be pulled. The gatekeeper archived it again. Find who pushed it in CloudTrail (PutImage on this repository). To use the image, fix its findings or add an exception; it is then approved on its next decision.',
  },
  'action-failed': {
    title: 'action failed',
    action:
      'The gatekeeper could not complete its action and will not retry it. Check the logs for the event id.',
  },
};

/** (d) An error needing a person; the gate failed closed. */
export function formatError(notice: ErrorNotice, options: FormatOptions): OutboundMessage {
  return assemble(errorParts(notice, options));
}

function errorParts(notice: ErrorNotice, options: FormatOptions): AlertParts {
  const { image, decision } = notice;
  const text = PROBLEM_TEXT[notice.problem];
  const display = image ? imageDisplayName(image, options) : null;
  const links = image ? imageLinks(image, options) : { image: null, inspector: null };
  const problems = [...(notice.problems ?? [])].sort(
    (a, b) =>
      a.file.localeCompare(b.file) || a.path.localeCompare(b.path) || a.message.localeCompare(b.message),
  );
  const where = display ?? 'policy set';
  const archived =
    image && notice.archived && decision?.verdict === 'quarantined' ? archivedParts(image) : null;
  const subject = sanitiseSubject(`[gatekeeper] ERROR: ${text.title} - ${where}`);

  const email: string[] = [];
  email.push(`ERROR: ${text.title}${display ? ` for ${oneLine(display)}` : ''}`, '');
  email.push('What happened');
  email.push(...indent(wrapParagraph(multiLine(notice.detail, 4_000))));
  if (notice.scanStatus) email.push(`  Scan status: ${oneLine(notice.scanStatus, 100)}`);
  email.push('');
  email.push('Consequence');
  email.push(
    ...indent(
      wrapParagraph(
        decision
          ? `The gatekeeper failed closed: the image is ${decision.verdict.toUpperCase()}${
              decision.reason ? ` (${oneLine(decision.reason, 500)})` : ''
            } and never gets an approved tag until the problem is resolved.`
          : 'The gatekeeper failed closed: no image is approved until the problem is resolved. Images already approved keep their tags.',
      ),
    ),
  );
  email.push('');
  if (image) email.push(...imageSection(image, decision), '');
  if (problems.length > 0) {
    email.push('Problems');
    for (const problem of problems.slice(0, EMAIL_LIST_LIMIT)) {
      email.push(
        `  - ${oneLine(problem.file, 200)}: ${oneLine(problem.path, 200)}: ${oneLine(problem.message, 500)}`,
      );
    }
    if (problems.length > EMAIL_LIST_LIMIT)
      email.push(`  … and ${formatCount(problems.length - EMAIL_LIST_LIMIT)} more`);
    email.push('');
  }
  email.push('What to do');
  email.push(...indent(wrapParagraph(text.action)));
  if (image && ['scan-failed', 'findings-unavailable'].includes(notice.problem)) {
    email.push(
      '',
      `  aws ecr start-image-scan --region ${image.region} --registry-id ${image.registryId} --repository-name '${image.repository}' --image-id imageDigest=${image.digest}`,
    );
  }
  email.push('');
  if (archived) email.push(...archived.email, '');
  email.push(...linksSection(links));
  const emailText = finishEmail(email);

  const dedupeKey = options.stateChange
    ? `error:${options.stateChange}:${notice.problem}`
    : image
      ? `error:${image.registryId}/${image.repository}@${image.digest}:${notice.problem}`
      : `error:${notice.registryId ?? 'registry'}/${notice.region ?? 'region'}:${notice.problem}:${shortHash(
          problems.map((p) => `${p.file}:${p.path}:${p.message}`).join('\n') || notice.detail,
        )}`;
  const chat = chatbotNotification({
    id: shortHash(dedupeKey),
    threadId: image ? imageThreadId(image) : `gatekeeper-${notice.problem}`,
    eventType: `gatekeeper.error.${notice.problem}`,
    title: `:rotating_light: Gatekeeper error: ${text.title}${display ? ` - ${chatText(display, 150)}` : ''}`,
    description: [
      chatText(notice.detail, 800),
      decision
        ? `The image is *${decision.verdict}* (fail-closed).`
        : 'No image is approved until this is resolved.',
      ...problems
        .slice(0, 5)
        .map((p) => `• \`${chatText(p.file, 100)}\` ${chatText(p.path, 100)}: ${chatText(p.message, 200)}`),
      ...(problems.length > 5 ? [`… and ${formatCount(problems.length - 5)} more problems`] : []),
      ...(archived ? [archived.chat] : []),
    ].join('\n'),
    nextSteps: [text.action, ...(links.image ? [`Open the image: ${links.image}`] : [])],
    keywords: ['error', notice.problem, ...(image ? [oneLine(image.repository, 50)] : [])],
    summary: subject,
    relatedResources: image ? [repositoryArn(image)] : [],
    additionalContext: {
      problem: notice.problem,
      ...(image ? { repository: oneLine(image.repository, 256), digest: image.digest } : {}),
      ...(decision ? { verdict: decision.verdict } : {}),
    },
  });
  const machine = (cut: ListCut): Record<string, unknown> =>
    capStrings({
      schema: NOTIFICATION_SCHEMA,
      kind: 'error',
      problem: notice.problem,
      detail: notice.detail,
      scanStatus: notice.scanStatus ?? null,
      image: image ? machineImage(image, cut) : null,
      decision: decision
        ? {
            ...decision,
            image: {
              ...decision.image,
              tags: cut('decision.image.tags', decision.image.tags, MACHINE_TAGS_LIMIT),
            },
            violations: cut('decision.violations', decision.violations),
            waived: cut('decision.waived', decision.waived),
          }
        : null,
      problems: cut('problems', problems),
      links,
      ...(archived ? { archived: archived.machine } : {}),
    }) as Record<string, unknown>;
  const attributes = compactAttributes({
    kind: 'error',
    verdict: decision?.verdict,
    change: notice.problem,
    severity: decision ? highestSeverity(decision.summary) : undefined,
    repository: image?.repository,
    tags: image ? attributeTags(image.tagsAfter) : undefined,
    mode: decision?.policy.mode,
    account: image?.registryId ?? notice.registryId ?? undefined,
  });
  return { subject, emailText, chat, machine, attributes, dedupeKey };
}

// ---------------------------------------------------------------------------------------------- (e) hygiene

/** (e) The summary of one hygiene sweep: counts and the top drift. */
export function formatHygieneSummary(
  notice: HygieneSweepSummaryNotice,
  options: FormatOptions,
): OutboundMessage {
  return assemble(hygieneSummaryParts(notice, options));
}

function hygieneSummaryParts(notice: HygieneSweepSummaryNotice, options: FormatOptions): AlertParts {
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

// ---------------------------------------------------------------------------------------------- assembly

/**
 * How a machine body names a list that may be cut to fit: `cut(name, list, ceiling)` returns the first items of
 * `list` (never more than `ceiling`), each with its strings capped; what was cut is recorded under `name`.
 */
export type ListCut = <T>(name: string, list: readonly T[], ceiling?: number) => T[];

/** An alert before assembly: its texts, and its machine body as a function of how lists are cut. */
export interface AlertParts {
  readonly subject: string;
  readonly emailText: string;
  readonly chat: unknown;
  /**
   * The machine body. Every list that may be cut to fit goes through `cut`; the builder caps the body's other
   * strings ({@link capStrings} leaves the lists `cut` returned alone). Called twice: once to measure, once to
   * build, so it must be cheap apart from the lists.
   */
  readonly machine: (cut: ListCut) => Record<string, unknown>;
  readonly attributes: MessageAttributes;
  readonly dedupeKey: string;
}

/** Machine subscribers get the dedupe key in the body: a redelivered publish carries the same key. */
function withDedupeKey(body: unknown, dedupeKey: string): unknown {
  return typeof body === 'object' && body !== null && !Array.isArray(body) ? { ...body, dedupeKey } : body;
}

/** Lists returned by a {@link ListCut}: their items are capped already. */
const cutLists = new WeakSet<readonly unknown[]>();

function isCutList(value: readonly unknown[]): boolean {
  return cutLists.has(value);
}

/** One list of the machine body as measured: its capped items (up to its ceiling) and their wire sizes. */
interface MeasuredList {
  readonly name: string;
  readonly total: number;
  readonly ceiling: number;
  /** Each capped item serialised: the body is put together from these, so no item is serialised twice. */
  readonly json: readonly string[];
  /** `prefix[n]`: wire bytes of the first n items, commas between them included. */
  readonly prefix: Float64Array;
}

/** One list of the machine body cut to at most `cap` items (and its ceiling). */
function shownOf(list: MeasuredList, cap: number): number {
  return Math.min(cap, list.ceiling, list.total);
}

/** `truncated: { name: { shown, total } }` for the lists cut at `cap`, in the order the body names them. */
function truncatedAt(
  lists: readonly MeasuredList[],
  cap: number,
): Record<string, { shown: number; total: number }> {
  const truncated: Record<string, { shown: number; total: number }> = {};
  for (const list of lists) {
    const limit = Math.min(cap, list.ceiling);
    if (list.total > limit) truncated[list.name] = { shown: limit, total: list.total };
  }
  return truncated;
}

/**
 * Puts the parts into one message that fits SNS's limit. The machine body's lists are cut to the most items
 * `cap` that fit, all lists alike (each is ordered most important first, so the cut keeps a prefix). The size
 * of every candidate `cap` is computed from sizes measured once: the body with every list empty, plus the wire
 * bytes of each item (an item's bytes do not depend on its neighbours), plus the `truncated` record. The
 * message is then serialised once, and its size checked once against that computation.
 */
export function assemble(parts: AlertParts): OutboundMessage {
  const https = JSON.stringify(parts.chat);
  const lists: MeasuredList[] = [];
  const measuring: ListCut = (name, list, ceiling = Number.POSITIVE_INFINITY) => {
    const items = list.length > ceiling ? list.slice(0, ceiling) : list;
    const json = items.map((item) => JSON.stringify(capStrings(item)) ?? 'null');
    const prefix = new Float64Array(json.length + 1);
    for (let i = 0; i < json.length; i += 1) {
      prefix[i + 1] = (prefix[i] ?? 0) + embeddedJsonBytes(json[i] ?? '') + (i > 0 ? 1 : 0);
    }
    lists.push({ name, total: list.length, ceiling, json, prefix });
    const empty: never[] = [];
    cutLists.add(empty);
    return empty;
  };
  const skeleton = parts.machine(measuring);
  const message = (body: Record<string, unknown>, email: string): OutboundMessage => ({
    subject: parts.subject,
    bodies: { default: JSON.stringify(withDedupeKey(body, parts.dedupeKey)), email, https },
    attributes: parts.attributes,
    dedupeKey: parts.dedupeKey,
  });
  const fixed = messageSizeBytes(message(skeleton, parts.emailText));
  const itemsAt = (cap: number) => {
    let bytes = 0;
    for (const list of lists) bytes += list.prefix[shownOf(list, cap)] ?? 0;
    return bytes;
  };
  const sizeAt = (cap: number) => {
    const truncated = truncatedAt(lists, cap);
    const record =
      Object.keys(truncated).length > 0 ? embeddedJsonBytes(`,"truncated":${JSON.stringify(truncated)}`) : 0;
    return fixed + itemsAt(cap) + record;
  };

  const full = lists.reduce((most, list) => Math.max(most, Math.min(list.total, list.ceiling)), 0);
  let cap = full;
  if (sizeAt(full) > TARGET_PUBLISH_BYTES) {
    // Without the `truncated` record the size only grows with the cap: the largest cap whose items fit bounds
    // the answer from above; the record (tens of bytes) is then paid for by stepping down from there.
    let low = -1;
    let high = full;
    while (low < high) {
      const mid = Math.ceil((low + high) / 2);
      if (mid >= 0 && fixed + itemsAt(mid) <= TARGET_PUBLISH_BYTES) low = mid;
      else high = mid - 1;
    }
    cap = low;
    while (cap > 0 && sizeAt(cap) > TARGET_PUBLISH_BYTES) cap -= 1;
    cap = Math.max(cap, 0);
  }

  // The body is serialised with each list standing in as a placeholder string, which is then replaced by the
  // list's items already serialised. The placeholder holds a random nonce, so no text from outside can match it.
  const nonce = randomUUID();
  const placeholders = new Map<readonly unknown[], number>();
  const cutting: ListCut = <T>(name: string) => {
    const stand: T[] = [];
    placeholders.set(
      stand,
      lists.findIndex((list) => list.name === name),
    );
    cutLists.add(stand);
    return stand;
  };
  const built = parts.machine(cutting);
  const truncated = truncatedAt(lists, cap);
  const machine = withDedupeKey(
    Object.keys(truncated).length > 0 ? { ...built, truncated } : built,
    parts.dedupeKey,
  );
  const template = JSON.stringify(machine, (_key, value: unknown) => {
    const index = Array.isArray(value) ? placeholders.get(value) : undefined;
    return index === undefined ? value : `\u0000${nonce}:${index}`;
  });
  const defaultBody = template.replace(
    new RegExp(`"\\\\u0000${nonce}:(-?\\d+)"`, 'g'),
    (_match, index: string) => {
      const list = lists[Number(index)];
      return list ? `[${list.json.slice(0, shownOf(list, cap)).join(',')}]` : '[]';
    },
  );
  const result: OutboundMessage = {
    subject: parts.subject,
    bodies: { default: defaultBody, email: parts.emailText, https },
    attributes: parts.attributes,
    dedupeKey: parts.dedupeKey,
  };
  const size = messageSizeBytes(result);
  if (size <= TARGET_PUBLISH_BYTES) return result;
  // Last resort (only reachable with pathological input: the body is too big with every list empty):
  // shorten the email to what is left.
  const excess = size - TARGET_PUBLISH_BYTES;
  const email = truncateUtf8(
    parts.emailText,
    Math.max(0, utf8Bytes(parts.emailText) - excess * 2 - 64),
    '\n… (cut)',
  );
  return { ...result, bodies: { ...result.bodies, email } };
}

// ---------------------------------------------------------------------------------------------- helpers

interface RankedViolation {
  readonly violation: Violation;
  readonly score: number | null;
  readonly url: string | null;
  readonly version: string | null;
  readonly fixedIn: string | null;
  readonly fixAvailable: boolean | null;
}

function findingKey(id: string, pkg: string | null): string {
  return `${id}\u0000${pkg ?? ''}`;
}

/** Violations sorted by severity, then score (highest first), then finding id, package and rule. */
function rankViolations(violations: readonly Violation[], findings: readonly Finding[]): RankedViolation[] {
  const byKey = new Map<string, Finding>();
  const byId = new Map<string, Finding>();
  const better = (current: Finding | undefined, next: Finding) =>
    current === undefined || (next.score ?? -1) > (current.score ?? -1);
  for (const finding of findings) {
    const key = findingKey(finding.id, finding.package);
    if (better(byKey.get(key), finding)) byKey.set(key, finding);
    if (better(byId.get(finding.id), finding)) byId.set(finding.id, finding);
  }
  const ranked = violations.map((violation): RankedViolation => {
    const finding =
      violation.findingId === null
        ? undefined
        : (byKey.get(findingKey(violation.findingId, violation.package)) ?? byId.get(violation.findingId));
    return {
      violation,
      score: finding?.score ?? null,
      url: finding?.url ?? null,
      version: finding?.version ?? null,
      fixedIn: finding?.fixedIn ?? null,
      fixAvailable: finding?.fixAvailable == null ? null : finding.fixAvailable !== 'NO',
    };
  });
  const rank = (severity: Severity | null) =>
    severity === null ? SEVERITIES.length : severityRank(severity);
  return ranked.sort(
    (a, b) =>
      rank(a.violation.severity) - rank(b.violation.severity) ||
      (b.score ?? -1) - (a.score ?? -1) ||
      compare(a.violation.findingId ?? '', b.violation.findingId ?? '') ||
      compare(a.violation.package ?? '', b.violation.package ?? '') ||
      compare(a.violation.rule, b.violation.rule) ||
      compare(a.violation.message, b.violation.message),
  );
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sortWaived(waived: readonly Waived[]): Waived[] {
  return [...waived].sort(
    (a, b) =>
      compare(a.exception.expires, b.exception.expires) ||
      compare(a.findingId, b.findingId) ||
      compare(a.package ?? '', b.package ?? '') ||
      compare(a.exception.id, b.exception.id),
  );
}

function ruleCounts(violations: readonly Violation[]): [string, number, Violation][] {
  const counts = new Map<string, [number, Violation]>();
  for (const violation of violations) {
    const entry = counts.get(violation.rule);
    if (entry) entry[0] += 1;
    else counts.set(violation.rule, [1, violation]);
  }
  return [...counts.entries()]
    .map(([rule, [count, sample]]): [string, number, Violation] => [rule, count, sample])
    .sort((a, b) => b[1] - a[1] || compare(a[0], b[0]));
}

function waiverCandidates(entries: readonly RankedViolation[]): WaiverCandidate[] {
  return entries
    .filter((entry) => entry.violation.findingId !== null)
    .map((entry) => ({
      findingId: oneLine(entry.violation.findingId ?? '', 200),
      package: entry.violation.package === null ? null : oneLine(entry.violation.package, 200),
      fixAvailable: entry.fixAvailable,
    }));
}

/** Highest severity with a non-zero count in a decision summary, or NONE. */
export function highestSeverity(summary: Readonly<Record<string, number>>): Severity | 'NONE' {
  for (const severity of SEVERITIES) if ((summary[severity] ?? 0) > 0) return severity;
  return 'NONE';
}

function highestViolationSeverity(violations: readonly Violation[]): Severity | 'NONE' {
  let best: Severity | 'NONE' = 'NONE';
  for (const violation of violations) {
    if (
      violation.severity !== null &&
      (best === 'NONE' || severityRank(violation.severity) < severityRank(best))
    ) {
      best = violation.severity;
    }
  }
  return best;
}

function summaryText(summary: Readonly<Record<string, number>>): string {
  const known = SEVERITIES.filter((s) => s in summary).map((s) => `${s} ${formatCount(summary[s] ?? 0)}`);
  const extra = Object.keys(summary)
    .filter((key) => !(SEVERITIES as readonly string[]).includes(key))
    .sort()
    .map((key) => `${oneLine(key, 40)} ${formatCount(summary[key] ?? 0)}`);
  return [...known, ...extra].join(', ') || 'none';
}

function prefixesOf(options: FormatOptions): { approved: string; quarantined: string } {
  return {
    approved: options.approvedPrefix ?? DEFAULTS.approvedPrefix,
    quarantined: options.quarantinedPrefix ?? DEFAULTS.quarantinedPrefix,
  };
}

/** `repository:tag` for the first source tag (not a gatekeeper tag), else `repository@sha256:<12 hex>`. */
function imageDisplayName(image: ImageContext, options: FormatOptions): string {
  const { approved, quarantined } = prefixesOf(options);
  const source = [...new Set([...image.tagsBefore, ...image.tagsAfter])]
    .filter((tag) => !tag.startsWith(approved) && !tag.startsWith(quarantined))
    .sort();
  const first = source[0];
  if (first === undefined) return `${image.repository}@${image.digest.slice(0, 19)}`;
  return `${image.repository}:${first}${source.length > 1 ? ` (+${source.length - 1} tags)` : ''}`;
}

function consoleRegion(image: ImageContext, options: FormatOptions): string {
  return options.consoleRegion ?? image.region;
}

function imageLinks(
  image: ImageContext,
  options: FormatOptions,
): { image: string | null; inspector: string | null } {
  const region = consoleRegion(image, options);
  return { image: ecrImageUrl(image, region), inspector: inspectorFindingsUrl(region) };
}

function repositoryArn(image: ImageLocation): string {
  const partition = image.region.startsWith('cn-')
    ? 'aws-cn'
    : image.region.startsWith('us-gov-')
      ? 'aws-us-gov'
      : 'aws';
  return `arn:${partition}:ecr:${image.region}:${image.registryId}:repository/${image.repository}`;
}

function imageThreadId(image: ImageLocation): string {
  return `gatekeeper-${shortHash(`${image.registryId}/${image.region}/${image.repository}@${image.digest}`)}`;
}

function shortHash(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex').slice(0, 32);
}

function decisionHeadline(
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

function imageSection(image: ImageContext, decision: Decision | null): string[] {
  const tags = (list: readonly string[]) => {
    const sorted = [...list].sort();
    const shown = sorted.slice(0, EMAIL_LIST_LIMIT).map((t) => oneLine(t, 300));
    const rest =
      sorted.length > EMAIL_LIST_LIMIT ? ` … and ${formatCount(sorted.length - EMAIL_LIST_LIMIT)} more` : '';
    return shown.length > 0 ? `${shown.join(', ')}${rest}` : '(none)';
  };
  const lines = [
    'Image',
    `  Repository : ${oneLine(image.repository)}`,
    `  Digest     : ${oneLine(image.digest, 100)}`,
    `  URI        : ${oneLine(imageUri(image))}`,
    `  Tags before: ${tags(image.tagsBefore)}`,
    `  Tags after : ${tags(image.tagsAfter)}`,
  ];
  if (decision) {
    lines.push(
      `  Policy     : ${oneLine(decision.policy.name, 200)} (${oneLine(decision.policy.file, 300)}), mode ${decision.policy.mode}, version ${oneLine(decision.policy.version, 100)}`,
      `  Findings   : ${summaryText(decision.summary)}`,
    );
  }
  return lines;
}

function emailFindingLines(position: number, entry: RankedViolation): string[] {
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

function chatFindingLine(entry: RankedViolation): string {
  const v = entry.violation;
  const score = entry.score === null ? '' : ` ${entry.score.toFixed(1)}`;
  const pkg = v.package ? ` in \`${chatText(v.package, 100)}\`` : '';
  const fix = entry.fixedIn ? ` (fixed in ${chatText(entry.fixedIn, 60)})` : '';
  const url = entry.url && /^https?:\/\/\S+$/.test(entry.url) ? ` ${chatText(entry.url, 300)}` : '';
  return `• *${v.severity ?? 'UNRATED'}${score}* ${chatText(v.findingId ?? '', 100)}${pkg}${fix}${kevText(v, chatText)}${url}`;
}

/** ` [KEV, CISA due 2023-12-12]` for a finding in CISA's Known Exploited Vulnerabilities catalogue, else ''. */
function kevText(v: Violation, clean: (text: string, max: number) => string): string {
  if (!v.kev) return '';
  return v.kev.dateDue ? ` [KEV, CISA due ${clean(v.kev.dateDue, 40)}]` : ' [KEV]';
}

function deadlineText(v: Violation): string {
  if (v.deadline === null || v.deadline === undefined) return 'fix deadline: not started (no fix known yet)';
  return `fix deadline: ${oneLine(v.deadline, 40)}${v.deadlineExpired ? ' (passed)' : ''}`;
}

function atRiskText(atRisk: NonNullable<Decision['atRisk']>): string {
  const n = `${formatCount(atRisk.violations)} violation${atRisk.violations === 1 ? '' : 's'}`;
  return atRisk.deadline === null
    ? `At risk: the image keeps its approval while ${n} wait for a fix (no deadline has started yet).`
    : `At risk: the image keeps its approval until ${oneLine(atRisk.deadline, 40)} (${n} within their fix deadlines); then it is quarantined unless fixed or waived.`;
}

function emailWaiverLines(waived: Waived): string[] {
  const e = waived.exception;
  return [
    `  - ${oneLine(waived.findingId, 200)}${waived.package ? ` (${oneLine(waived.package, 200)})` : ''}: exception "${oneLine(e.id, 200)}" in ${oneLine(e.file, 300)}`,
    `    owner ${oneLine(e.owner, 200)}, expires ${oneLine(e.expires, 40)}${e.ticket ? `, ticket ${oneLine(e.ticket, 200)}` : ''}`,
    `    reason: ${oneLine(e.reason, 500)}`,
  ];
}

function linksSection(links: Readonly<Record<string, string | null>>): string[] {
  const labels: Record<string, string> = {
    image: 'Image in the ECR console',
    repository: 'Repository in the ECR console',
    inspector: 'Amazon Inspector findings',
    cloudTrail: 'CloudTrail PutImage events',
  };
  const lines = Object.entries(links)
    .filter((entry): entry is [string, string] => typeof entry[1] === 'string')
    .map(([key, url]) => `  ${labels[key] ?? key}: ${url}`);
  return lines.length > 0 ? ['Links', ...lines] : [];
}

function machineImage(image: ImageContext, cut: ListCut): Record<string, unknown> {
  return {
    registryId: image.registryId,
    region: image.region,
    repository: image.repository,
    digest: image.digest,
    tagsBefore: cut('image.tagsBefore', [...image.tagsBefore].sort(), MACHINE_TAGS_LIMIT),
    tagsAfter: cut('image.tagsAfter', [...image.tagsAfter].sort(), MACHINE_TAGS_LIMIT),
  };
}

/** Every string in a JSON value cut to {@link MACHINE_STRING_MAX_BYTES}. */
export function capStrings(value: unknown): unknown {
  if (typeof value === 'string') return truncateUtf8(value, MACHINE_STRING_MAX_BYTES);
  // A list from the size cut already holds capped items: copying it again would cost as much as the cut saves.
  if (Array.isArray(value)) return isCutList(value) ? value : value.map(capStrings);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = capStrings(item);
    return out;
  }
  return value;
}

/** Up to 20 tags, each at most 128 bytes, for the `tags` String.Array attribute; undefined when there are none. */
function attributeTags(tags: readonly string[]): string[] | undefined {
  const list = [...new Set(tags.map((t) => oneLine(t, 128)).filter((t) => t !== ''))].sort().slice(0, 20);
  return list.length > 0 ? list : undefined;
}

/** Attribute values must not be empty; absent values are left out (a filter on them then does not match). */
function compactAttributes(
  values: Record<string, string | readonly string[] | undefined>,
): MessageAttributes {
  const out: Record<string, string | readonly string[]> = {};
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined) continue;
    if (typeof value === 'string') {
      const text = oneLine(value, 1_024);
      if (text !== '') out[name] = text;
    } else if (value.length > 0) {
      out[name] = value;
    }
  }
  return out;
}

function isoTime(value: string | Date): string {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'unknown' : value.toISOString();
  return oneLine(value, 64);
}

function indent(lines: readonly string[]): string[] {
  return lines.map((line) => (line === '' ? '' : `  ${line}`));
}

/** Wraps a paragraph at ~100 columns for plain-text email readers. */
function wrapParagraph(text: string, width = 100): string[] {
  const out: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (const word of paragraph.split(' ')) {
      if (line !== '' && line.length + 1 + word.length > width) {
        out.push(line);
        line = word;
      } else {
        line = line === '' ? word : `${line} ${word}`;
      }
    }
    out.push(line);
  }
  return out;
}

function finishEmail(lines: readonly string[]): string {
  const footer = [
    '',
    '--',
    'Sent by ecr-scan-gatekeeper. Filter these alerts with an SNS subscription filter policy on the message',
    'attributes kind, verdict, change, severity, violation_severity, repository, tags, mode, account.',
  ];
  return truncateUtf8(`${[...lines, ...footer].join('\n')}\n`, EMAIL_MAX_BYTES, '\n… (cut)\n');
}
