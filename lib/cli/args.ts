/**
 * Command-line options on `node:util` parseArgs: `--name value`, `--name=value`, repeatable options, flags, `--`
 * ends options, `-` is a positional (stdin). Unknown options and missing values are usage errors naming the option.
 *
 * parseArgs runs non-strict with `tokens: true`; the loop over its tokens does only what parseArgs cannot:
 * - an unknown option (long or short) is an error naming the argument as typed, with the nearest known option as a
 *   hint (see {@link suggestion}); strict mode would throw its own message without a hint, and short options are
 *   not part of this CLI (`-abc` is reported as "-abc", not split into -a -b -c);
 * - a value option followed by nothing, or by an argument starting with `--` (parseArgs would take `--colour` or
 *   `--` as the value), "needs a value"; a value starting with a single dash (`--policy -x`, `--findings -`) is
 *   taken as given, and `--name=--x` is taken as given too;
 * - a flag given `=value` is an error ("takes no value") where non-strict parseArgs would keep the string;
 * - a single-value option given twice is an error (parseArgs keeps the last one silently).
 */
import { parseArgs as parseTokens } from 'node:util';
import { UsageError } from './errors.ts';
import { nearest } from './suggest.ts';

export type OptionKind = 'single' | 'multi' | 'flag';

export interface ParsedArgs {
  readonly options: ReadonlyMap<string, readonly string[]>;
  readonly positional: readonly string[];
}

/**
 * Parses `args` against `spec` (option name → kind); values in order of appearance, flags as `'true'`.
 * @example parseArgs(['--findings', 'f.json', 'x'], { findings: 'single' }) // options findings → ['f.json'], positional ['x']
 */
export function parseArgs(args: readonly string[], spec: Readonly<Record<string, OptionKind>>): ParsedArgs {
  const config: Record<string, { type: 'string' | 'boolean' }> = Object.create(null);
  for (const [name, kind] of Object.entries(spec))
    config[name] = { type: kind === 'flag' ? 'boolean' : 'string' };
  const { tokens } = parseTokens({ args: [...args], options: config, strict: false, tokens: true });
  const options = new Map<string, string[]>();
  const positional: string[] = [];
  for (const token of tokens) {
    if (token.kind === 'positional') {
      positional.push(token.value);
      continue;
    }
    if (token.kind === 'option-terminator') continue;
    const kind = Object.hasOwn(spec, token.name) ? spec[token.name] : undefined;
    if (kind === undefined || !token.rawName.startsWith('--'))
      throw unknownOption(args[token.index] as string, spec);
    const name = token.name;
    let value: string;
    if (kind === 'flag') {
      if (token.value !== undefined) throw new UsageError(`option "--${name}" takes no value`);
      value = 'true';
    } else if (token.value === undefined || (!token.inlineValue && token.value.startsWith('--'))) {
      throw new UsageError(`option "--${name}" needs a value`);
    } else {
      value = token.value;
    }
    const list = options.get(name) ?? [];
    if (kind === 'single' && list.length > 0) throw new UsageError(`option "--${name}" given more than once`);
    list.push(value);
    options.set(name, list);
  }
  return { options, positional };
}

/** The error for an unknown option, naming it as typed (without any `=value`). */
function unknownOption(arg: string, spec: Readonly<Record<string, OptionKind>>): UsageError {
  if (!arg.startsWith('--'))
    return new UsageError(`unknown option "${arg}"${suggestion(arg.replace(/^-+/, ''), spec)}`);
  const eq = arg.indexOf('=');
  const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
  return new UsageError(`unknown option "--${name}"${suggestion(name, spec)}`);
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
