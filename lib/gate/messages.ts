/**
 * The gate's messages, rendered by lib/notify: a verdict (formatDecision), a fail-closed verdict without
 * findings (formatError with the decision and the scan status), a verdict whose tags an immutable repository
 * refused (formatImmutableRepository), a spoofed tag (formatSpoofedTag), other problems (formatError).
 */

import type { ImageRef } from '../events/image-ref.ts';
import {
  type ErrorProblem,
  type FormatOptions,
  formatDecision,
  formatError,
  formatImmutableRepository,
  formatSpoofedTag,
  type ImageContext,
} from '../notify/index.ts';
import type { OutboundMessage } from '../notify/notifier.ts';
import type { DecisionMessageInput, GateAlertInput, GateMessages } from './context.ts';
import type { TagScheme } from './tags.ts';

const STATUS_PROBLEMS: Readonly<Record<string, ErrorProblem>> = {
  FAILED: 'scan-failed',
  UNSUPPORTED_IMAGE: 'scan-unsupported',
  FINDINGS_UNAVAILABLE: 'findings-unavailable',
  SCAN_ELIGIBILITY_EXPIRED: 'scan-eligibility-expired',
  IMAGE_ARCHIVED: 'image-archived',
  LIMIT_EXCEEDED: 'scan-not-started',
};

function context(image: ImageRef, tagsBefore: readonly string[], tagsAfter: readonly string[]): ImageContext {
  return {
    registryId: image.registryId,
    region: image.region,
    repository: image.repository,
    digest: image.digest,
    tagsBefore,
    tagsAfter,
  };
}

/** Builds the gate's message renderer over lib/notify with the configured prefixes and console region. */
export function notifyMessages(
  scheme: TagScheme,
  consoleRegion: string | null,
  now: () => Date,
): GateMessages {
  const options = (at?: string, stateChange?: string): FormatOptions => ({
    ...(stateChange ? { stateChange } : {}),
    now: at ? new Date(at) : now(),
    consoleRegion,
    approvedPrefix: scheme.approvedPrefix,
    quarantinedPrefix: scheme.quarantinedPrefix,
  });
  return {
    decision(input: DecisionMessageInput): OutboundMessage {
      const image = context(input.image, input.tagsBefore, input.tagsAfter);
      if (input.refusedTags.length > 0) {
        return formatImmutableRepository(
          { kind: 'immutable-repository', image, decision: input.decision, blockedTags: input.refusedTags },
          options(input.at, input.stateChange),
        );
      }
      const problem = input.scanStatus ? STATUS_PROBLEMS[input.scanStatus] : undefined;
      if (input.scanStatus && input.decision.verdict === 'quarantined') {
        return formatError(
          {
            kind: 'error',
            problem: problem ?? 'findings-unavailable',
            detail: input.decision.reason ?? `scan status ${input.scanStatus}`,
            image,
            decision: input.decision,
            scanStatus: input.scanStatus,
            archived: input.archived ?? false,
          },
          options(input.at, input.stateChange),
        );
      }
      return formatDecision(
        {
          kind: 'decision',
          decision: input.decision,
          image,
          previousVerdict: input.previousVerdict,
          findings: input.findings,
          archived: input.archived ?? false,
        },
        options(input.at, input.stateChange),
      );
    },
    alert(input: GateAlertInput): OutboundMessage {
      const image = input.image ? context(input.image, input.tagsBefore, input.tagsAfter) : null;
      if (input.kind === 'spoofed-tag' && image) {
        return formatSpoofedTag(
          { kind: 'spoofed-tag', image, removedTags: input.tags, detail: input.spoof ?? null },
          options(),
        );
      }
      return formatError(
        {
          kind: 'error',
          problem: input.kind === 'spoofed-tag' ? 'action-failed' : input.kind,
          detail: input.detail,
          image,
          decision: input.decision,
          registryId: input.image?.registryId ?? null,
          region: input.image?.region ?? null,
        },
        options(),
      );
    },
  };
}
