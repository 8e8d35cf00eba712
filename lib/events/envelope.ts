/**
 * The EventBridge envelope: size, JSON, id, detail-type and its source, account, Region, time, resources[],
 * replay name, and that `detail` is an object. The detail-type parsers start from the {@link Envelope} this
 * returns; which detail-types exist and who may send them is the dispatch table's (parse-event.ts).
 */

import { InvalidEventError } from './errors.ts';
import { type Envelope, isObject, type Json, requireString } from './event-fields.ts';
import { resourceArnProblem } from './identity.ts';
import { ACCOUNT_ID_PATTERN, isPrintable, REGION_PATTERN } from './image-ref.ts';
import { quote } from './quote.ts';

/** EventBridge's maximum event size; anything larger did not come from EventBridge. */
export const MAX_EVENT_BYTES = 256 * 1024;

const UNKNOWN_ID = '<no id>';
const MAX_ID_LENGTH = 256;
/** EventBridge archive replay names (`Replay.Name`). */
const REPLAY_NAME = /^[.\-_A-Za-z0-9]{1,64}$/;
/** EventBridge `time`: RFC 3339 UTC as EventBridge writes it (`2019-11-16T01:54:34Z`, fractions allowed). */
const EVENT_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;

/**
 * Checks the envelope of one event (an object, or its JSON text).
 * @param sourceOf the only `source` allowed to send a detail-type; undefined for an unknown detail-type.
 * @throws InvalidEventError naming the event id and the field.
 */
export function parseEnvelope(raw: unknown, sourceOf: (detailType: string) => string | undefined): Envelope {
  const value = decode(raw);
  if (!isObject(value))
    throw new InvalidEventError(UNKNOWN_ID, null, 'an EventBridge event must be a JSON object');
  const id = eventIdOf(value);
  const fail = (field: string, problem: string): never => {
    throw new InvalidEventError(id, field, problem);
  };

  if (value.version !== undefined && typeof value.version !== 'string') fail('version', 'must be a string');
  const detailType = requireString(id, value, 'detail-type');
  const source = requireString(id, value, 'source');
  const expectedSource = sourceOf(detailType);
  if (expectedSource === undefined) fail('detail-type', `unknown detail-type ${quote(detailType)}`);
  if (source !== expectedSource) {
    fail('source', `must be "${expectedSource}" for detail-type "${detailType}" (got ${quote(source)})`);
  }
  const account = requireString(id, value, 'account');
  if (!ACCOUNT_ID_PATTERN.test(account))
    fail('account', `must be a 12-digit AWS account id (got ${quote(account)})`);
  const region = requireString(id, value, 'region');
  if (!REGION_PATTERN.test(region)) fail('region', `must be an AWS Region name (got ${quote(region)})`);
  const time = requireString(id, value, 'time');
  if (!isEventTime(time)) fail('time', `must be an ISO-8601 timestamp of a real date (got ${quote(time)})`);
  const resources = value.resources === undefined ? [] : value.resources;
  if (!Array.isArray(resources)) fail('resources', 'must be an array of ARNs');
  (resources as unknown[]).forEach((resource, i) => {
    if (typeof resource !== 'string') fail(`resources[${i}]`, 'must be a string');
    // Every resource is an ARN of the envelope's own account and Region (see identity.ts).
    const problem = resourceArnProblem({ account, region }, resource as string);
    if (problem) fail(`resources[${i}]`, problem);
  });
  const replayName = value['replay-name'];
  if (
    replayName !== undefined &&
    replayName !== null &&
    (typeof replayName !== 'string' || !REPLAY_NAME.test(replayName))
  ) {
    fail(
      'replay-name',
      `must be an EventBridge replay name, 1–64 of [A-Za-z0-9._-] (got ${quote(replayName)})`,
    );
  }
  const detail = value.detail;
  if (!isObject(detail)) fail('detail', detail === undefined ? 'is missing' : 'must be an object');

  return {
    id,
    detailType,
    source,
    account,
    region,
    time,
    resources: resources as string[],
    replayName: typeof replayName === 'string' ? replayName : null,
    detail: detail as Json,
  };
}

/**
 * Accepts the event object or its JSON text; both are bounded by EventBridge's 256 KiB event size. An object
 * goes through its JSON text too, so the parser sees exactly what the wire carries: no getters, prototypes,
 * `undefined` or other values JSON cannot hold (the CLI hands over objects it built itself).
 */
function decode(raw: unknown): unknown {
  let text: string | undefined;
  if (typeof raw === 'string') text = raw;
  else {
    try {
      text = JSON.stringify(raw);
    } catch (error) {
      throw new InvalidEventError(UNKNOWN_ID, null, 'cannot be serialised as JSON', { cause: error });
    }
    if (text === undefined)
      throw new InvalidEventError(UNKNOWN_ID, null, 'an EventBridge event must be a JSON object');
  }
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_EVENT_BYTES) throw oversized(typeof raw === 'string' ? UNKNOWN_ID : claimedId(raw), bytes);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InvalidEventError(UNKNOWN_ID, null, `not valid JSON (${quote((error as Error).message)})`, {
      cause: error,
    });
  }
}

/** The id an oversized object claims, when it is a usable one (for the refusal's log line only). */
function claimedId(raw: unknown): string {
  const id = isObject(raw) ? raw.id : undefined;
  return typeof id === 'string' && id.length <= MAX_ID_LENGTH && id.trim() !== '' && isPrintable(id)
    ? id
    : UNKNOWN_ID;
}

/** RFC 3339 and a real calendar date: `Date.parse` would silently roll 2023-02-29 over to March 1st. */
function isEventTime(time: string): boolean {
  if (!EVENT_TIME.test(time) || Number.isNaN(Date.parse(time))) return false;
  const [year, month, day] = time.slice(0, 10).split('-').map(Number) as [number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

function oversized(id: string, bytes: number): InvalidEventError {
  return new InvalidEventError(
    id,
    null,
    `payload is ${bytes} bytes, over EventBridge's ${MAX_EVENT_BYTES}-byte limit`,
  );
}

function eventIdOf(value: Json): string {
  const id = value.id;
  if (typeof id !== 'string' || id.trim() === '') {
    throw new InvalidEventError(
      UNKNOWN_ID,
      'id',
      id === undefined ? 'is missing' : 'must be a non-empty string',
    );
  }
  // An id goes into every log line: printable, bounded.
  if (id.length > MAX_ID_LENGTH || !isPrintable(id)) {
    throw new InvalidEventError(UNKNOWN_ID, 'id', `must be at most ${MAX_ID_LENGTH} printable characters`);
  }
  return id;
}
