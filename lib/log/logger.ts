/**
 * A small structured JSON logger: one line per entry with `level`, `timestamp`, `message`, the bound context
 * (eventId, repository, digest, function …) and the entry's data. Lines are bounded: long strings are cut, large
 * arrays and objects summarised, and a line that is still too long is reduced to its essentials. Values under
 * keys that name secrets (authorization, token, secret, password …) are never written.
 */
import { type LogLevel, levelRank } from './level.ts';
import { DEFAULT_METRICS_NAMESPACE, emfDocument, type MetricSet } from './metrics.ts';

/** Context bound to a logger and repeated on each of its lines. */
export interface LogContext {
  readonly eventId?: string;
  readonly repository?: string;
  readonly digest?: string;
  readonly function?: string;
  readonly [key: string]: unknown;
}

export type LogData = Readonly<Record<string, unknown>>;

export interface Logger {
  readonly level: LogLevel;
  debug(message: string, data?: LogData): void;
  info(message: string, data?: LogData): void;
  warn(message: string, data?: LogData): void;
  /** `error` may be given an Error directly; it is logged under `error` with its cause chain. */
  error(message: string, data?: LogData | Error): void;
  /** A logger with more context; the parent's context comes first, the child's values win. */
  child(context: LogContext): Logger;
  /**
   * Writes one CloudWatch embedded-metric-format line (metrics.ts) with this logger's context. Written at every
   * level except `silent`, so raising LOG_LEVEL never loses metrics. Optional: loggers that do not implement it
   * (test doubles) simply write no metrics.
   */
  metric?(set: MetricSet): void;
}

export interface LoggerOptions {
  readonly level?: LogLevel;
  readonly context?: LogContext;
  /** Receives each complete line without the trailing newline. Default: process.stdout. */
  readonly sink?: (line: string) => void;
  readonly now?: () => Date;
  /** Upper bound of one line in UTF-8 bytes. Default 16 KiB. */
  readonly maxLineBytes?: number;
  /** CloudWatch namespace of the metrics this logger writes. Default `EcrScanGatekeeper`. */
  readonly metricsNamespace?: string;
}

export const DEFAULT_MAX_LINE_BYTES = 16 * 1024;
const REDACTED = '[REDACTED]';
const SECRET_KEY =
  /(authorization|token|secret|password|passwd|credential|api[-_]?key|cookie|private[-_]?key|session)/i;
const RESERVED = new Set(['level', 'timestamp', 'message']);

interface Limits {
  readonly stringChars: number;
  readonly arrayItems: number;
  readonly objectKeys: number;
  readonly depth: number;
}

// Tried in order until the line fits.
const LIMIT_STEPS: readonly Limits[] = [
  { stringChars: 2048, arrayItems: 20, objectKeys: 50, depth: 6 },
  { stringChars: 256, arrayItems: 5, objectKeys: 20, depth: 4 },
  { stringChars: 64, arrayItems: 2, objectKeys: 10, depth: 2 },
];

/**
 * Creates a logger writing JSON lines.
 * @example createLogger({ level: 'info', context: { function: 'image-pushed' } }).child({ eventId }).info('decided')
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const sink = options.sink ?? ((line: string) => process.stdout.write(`${line}\n`));
  const settings: Settings = {
    level: options.level ?? 'info',
    sink,
    now: options.now ?? (() => new Date()),
    maxLineBytes: Math.max(512, options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES),
    metricsNamespace: options.metricsNamespace ?? DEFAULT_METRICS_NAMESPACE,
  };
  return new JsonLogger(settings, { ...(options.context ?? {}) });
}

interface Settings {
  readonly level: LogLevel;
  readonly sink: (line: string) => void;
  readonly now: () => Date;
  readonly maxLineBytes: number;
  readonly metricsNamespace: string;
}

class JsonLogger implements Logger {
  constructor(
    private readonly settings: Settings,
    private readonly context: Record<string, unknown>,
  ) {}

  get level(): LogLevel {
    return this.settings.level;
  }

  debug(message: string, data?: LogData): void {
    this.write('debug', message, data);
  }

  info(message: string, data?: LogData): void {
    this.write('info', message, data);
  }

  warn(message: string, data?: LogData): void {
    this.write('warn', message, data);
  }

  error(message: string, data?: LogData | Error): void {
    this.write('error', message, data instanceof Error ? { error: data } : data);
  }

  child(context: LogContext): Logger {
    return new JsonLogger(this.settings, { ...this.context, ...context });
  }

  metric(set: MetricSet): void {
    if (this.settings.level === 'silent') return;
    const now = this.settings.now();
    const document = emfDocument(this.settings.metricsNamespace, now.getTime(), set);
    if (!document) return;
    // The context is bounded like any line; the EMF members are added unchanged (bounding could cut a values
    // array) and last, so a context key can never replace a dimension value.
    const base = JSON.parse(
      formatLine('info', now.toISOString(), 'metrics', this.context, {}, this.settings.maxLineBytes),
    ) as Record<string, unknown>;
    this.settings.sink(JSON.stringify({ ...base, ...document }));
  }

  private write(level: Exclude<LogLevel, 'silent'>, message: string, data: LogData | undefined): void {
    if (this.settings.level === 'silent' || levelRank(level) < levelRank(this.settings.level)) return;
    const timestamp = this.settings.now().toISOString();
    const line = formatLine(level, timestamp, message, this.context, data ?? {}, this.settings.maxLineBytes);
    this.settings.sink(line);
  }
}

/** Renders one bounded line. Exported for tests of the bounding rules. */
export function formatLine(
  level: string,
  timestamp: string,
  message: string,
  context: Readonly<Record<string, unknown>>,
  data: LogData,
  maxLineBytes: number,
): string {
  for (const limits of LIMIT_STEPS) {
    const entry: Record<string, unknown> = {
      level,
      timestamp,
      message: sanitise(message, limits, 0, new WeakSet()),
    };
    addFields(entry, context, limits);
    addFields(entry, data, limits);
    const line = JSON.stringify(entry);
    if (Buffer.byteLength(line, 'utf8') <= maxLineBytes) return line;
  }
  // Still too long (huge context, thousands of keys): keep what identifies the line.
  const minimal: Record<string, unknown> = { level, timestamp, message: cut(message, 512), truncated: true };
  for (const key of ['eventId', 'repository', 'digest', 'function']) {
    const value = context[key];
    if (typeof value === 'string') minimal[key] = cut(value, 300);
  }
  return JSON.stringify(minimal);
}

function addFields(
  entry: Record<string, unknown>,
  fields: Readonly<Record<string, unknown>>,
  limits: Limits,
): void {
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    const name = RESERVED.has(key) ? `data.${key}` : key;
    entry[name] = SECRET_KEY.test(key) ? REDACTED : sanitise(value, limits, 1, new WeakSet());
  }
}

function sanitise(value: unknown, limits: Limits, depth: number, seen: WeakSet<object>): unknown {
  if (value === null || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'string') return cut(value, limits.stringChars);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'undefined') return null;
  if (typeof value === 'function' || typeof value === 'symbol') return `[${typeof value}]`;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  if (value instanceof Error) return serialiseError(value, limits, depth, seen);
  if (seen.has(value)) return '[Circular]';
  if (depth >= limits.depth) return Array.isArray(value) ? `[Array(${value.length})]` : '[Object]';
  seen.add(value);
  try {
    if (Array.isArray(value) || value instanceof Set) {
      const items = [...value];
      const shown = items.slice(0, limits.arrayItems).map((item) => sanitise(item, limits, depth + 1, seen));
      if (items.length > limits.arrayItems) shown.push(`… ${items.length - limits.arrayItems} more`);
      return shown;
    }
    const entries =
      value instanceof Map
        ? [...value.entries()].map(([k, v]) => [String(k), v] as const)
        : Object.entries(value);
    const result: Record<string, unknown> = {};
    for (const [key, item] of entries.slice(0, limits.objectKeys)) {
      result[key] = SECRET_KEY.test(key) ? REDACTED : sanitise(item, limits, depth + 1, seen);
    }
    if (entries.length > limits.objectKeys) result['…'] = `${entries.length - limits.objectKeys} more keys`;
    return result;
  } finally {
    seen.delete(value);
  }
}

const MAX_CAUSES = 5;

function serialiseError(error: Error, limits: Limits, depth: number, seen: WeakSet<object>): unknown {
  const out: Record<string, unknown> = {
    name: cut(error.name, 200),
    message: cut(error.message, limits.stringChars),
  };
  const extra = error as Error & { code?: unknown; $metadata?: { httpStatusCode?: unknown } };
  if (typeof extra.code === 'string' || typeof extra.code === 'number') out.code = extra.code;
  const status = extra.$metadata?.httpStatusCode;
  if (typeof status === 'number') out.httpStatusCode = status;
  if (error.stack) out.stack = cut(error.stack.split('\n').slice(0, 12).join('\n'), limits.stringChars);
  // Follow the cause chain iteratively so a cyclic chain cannot recurse forever.
  let cause: unknown = error.cause;
  let holder = out;
  for (let i = 0; i < MAX_CAUSES && cause !== undefined; i += 1) {
    if (cause instanceof Error) {
      if (seen.has(cause) || cause === error) {
        holder.cause = '[Circular]';
        return out;
      }
      seen.add(cause);
      const next: Record<string, unknown> = {
        name: cut(cause.name, 200),
        message: cut(cause.message, limits.stringChars),
      };
      holder.cause = next;
      holder = next;
      cause = cause.cause;
    } else {
      holder.cause = sanitise(cause, limits, depth + 1, seen);
      return out;
    }
  }
  if (cause !== undefined) holder.cause = '[more causes omitted]';
  return out;
}

function cut(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  // Never split a surrogate pair.
  let end = maxChars;
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…(+${text.length - end} chars)`;
}
