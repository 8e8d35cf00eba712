/**
 * Inspector2 Finding → finding-changed for an ECR container image, or ignored for other resources. The image
 * resource id is authoritative: the account, Region, partition and image details the event carries elsewhere
 * must agree with it.
 */
import { toIsoTimestamp } from '../findings/timestamps.ts';
import { InvalidEventError } from './errors.ts';
import {
  base,
  digestProblem,
  type Envelope,
  ignored,
  isObject,
  type Json,
  missingOrWrongType,
  requireString,
  requireToken,
  TOKEN,
  tagList,
} from './event-fields.ts';
import type { FindingChangedEvent, IgnoredEvent } from './gatekeeper-event.ts';
import { identityProblem, parseArn } from './identity.ts';
import {
  ACCOUNT_ID_PATTERN,
  type ImageRef,
  isImageDigest,
  isPrintable,
  parseImageResourceId,
  REGION_PATTERN,
} from './image-ref.ts';
import { quote } from './quote.ts';

export function parseInspectorFinding(envelope: Envelope): FindingChangedEvent | IgnoredEvent {
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
