/**
 * Errors of the events module. A malformed event can never become valid by retrying it: handlers log it
 * (event id + field), write nothing to AWS and finish without throwing, so it does not loop through
 * EventBridge/Lambda retries into the DLQ.
 */
import { InvalidInputError } from '../errors/gatekeeper-error.ts';

/** An EventBridge event that cannot be used: `eventId` names the event, `field` the offending field. */
export class InvalidEventError extends InvalidInputError {
  readonly eventId: string;
  readonly field: string | null;

  constructor(eventId: string, field: string | null, problem: string, options?: { cause?: unknown }) {
    super(`event ${eventId}`, field, problem, options);
    this.eventId = eventId;
    this.field = field;
  }
}
