/**
 * Is a scan result something to decide on? The answer for each of ECR's 10 scan statuses:
 *
 * | status | outcome |
 * |---|---|
 * | IN_PROGRESS, PENDING | not ready: no verdict, re-check later |
 * | COMPLETE, ACTIVE with findings (or severity counts) | evaluate the findings |
 * | COMPLETE, ACTIVE, nothing at all, shortly after an enhanced scan | not ready (findings appear seconds later) |
 * | COMPLETE, ACTIVE, nothing at all, otherwise | evaluate [] (a clean image) |
 * | FAILED, UNSUPPORTED_IMAGE, FINDINGS_UNAVAILABLE, SCAN_ELIGIBILITY_EXPIRED, IMAGE_ARCHIVED | fail-closed table (`decideWithoutFindings`) |
 * | LIMIT_EXCEEDED | fail-closed table: no scan ran, so no verdict can be honest (quarantined with reason) |
 * | no scan at all (ScanNotFound) | not ready |
 */
import type { Finding } from '../findings/finding.ts';
import type { ScanResult } from '../registry/registry.ts';

export type Readiness =
  | { readonly kind: 'not-ready'; readonly why: string }
  | { readonly kind: 'findings'; readonly status: string; readonly findings: readonly Finding[] }
  | { readonly kind: 'no-findings'; readonly status: string; readonly description: string | null };

export interface ReadinessContext {
  /** True when the scan is known to be enhanced (response shape, the event, or the registry configuration). */
  readonly enhanced: boolean;
  /** Milliseconds since the scan completed (or since the push when ECR gives no completion time). */
  readonly sinceScanMs: number;
  readonly enhancedSettleMs: number;
  /**
   * The triggering Inspector2 Scan event said every count is 0 (TOTAL 0): an empty result is then consistent
   * with the event and can be judged without waiting. The counts are a hint only; the fresh read decides.
   */
  readonly hintSaysClean: boolean;
}

function hasCounts(counts: Readonly<Record<string, number>> | null): boolean {
  return counts !== null && Object.values(counts).some((n) => n > 0);
}

/** Classifies one image's scan result. `result` null means ECR has no scan for the image (ScanNotFound). */
export function classifyScan(result: ScanResult | null, context: ReadinessContext): Readiness {
  if (result === null) return { kind: 'not-ready', why: 'ECR has no scan for this image yet (ScanNotFound)' };
  switch (result.status) {
    case 'IN_PROGRESS':
    case 'PENDING':
      return { kind: 'not-ready', why: `scan status ${result.status}` };
    case 'COMPLETE':
    case 'ACTIVE': {
      if (result.findings.length > 0)
        return { kind: 'findings', status: result.status, findings: result.findings };
      if (hasCounts(result.severityCounts)) {
        // Counts without findings: the finding pages are not readable yet. Never judge on counts alone.
        return {
          kind: 'not-ready',
          why: `scan ${result.status} reports severity counts but no findings yet`,
        };
      }
      const settling =
        context.enhanced && context.sinceScanMs < context.enhancedSettleMs && !context.hintSaysClean;
      if (settling) {
        return {
          kind: 'not-ready',
          why: `enhanced scan ${result.status} with no findings and no counts ${Math.round(context.sinceScanMs / 1000)} s after it completed: findings may not be visible yet`,
        };
      }
      return { kind: 'findings', status: result.status, findings: [] };
    }
    default:
      return { kind: 'no-findings', status: result.status, description: result.description };
  }
}
