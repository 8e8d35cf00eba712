/**
 * The exact bytes subscribers receive, pinned: every body, the subject, the attributes and the dedupe key of
 * representative notices of each kind (wire-notices.ts) must equal the files in wire/. Small notices are pinned
 * in full; cut ones by the SHA-256 of their serialised message plus what was cut. A change of format is made on
 * purpose, by updating these files in the same commit.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatNotification } from '../../../lib/notify/format.ts';
import type { OutboundMessage } from '../../../lib/notify/notifier.ts';
import { cutWireCases, smallWireCases, WIRE_OPTIONS } from './wire-notices.ts';

const WIRE = new URL('./wire/', import.meta.url);

function wire(message: OutboundMessage): string {
  return `${JSON.stringify(message, null, 2)}\n`;
}

describe('wire bytes of alerts that are not cut', () => {
  it.each(smallWireCases().map((c) => [c.name, c] as const))('%s is byte for byte as pinned', (name, c) => {
    const message = formatNotification(c.notice, c.options ?? WIRE_OPTIONS);
    expect(message.bodies.default).not.toContain('"truncated"');
    // Compared as JSON text, key order included, so the pinned files may be formatted.
    expect(JSON.stringify(message)).toBe(
      JSON.stringify(JSON.parse(readFileSync(new URL(`${name}.json`, WIRE), 'utf8'))),
    );
  });
});

describe('wire bytes of alerts that are cut', () => {
  it.each(cutWireCases().map((c) => [c.name, c] as const))('%s is byte for byte as pinned', (name, c) => {
    const message = formatNotification(c.notice, c.options ?? WIRE_OPTIONS);
    const machine = JSON.parse(message.bodies.default) as { truncated?: unknown };
    const pinned = {
      sha256: createHash('sha256').update(wire(message), 'utf8').digest('hex'),
      truncated: machine.truncated ?? null,
    };
    expect(pinned.truncated).not.toBeNull();
    expect(pinned).toEqual(JSON.parse(readFileSync(new URL(`${name}.json`, WIRE), 'utf8')));
  });
});
