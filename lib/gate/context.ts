/**
 * What the gate's flows receive: ports, the policy set, settings and a clock, built once per cold start by
 * dependencies.ts (or by a test). Nothing in lib/gate creates an AWS client.
 */

import type { ImageRef } from '../events/image-ref.ts';
import type { Finding } from '../findings/finding.ts';
import type { Ledger } from '../ledger/ledger.ts';
import type { Logger } from '../log/logger.ts';
import type { SpoofedTagDetail } from '../notify/format.ts';
import type { Notifier, OutboundMessage } from '../notify/notifier.ts';
import type { Decision, Verdict } from '../policy/decision.ts';
import type { PolicySet } from '../policy/policy-set.ts';
import type { Registry } from '../registry/registry.ts';
import type { DecisionPlan } from './plan.ts';
import type { ScanningCache } from './scanning-cache.ts';
import type { TagScheme } from './tags.ts';

/** Timing knobs. The defaults (DEFAULT_GATE_SETTINGS) are explained there. */
export interface GateSettings {
  /** While an event is younger than this, "not ready" is thrown so Lambda's async retries re-check it. */
  readonly notReadyRetryWindowMs: number;
  /** COMPLETE/ACTIVE with no findings and no counts within this long after an enhanced scan is "not ready". */
  readonly enhancedSettleMs: number;
  /** A finding event is coalesced when findings were read at least this long after the event's time. */
  readonly coalesceMarginMs: number;
  /** A notification claimed longer ago than this by a crashed invocation may be claimed again. */
  readonly notificationLeaseMs: number;
  /** An untagged image pushed less than this long ago may be the child of an index not yet seen. */
  readonly parentWaitMs: number;
  /** Attempts when concurrent invocations race on one image's ledger record. */
  readonly contentionAttempts: number;
}

/**
 * Defaults: Lambda retries a failed async invocation after ~1 and ~2 more minutes, so a 150 s window gives a
 * not-ready event two re-checks and never sends it to the dead-letter queue; later it is left pending for the
 * sweep. Enhanced findings usually appear seconds after COMPLETE (aws/aws-sdk#289); 15 minutes is generous.
 */
export const DEFAULT_GATE_SETTINGS: GateSettings = Object.freeze({
  notReadyRetryWindowMs: 150_000,
  enhancedSettleMs: 15 * 60_000,
  coalesceMarginMs: 30_000,
  notificationLeaseMs: 120_000,
  parentWaitMs: 120_000,
  contentionAttempts: 5,
});

/** Input of the message announcing a decision (rendered by lib/notify, see messages.ts). */
export interface DecisionMessageInput {
  readonly decision: Decision;
  readonly image: ImageRef;
  readonly tagsBefore: readonly string[];
  readonly tagsAfter: readonly string[];
  /** Verdict recorded before this decision, null for the first. */
  readonly previousVerdict: Verdict | null;
  /** The findings evaluated (scores, fixed-in versions and links in the alert). */
  readonly findings: readonly Finding[];
  /** Scan status when the decision came from the fail-closed table (no findings), else null. */
  readonly scanStatus: string | null;
  /** Decision tags an immutable repository refused. */
  readonly refusedTags: readonly string[];
  readonly problems: readonly string[];
  /** The image is archived by the quarantine option: the message says how to restore it. */
  readonly archived?: boolean;
  /** When the change was decided (ISO-8601): the time the message shows, so a re-sent copy is identical. */
  readonly at?: string;
  /** The ledger's id of the state change announced (`<image key>#<seq>`): the message's dedupe key is built from it. */
  readonly stateChange?: string;
}

export type GateAlertKind =
  | 'spoofed-tag'
  | 'tag-limit'
  | 'scan-not-started'
  | 'policy-set-invalid'
  | 'archive-bypassed'
  | 'action-failed';

/** Input of an alert that is not a verdict. */
export interface GateAlertInput {
  readonly kind: GateAlertKind;
  readonly image: ImageRef | null;
  readonly tagsBefore: readonly string[];
  readonly tagsAfter: readonly string[];
  /** The tags concerned (spoofed tags removed …). */
  readonly tags: readonly string[];
  readonly detail: string;
  readonly decision: Decision | null;
  /** spoofed-tag only: where the tag came from, and whether it is put back on the digest it was written on. */
  readonly spoof?: SpoofedTagDetail | null;
}

/** Renders the gate's messages. messages.ts implements it with lib/notify's formatters. */
export interface GateMessages {
  decision(input: DecisionMessageInput): OutboundMessage;
  alert(input: GateAlertInput): OutboundMessage;
}

export interface GateDependencies {
  readonly registry: Registry;
  readonly ledger: Ledger;
  readonly notifier: Notifier;
  readonly messages: GateMessages;
  /** null when the policy set could not be loaded: the gate then approves nothing. */
  readonly policySet: PolicySet | null;
  /** Why the policy set is unavailable (for logs and the error). */
  readonly policySetProblem: string | null;
  readonly scheme: TagScheme;
  /** Repository globs the gatekeeper acts on. */
  readonly repositoryScope: readonly string[];
  readonly logger: Logger;
  readonly now: () => Date;
  readonly settings: GateSettings;
  /** The warm container's scanning-configuration cache (scanning-cache.ts); absent: read every time. */
  readonly scanningCache?: ScanningCache;
}

/** What caused a decision attempt. `id` is the event id (or sweep id); `time` the event's time. */
export type GateTrigger =
  | {
      readonly kind: 'scan-completed';
      readonly id: string;
      readonly time: string;
      readonly scanner: 'basic' | 'enhanced';
      readonly scanStatus: string;
      readonly severityCountsHint: Readonly<Record<string, number>>;
    }
  | {
      readonly kind: 'finding-changed';
      readonly id: string;
      readonly time: string;
      readonly findingArn: string;
      /** ACTIVE, SUPPRESSED or CLOSED: the finding's state the event announces. */
      readonly findingStatus?: string | null;
      /** The finding's `updatedAt` in the event (ISO-8601), null when absent. */
      readonly findingUpdatedAt?: string | null;
    }
  | { readonly kind: 'push'; readonly id: string; readonly time: string; readonly tag: string | null }
  /** An archived image was restored (ECR Image Action UPDATE_STORAGE_CLASS → STANDARD): decide it afresh. */
  | { readonly kind: 'restored'; readonly id: string; readonly time: string }
  | {
      readonly kind: 'sweep';
      readonly id: string;
      /** undecided: no decision; exception-expired: a waiver ran out; drift: the tags do not show the ledger's decision; fix-deadline: an image at risk reached an alert stage or its fix deadline. */
      readonly reason: 'undecided' | 'exception-expired' | 'drift' | 'fix-deadline';
    }
  /** Re-judgement of a decided image after a policy change (lib/rejudge): `id` is the re-judgement run. */
  | { readonly kind: 'rejudge'; readonly id: string; readonly reason: 'policy-version' };

export type GateOutcomeKind =
  /** A new or changed verdict was recorded and applied. */
  | 'decided'
  /** Same verdict, findings and policy as recorded: no ECR write, no publish. */
  | 'unchanged'
  /** Scan not finished or findings not visible yet: no verdict. */
  | 'not-ready'
  /** The image no longer exists: logged, nothing to do. */
  | 'gone'
  /** A finding event older than the last evaluation: already covered. */
  | 'coalesced'
  /** A push recorded as pending (scan ensured), or an own tag / out-of-scope repository ignored. */
  | 'pending'
  | 'ignored'
  /** A reserved-prefix tag the gatekeeper did not write was removed and alerted. */
  | 'spoof-removed';

export interface GateOutcome {
  readonly outcome: GateOutcomeKind;
  readonly image: ImageRef;
  readonly verdict: Verdict | null;
  /** Why, in one line (not-ready reason, ignore reason, fail-closed reason). */
  readonly detail: string | null;
  readonly tagsBefore: readonly string[];
  readonly tagsAfter: readonly string[];
  readonly plan: DecisionPlan | null;
  /** Subject of the message published by this attempt, if any. */
  readonly notified: string | null;
  readonly problems: readonly string[];
  /** Set when events about a child image decided its multi-arch index. */
  readonly decidedVia?: string;
  /** The indexes above the image that were decided too (multi-arch graph), with their outcome. */
  readonly indexes?: readonly {
    readonly digest: string;
    readonly outcome: GateOutcomeKind;
    readonly verdict: Verdict | null;
  }[];
  /** Digests that lost a decision tag to this decision (repository-wide tag names): decided again. */
  readonly displaced?: readonly string[];
  /** The decision reached by this attempt (absent when none was: not ready, gone, coalesced …). */
  readonly decision?: Decision;
}
