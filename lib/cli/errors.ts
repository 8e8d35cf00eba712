import { GatekeeperError } from '../errors/gatekeeper-error.ts';

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
