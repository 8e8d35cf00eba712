/**
 * (d) The alert for an error a person must look at; the gate has failed closed.
 */
import type { Decision } from '../../policy/decision.ts';
import { chatbotNotification } from '../chatbot.ts';
import type { OutboundMessage } from '../notifier.ts';
import { chatText, formatCount, multiLine, oneLine, sanitiseSubject } from '../text.ts';
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
} from './context.ts';
import { EMAIL_LIST_LIMIT, finishEmail, indent, linksSection, wrapParagraph } from './email.ts';

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

export const PROBLEM_TEXT: Record<ErrorProblem, { title: string; action: string }> = {
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

export function errorParts(notice: ErrorNotice, options: FormatOptions): AlertParts {
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
      decision: decision ? machineDecision(decision, cut) : null,
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
