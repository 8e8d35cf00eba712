/** Log levels, least to most severe. `silent` writes nothing. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Severity rank used to compare a line's level with the logger's threshold. */
export function levelRank(level: LogLevel): number {
  return LOG_LEVELS.indexOf(level);
}

/**
 * Reads a LOG_LEVEL value (case-insensitive, surrounding blanks ignored). Returns null when the value is not a
 * known level, so callers decide whether that is an error (lib/config) or a fallback (early logging).
 * @example parseLogLevel('WARN') // 'warn'
 */
export function parseLogLevel(value: string): LogLevel | null {
  const normalised = value.trim().toLowerCase();
  return (LOG_LEVELS as readonly string[]).includes(normalised) ? (normalised as LogLevel) : null;
}
