/**
 * The one assembly step of every alert: puts a notice's email, chat and machine bodies into one SNS message and
 * cuts the machine body's lists so the whole publish fits SNS's 262,144-byte limit.
 */

import { randomUUID } from 'node:crypto';
import type { Decision, Violation, Waived } from '../../policy/decision.ts';
import { embeddedJsonBytes, messageSizeBytes, TARGET_PUBLISH_BYTES } from '../message-size.ts';
import type { MessageAttributes, OutboundMessage } from '../notifier.ts';
import { oneLine, truncateUtf8, utf8Bytes } from '../text.ts';
import type { ImageContext } from './context.ts';

/** Strings in the machine JSON longer than this are cut. */
export const MACHINE_STRING_MAX_BYTES = 2_048;

/** Tag lists in the machine JSON never show more than this many tags. */
export const MACHINE_TAGS_LIMIT = 100;

export const NOTIFICATION_SCHEMA = 'ecr-scan-gatekeeper/notification@1';

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
export function withDedupeKey(body: unknown, dedupeKey: string): unknown {
  return typeof body === 'object' && body !== null && !Array.isArray(body) ? { ...body, dedupeKey } : body;
}

/** Lists returned by a {@link ListCut}: their items are capped already. */
export const cutLists = new WeakSet<readonly unknown[]>();

export function isCutList(value: readonly unknown[]): boolean {
  return cutLists.has(value);
}

/** One list of the machine body as measured: its capped items (up to its ceiling) and their wire sizes. */
export interface MeasuredList {
  readonly name: string;
  readonly total: number;
  readonly ceiling: number;
  /** Each capped item serialised: the body is put together from these, so no item is serialised twice. */
  readonly json: readonly string[];
  /** `prefix[n]`: wire bytes of the first n items, commas between them included. */
  readonly prefix: Float64Array;
}

/** One list of the machine body cut to at most `cap` items (and its ceiling). */
export function shownOf(list: MeasuredList, cap: number): number {
  return Math.min(cap, list.ceiling, list.total);
}

/** `truncated: { name: { shown, total } }` for the lists cut at `cap`, in the order the body names them. */
export function truncatedAt(
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

export function machineImage(image: ImageContext, cut: ListCut): Record<string, unknown> {
  return {
    registryId: image.registryId,
    region: image.region,
    repository: image.repository,
    digest: image.digest,
    tagsBefore: cut('image.tagsBefore', [...image.tagsBefore].sort(), MACHINE_TAGS_LIMIT),
    tagsAfter: cut('image.tagsAfter', [...image.tagsAfter].sort(), MACHINE_TAGS_LIMIT),
  };
}

/**
 * The decision as the machine body carries it: strings capped, the image's tags and the violation and waiver
 * lists cut to fit (`violations` and `waived` in the order given, most important first).
 */
export function machineDecision(
  decision: Decision,
  cut: ListCut,
  violations: readonly Violation[] = decision.violations,
  waived: readonly Waived[] = decision.waived,
): Decision {
  return {
    ...(capStrings({ ...decision, violations: [], waived: [] }) as Decision),
    image: capStrings({
      ...decision.image,
      tags: cut('decision.image.tags', decision.image.tags, MACHINE_TAGS_LIMIT),
    }) as Decision['image'],
    violations: cut('decision.violations', violations),
    waived: cut('decision.waived', waived),
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
export function attributeTags(tags: readonly string[]): string[] | undefined {
  const list = [...new Set(tags.map((t) => oneLine(t, 128)).filter((t) => t !== ''))].sort().slice(0, 20);
  return list.length > 0 ? list : undefined;
}

/** Attribute values must not be empty; absent values are left out (a filter on them then does not match). */
export function compactAttributes(
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
