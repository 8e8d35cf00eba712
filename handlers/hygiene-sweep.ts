/** Nightly hygiene sweep, its resume schedule, and repository creation. Wiring only: the flow lives in lib/hygiene. */
import { parseSweepEvent, runSweep } from '../lib/hygiene/index.ts';
import { sweepHandler } from '../lib/wiring/sweep-dependencies.ts';

export const handler = sweepHandler((deps, event, context) =>
  runSweep(deps, parseSweepEvent(event), () => context.getRemainingTimeInMillis()),
);
