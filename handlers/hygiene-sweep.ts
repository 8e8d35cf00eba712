/** Nightly hygiene sweep, its resume schedule, and repository creation. Wiring only: the flow lives in lib/hygiene. */
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { runSweep } from '../lib/hygiene/sweep.ts';
import { getSweepDependencies } from '../lib/hygiene/sweep-dependencies.ts';
import { parseSweepEvent } from '../lib/hygiene/sweep-event.ts';

export const handler = middy().handler(async (event: unknown, context: Context) =>
  runSweep(await getSweepDependencies(), parseSweepEvent(event), () => context.getRemainingTimeInMillis()),
);
