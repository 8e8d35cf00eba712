/**
 * The events that start the sweep: the nightly schedule (`{"gatekeeperSweep":"start"}` or a plain EventBridge
 * "Scheduled Event"), the resume schedule (`{"gatekeeperSweep":"resume"}`), the fix-deadline check
 * (`{"gatekeeperSweep":"deadlines"}`, hourly), and repository creation (CloudTrail
 * "AWS API Call via CloudTrail", eventName CreateRepository). Anything else is refused with the field named.
 */

import { InvalidInputError } from '../errors/gatekeeper-error.ts';
import { type CarriedIdentity, envelopeMismatch } from '../events/identity.ts';
import { isRecord } from '../findings/json-reader.ts';
import type { SweepRequest } from './sweep.ts';

const REPOSITORY_NAME = /^(?=.{2,256}$)[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/;

/**
 * The sweep request an event asks for; throws `InvalidInputError` naming the field for anything else.
 * @example parseSweepEvent({ gatekeeperSweep: 'start', dryRun: true }) // { kind: 'start', dryRun: true }
 */
export function parseSweepEvent(event: unknown): SweepRequest {
  if (!isRecord(event)) throw new InvalidInputError('hygiene sweep event', null, 'expected a JSON object');
  if (event.gatekeeperSweep !== undefined) {
    if (event.dryRun !== undefined && typeof event.dryRun !== 'boolean') {
      throw new InvalidInputError('hygiene sweep event', 'dryRun', 'must be true or false');
    }
    if (event.gatekeeperSweep === 'start')
      return event.dryRun === true ? { kind: 'start', dryRun: true } : { kind: 'start' };
    if (event.gatekeeperSweep === 'resume') return { kind: 'resume' };
    if (event.gatekeeperSweep === 'deadlines') return { kind: 'deadlines' };
    throw new InvalidInputError(
      'hygiene sweep event',
      'gatekeeperSweep',
      `must be "start", "resume" or "deadlines" (got ${JSON.stringify(event.gatekeeperSweep)})`,
    );
  }
  const detailType = event['detail-type'];
  if (
    detailType === 'Scheduled Event' &&
    (event.source === 'aws.events' || event.source === 'aws.scheduler')
  ) {
    refuseForeignIdentity(event);
    return { kind: 'start' };
  }
  if (detailType === 'AWS API Call via CloudTrail' && event.source === 'aws.ecr') {
    const detail = isRecord(event.detail) ? event.detail : null;
    const repository = isRecord(detail?.responseElements) ? detail.responseElements.repository : undefined;
    refuseForeignIdentity(event, [
      { field: 'detail.recipientAccountId', account: detail?.recipientAccountId },
      { field: 'detail.awsRegion', region: detail?.awsRegion },
      ...(isRecord(repository)
        ? [
            { field: 'detail.responseElements.repository.registryId', account: repository.registryId },
            { field: 'detail.responseElements.repository.repositoryArn', arn: repository.repositoryArn },
          ]
        : []),
    ]);
    if (detail?.eventName !== 'CreateRepository') {
      throw new InvalidInputError(
        'hygiene sweep event',
        'detail.eventName',
        `only CreateRepository starts a sweep (got ${JSON.stringify(detail?.eventName)})`,
      );
    }
    const params = isRecord(detail.requestParameters) ? detail.requestParameters : null;
    const name = params?.repositoryName;
    if (typeof name !== 'string' || !REPOSITORY_NAME.test(name)) {
      throw new InvalidInputError(
        'hygiene sweep event',
        'detail.requestParameters.repositoryName',
        'must be a repository name',
      );
    }
    return { kind: 'repositories', repositories: [name] };
  }
  throw new InvalidInputError(
    'hygiene sweep event',
    'detail-type',
    `not a sweep trigger (got ${JSON.stringify(detailType)})`,
  );
}

/**
 * A trigger whose resources or CloudTrail record name another account or Region than its envelope is not this
 * deployment's (lib/events/identity.ts): refused before the sweep reads anything.
 */
function refuseForeignIdentity(
  event: Record<string, unknown>,
  carried: readonly CarriedIdentity[] = [],
): void {
  const mismatch = envelopeMismatch(event, carried);
  if (mismatch) throw new InvalidInputError('hygiene sweep event', mismatch.field, mismatch.problem);
}
