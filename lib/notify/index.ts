/** Notify module entry: the port, the SNS adapter, the formatter and the size rules. */
export { CHATBOT_LIMITS, type ChatbotNotification } from './chatbot.ts';
export { ecrImageUrl, ecrRepositoryUrl, imageUri, inspectorFindingsUrl } from './console-links.ts';
export { NotifierError, NotifierRejectedError, NotifierUnavailableError } from './errors.ts';
export {
  type DecisionChange,
  type DecisionNotice,
  decisionChange,
  type ErrorNotice,
  type ErrorProblem,
  type FormatOptions,
  formatDecision,
  formatError,
  formatHygieneSummary,
  formatImmutableRepository,
  formatNotification,
  formatSpoofedTag,
  type HygieneSweepSummary,
  type HygieneSweepSummaryNotice,
  highestSeverity,
  type ImageContext,
  type ImmutableRepositoryNotice,
  immutabilityExclusionCommand,
  NOTIFICATION_SCHEMA,
  type Notice,
  restoreFromArchiveCommand,
  type SpoofedTagDetail,
  type SpoofedTagNotice,
} from './format.ts';
export {
  MAX_PUBLISH_BYTES,
  messageSizeBytes,
  serialiseBodies,
  TARGET_PUBLISH_BYTES,
} from './message-size.ts';
export type { MessageAttributes, Notifier, OutboundMessage } from './notifier.ts';
export {
  createSnsClient,
  regionOfTopicArn,
  SNS_RETRY_DEFAULTS,
  SnsNotifier,
  translateSnsError,
} from './sns-notifier.ts';
export { renderWaiverSnippet } from './waiver-snippet.ts';
