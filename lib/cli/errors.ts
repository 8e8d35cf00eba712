import { GatekeeperError } from '../errors/gatekeeper-error.ts';
import { nearest } from './suggest.ts';

/** Wrong command line (unknown option, missing value): exit 2 with the usage hint. */
export class UsageError extends GatekeeperError {}

/** Exit codes of every `gatekeeper` command (DESIGN.md "gatekeeper CLI"). */
export const EXIT = {
  /** approved / valid / tests passing */
  ok: 0,
  /** quarantined / policy test failures */
  failed: 1,
  /** bad usage or bad input */
  invalid: 2,
} as const;

/**
 * The error for `gatekeeper COMMAND SUB` when SUB is missing or not one of `known` (with the nearest as a hint).
 * @example throw unknownSubcommand('policy', 'valdiate', ['validate', 'test']) // … (did you mean "policy validate"?)
 */
export function unknownSubcommand(
  command: string,
  sub: string | undefined,
  known: readonly string[],
): UsageError {
  if (sub === undefined || sub.startsWith('-'))
    return new UsageError(`missing subcommand: ${command} ${known.join('|')}`);
  const near = nearest(sub, known);
  return new UsageError(
    `unknown subcommand "${command} ${sub}"${near === undefined ? '' : ` (did you mean "${command} ${near}"?)`}`,
  );
}
