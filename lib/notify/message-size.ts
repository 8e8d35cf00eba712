/**
 * How an {@link OutboundMessage} is put on the wire and what it weighs. The SNS adapter and the formatter share
 * these functions, so the size the formatter bounds is exactly the size SNS measures: the `Message` parameter
 * (the JSON structure of per-protocol bodies), the subject, and every attribute's name, type and value
 * ("All parts of the message attribute, including name, type, and value, are included in the message size").
 */
import type { MessageAttributes, OutboundMessage } from './notifier.ts';

/** SNS's default maximum message size: 256 KiB, in bytes, attributes included. */
export const MAX_PUBLISH_BYTES = 262_144;

/** The size the formatter aims for: leaves room for anything SNS might count that we do not. */
export const TARGET_PUBLISH_BYTES = MAX_PUBLISH_BYTES - 2_048;

/** The SNS `Message` parameter for `MessageStructure: 'json'`. Keys in a fixed order, so output is stable. */
export function serialiseBodies(bodies: OutboundMessage['bodies']): string {
  const ordered: Record<string, string> = { default: bodies.default };
  for (const key of ['email', 'https', 'sqs', 'lambda'] as const) {
    const body = bodies[key];
    if (body !== undefined) ordered[key] = body;
  }
  return JSON.stringify(ordered);
}

export interface WireAttribute {
  readonly name: string;
  readonly dataType: 'String' | 'String.Array';
  readonly value: string;
}

/** Attributes as SNS receives them; a list becomes a `String.Array` whose value is a JSON array. */
export function wireAttributes(attributes: MessageAttributes): WireAttribute[] {
  return Object.keys(attributes)
    .sort()
    .map((name) => {
      const value = attributes[name];
      return typeof value === 'string'
        ? { name, dataType: 'String' as const, value }
        : { name, dataType: 'String.Array' as const, value: JSON.stringify(value ?? []) };
    });
}

/** Bytes SNS counts for a publish of this message. */
export function messageSizeBytes(message: OutboundMessage): number {
  let total =
    Buffer.byteLength(serialiseBodies(message.bodies), 'utf8') + Buffer.byteLength(message.subject, 'utf8');
  for (const attribute of wireAttributes(message.attributes)) {
    total +=
      Buffer.byteLength(attribute.name, 'utf8') +
      Buffer.byteLength(attribute.dataType, 'utf8') +
      Buffer.byteLength(attribute.value, 'utf8');
  }
  return total;
}

/**
 * Bytes the JSON text `json` takes once it is itself a string in the SNS `Message` parameter: every `"` and `\`
 * gains a backslash. JSON text (as `JSON.stringify` writes it) has no raw control character and no lone
 * surrogate, so nothing else changes, and the bytes of a concatenation are the sum of the bytes of its parts.
 * @example embeddedJsonBytes('{"a":"é"}') // 14: 10 UTF-8 bytes + 4 backslashes
 */
export function embeddedJsonBytes(json: string): number {
  let escapes = 0;
  for (let i = 0; i < json.length; i += 1) {
    const code = json.charCodeAt(i);
    if (code === 0x22 || code === 0x5c) escapes += 1;
  }
  return Buffer.byteLength(json, 'utf8') + escapes;
}
