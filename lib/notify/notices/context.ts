/**
 * The image and options every notice is rendered for: display name, console links, the image section of an
 * email, and what an archived image's alert says about restoring it.
 */

import { createHash } from 'node:crypto';
import { DEFAULTS } from '../../config/config.ts';
import { SEVERITIES, type Severity } from '../../findings/finding.ts';
import type { Decision } from '../../policy/decision.ts';
import { ecrImageUrl, type ImageLocation, imageUri, inspectorFindingsUrl } from '../console-links.ts';
import { formatCount, oneLine } from '../text.ts';
import { EMAIL_LIST_LIMIT, indent, wrapParagraph } from './email.ts';

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

export function prefixesOf(options: FormatOptions): { approved: string; quarantined: string } {
  return {
    approved: options.approvedPrefix ?? DEFAULTS.approvedPrefix,
    quarantined: options.quarantinedPrefix ?? DEFAULTS.quarantinedPrefix,
  };
}

export function consoleRegion(image: ImageContext, options: FormatOptions): string {
  return options.consoleRegion ?? image.region;
}

/** `repository:tag` for the first source tag (not a gatekeeper tag), else `repository@sha256:<12 hex>`. */
export function imageDisplayName(image: ImageContext, options: FormatOptions): string {
  const { approved, quarantined } = prefixesOf(options);
  const source = [...new Set([...image.tagsBefore, ...image.tagsAfter])]
    .filter((tag) => !tag.startsWith(approved) && !tag.startsWith(quarantined))
    .sort();
  const first = source[0];
  if (first === undefined) return `${image.repository}@${image.digest.slice(0, 19)}`;
  return `${image.repository}:${first}${source.length > 1 ? ` (+${source.length - 1} tags)` : ''}`;
}

export function imageLinks(
  image: ImageContext,
  options: FormatOptions,
): { image: string | null; inspector: string | null } {
  const region = consoleRegion(image, options);
  return { image: ecrImageUrl(image, region), inspector: inspectorFindingsUrl(region) };
}

export function repositoryArn(image: ImageLocation): string {
  const partition = image.region.startsWith('cn-')
    ? 'aws-cn'
    : image.region.startsWith('us-gov-')
      ? 'aws-us-gov'
      : 'aws';
  return `arn:${partition}:ecr:${image.region}:${image.registryId}:repository/${image.repository}`;
}

export function imageThreadId(image: ImageLocation): string {
  return `gatekeeper-${shortHash(`${image.registryId}/${image.region}/${image.repository}@${image.digest}`)}`;
}

export function shortHash(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex').slice(0, 32);
}

export function isoTime(value: string | Date): string {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'unknown' : value.toISOString();
  return oneLine(value, 64);
}

export function summaryText(summary: Readonly<Record<string, number>>): string {
  const known = SEVERITIES.filter((s) => s in summary).map((s) => `${s} ${formatCount(summary[s] ?? 0)}`);
  const extra = Object.keys(summary)
    .filter((key) => !(SEVERITIES as readonly string[]).includes(key))
    .sort()
    .map((key) => `${oneLine(key, 40)} ${formatCount(summary[key] ?? 0)}`);
  return [...known, ...extra].join(', ') || 'none';
}

/** Highest severity with a non-zero count in a decision summary, or NONE. */
export function highestSeverity(summary: Readonly<Record<string, number>>): Severity | 'NONE' {
  for (const severity of SEVERITIES) if ((summary[severity] ?? 0) > 0) return severity;
  return 'NONE';
}

export function imageSection(image: ImageContext, decision: Decision | null): string[] {
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
export function archivedParts(image: ImageContext): { email: string[]; chat: string; machine: unknown } {
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
