/**
 * Envelope vs resource identity. EventBridge stamps every event with the `account` and `region` it was
 * emitted in; every ARN, registry id or Region the event carries elsewhere must name the same ones. An event
 * about another account's or another Region's resource is not one this deployment may act on (it can only
 * reach it through a forwarding rule or a forged payload): it is refused before anything is read or written.
 */
import { ACCOUNT_ID_PATTERN, REGION_PATTERN } from './image-ref.ts';
import { quote } from './quote.ts';

/** The parts of any ARN, `arn:<partition>:<service>:<region>:<account>:<resource>` (region/account may be empty). */
export interface ArnParts {
  readonly partition: string;
  readonly service: string;
  readonly region: string;
  readonly account: string;
  readonly resource: string;
}

const PARTITION = /^aws(?:-[a-z]+)*$/;
/** ARNs are printable ASCII and at most 2,048 characters (IAM's ARN limit, the largest of the services here). */
const ASCII_PRINTABLE = /^[\x21-\x7e]+$/;
const MAX_ARN_LENGTH = 2048;
const SERVICE = /^[a-z0-9][a-z0-9-]*$/;

/**
 * Splits an ARN. Returns null when the text is not one: printable ASCII, a known partition, a service, an
 * empty or valid Region, an empty or 12-digit account and a non-empty resource are required.
 *
 * @example parseArn('arn:aws:events:eu-west-1:123456789012:rule/nightly')
 *   // → { partition: 'aws', service: 'events', region: 'eu-west-1', account: '123456789012', resource: 'rule/nightly' }
 */
export function parseArn(text: string): ArnParts | null {
  if (text.length > MAX_ARN_LENGTH || !ASCII_PRINTABLE.test(text)) return null;
  const parts = text.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return null;
  const [, partition = '', service = '', region = '', account = ''] = parts;
  const resource = parts.slice(5).join(':');
  if (!PARTITION.test(partition) || !SERVICE.test(service) || resource === '') return null;
  if (region !== '' && !REGION_PATTERN.test(region)) return null;
  if (account !== '' && !ACCOUNT_ID_PATTERN.test(account)) return null;
  return { partition, service, region, account, resource };
}

/** The account and Region an event's envelope names. */
export interface EventIdentity {
  readonly account: string;
  readonly region: string;
}

/**
 * What is wrong when `account` / `region` (read from the field the caller names) differ from the envelope's,
 * or null when they agree. An empty value means "not carried" (global resources such as IAM) and agrees.
 *
 * @example identityProblem({ account: '123456789012', region: 'us-east-1' }, '999999999999', 'us-east-1')
 *   // → 'account 999999999999 differs from the event\'s account 123456789012'
 */
export function identityProblem(envelope: EventIdentity, account: string, region: string): string | null {
  if (account !== '' && account !== envelope.account)
    return `account ${account} differs from the event's account ${envelope.account}`;
  if (region !== '' && region !== envelope.region)
    return `Region ${region} differs from the event's Region ${envelope.region}`;
  return null;
}

/**
 * What is wrong with one entry of an envelope's `resources[]`: not an ARN, or an ARN of another account or
 * Region than the envelope's. Null when it is fine.
 */
export function resourceArnProblem(envelope: EventIdentity, resource: string): string | null {
  const arn = parseArn(resource);
  if (!arn) return `must be an ARN (got ${quote(resource)})`;
  return identityProblem(envelope, arn.account, arn.region);
}

/** Something an event carries that names an account and/or a Region, for {@link envelopeMismatch}. */
export interface CarriedIdentity {
  /** The field, as a refusal names it (`detail.awsRegion`). */
  readonly field: string;
  readonly account?: unknown;
  readonly region?: unknown;
  /** An ARN whose account and Region are checked. */
  readonly arn?: unknown;
}

/**
 * For EventBridge events read outside {@link parseEvent} (the sweep's triggers): the first field that disagrees
 * with the envelope's `account` / `region` (each `resources[]` entry, then each carried value that is present),
 * or null. An envelope without a valid account and Region is itself the mismatch.
 *
 * @example envelopeMismatch(cloudTrailEvent, [{ field: 'detail.awsRegion', region: detail.awsRegion }])
 */
export function envelopeMismatch(
  event: Readonly<Record<string, unknown>>,
  carried: readonly CarriedIdentity[] = [],
): { readonly field: string; readonly problem: string } | null {
  const { account, region } = event;
  if (typeof account !== 'string' || !ACCOUNT_ID_PATTERN.test(account))
    return { field: 'account', problem: `must be a 12-digit AWS account id (got ${quote(account)})` };
  if (typeof region !== 'string' || !REGION_PATTERN.test(region))
    return { field: 'region', problem: `must be an AWS Region name (got ${quote(region)})` };
  const envelope = { account, region };
  const resources = event.resources ?? [];
  if (!Array.isArray(resources)) return { field: 'resources', problem: 'must be an array of ARNs' };
  for (const [i, resource] of resources.entries()) {
    const problem =
      typeof resource === 'string' ? resourceArnProblem(envelope, resource) : 'must be a string';
    if (problem) return { field: `resources[${i}]`, problem };
  }
  for (const item of carried) {
    const problem = carriedProblem(envelope, item);
    if (problem) return { field: item.field, problem };
  }
  return null;
}

function carriedProblem(envelope: EventIdentity, item: CarriedIdentity): string | null {
  if (item.arn !== undefined) {
    const arn = typeof item.arn === 'string' ? parseArn(item.arn) : null;
    if (!arn) return `must be an ARN (got ${quote(item.arn)})`;
    return identityProblem(envelope, arn.account, arn.region);
  }
  if (
    item.account !== undefined &&
    (typeof item.account !== 'string' || !ACCOUNT_ID_PATTERN.test(item.account))
  )
    return `must be a 12-digit AWS account id (got ${quote(item.account)})`;
  if (item.region !== undefined && (typeof item.region !== 'string' || !REGION_PATTERN.test(item.region)))
    return `must be an AWS Region name (got ${quote(item.region)})`;
  return identityProblem(
    envelope,
    (item.account as string | undefined) ?? '',
    (item.region as string | undefined) ?? '',
  );
}
