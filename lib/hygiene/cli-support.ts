/**
 * Small helpers shared by the hygiene CLI subcommands (lib/cli/lifecycle-command.ts, hygiene-command.ts):
 * argument parsing with clear usage errors and file reading that names the file.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { InvalidInputError } from '../errors/gatekeeper-error.ts';
import { parseTimestamp } from './timestamps.ts';

export interface CliIo {
  readonly stdout: { write(chunk: string): unknown };
  readonly stderr: { write(chunk: string): unknown };
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
}

export class UsageError extends Error {}

/** Parses `--name value` / `--name=value` options; repeated names collect. Positional arguments are returned apart. */
export function parseOptions(
  args: readonly string[],
  known: Readonly<Record<string, 'single' | 'multi' | 'flag'>>,
): { options: Map<string, string[]>; positional: string[] } {
  const options = new Map<string, string[]>();
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(2, eq) : arg.slice(2);
    const kind = known[name];
    if (!kind) throw new UsageError(`unknown option --${name}`);
    let value: string;
    if (kind === 'flag') value = 'true';
    else if (eq > 0) value = arg.slice(eq + 1);
    else {
      const next = args[i + 1];
      if (next === undefined || next.startsWith('--')) throw new UsageError(`--${name} needs a value`);
      value = next;
      i += 1;
    }
    const list = options.get(name) ?? [];
    if (kind === 'single' && list.length > 0) throw new UsageError(`--${name} given twice`);
    list.push(value);
    options.set(name, list);
  }
  return { options, positional };
}

export function parseNow(value: string | undefined): number {
  if (value === undefined) return Date.now();
  const ms = parseTimestamp(value);
  if (ms === null || typeof value !== 'string' || /^\d+(\.\d+)?$/.test(value)) {
    throw new UsageError(`--now must be an ISO-8601 time such as 2026-01-10T12:00:00Z (got "${value}")`);
  }
  return ms;
}

export async function readJsonFile(io: CliIo, file: string): Promise<unknown> {
  const path = resolve(io.cwd, file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new InvalidInputError(
      file,
      null,
      `cannot read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InvalidInputError(file, null, `not valid JSON (${(error as Error).message})`);
  }
}

export async function readTextFile(io: CliIo, file: string): Promise<string> {
  try {
    return await readFile(resolve(io.cwd, file), 'utf8');
  } catch (error) {
    throw new InvalidInputError(
      file,
      null,
      `cannot read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
}
