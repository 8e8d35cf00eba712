/**
 * A small, strict option parser: `--name value`, `--name=value`, repeatable options, flags, `--` ends
 * options. Unknown options and missing values are usage errors naming the option.
 */
import { UsageError } from './errors.ts';
import { nearest } from './suggest.ts';

export type OptionKind = 'single' | 'multi' | 'flag';

export interface ParsedArgs {
  readonly options: ReadonlyMap<string, readonly string[]>;
  readonly positional: readonly string[];
}

export function parseArgs(args: readonly string[], spec: Readonly<Record<string, OptionKind>>): ParsedArgs {
  const options = new Map<string, string[]>();
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--') {
      positional.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--') || arg === '-') {
      if (arg.startsWith('-') && arg !== '-')
        throw new UsageError(`unknown option "${arg}"${suggestion(arg.replace(/^-+/, ''), spec)}`);
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    const kind = Object.hasOwn(spec, name) ? spec[name] : undefined;
    if (kind === undefined) throw new UsageError(`unknown option "--${name}"${suggestion(name, spec)}`);
    let value: string;
    if (kind === 'flag') {
      if (eq >= 0) throw new UsageError(`option "--${name}" takes no value`);
      value = 'true';
    } else if (eq >= 0) {
      value = arg.slice(eq + 1);
    } else {
      const next = args[i + 1];
      if (next === undefined || next.startsWith('--'))
        throw new UsageError(`option "--${name}" needs a value`);
      value = next;
      i++;
    }
    const list = options.get(name) ?? [];
    if (kind === 'single' && list.length > 0) throw new UsageError(`option "--${name}" given more than once`);
    list.push(value);
    options.set(name, list);
  }
  return { options, positional };
}

/** ` (did you mean "--findings"?)` for a mistyped option (see {@link nearest}); '' when none is near. */
export function suggestion(name: string, spec: Readonly<Record<string, OptionKind>>): string {
  const near = nearest(name, Object.keys(spec));
  return near === undefined ? '' : ` (did you mean "--${near}"?)`;
}

export function single(parsed: ParsedArgs, name: string): string | undefined {
  return parsed.options.get(name)?.[0];
}

export function choice<T extends string>(
  parsed: ParsedArgs,
  name: string,
  allowed: readonly T[],
  fallback: T,
): T {
  const value = single(parsed, name);
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(`option "--${name}" must be one of ${allowed.join(', ')}, got "${value}"`);
  }
  return value as T;
}

/** `--now` as an ISO-8601 date-time (or date); default: the current time. */
export function parseNow(parsed: ParsedArgs): Date {
  const value = single(parsed, 'now');
  if (value === undefined) return new Date();
  const ms = /^\d{4}-\d{2}-\d{2}(?:T[\d:.]+(?:Z|[+-]\d{2}:\d{2}))?$/.test(value)
    ? Date.parse(value)
    : Number.NaN;
  if (!Number.isFinite(ms)) {
    throw new UsageError(
      `option "--now" must be an ISO-8601 date-time such as 2026-01-31T12:00:00Z, got "${value}"`,
    );
  }
  return new Date(ms);
}
