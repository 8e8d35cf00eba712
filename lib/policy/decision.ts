/**
 * The decision contract (DESIGN.md, "`evaluate --output json`"). Deploy pipelines, alert subscribers and
 * the CLI's users read this shape: add fields only, never rename or remove.
 */
import type { Severity } from '../findings/finding.ts';

export type Verdict = 'approved' | 'quarantined';
export type PolicyMode = 'enforce' | 'audit';

/** The image under evaluation. `digest` is null when the CLI is given findings without one. */
export interface ImageUnderTest {
  readonly repository: string;
  readonly tags: readonly string[];
  readonly digest: string | null;
}

/** Facts from the manifest and config blob that image rules read. Absent facts skip those rules. */
export interface ImageFacts {
  /** Compressed size as ECR reports it (sum of layer sizes plus config). */
  readonly sizeBytes?: number;
  /** Config `User`; empty string or absent means root. */
  readonly user?: string;
  readonly labels?: Readonly<Record<string, string>>;
}

export interface Violation {
  /** Rule id, e.g. `maxSeverity.CRITICAL`, `deniedPackages`, `image.runsAsRoot`. */
  readonly rule: string;
  readonly findingId: string | null;
  readonly severity: Severity | null;
  readonly package: string | null;
  readonly message: string;
  /** Present when the violation's finding is in CISA's KEV catalogue (any rule), for display: "KEV, due …". */
  readonly kev?: { readonly dateAdded: string | null; readonly dateDue: string | null };
  /**
   * Present only when the judgement was given a timeline (`history`, `inUse` or `previouslyApproved`) and the
   * policy's `deadlines` cover this violation: the instant (ISO-8601 UTC) its grace ends, or null while the clock
   * has not started (`from: fixAvailable` and no fix is known yet).
   */
  readonly deadline?: string | null;
  /** With `deadline`: whether it has passed at `now` (a violation whose deadline passed quarantines). */
  readonly deadlineExpired?: boolean;
}

export interface WaiverRef {
  readonly id: string;
  readonly file: string;
  readonly reason: string;
  readonly owner: string;
  readonly expires: string;
  readonly ticket?: string;
}

export interface Waived {
  readonly findingId: string;
  readonly package: string | null;
  readonly exception: WaiverRef;
}

export interface Decision {
  readonly verdict: Verdict;
  readonly image: ImageUnderTest;
  readonly policy: {
    readonly name: string;
    readonly file: string;
    readonly version: string;
    readonly mode: PolicyMode;
  };
  /** Findings per severity (distinct vulnerability ids); the six ECR severities always present. */
  readonly summary: Readonly<Record<string, number>>;
  readonly violations: readonly Violation[];
  readonly waived: readonly Waived[];
  /** Set when the verdict did not come from findings (scan failed, unsupported image …). */
  readonly reason?: string;
  /**
   * Present only when the source tags were judged differently (a tag selects another policy, or an exception's
   * tag scope covers some tags and not others): the tags whose judgement this decision is. The verdict is the
   * strictest over all source tags (docs/policies.md, "How tags affect the verdict").
   */
  readonly governingTags?: readonly string[];
  /** Present with `governingTags`: every judgement of the digest, strictest first (the first is this one). */
  readonly perTag?: readonly TagJudgement[];
  /**
   * Present when an image approved before keeps its approval only because every violation is within an unexpired
   * fix deadline (docs/policies.md, "Fix deadlines"): the earliest deadline (null when no clock has started yet)
   * and the number of violations it tolerates. Once a deadline passes the verdict is quarantined and this is gone.
   */
  readonly atRisk?: AtRisk;
}

export interface AtRisk {
  /** ISO-8601 UTC instant of the earliest deadline; null when every covered violation's clock is still pending. */
  readonly deadline: string | null;
  readonly violations: number;
}

/** How one group of source tags was judged: same selected policy, same tag-scoped exceptions. */
export interface TagJudgement {
  /** Sorted, code-unit order. */
  readonly tags: readonly string[];
  readonly verdict: Verdict;
  /** Name of the policy these tags select. */
  readonly policy: string;
  readonly mode: PolicyMode;
  /** Number of violations of this judgement. */
  readonly violations: number;
  /** Number of waived findings of this judgement. */
  readonly waived: number;
}
