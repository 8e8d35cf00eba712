/** Gate module entry: decide images, handle events, tag scheme, planning. */
export { type ApplyResult, applyPlan, immutableAdvice } from './apply.ts';
export {
  DEFAULT_GATE_SETTINGS,
  type GateDependencies,
  type GateMessages,
  type GateOutcome,
  type GateOutcomeKind,
  type GateSettings,
  type GateTrigger,
} from './context.ts';
export {
  checkDeadlines,
  type DeadlineCheckOptions,
  type DeadlineCheckResult,
  sendDueAlert,
} from './deadline-check.ts';
export { decideImage } from './decide-image.ts';
export {
  GateContentionError,
  InvalidTagSchemeError,
  NotificationInFlightError,
  NotReadyError,
  PolicySetUnavailableError,
  RetryableGateError,
} from './errors.ts';
export { findingsDigest } from './fingerprint.ts';
export {
  type GateHandlerResult,
  handleGateEvent,
  isFinal,
  isRetryable,
  routeEvent,
} from './handle-event.ts';
export { handleImagePushed } from './handle-push.ts';
export { notifyMessages } from './messages.ts';
export { type DecisionPlan, type PlanInput, type PolicyActions, planDecision } from './plan.ts';
export { checkDecisionTags, checkDecisionTagsMany } from './projection.ts';
export { classifyScan, type Readiness } from './readiness.ts';
export * from './tags.ts';
