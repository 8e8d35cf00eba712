/**
 * Re-judgement after a policy change: SQS batches of `plan` / `image` messages (partial batch failures), and the
 * schedule that records the deployed policy version and starts a run when images were decided under another.
 * Wiring only: the flow lives in lib/rejudge.
 */
import { handleRejudgeEvent } from '../lib/rejudge/rejudge.ts';
import { rejudgeHandler } from '../lib/wiring/rejudge-dependencies.ts';

export const handler = rejudgeHandler((deps, event, context) =>
  handleRejudgeEvent(deps, event, () => context.getRemainingTimeInMillis()),
);
