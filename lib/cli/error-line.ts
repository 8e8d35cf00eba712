/**
 * What every entry of the command (the `gatekeeper` bin, the GitHub Action) reports the same way: the one line
 * that explains an exit 2, and the tool's version. Kept apart from main.ts so the Action's bundle does not carry
 * the other commands.
 */
import { readFileSync } from 'node:fs';
import { GatekeeperError, InvalidInputError } from '../errors/gatekeeper-error.ts';
import { PolicySetInvalidError } from '../policy/index.ts';
import type { CommandName } from './command-usage.ts';
import { UsageError } from './errors.ts';
import type { CliIo } from './io.ts';

/**
 * The one line (`gatekeeper: …`, no newline) that reports an exit-2 error: bad usage with a pointer to the
 * command's help, bad input naming the file and field, an invalid policy set naming its first problem.
 * @example errorLine(new UsageError('option "--findings FILE" is required'), io, 'evaluate')
 */
export function errorLine(error: unknown, io: Pick<CliIo, 'env'>, command: CommandName | null): string {
  if (error instanceof UsageError) {
    const help = command === null ? 'gatekeeper --help' : `gatekeeper ${command} --help`;
    return `gatekeeper: ${oneLine(error.message)}; see "${help}"`;
  }
  if (
    error instanceof PolicySetInvalidError ||
    error instanceof InvalidInputError ||
    error instanceof GatekeeperError
  ) {
    // PolicySetInvalidError's message is its first error and how many more (`policy validate` lists them all).
    return `gatekeeper: ${oneLine(error.message)}`;
  }
  // A bug, not a decision: never exit 0 or 1 on it.
  const message = oneLine(String(error instanceof Error ? error.message : error));
  if (!io.env.GATEKEEPER_DEBUG)
    return `gatekeeper: internal error: ${message} (GATEKEEPER_DEBUG=1 adds the stack)`;
  return `gatekeeper: internal error: ${message}${error instanceof Error ? ` ${oneLine(String(error.stack))}` : ''}`;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ');
}

let cachedVersion: string | undefined;
/** The package version (package.json two levels up: from lib/cli/ in a checkout, from the bundles in dist/). */
export function toolVersion(): string {
  if (cachedVersion === undefined) {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version?: unknown;
    };
    cachedVersion = typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  }
  return cachedVersion;
}
