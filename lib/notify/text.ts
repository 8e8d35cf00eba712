/**
 * Text helpers for notifications: byte-bounded truncation that never cuts a UTF-8 sequence, and sanitising of
 * text that comes from outside (repository names, tags, finding titles) before it is put in a subject, an email
 * or a chat message.
 */

export const ELLIPSIS = '…';

/** UTF-8 byte length of a string. */
export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/**
 * Cuts `text` so that it takes at most `maxBytes` UTF-8 bytes, ending with `marker` when something was cut.
 * The cut always falls on a character boundary.
 * @example truncateUtf8('héllo', 4) // 'h…' (é is 2 bytes, … is 3)
 */
export function truncateUtf8(text: string, maxBytes: number, marker = ELLIPSIS): string {
  if (utf8Bytes(text) <= maxBytes) return text;
  const markerBytes = utf8Bytes(marker);
  if (maxBytes < markerBytes) return '';
  const encoded = Buffer.from(text, 'utf8');
  let end = maxBytes - markerBytes;
  // Back off over continuation bytes (10xxxxxx) so the cut lands before a sequence's first byte.
  while (end > 0 && ((encoded[end] ?? 0) & 0xc0) === 0x80) end -= 1;
  return encoded.subarray(0, end).toString('utf8') + marker;
}

// C0/C1 controls, DEL, line/paragraph separators and bidirectional overrides (which can disguise text).
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the purpose.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g;

/** One-line text from outside: control and bidi characters become `?`, runs of blanks one space. */
export function oneLine(text: string, maxBytes = 512): string {
  return truncateUtf8(
    text
      .replace(/[\t\n\r\v\f ]+/g, ' ')
      .replace(UNSAFE, '?')
      .trim(),
    maxBytes,
  );
}

/** Multi-line text from outside (e.g. a scan failure description): keeps line breaks, drops other controls. */
export function multiLine(text: string, maxBytes: number): string {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  return truncateUtf8(lines.map((line) => line.replace(UNSAFE, '?').trimEnd()).join('\n'), maxBytes);
}

export const MAX_SUBJECT_CHARS = 100;

/**
 * An SNS email subject: printable ASCII only (anything else becomes `?`), no line breaks, at most 100
 * characters, never empty.
 */
export function sanitiseSubject(text: string): string {
  const ascii = text
    .replace(/\s+/g, ' ')
    .replace(/[^\x20-\x7e]/g, '?')
    .trim();
  const bounded =
    ascii.length <= MAX_SUBJECT_CHARS ? ascii : `${ascii.slice(0, MAX_SUBJECT_CHARS - 3).trimEnd()}...`;
  return bounded === '' ? 'ecr-scan-gatekeeper notification' : bounded;
}

/** Text from outside placed in a chat message: one line, and Slack's control characters escaped. */
export function chatText(text: string, maxBytes = 512): string {
  return oneLine(text, maxBytes)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/`/g, "'");
}

/** `1234567` → `1,234,567` without depending on the runtime locale. */
export function formatCount(value: number): string {
  return String(Math.trunc(value)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}
