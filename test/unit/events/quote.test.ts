import { describe, expect, it } from 'vitest';
import { quote } from '../../../lib/events/quote.ts';

describe('quote: a value from an event as it appears in an error message', () => {
  it.each<[string, unknown, string]>([
    ['a plain string, as JSON', 'latest', '"latest"'],
    ['a number and null, as JSON', 42, '42'],
    ['null', null, 'null'],
    ['a C1 control and a bidi override, escaped', 'a\u0085\u202eb', '"a\\u0085\\u202eb"'],
    ['a zero-width space and a non-ASCII letter, escaped', 'caf\u00e9\u200b', '"caf\\u00e9\\u200b"'],
    ['a line break, escaped by JSON', 'a\nb', '"a\\nb"'],
    ['an unpaired surrogate, escaped', 'x\ud800', '"x\\ud800"'],
    ['undefined, named', undefined, 'undefined'],
    ['a BigInt (not JSON), named by its type', 1n, '<bigint>'],
  ])('%s', (_name, value, expected) => {
    expect(quote(value)).toBe(expected);
  });

  it('cuts long values to 120 characters, still printable ASCII when emoji are cut', () => {
    const text = quote(`${'a'.repeat(100)}${'\u{1f642}'.repeat(20)}`);
    expect(text).toHaveLength(120);
    expect(text.endsWith('...')).toBe(true);
    expect(text).toMatch(/^[\x20-\x7e]+$/);
  });
});
