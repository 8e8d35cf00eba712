/** What a gate flow answers when it stops early, and how a trigger is named in logs and ledger records. */
import type { ImageRef } from '../events/image-ref.ts';
import type { GateOutcome, GateTrigger } from './context.ts';

/** How a trigger is named in logs and in the decision it caused (`scan-completed:<id>`, `sweep:<reason>:<id>`). */
export function triggerLabel(trigger: GateTrigger): string {
  return trigger.kind === 'sweep' ? `sweep:${trigger.reason}:${trigger.id}` : `${trigger.kind}:${trigger.id}`;
}

/** An outcome without a verdict or actions (not ready, gone, ignored …); also used by the push flow. */
export function baseOutcome(
  ref: ImageRef,
  outcome: GateOutcome['outcome'],
  detail: string | null,
  tags: readonly string[] = [],
): GateOutcome {
  return {
    outcome,
    image: ref,
    verdict: null,
    detail,
    tagsBefore: tags,
    tagsAfter: tags,
    plan: null,
    notified: null,
    problems: [],
  };
}
