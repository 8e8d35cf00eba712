/**
 * The normalised finding every scanner's output is turned into. One Finding is one vulnerability in one
 * package: a scanner record that names several vulnerable packages becomes several Findings sharing `id`.
 */

/** The severities every summary shows, even at zero (ECR's FindingSeverity enum), in decreasing gravity. */
export const SUMMARY_SEVERITIES = [
  'CRITICAL',
  'HIGH',
  'MEDIUM',
  'LOW',
  'INFORMATIONAL',
  'UNDEFINED',
] as const;

/** Severities in decreasing order of gravity. UNTRIAGED comes from Inspector, UNDEFINED from ECR basic. */
export const SEVERITIES = [...SUMMARY_SEVERITIES, 'UNTRIAGED'] as const;
export type Severity = (typeof SEVERITIES)[number];

export type FixAvailability = 'YES' | 'NO' | 'PARTIAL';

export type FindingSource = 'ecr-basic' | 'ecr-enhanced' | 'inspector' | 'trivy' | 'grype';

/**
 * CISA Known Exploited Vulnerabilities catalogue entry, as the scanner reports it (Grype `knownExploited[]`,
 * an Inspector finding's `cisaData`). Dates are `YYYY-MM-DD` (UTC) when the source gives them.
 */
export interface KnownExploited {
  readonly dateAdded: string | null;
  /** The date by which CISA requires federal agencies to remediate. */
  readonly dateDue: string | null;
  /** CISA's required action, when given. */
  readonly action?: string | null;
}

export interface Finding {
  /** Vulnerability id as the scanner names it (CVE-…, GHSA-…, ALAS-…). */
  readonly id: string;
  readonly severity: Severity;
  /** Best available 0–10 score (Inspector score, else CVSS v3, else CVSS v2), or null when none is given. */
  readonly score: number | null;
  /** EPSS probability 0–1 where the source has it. */
  readonly epss: number | null;
  /** Whether a fix exists; null when the source does not say. */
  readonly fixAvailable: FixAvailability | null;
  /** Whether a public exploit is known; null when the source does not say. */
  readonly exploitAvailable: boolean | null;
  readonly package: string | null;
  readonly version: string | null;
  /** Version that fixes it; null when unknown or "NotAvailable". */
  readonly fixedIn: string | null;
  readonly url: string | null;
  readonly title: string | null;
  /**
   * The scanner's description of the vulnerability, for reports (SARIF rule text); absent when the source has
   * none. Optional so hand-built Findings stay valid; never read by evaluation.
   */
  readonly description?: string | null;
  readonly source: FindingSource;
  /**
   * When the scanner first saw this finding on the image, as an ISO-8601 UTC string; null when the source
   * has no such date (ECR basic, Trivy, Grype) or it cannot be read. Optional so hand-built Findings stay valid.
   */
  readonly firstObservedAt?: string | null;
  /**
   * Amazon Inspector / ECR enhanced scanning only: the finding's ARN and its last update (ISO-8601), so the
   * gate can tell whether an evaluation saw the state an Inspector2 Finding event announces. Optional.
   */
  readonly arn?: string | null;
  readonly updatedAt?: string | null;
  /**
   * Listed in CISA's KEV catalogue, when the source says so; absent when the source does not carry KEV data.
   * Optional so hand-built Findings stay valid; read by reports, not (yet) by evaluation.
   */
  readonly kev?: KnownExploited;
}

/** Rank used to sort by gravity: 0 is the most severe. */
export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}
