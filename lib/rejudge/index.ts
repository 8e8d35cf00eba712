/** Re-judgement after a policy change: the queue port, its messages and the flow (AWS adapter: sqs-queue.ts). */

export {
  DEFAULT_REJUDGE_SETTINGS,
  POLICY_VERSIONS_CHECKPOINT,
  type RejudgeDependencies,
  type RejudgeSettings,
  RUN_CHECKPOINT,
} from './context.ts';
export { QueueUnavailableError, RejudgeMessageError } from './errors.ts';
export { parseRejudgeMessage, type RejudgeMessage } from './messages.ts';
export { MemoryRejudgeQueue, type RejudgeQueue, SQS_BATCH_ENTRIES } from './queue.ts';
export {
  type BatchResponse,
  type CheckOutcome,
  checkPolicyVersions,
  handleRejudgeBatch,
  handleRejudgeEvent,
} from './rejudge.ts';
export type { RepositoryFlips, RunState } from './run.ts';
