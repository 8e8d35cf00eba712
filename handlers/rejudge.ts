/**
 * Re-judgement after a policy change: SQS batches of `plan` / `image` messages (partial batch failures), and the
 * schedule that records the deployed policy version and starts a run when images were decided under another.
 * Wiring only: the flow lives in lib/rejudge.
 */
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { handleRejudgeEvent } from '../lib/rejudge/rejudge.ts';
// AWS wiring, deliberately not in the module entry (it builds the SQS client).
import { getRejudgeDependencies } from '../lib/wiring/rejudge-dependencies.ts';

export const handler = middy().handler(async (event: unknown, context: Context) =>
  handleRejudgeEvent(await getRejudgeDependencies(), event, () => context.getRemainingTimeInMillis()),
);
