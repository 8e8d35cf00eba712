/**
 * How the policy formats (Policy, Exceptions) word their schema errors beyond the generic sentences of
 * lib/policy/schema-problems.ts: what each pattern of policies/schema means, and sentences for places where the
 * generic one would be vague (a default policy with match, an empty list the key could be omitted for).
 */
import { SEVERITIES } from '../findings/finding.ts';
import { TAG_FORMATS } from './policy-set.ts';
import type { SchemaWording } from './schema-problems.ts';

const REPOSITORY_GLOB = 'a repository glob (lower-case letters, digits, ".", "_", "-", "/", "*" and "?")';
const TAG_GLOB = 'a tag glob (letters, digits, ".", "_", "-", "*" and "?")';
const PACKAGE_GLOB = 'a package name or glob (no spaces, brackets, "|", "!" or ",")';
/** A deadline duration, as problems name it. */
export const DAYS = 'a number of days such as 3d (0d to 3650d)';
const AT_LEAST_ONE_PATTERN = 'must list at least one pattern (omit the key to match everything)';

/**
 * How the policy formats word their schema errors (see lib/policy/schema-problems.ts). Built on first use: the
 * Lambda bundles import this module for parseDeadlineDays only, and a constant built with calls would stay in them.
 */
let wording: SchemaWording | null = null;
export const policyWording = (): SchemaWording => {
  wording ??= {
    patterns: {
      '^[a-z0-9][a-z0-9-]{0,62}$': 'a name of lower-case letters, digits and "-" (at most 63)',
      '^[a-z0-9._/*?-]+$': REPOSITORY_GLOB,
      '^[A-Za-z0-9._*?-]+$': TAG_GLOB,
      '^[^\\s()\\[\\]{}|\\\\!,]+$': PACKAGE_GLOB,
      '^(semver\\+sha|[A-Za-z0-9._*?-]+)$': `a named format (${TAG_FORMATS.join(', ')}) or ${TAG_GLOB}`,
      '^(0|[1-9][0-9]{0,3})d$': DAYS,
      '^((0|[1-9][0-9]{0,3})d|dateDue)$': `${DAYS} or dateDue`,
      '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$': 'an exception id of letters, digits, ".", "_", "-" (at most 128)',
      '^[A-Za-z0-9][A-Za-z0-9._:+/-]{0,127}$':
        'a vulnerability id such as CVE-2024-1234 or GHSA-xxxx-xxxx-xxxx',
      '^\\d{4}-\\d{2}-\\d{2}$': 'a date written YYYY-MM-DD',
      '^sha256:[0-9a-f]{64}$': 'sha256:<64 lower-case hex>',
    },
    at: {
      '#/else/required': { message: 'is required unless the policy is the default (default: true)' },
      '#/then/not': {
        key: 'match',
        message: 'the default policy applies to every image nothing else matches: remove match',
      },
      '#/properties/rules/properties/maxSeverity/additionalProperties': {
        message: `unknown severity (expected one of ${SEVERITIES.join(', ')})`,
      },
      '#/properties/match/properties/repositories/minItems': { message: 'must list at least one pattern' },
      '#/properties/match/properties/tags/minItems': { message: AT_LEAST_ONE_PATTERN },
      '#/properties/rules/properties/deniedPackages/items/properties/versions/minItems': {
        message: 'must list at least one version (omit it to deny all)',
      },
      '#/properties/rules/properties/image/properties/tagNaming/minItems': {
        message: 'must list at least one format or pattern (omit it to allow any tag)',
      },
      '#/properties/exceptions/items/properties/scope/properties/repositories/minItems': {
        message: AT_LEAST_ONE_PATTERN,
      },
      '#/properties/exceptions/items/properties/scope/properties/tags/minItems': {
        message: AT_LEAST_ONE_PATTERN,
      },
      '#/properties/exceptions/items/properties/scope/properties/packages/minItems': {
        message: AT_LEAST_ONE_PATTERN,
      },
    },
  };
  return wording;
};
