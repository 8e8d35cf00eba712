/**
 * How a value read from an event appears in an error message: JSON, printable ASCII only (every other
 * character as a `\uXXXX` escape, so no control, bidi or invisible character and no half of a surrogate pair
 * reaches a log line), cut to 120 characters.
 *
 * @example quote('a\u0085b') // → '"a\\u0085b"'
 */
export function quote(value: unknown): string {
  let text: string;
  try {
    text = typeof value === 'string' ? JSON.stringify(value) : String(JSON.stringify(value) ?? value);
  } catch {
    text = `<${typeof value}>`;
  }
  const ascii = text.replace(/[^\x20-\x7e]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return ascii.length > 120 ? `${ascii.slice(0, 117)}...` : ascii;
}
