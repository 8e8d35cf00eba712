/**
 * The policy set as plain, JSON-serialisable data: what `loadPolicySet` builds from policies/*.yaml and what the
 * build writes as `policy-set.json` for Lambda. Definitions are normalised (every default filled in) and keep
 * the key names of the YAML files, so the same checker validates a file and a bundled set.
 */
import type { Severity } from '../findings/finding.ts';
import type { PolicyMode } from './decision.ts';

export const API_VERSION = 'gatekeeper/v1';
export const POLICY_SET_FORMAT = 'gatekeeper-policy-set/v1';

/** Scan outcomes without findings that a policy may turn into a verdict (DESIGN.md fail-closed table). */
export const SCAN_FAILURE_STATUSES = [
  'FAILED',
  'UNSUPPORTED_IMAGE',
  'FINDINGS_UNAVAILABLE',
  'SCAN_ELIGIBILITY_EXPIRED',
  'IMAGE_ARCHIVED',
] as const;
export type ScanFailureStatus = (typeof SCAN_FAILURE_STATUSES)[number];
export type ScanFailureOutcome = 'quarantine' | 'approve';

/** Named tag formats for `rules.image.tagNaming` (anything else there is a tag glob). */
export const TAG_FORMATS = ['semver', 'semver+sha', 'sha'] as const;

export type WhenUnknown = 'ignore' | 'violate';

export interface SeverityLimit {
  readonly max: number;
  readonly fixableOnly: boolean;
}

export interface ThresholdRule {
  /** A finding whose value is at least this violates. */
  readonly atLeast: number;
  readonly fixableOnly: boolean;
  readonly whenUnknown: WhenUnknown;
}

export interface ExploitRule {
  readonly deny: boolean;
  readonly fixableOnly: boolean;
  readonly whenUnknown: WhenUnknown;
}

export interface DeniedPackage {
  /** Package name glob. */
  readonly name: string;
  /** Version specs (any may match); null denies every version. */
  readonly versions: readonly string[] | null;
  readonly reason: string | null;
}

export interface ImageRules {
  readonly runsAsRoot: 'deny' | 'allow';
  readonly requiredLabels: readonly string[];
  readonly maxSizeBytes: number | null;
  /** Allowed tag formats / globs; null means any tag name. */
  readonly tagNaming: readonly string[] | null;
  readonly latestAlone: 'deny' | 'allow';
}

/**
 * `rules.knownExploited`: a finding in CISA's Known Exploited Vulnerabilities catalogue. `deny` violates at once;
 * `{ deadline: dateDue }` violates from the day after CISA's due date (a KEV entry without a due date violates at
 * once: fail closed). Kept in the YAML form so the bundled set is re-checked by the same checker.
 */
export type KnownExploitedRule = 'deny' | { readonly deadline: 'dateDue' };

/** Where a fix deadline's clock starts (`deadlines.from`). */
export type DeadlineFrom = 'firstSeen' | 'fixAvailable';

/** Keys of `deadlines` besides the severities. */
export const DEADLINE_RULE_KEYS = ['knownExploited'] as const;

/**
 * `deadlines`: how long an image that was approved before may keep its approval while it has violations
 * (docs/policies.md, "Fix deadlines"). Durations are `<days>d`; `knownExploited` may also be `dateDue` (CISA's due
 * date). Kept in the YAML form (normalised: `from` filled in) so the bundled set is re-checked by the same checker.
 */
export interface DeadlinePolicy {
  readonly from: DeadlineFrom;
  readonly CRITICAL?: string;
  readonly HIGH?: string;
  readonly MEDIUM?: string;
  readonly LOW?: string;
  readonly INFORMATIONAL?: string;
  readonly UNDEFINED?: string;
  readonly UNTRIAGED?: string;
  readonly knownExploited?: string;
  readonly inUse?: { readonly extraDays: number };
}

export interface PolicyRules {
  readonly fixableOnly: boolean;
  readonly maxSeverity: Readonly<Partial<Record<Severity, SeverityLimit>>>;
  readonly score: ThresholdRule | null;
  readonly exploitAvailable: ExploitRule | null;
  readonly epss: ThresholdRule | null;
  readonly deniedPackages: readonly DeniedPackage[];
  readonly image: ImageRules;
  /** Absent when the policy has no KEV rule (absent, not null: the policy version of older sets is unchanged). */
  readonly knownExploited?: KnownExploitedRule;
}

export interface PolicyDefinition {
  /** Path of the file relative to the policies directory, `/`-separated (e.g. `teams/payments.yaml`). */
  readonly file: string;
  readonly apiVersion: typeof API_VERSION;
  readonly kind: 'Policy';
  readonly name: string;
  readonly description: string | null;
  readonly default: boolean;
  readonly priority: number;
  readonly mode: PolicyMode;
  /** null only for the default policy. */
  readonly match: {
    readonly repositories: readonly string[];
    readonly tags: readonly string[] | null;
  } | null;
  readonly rules: PolicyRules;
  readonly onScanFailure: Readonly<Record<ScanFailureStatus, ScanFailureOutcome>>;
  readonly actions: { readonly removeSourceTags: boolean; readonly archiveQuarantined: boolean };
  /** Fix deadlines; absent when the policy sets none (no grace: a violation quarantines at once). */
  readonly deadlines?: DeadlinePolicy;
}

export interface ExceptionDefinition {
  readonly file: string;
  readonly id: string;
  /** Vulnerability id the exception waives (CVE-…, GHSA-…, ALAS-…), compared exactly. */
  readonly finding: string;
  readonly reason: string;
  readonly owner: string;
  /** Last day (UTC) the exception applies, `YYYY-MM-DD`. */
  readonly expires: string;
  readonly ticket: string | null;
  /** `fix-available`: the exception ends as soon as a fix exists for the finding. */
  readonly until: 'fix-available' | null;
  readonly scope: {
    readonly repositories: readonly string[] | null;
    readonly tags: readonly string[] | null;
    readonly digest: string | null;
    readonly packages: readonly string[] | null;
  };
}

export interface PolicySet {
  readonly format: typeof POLICY_SET_FORMAT;
  /** Display prefix for file paths, usually `policies`. Not part of the version. */
  readonly root: string;
  /** `sha256:` of the canonical serialisation of `policies` and `exceptions`. */
  readonly version: string;
  /** Sorted by file, then name. */
  readonly policies: readonly PolicyDefinition[];
  /** Sorted by file, then id. */
  readonly exceptions: readonly ExceptionDefinition[];
}

/** The first instant at which an exception no longer applies: the day after `expires`, 00:00 UTC. */
export function exceptionEndsAt(expires: string): number {
  return Date.parse(`${expires}T00:00:00Z`) + 24 * 60 * 60 * 1000;
}

/** `policies/teams/payments.yaml` from a set and a relative file. */
export function displayFile(set: Pick<PolicySet, 'root'>, file: string): string {
  return set.root ? `${set.root}/${file}` : file;
}
