/**
 * Plain-text email building blocks shared by every notice kind: wrapping, indenting, links, the footer and the
 * email's byte bound.
 */
import { truncateUtf8 } from '../text.ts';

/** Items listed in an email per section; the rest are counted. */
export const EMAIL_LIST_LIMIT = 20;

/** Upper bound of the email body. */
export const EMAIL_MAX_BYTES = 64 * 1024;

export function indent(lines: readonly string[]): string[] {
  return lines.map((line) => (line === '' ? '' : `  ${line}`));
}

/** Wraps a paragraph at ~100 columns for plain-text email readers. */
export function wrapParagraph(text: string, width = 100): string[] {
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

export function finishEmail(lines: readonly string[]): string {
  const footer = [
    '',
    '--',
    'Sent by ecr-scan-gatekeeper. Filter these alerts with an SNS subscription filter policy on the message',
    'attributes kind, verdict, change, severity, violation_severity, repository, tags, mode, account.',
  ];
  return truncateUtf8(`${[...lines, ...footer].join('\n')}\n`, EMAIL_MAX_BYTES, '\n… (cut)\n');
}

export function linksSection(links: Readonly<Record<string, string | null>>): string[] {
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
