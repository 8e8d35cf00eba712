/**
 * EventBridge payload → typed {@link GatekeeperEvent}. Every field the gate relies on is checked here, so
 * the rest of the code works on validated values: a digest is always `sha256:` + 64 lowercase hex, a
 * repository always a plain ECR name, the registry id and Region always well-formed. Anything else is an
 * {@link InvalidEventError} naming the event id and the field, and nothing is written to AWS.
 *
 * Real shapes accepted (test/fixtures/aws): `image-tags: []`, absent or partial `finding-severity-counts`,
 * `TOTAL` larger than the listed counts, an ARN as `repository-name` (Inspector2 Scan), repository names
 * containing `/` (split on the LAST `/sha256:`), free-form Inspector dates, unknown extra fields.
 */
import { toIsoTimestamp } from '../findings/timestamps.ts';
import { InvalidEventError } from './errors.ts';
import type {
  FindingChangedEvent,
  GatekeeperEvent,
  IgnoredEvent,
  ImagePushedEvent,
  ScanCompletedEvent,
} from './gatekeeper-event.ts';
import { identityProblem, parseArn, resourceArnProblem } from './identity.ts';
import {
  ACCOUNT_ID_PATTERN,
  type ImageRef,
  isImageDigest,
  isImageTag,
  isPrintable,
  isRepositoryName,
  parseImageResourceId,
  parseRepositoryArn,
  REGION_PATTERN,
} from './image-ref.ts';
import { quote } from './quote.ts';

/** EventBridge's maximum event size; anything larger did not come from EventBridge. */
export const MAX_EVENT_BYTES = 256 * 1024;

/** detail-types the gatekeeper acts on, with the only source allowed to send each. */
const HANDLED_DETAIL_TYPES: ReadonlyMap<string, string> = new Map([
  ['ECR Image Action', 'aws.ecr'],
  ['ECR Image Scan', 'aws.ecr'],
  ['Inspector2 Scan', 'aws.inspector2'],
  ['Inspector2 Finding', 'aws.inspector2'],
]);

/** Documented AWS detail-types that are well-formed but not for the gate: parsed as `ignored`. */
const KNOWN_UNHANDLED_DETAIL_TYPES: ReadonlyMap<string, string> = new Map([
  ['ECR Replication Action', 'aws.ecr'],
  ['ECR Artifact Action', 'aws.ecr'],
  ['ECR Referrer Action', 'aws.ecr'],
  ['ECR Scan Resource Change', 'aws.ecr'],
  ['ECR Pull Through Cache Action', 'aws.ecr'],
  ['Inspector2 Coverage', 'aws.inspector2'],
  ['Inspector2 AutoEnable', 'aws.inspector2'],
]);

const UNKNOWN_ID = '<no id>';
const MAX_ID_LENGTH = 256;
/** An upper-case AWS enum value: PUSH, SUCCESS, COMPLETE, INITIAL_SCAN_COMPLETE, ACTIVE, HIGH, TOTAL … */
const TOKEN = /^[A-Z][A-Z0-9_]{0,63}$/;
/** RFC 6838 `type/subtype` (restricted names), as ECR reports manifest and artifact media types. */
const MEDIA_TYPE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/;
/** EventBridge archive replay names (`Replay.Name`). */
const REPLAY_NAME = /^[.\-_A-Za-z0-9]{1,64}$/;
/** EventBridge `time`: RFC 3339 UTC as EventBridge writes it (`2019-11-16T01:54:34Z`, fractions allowed). */
const EVENT_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;

type Json = Record<string, unknown>;

interface Envelope {
  readonly id: string;
  readonly detailType: string;
  readonly source: string;
  readonly account: string;
  readonly region: string;
  readonly time: string;
  readonly resources: readonly string[];
  readonly replayName: string | null;
  readonly detail: Json;
}

/**
 * Parses and validates one EventBridge event (an object, or its JSON text).
 *
 * @throws InvalidEventError naming the event id and the field when the event cannot be used.
 * @example
 *   const event = parseEvent(JSON.parse(readFileSync('events/ecr-image-push.json', 'utf8')));
 *   if (event.kind === 'image-pushed') console.log(imageKey(event.image), event.tag);
 */
export function parseEvent(raw: unknown): GatekeeperEvent {
  const envelope = parseEnvelope(raw);
  switch (envelope.detailType) {
    case 'ECR Image Action':
      return parseImageAction(envelope);
    case 'ECR Image Scan':
      return parseBasicScan(envelope);
    case 'Inspector2 Scan':
      return parseEnhancedScan(envelope);
    case 'Inspector2 Finding':
      return parseInspectorFinding(envelope);
    default:
      return ignored(envelope, `detail-type "${envelope.detailType}" is not handled by the gatekeeper`);
  }
}

function parseEnvelope(raw: unknown): Envelope {
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
  const expectedSource = HANDLED_DETAIL_TYPES.get(detailType) ?? KNOWN_UNHANDLED_DETAIL_TYPES.get(detailType);
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

// ---------------------------------------------------------------------------------------------------------
// ECR Image Action

function parseImageAction(envelope: Envelope): ImagePushedEvent | IgnoredEvent {
  const { id, detail } = envelope;
  const actionType = requireToken(id, detail, 'action-type');
  const result = requireToken(id, detail, 'result');
  if (actionType === 'UPDATE_STORAGE_CLASS') return parseStorageClassChange(envelope, result);
  // DELETE and other actions need no decision; their details differ (no image-tag).
  if (actionType !== 'PUSH') return ignored(envelope, `ECR Image Action ${actionType} needs no decision`);
  if (result !== 'SUCCESS')
    return ignored(envelope, `ECR Image Action PUSH with result ${result}: nothing was pushed`);

  const image = actionImage(envelope);
  const tag = detail['image-tag'];
  if (tag !== undefined && tag !== null && !isImageTag(tag)) {
    throw new InvalidEventError(
      id,
      'detail.image-tag',
      `must be an ECR image tag, 1–300 characters (got ${quote(tag)})`,
    );
  }
  return {
    kind: 'image-pushed',
    action: 'push',
    ...base(envelope),
    image,
    tag: typeof tag === 'string' ? tag : null,
    ...mediaTypes(envelope),
  };
}

/**
 * UPDATE_STORAGE_CLASS: a restore (`target-storage-class: STANDARD`, SUCCESS) makes the image usable again and
 * is decided afresh (an image-pushed event with action `restore`, no tag); an archive (ARCHIVE) or a failed
 * transition needs no decision.
 */
function parseStorageClassChange(envelope: Envelope, result: string): ImagePushedEvent | IgnoredEvent {
  const { id, detail } = envelope;
  const target = requireToken(id, detail, 'target-storage-class');
  if (target !== 'STANDARD') {
    return ignored(
      envelope,
      `ECR Image Action UPDATE_STORAGE_CLASS to ${target} needs no decision (an archived image cannot be pulled)`,
    );
  }
  if (result !== 'SUCCESS') {
    return ignored(
      envelope,
      `ECR Image Action UPDATE_STORAGE_CLASS to STANDARD with result ${result}: nothing was restored`,
    );
  }
  return {
    kind: 'image-pushed',
    action: 'restore',
    ...base(envelope),
    image: actionImage(envelope),
    tag: null,
    ...mediaTypes(envelope),
    lastActivatedAt: toIsoTimestamp(detail['last-activated-at']),
  };
}

function actionImage(envelope: Envelope): ImageRef {
  return imageRef(
    envelope,
    envelope.account,
    envelope.region,
    envelope.detail,
    'repository-name',
    'image-digest',
  );
}

function mediaTypes(envelope: Envelope): {
  manifestMediaType: string | null;
  artifactMediaType: string | null;
} {
  return {
    manifestMediaType: optionalMediaType(envelope.id, envelope.detail, 'manifest-media-type'),
    artifactMediaType: optionalMediaType(envelope.id, envelope.detail, 'artifact-media-type'),
  };
}

// ---------------------------------------------------------------------------------------------------------
// ECR Image Scan (basic) and Inspector2 Scan (enhanced)

function parseBasicScan(envelope: Envelope): ScanCompletedEvent {
  const { detail } = envelope;
  const image = imageRef(
    envelope,
    envelope.account,
    envelope.region,
    detail,
    'repository-name',
    'image-digest',
  );
  return scanCompleted(envelope, 'basic', image);
}

function parseEnhancedScan(envelope: Envelope): ScanCompletedEvent | IgnoredEvent {
  const { id, detail } = envelope;
  if (detail['repository-name'] === undefined && detail['image-digest'] === undefined) {
    // Inspector2 Scan also reports EC2 instances and Lambda functions: not ours.
    return ignored(envelope, 'Inspector2 Scan for a resource that is not an ECR image');
  }
  const repositoryField = detail['repository-name'];
  if (typeof repositoryField !== 'string') {
    throw new InvalidEventError(
      id,
      'detail.repository-name',
      missingOrWrongType(repositoryField, 'a string'),
    );
  }
  let registryId = envelope.account;
  let region = envelope.region;
  let repository = repositoryField;
  if (repositoryField.startsWith('arn:')) {
    const arn = parseRepositoryArn(repositoryField);
    if (!arn) {
      throw new InvalidEventError(
        id,
        'detail.repository-name',
        `must be an ECR repository ARN or name (got ${quote(repositoryField)})`,
      );
    }
    ({ registryId, region, repository } = arn);
    const problem = identityProblem(envelope, registryId, region);
    if (problem) throw new InvalidEventError(id, 'detail.repository-name', problem);
  }
  const image = imageRef(
    envelope,
    registryId,
    region,
    { ...detail, 'repository-name': repository },
    'repository-name',
    'image-digest',
  );
  // The envelope's resources[] names the same repository; a disagreement means the event cannot be trusted.
  for (const [i, resource] of envelope.resources.entries()) {
    const arn = parseRepositoryArn(resource);
    if (
      arn &&
      (arn.repository !== image.repository ||
        arn.registryId !== image.registryId ||
        arn.region !== image.region)
    ) {
      throw new InvalidEventError(
        id,
        `resources[${i}]`,
        `names another repository than detail.repository-name (${quote(resource)})`,
      );
    }
  }
  return scanCompleted(envelope, 'enhanced', image);
}

function scanCompleted(
  envelope: Envelope,
  scanner: 'basic' | 'enhanced',
  image: ImageRef,
): ScanCompletedEvent {
  const { id, detail } = envelope;
  return {
    kind: 'scan-completed',
    ...base(envelope),
    scanner,
    image,
    tags: tagList(id, detail['image-tags'], 'detail.image-tags'),
    scanStatus: requireToken(id, detail, 'scan-status'),
    severityCountsHint: severityCounts(id, detail['finding-severity-counts']),
  };
}

/** Counts are a hint: absent → {}, zero or missing severities fine, TOTAL may exceed the listed sum. */
function severityCounts(id: string, value: unknown): Readonly<Record<string, number>> {
  const field = 'detail.finding-severity-counts';
  if (value === undefined || value === null) return {};
  if (!isObject(value)) throw new InvalidEventError(id, field, 'must be an object of severity → count');
  const counts: Record<string, number> = {};
  for (const [severity, count] of Object.entries(value)) {
    if (!TOKEN.test(severity))
      throw new InvalidEventError(
        id,
        field,
        `has a key that is not a severity name (got ${quote(severity)})`,
      );
    if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0) {
      throw new InvalidEventError(
        id,
        `${field}.${severity}`,
        `must be a non-negative integer (got ${quote(count)})`,
      );
    }
    counts[severity] = count;
  }
  return counts;
}

// ---------------------------------------------------------------------------------------------------------
// Inspector2 Finding

function parseInspectorFinding(envelope: Envelope): FindingChangedEvent | IgnoredEvent {
  const { id, detail } = envelope;
  const resources = detail.resources;
  if (!Array.isArray(resources)) {
    throw new InvalidEventError(id, 'detail.resources', missingOrWrongType(resources, 'an array'));
  }
  const index = resources.findIndex((r) => isObject(r) && r.type === 'AWS_ECR_CONTAINER_IMAGE');
  if (index < 0) {
    const types = resources
      .slice(0, 10)
      .map((r) => (isObject(r) && typeof r.type === 'string' && TOKEN.test(r.type) ? r.type : '?'))
      .join(', ');
    return ignored(
      envelope,
      `Inspector2 Finding about ${types || 'no resource'}, not an ECR container image`,
    );
  }
  const resource = resources[index] as Json;
  const field = `detail.resources[${index}]`;
  const resourceId = resource.id ?? envelope.resources[0];
  if (typeof resourceId !== 'string') {
    throw new InvalidEventError(id, `${field}.id`, missingOrWrongType(resourceId, 'an ECR image ARN'));
  }
  const parts = parseImageResourceId(resourceId);
  if (!parts) {
    throw new InvalidEventError(
      id,
      `${field}.id`,
      `must be arn:aws:ecr:<region>:<account>:repository/<name>/sha256:<digest> (got ${quote(resourceId)})`,
    );
  }
  const foreign = identityProblem(envelope, parts.registryId, parts.region);
  if (foreign) throw new InvalidEventError(id, `${field}.id`, foreign);
  if (!isImageDigest(parts.digest)) {
    throw new InvalidEventError(id, `${field}.id`, `digest ${digestProblem(parts.digest)}`);
  }
  checkFindingIdentity(envelope, resource, field, parts.partition);
  const image: ImageRef = {
    registryId: parts.registryId,
    region: parts.region,
    repository: parts.repository,
    digest: parts.digest,
  };

  const ecrImage = isObject(resource.details) ? resource.details.awsEcrContainerImage : undefined;
  let tags: readonly string[] = [];
  if (ecrImage !== undefined) {
    const detailsField = `${field}.details.awsEcrContainerImage`;
    if (!isObject(ecrImage)) throw new InvalidEventError(id, detailsField, 'must be an object');
    // Cross-checks: the resource id is authoritative, and anything disagreeing with it makes the event untrustworthy.
    const checks: [string, unknown, string][] = [
      ['imageHash', ecrImage.imageHash, image.digest],
      ['repositoryName', ecrImage.repositoryName, image.repository],
      ['registry', ecrImage.registry, image.registryId],
    ];
    for (const [name, actual, expected] of checks) {
      if (actual !== undefined && actual !== expected) {
        throw new InvalidEventError(
          id,
          `${detailsField}.${name}`,
          `disagrees with the resource id (${quote(actual)} vs ${quote(expected)})`,
        );
      }
    }
    tags = tagList(id, ecrImage.imageTags, `${detailsField}.imageTags`);
  }

  const findingArn = requireString(id, detail, 'findingArn', 'detail.');
  const finding = parseArn(findingArn);
  if (finding?.service !== 'inspector2') {
    throw new InvalidEventError(
      id,
      'detail.findingArn',
      `must be an Amazon Inspector finding ARN (got ${quote(findingArn)})`,
    );
  }
  // Region only: the finding's own ARN may belong to the Inspector administrator account; the image's
  // account is what the gate acts on, and it was checked above.
  const findingRegion = identityProblem(envelope, '', finding.region);
  if (findingRegion) throw new InvalidEventError(id, 'detail.findingArn', findingRegion);
  const vulnerabilityId = findingVulnerabilityId(id, detail.packageVulnerabilityDetails);
  return {
    kind: 'finding-changed',
    ...base(envelope),
    image,
    tags,
    findingArn,
    findingStatus: requireToken(id, detail, 'status'),
    severity: requireToken(id, detail, 'severity'),
    vulnerabilityId,
    findingUpdatedAt: toIsoTimestamp(detail.updatedAt),
  };
}

/** `packageVulnerabilityDetails.vulnerabilityId` (CVE-…, GHSA-…, ALAS-…), null when the finding has none. */
function findingVulnerabilityId(id: string, details: unknown): string | null {
  const field = 'detail.packageVulnerabilityDetails';
  if (details === undefined || details === null) return null;
  if (!isObject(details)) throw new InvalidEventError(id, field, missingOrWrongType(details, 'an object'));
  const value = details.vulnerabilityId;
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || value === '' || value.length > 256 || !isPrintable(value)) {
    throw new InvalidEventError(
      id,
      `${field}.vulnerabilityId`,
      `must be a vulnerability id of 1–256 printable characters (got ${quote(value)})`,
    );
  }
  return value;
}

/**
 * The other places an Inspector2 Finding names an account, Region or partition: `detail.awsAccountId` and the
 * image resource's own `region` / `partition` (`"N/A"` in AWS's documented event: not carried).
 */
function checkFindingIdentity(envelope: Envelope, resource: Json, field: string, partition: string): void {
  const { id, detail } = envelope;
  const accountId = detail.awsAccountId;
  if (accountId !== undefined) {
    if (typeof accountId !== 'string' || !ACCOUNT_ID_PATTERN.test(accountId)) {
      throw new InvalidEventError(
        id,
        'detail.awsAccountId',
        `must be a 12-digit AWS account id (got ${quote(accountId)})`,
      );
    }
    const problem = identityProblem(envelope, accountId, '');
    if (problem) throw new InvalidEventError(id, 'detail.awsAccountId', problem);
  }
  const carried: [string, unknown, (value: string) => string | null][] = [
    [
      'region',
      resource.region,
      (value) =>
        REGION_PATTERN.test(value)
          ? identityProblem(envelope, '', value)
          : `must be an AWS Region name or "N/A" (got ${quote(value)})`,
    ],
    [
      'partition',
      resource.partition,
      (value) =>
        value === partition ? null : `partition ${quote(value)} differs from the resource id's ${partition}`,
    ],
  ];
  for (const [key, value, check] of carried) {
    if (value === undefined || value === null || value === 'N/A') continue;
    if (typeof value !== 'string' || value === '') {
      throw new InvalidEventError(id, `${field}.${key}`, `must be a non-empty string (got ${quote(value)})`);
    }
    const problem = check(value);
    if (problem) throw new InvalidEventError(id, `${field}.${key}`, problem);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Shared field readers

function base(envelope: Envelope): { eventId: string; time: string; replayName: string | null } {
  return { eventId: envelope.id, time: envelope.time, replayName: envelope.replayName };
}

function ignored(envelope: Envelope, reason: string): IgnoredEvent {
  return { kind: 'ignored', ...base(envelope), reason, detailType: envelope.detailType };
}

function imageRef(
  envelope: Envelope,
  registryId: string,
  region: string,
  detail: Json,
  repositoryKey: string,
  digestKey: string,
): ImageRef {
  const { id } = envelope;
  const repository = detail[repositoryKey];
  if (!isRepositoryName(repository)) {
    const problem =
      typeof repository === 'string'
        ? `must be an ECR repository name: 2–256 characters of [a-z0-9] separated by . _ __ - or / (got ${quote(repository)})`
        : missingOrWrongType(repository, 'a string');
    throw new InvalidEventError(id, `detail.${repositoryKey}`, problem);
  }
  const digest = detail[digestKey];
  if (!isImageDigest(digest)) {
    const problem =
      typeof digest === 'string' ? digestProblem(digest) : missingOrWrongType(digest, 'a string');
    throw new InvalidEventError(id, `detail.${digestKey}`, problem);
  }
  return { registryId, region, repository, digest };
}

function digestProblem(digest: string): string {
  // Several AWS documentation samples carry digests like "sha256:…EXAMPLE": the gate never writes with one.
  return `must be "sha256:" followed by 64 lowercase hex characters (got ${quote(digest)})`;
}

function tagList(id: string, value: unknown, field: string): readonly string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new InvalidEventError(id, field, 'must be an array of tags');
  value.forEach((tag, i) => {
    if (!isImageTag(tag)) {
      throw new InvalidEventError(
        id,
        `${field}[${i}]`,
        `must be an ECR image tag, 1–300 characters (got ${quote(tag)})`,
      );
    }
  });
  return [...new Set(value as string[])];
}

function requireString(id: string, object: Json, key: string, prefix = ''): string {
  const value = object[key];
  if (typeof value !== 'string' || value === '') {
    throw new InvalidEventError(
      id,
      `${prefix}${key}`,
      value === '' ? 'must not be empty' : missingOrWrongType(value, 'a string'),
    );
  }
  return value;
}

/** A `detail` enum value (action-type, result, scan-status …): upper-case AWS values only. */
function requireToken(id: string, detail: Json, key: string): string {
  const value = requireString(id, detail, key, 'detail.');
  if (!TOKEN.test(value)) {
    throw new InvalidEventError(
      id,
      `detail.${key}`,
      `must be an upper-case AWS value such as COMPLETE (got ${quote(value)})`,
    );
  }
  return value;
}

function optionalMediaType(id: string, object: Json, key: string): string | null {
  const value = object[key];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || !MEDIA_TYPE.test(value))
    throw new InvalidEventError(
      id,
      `detail.${key}`,
      `must be a media type such as application/vnd.oci.image.manifest.v1+json (got ${quote(value)})`,
    );
  return value;
}

function missingOrWrongType(value: unknown, expected: string): string {
  if (value === undefined) return 'is missing';
  return `must be ${expected} (got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value})`;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
