/** Nightly hygiene sweep, its resume schedule, and repository creation. Wiring only: the flow lives in lib/hygiene. */
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { parseSweepEvent, runSweep } from '../lib/hygiene/index.ts';
// AWS wiring, deliberately not in the module entry (it builds the gate's clients).
import { getSweepDependencies } from '../lib/wiring/sweep-dependencies.ts';

export const handler = middy().handler(async (event: unknown, context: Context) =>
  runSweep(await getSweepDependencies(), parseSweepEvent(event), () => context.getRemainingTimeInMillis()),
);
