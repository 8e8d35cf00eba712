import { describe, expect, it } from 'vitest';
import {
  chatText,
  formatCount,
  oneLine,
  sanitiseSubject,
  truncateUtf8,
  utf8Bytes,
} from '../../../lib/notify/text.ts';

describe('truncateUtf8', () => {
  it.each([
    ['ASCII that fits', 'hello', 5, 'hello'],
    ['ASCII cut', 'hello world', 8, 'hello…'],
    ['2-byte é at the cut', 'héllo', 4, 'h…'],
    ['2-byte é kept', 'héllo!', 6, 'hé…'],
    ['3-byte 漢 at the cut', '漢字漢字', 8, '漢…'],
    ['4-byte emoji at the cut', '🔥🔥🔥', 9, '🔥…'],
    ['budget below the marker', 'abcdef', 2, ''],
  ])('%s', (_what, text, max, expected) => {
    expect(truncateUtf8(text, max)).toBe(expected);
  });

  it('never exceeds the budget nor splits a sequence, at every cut point', () => {
    const text = 'aé漢🔥'.repeat(20);
    for (let max = 0; max <= utf8Bytes(text) + 1; max += 1) {
      const cut = truncateUtf8(text, max);
      expect(utf8Bytes(cut)).toBeLessThanOrEqual(max);
      expect(cut).not.toContain('\ufffd');
      if (cut !== '' && cut !== text) expect(text.startsWith(cut.slice(0, -1))).toBe(true);
    }
  });
});

describe('sanitiseSubject', () => {
  it.each([
    ['line breaks', 'a\r\nb\nc', 'a b c'],
    ['non-ASCII', 'café ✓', 'caf? ?'],
    ['empty', '   ', 'ecr-scan-gatekeeper notification'],
    ['long', 'x'.repeat(150), `${'x'.repeat(97)}...`],
  ])('%s', (_what, input, expected) => {
    expect(sanitiseSubject(input)).toBe(expected);
  });
});

describe('oneLine and chatText', () => {
  it('replaces control and bidi characters and collapses blanks', () => {
    expect(oneLine('a\u0000b\u202e c\t\td\u0085e')).toBe('a?b? c d?e');
  });

  it('escapes what Slack treats as markup', () => {
    expect(chatText('<@U123> & `x`')).toBe("&lt;@U123&gt; &amp; 'x'");
  });
});

it('formatCount groups thousands', () => {
  expect([0, 999, 1000, 9980, 1234567].map(formatCount)).toEqual(['0', '999', '1,000', '9,980', '1,234,567']);
});
