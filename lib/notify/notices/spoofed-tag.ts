/**
 * (b) The alert for reserved-prefix tags that someone other than the gatekeeper wrote, and that were removed.
 */
import { chatbotNotification } from '../chatbot.ts';
import { cloudTrailPutImageUrl } from '../console-links.ts';
import type { OutboundMessage } from '../notifier.ts';
import { chatText, formatCount, multiLine, oneLine, sanitiseSubject } from '../text.ts';
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

/** (b) Reserved-prefix tags written by someone else were removed. */
export function formatSpoofedTag(notice: SpoofedTagNotice, options: FormatOptions): OutboundMessage {
  return assemble(spoofedTagParts(notice, options));
}

export function spoofedTagParts(notice: SpoofedTagNotice, options: FormatOptions): AlertParts {
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
