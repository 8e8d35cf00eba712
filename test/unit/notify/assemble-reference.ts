/**
 * The first way alerts were cut to SNS's limit, kept as the reference the new cut is compared with (tests) and
 * timed against (bench/alert-size.ts): one cap for every list, found by a binary search that re-serialises and
 * re-measures the whole message on every try. It runs on the same {@link AlertParts} as `assemble`.
 */
import { type AlertParts, capStrings, type ListCut } from '../../../lib/notify/format.ts';
import { messageSizeBytes, TARGET_PUBLISH_BYTES } from '../../../lib/notify/message-size.ts';
import type { OutboundMessage } from '../../../lib/notify/notifier.ts';
import { truncateUtf8, utf8Bytes } from '../../../lib/notify/text.ts';

/** The machine body with every list cut to `cap` items (and its ceiling), as the first implementation built it. */
function machineAt(parts: AlertParts, cap: number): Record<string, unknown> {
  const truncated: Record<string, { shown: number; total: number }> = {};
  const cut: ListCut = (name, list, ceiling = Number.POSITIVE_INFINITY) => {
    const limit = Math.min(cap, ceiling);
    if (list.length > limit) truncated[name] = { shown: limit, total: list.length };
    return list.slice(0, limit).map(capStrings) as never;
  };
  const body = parts.machine(cut);
  return Object.keys(truncated).length > 0 ? { ...body, truncated } : body;
}

/** The longest list the body names: where the first implementation's search started. */
function longestList(parts: AlertParts): number {
  let longest = 0;
  parts.machine((_name, list, ceiling = Number.POSITIVE_INFINITY) => {
    longest = Math.max(longest, Math.min(list.length, ceiling));
    return [];
  });
  return longest;
}

export function referenceAssemble(parts: AlertParts): OutboundMessage {
  const https = JSON.stringify(parts.chat);
  const build = (cap: number, email: string): OutboundMessage => ({
    subject: parts.subject,
    bodies: {
      default: JSON.stringify({ ...machineAt(parts, cap), dedupeKey: parts.dedupeKey }),
      email,
      https,
    },
    attributes: parts.attributes,
    dedupeKey: parts.dedupeKey,
  });
  const fits = (message: OutboundMessage) => messageSizeBytes(message) <= TARGET_PUBLISH_BYTES;
  const listLength = longestList(parts);
  const full = build(listLength, parts.emailText);
  if (fits(full)) return full;
  let low = 0;
  let high = listLength;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (fits(build(mid, parts.emailText))) low = mid;
    else high = mid - 1;
  }
  const message = build(low, parts.emailText);
  if (fits(message)) return message;
  const excess = messageSizeBytes(message) - TARGET_PUBLISH_BYTES;
  const email = truncateUtf8(
    parts.emailText,
    Math.max(0, utf8Bytes(parts.emailText) - excess * 2 - 64),
    '\n… (cut)',
  );
  return build(low, email);
}
