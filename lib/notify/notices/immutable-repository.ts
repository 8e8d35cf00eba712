/**
 * (c) The alert for a repository whose tag immutability refuses the gatekeeper's tags, with the fix.
 */
import type { Decision } from '../../policy/decision.ts';
import { chatbotNotification } from '../chatbot.ts';
import { ecrRepositoryUrl, type ImageLocation } from '../console-links.ts';
import type { OutboundMessage } from '../notifier.ts';
import { chatText, formatCount, oneLine, sanitiseSubject } from '../text.ts';
import {
  type AlertParts,
  assemble,
  attributeTags,
  capStrings,
  compactAttributes,
  type ListCut,
  MACHINE_TAGS_LIMIT,
  machineImage,
  NOTIFICATION_SCHEMA,
} from './assemble.ts';
import {
  consoleRegion,
  type FormatOptions,
  type ImageContext,
  imageDisplayName,
  imageLinks,
  imageSection,
  imageThreadId,
  prefixesOf,
  repositoryArn,
  shortHash,
} from './context.ts';
import { EMAIL_LIST_LIMIT, finishEmail, indent, linksSection, wrapParagraph } from './email.ts';

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

/** The existing exclusion filters plus the gatekeeper's two prefixes, without repeats. */
export function exclusionFilters(
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

/** (c) ImageTagAlreadyExistsException: the repository's tag immutability blocks the gatekeeper's tags. */
export function formatImmutableRepository(
  notice: ImmutableRepositoryNotice,
  options: FormatOptions,
): OutboundMessage {
  return assemble(immutableRepositoryParts(notice, options));
}

export function immutableRepositoryParts(
  notice: ImmutableRepositoryNotice,
  options: FormatOptions,
): AlertParts {
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
