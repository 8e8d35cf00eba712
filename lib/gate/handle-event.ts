/**
 * One entry for every gate handler: raw EventBridge payload → parseEvent → the flow for its kind. Invalid
 * events are rejected (logged, no AWS write, not retried); retryable failures are rethrown so Lambda and
 * EventBridge redeliver (then the dead-letter queue and its alarm); final failures are logged and alerted.
 *
 * Not ready: a scan that is still running, or enhanced findings not visible yet, gives no verdict. While the
 * event is younger than `notReadyRetryWindowMs` a NotReadyError is thrown so Lambda's asynchronous retries
 * (about 1 and 3 minutes later) re-check it; after that the image stays pending in the ledger and the
 * hygiene sweep's safety net decides it. A not-ready event therefore never lands in the dead-letter queue.
 */

import { isRepositoryInScope } from '../config/repository-scope.ts';
import { InvalidInputError, retryableOf } from '../errors/gatekeeper-error.ts';
import type { GatekeeperEvent } from '../events/gatekeeper-event.ts';
import { InvalidEventError, parseEvent } from '../events/index.ts';
import type { Logger } from '../log/logger.ts';
import type { GateDependencies, GateOutcome, GateTrigger } from './context.ts';
import { decideImage } from './decide-image.ts';
import { DecisionObservation, type GateErrorKind } from './decision-metrics.ts';
import { publishAlert } from './deliver.ts';
import { NotReadyError } from './errors.ts';
import { handleImagePushed } from './handle-push.ts';

export type GateEventKind = Exclude<GatekeeperEvent['kind'], 'ignored'>;

/** What a handler returns (and logs): the outcome in a form small enough for the Lambda response. */
export interface GateHandlerResult {
  readonly eventId: string | null;
  readonly outcome: GateOutcome['outcome'] | 'rejected' | 'failed';
  readonly verdict: string | null;
  readonly detail: string | null;
}

/** True for errors a later attempt can fix (their `retryable` flag says so): the handler rethrows them. */
export function isRetryable(error: unknown): boolean {
  return retryableOf(error) === true;
}

/** True for errors that retrying cannot fix (`retryable: false`): recorded, alerted, not rethrown. */
export function isFinal(error: unknown): boolean {
  return retryableOf(error) === false;
}

/**
 * Handles one raw EventBridge event for the handler `name`, which accepts the event kinds in `accepts`.
 * @example export const handler = middy((event) => handleGateEvent('image-pushed', ['image-pushed'], event))
 */
export async function handleGateEvent(
  deps: GateDependencies,
  name: string,
  accepts: readonly GateEventKind[],
  raw: unknown,
): Promise<GateHandlerResult> {
  const base = deps.logger.child({ function: name });
  let event: GatekeeperEvent;
  try {
    event = parseEvent(raw);
  } catch (error) {
    if (error instanceof InvalidEventError || error instanceof InvalidInputError) {
      const claimed = claimedIdentity(raw);
      const rejected = base.child(claimed);
      rejected.error('event rejected: not a valid event for the gate (no AWS write)', {
        error: error.message,
      });
      rejected.metric?.({ values: { Errors: 1 }, dimensions: { Kind: 'invalid-event' } });
      return { eventId: null, outcome: 'rejected', verdict: null, detail: error.message };
    }
    throw error;
  }
  if (event.kind === 'ignored') {
    base.child({ eventId: event.eventId }).info('event ignored', { reason: event.reason });
    return { eventId: event.eventId, outcome: 'ignored', verdict: null, detail: event.reason };
  }
  const log = base.child({
    eventId: event.eventId,
    repository: event.image.repository,
    digest: event.image.digest,
  });
  if (!accepts.includes(event.kind)) {
    log.error('event rejected: this function does not handle it (check the EventBridge rule)', {
      kind: event.kind,
    });
    log.metric?.({ values: { Errors: 1 }, dimensions: { Kind: 'invalid-event' } });
    return {
      eventId: event.eventId,
      outcome: 'rejected',
      verdict: null,
      detail: `unexpected ${event.kind} event`,
    };
  }
  if (!isRepositoryInScope(deps.repositoryScope, event.image.repository)) {
    log.info('repository outside GATEKEEPER_REPOSITORY_SCOPE: ignored');
    return { eventId: event.eventId, outcome: 'ignored', verdict: null, detail: 'repository out of scope' };
  }
  // Observed ports: requests, findings, alerts and push time of this event, for its metrics line.
  const observation = new DecisionObservation({ ...deps, logger: log });
  const scoped = observation.deps;
  try {
    const outcome = await observation.run((observed) => dispatch(observed, event));
    log.info('event handled', {
      outcome: outcome.outcome,
      verdict: outcome.verdict,
      detail: outcome.detail,
      tagsBefore: outcome.tagsBefore,
      tagsAfter: outcome.tagsAfter,
      notified: outcome.notified,
      ...(outcome.decidedVia ? { decidedVia: outcome.decidedVia } : {}),
    });
    observation.writeOutcome(log, outcome, { push: event.kind === 'image-pushed' });
    return {
      eventId: event.eventId,
      outcome: outcome.outcome,
      verdict: outcome.verdict,
      detail: outcome.detail,
    };
  } catch (error) {
    return handleFailure(scoped, event, error, log, observation);
  }
}

/**
 * The id and digest a rejected event claims, for its log line only (cut short; nothing is trusted or acted on):
 * so an operator can find the rejected delivery by its EventBridge id.
 */
function claimedIdentity(raw: unknown): { eventId?: string; digest?: string } {
  let value: unknown = raw;
  if (typeof raw === 'string' && raw.length <= 256 * 1024) {
    try {
      value = JSON.parse(raw);
    } catch {
      return {};
    }
  }
  if (typeof value !== 'object' || value === null) return {};
  const envelope = value as { id?: unknown; detail?: unknown };
  const detail = typeof envelope.detail === 'object' && envelope.detail !== null ? envelope.detail : {};
  const digest = (detail as Record<string, unknown>)['image-digest'];
  const claimed: { eventId?: string; digest?: string } = {};
  if (typeof envelope.id === 'string') claimed.eventId = envelope.id.slice(0, 128);
  if (typeof digest === 'string') claimed.digest = digest.slice(0, 128);
  return claimed;
}

/**
 * The gate's work for one parsed event, without retry policy: a push is handled as a push; a scan result
 * or a changed finding decides the image. Shared by the handler and the offline `gatekeeper replay`.
 *
 * @example
 * const outcome = await routeEvent(deps, parseEvent(eventBridgeEvent));
 */
export async function routeEvent(
  deps: GateDependencies,
  event: Exclude<GatekeeperEvent, { kind: 'ignored' }>,
): Promise<GateOutcome> {
  if (event.kind === 'image-pushed') return handleImagePushed(deps, event);
  const trigger: GateTrigger =
    event.kind === 'scan-completed'
      ? {
          kind: 'scan-completed',
          id: event.eventId,
          time: event.time,
          scanner: event.scanner,
          scanStatus: event.scanStatus,
          severityCountsHint: event.severityCountsHint,
        }
      : {
          kind: 'finding-changed',
          id: event.eventId,
          time: event.time,
          findingArn: event.findingArn,
          findingStatus: event.findingStatus,
          findingUpdatedAt: event.findingUpdatedAt,
        };
  return decideImage(deps, event.image, trigger);
}

async function dispatch(
  deps: GateDependencies,
  event: Exclude<GatekeeperEvent, { kind: 'ignored' }>,
): Promise<GateOutcome> {
  const outcome = await routeEvent(deps, event);
  if (outcome.outcome === 'not-ready') {
    const age = deps.now().getTime() - Date.parse(event.time);
    if (Number.isFinite(age) && age < deps.settings.notReadyRetryWindowMs) {
      throw new NotReadyError(outcome.detail ?? 'scan not ready');
    }
    deps.logger.warn('scan still not ready; the image stays pending for the sweep', {
      why: outcome.detail,
      eventAgeSeconds: Math.round(age / 1000),
    });
  }
  return outcome;
}

async function handleFailure(
  deps: GateDependencies,
  event: Exclude<GatekeeperEvent, { kind: 'ignored' }>,
  error: unknown,
  log: Logger,
  observation: DecisionObservation,
): Promise<GateHandlerResult> {
  if (error instanceof NotReadyError) {
    log.info('scan not ready: the event will be retried', { why: error.why });
    // Not an error: the requests it made are still this event's cost.
    log.metric?.({
      values: { AwsRequests: observation.requests.requests },
      dimensions: { Outcome: 'not-ready' },
    });
    throw error;
  }
  if (isRetryable(error) || !isFinal(error)) {
    const kind: GateErrorKind = isRetryable(error) ? 'retryable' : 'unexpected';
    log.metric?.(observation.errorMetrics(kind));
    // Unknown errors are rethrown too: the dead-letter queue and its alarm make them visible.
    log.error(
      'event failed; it will be retried (then dead-lettered)',
      error instanceof Error ? error : { error },
    );
    throw error;
  }
  const message = error instanceof Error ? error.message : String(error);
  log.error(
    'event failed permanently: recorded and alerted, not retried',
    error instanceof Error ? error : { error },
  );
  try {
    await publishAlert(deps, {
      kind: 'action-failed',
      image: event.image,
      tagsBefore: [],
      tagsAfter: [],
      tags: [],
      detail: message,
      decision: null,
    });
  } catch (alertError) {
    log.error(
      'could not publish the failure alert',
      alertError instanceof Error ? alertError : { alertError },
    );
    log.metric?.({ values: { Errors: 1 }, dimensions: { Kind: 'alert-failed' } });
  }
  log.metric?.(observation.errorMetrics('permanent'));
  return { eventId: event.eventId, outcome: 'failed', verdict: null, detail: message };
}
