/**
 * Renders every alert the gatekeeper sends into one {@link OutboundMessage} (pure, deterministic: the same input
 * gives the same bytes). One SNS publish reaches every subscriber with `MessageStructure: 'json'`:
 *
 * - `email`: plain text for people (what happened, why, top findings with links, waivers used, how to waive);
 * - `https`: the AWS Chatbot custom notification (Chatbot subscribes over HTTPS), rendered in Slack;
 * - `default`: the notification JSON for machines (SQS, Lambda, email-json, HTTP, Firehose all fall back to it),
 *   carrying the decision contract unchanged except that long lists may be cut (`truncated` says how much).
 *
 * Message attributes (kind, verdict, change, severity, violation_severity, repository, tags, mode, account) are
 * set for subscription filter policies. The whole publish (bodies + subject + attributes) is kept under SNS's
 * 262,144-byte limit: lists are cut with "… and N more" and every cut is made on UTF-8 boundaries.
 *
 * One module per notice kind under notices/ renders its texts and machine body; notices/assemble.ts is the one
 * assembly step that puts them into a message and cuts it to size. This file is the entry that picks the kind.
 */

import { type AlertParts, assemble } from './notices/assemble.ts';
import type { FormatOptions } from './notices/context.ts';
import { type DecisionNotice, decisionParts } from './notices/decision.ts';
import { type ErrorNotice, errorParts } from './notices/error.ts';
import { type HygieneSweepSummaryNotice, hygieneSummaryParts } from './notices/hygiene-summary.ts';
import { type ImmutableRepositoryNotice, immutableRepositoryParts } from './notices/immutable-repository.ts';
import { type SpoofedTagNotice, spoofedTagParts } from './notices/spoofed-tag.ts';
import type { OutboundMessage } from './notifier.ts';

export {
  type AlertParts,
  assemble,
  capStrings,
  type ListCut,
  MACHINE_STRING_MAX_BYTES,
  MACHINE_TAGS_LIMIT,
  NOTIFICATION_SCHEMA,
} from './notices/assemble.ts';
export {
  type FormatOptions,
  highestSeverity,
  type ImageContext,
  restoreFromArchiveCommand,
} from './notices/context.ts';
export {
  type DecisionChange,
  type DecisionNotice,
  decisionChange,
  formatDecision,
} from './notices/decision.ts';
export { EMAIL_LIST_LIMIT, EMAIL_MAX_BYTES } from './notices/email.ts';
export { type ErrorNotice, type ErrorProblem, formatError } from './notices/error.ts';
export {
  formatHygieneSummary,
  type HygieneSweepSummary,
  type HygieneSweepSummaryNotice,
} from './notices/hygiene-summary.ts';
export {
  formatImmutableRepository,
  type ImmutableRepositoryNotice,
  immutabilityExclusionCommand,
} from './notices/immutable-repository.ts';
export { formatSpoofedTag, type SpoofedTagDetail, type SpoofedTagNotice } from './notices/spoofed-tag.ts';

export type Notice =
  | DecisionNotice
  | SpoofedTagNotice
  | ImmutableRepositoryNotice
  | ErrorNotice
  | HygieneSweepSummaryNotice;

/**
 * Renders any notice. Equivalent to calling the per-kind function.
 * @example formatNotification({ kind: 'decision', decision, image, previousVerdict: null }, { now: new Date() })
 */
export function formatNotification(notice: Notice, options: FormatOptions): OutboundMessage {
  return assemble(alertParts(notice, options));
}

/** The parts of any notice's alert, before {@link assemble} cuts it to fit (the bench and the tests compare cuts on them). */
export function alertParts(notice: Notice, options: FormatOptions): AlertParts {
  switch (notice.kind) {
    case 'decision':
      return decisionParts(notice, options);
    case 'spoofed-tag':
      return spoofedTagParts(notice, options);
    case 'immutable-repository':
      return immutableRepositoryParts(notice, options);
    case 'error':
      return errorParts(notice, options);
    case 'hygiene-summary':
      return hygieneSummaryParts(notice, options);
  }
}
