/**
 * Notices for the notify tests, built from the real enhanced-scanning payload in test/fixtures/aws so the
 * vulnerability ids, packages, scores and links are what ECR really returns.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Finding, Severity } from '../../../lib/findings/finding.ts';
import type { ImageContext } from '../../../lib/notify/format.ts';
import type { Decision, Violation, Waived } from '../../../lib/policy/decision.ts';

const FIXTURES = fileURLToPath(new URL('../../fixtures/aws/', import.meta.url));

interface EnhancedFinding {
  severity: string;
  score?: number;
  title?: string;
  fixAvailable?: string;
  exploitAvailable?: string;
  packageVulnerabilityDetails: {
    vulnerabilityId: string;
    sourceUrl?: string;
    vulnerablePackages: { name: string; version: string; fixedInVersion?: string }[];
  };
}

/** The findings of the two real enhanced-scanning responses, one per vulnerable package. */
export function enhancedFixtureFindings(): Finding[] {
  return [
    'ecr-describe-image-scan-findings-enhanced-active.json',
    'ecr-describe-image-scan-findings-enhanced-centos8.json',
  ].flatMap((file) => fromEnhanced(JSON.parse(readFileSync(`${FIXTURES}${file}`, 'utf8'))));
}

function fromEnhanced(json: { imageScanFindings: { enhancedFindings: EnhancedFinding[] } }): Finding[] {
  return json.imageScanFindings.enhancedFindings.flatMap((f) =>
    f.packageVulnerabilityDetails.vulnerablePackages.map(
      (p): Finding => ({
        id: f.packageVulnerabilityDetails.vulnerabilityId,
        severity: f.severity as Severity,
        score: f.score ?? null,
        epss: null,
        fixAvailable: (f.fixAvailable as Finding['fixAvailable']) ?? null,
        exploitAvailable: f.exploitAvailable === undefined ? null : f.exploitAvailable === 'YES',
        package: p.name,
        version: p.version,
        fixedIn: p.fixedInVersion && p.fixedInVersion !== 'NotAvailable' ? p.fixedInVersion : null,
        url: f.packageVulnerabilityDetails.sourceUrl ?? null,
        title: f.title ?? null,
        source: 'ecr-enhanced',
      }),
    ),
  );
}

export const DIGEST = `sha256:${'a1b2c3d4e5f6'.repeat(5)}abcd`;

export function imageContext(overrides: Partial<ImageContext> = {}): ImageContext {
  return {
    registryId: '123456789012',
    region: 'eu-west-1',
    repository: 'team-a/payments-api',
    digest: DIGEST,
    tagsBefore: ['1.4.2'],
    tagsAfter: ['1.4.2', 'quarantined-1.4.2'],
    ...overrides,
  };
}

export function summaryOf(findings: readonly Finding[]): Record<string, number> {
  const summary: Record<string, number> = {
    CRITICAL: 0,
    HIGH: 0,
    MEDIUM: 0,
    LOW: 0,
    INFORMATIONAL: 0,
    UNDEFINED: 0,
  };
  const seen = new Set<string>();
  for (const f of findings) {
    if (seen.has(`${f.severity}/${f.id}`)) continue;
    seen.add(`${f.severity}/${f.id}`);
    summary[f.severity] = (summary[f.severity] ?? 0) + 1;
  }
  return summary;
}

export function violationFor(finding: Finding, rule = `maxSeverity.${finding.severity}`): Violation {
  return {
    rule,
    findingId: finding.id,
    severity: finding.severity,
    package: finding.package,
    message: `${finding.severity} finding ${finding.id} exceeds the policy's maximum of 0`,
  };
}

export function decision(overrides: Partial<Decision> = {}): Decision {
  return {
    verdict: 'quarantined',
    image: { repository: 'team-a/payments-api', tags: ['1.4.2'], digest: DIGEST },
    policy: {
      name: 'default',
      file: 'policies/default.yaml',
      version: `sha256:${'9'.repeat(64)}`,
      mode: 'enforce',
    },
    summary: { CRITICAL: 0, HIGH: 0, MEDIUM: 0, LOW: 0, INFORMATIONAL: 0, UNDEFINED: 0 },
    violations: [],
    waived: [],
    ...overrides,
  };
}

export function waived(findingId: string, pkg: string | null, expires = '2026-03-31'): Waived {
  return {
    findingId,
    package: pkg,
    exception: {
      id: `${findingId.toLowerCase()}-payments`,
      file: 'policies/exceptions/team-a.yaml',
      reason: 'Not reachable: the vulnerable code path is not used',
      owner: 'team-a',
      expires,
      ticket: 'SEC-142',
    },
  };
}

/** `count` synthetic findings over all severities with distinct ids and descending scores. */
export function manyFindings(count: number, pkgName = (i: number) => `package-${i}`): Finding[] {
  const severities: Severity[] = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'];
  return Array.from(
    { length: count },
    (_, i): Finding => ({
      id: `CVE-2024-${String(10000 + i)}`,
      severity: severities[i % severities.length] ?? 'LOW',
      score: Math.round((10 - (i % 100) / 10) * 10) / 10,
      epss: null,
      fixAvailable: i % 2 === 0 ? 'YES' : 'NO',
      exploitAvailable: null,
      package: pkgName(i),
      version: `1.${i}.0`,
      fixedIn: i % 2 === 0 ? `1.${i}.1` : null,
      url: `https://nvd.nist.gov/vuln/detail/CVE-2024-${String(10000 + i)}`,
      title: null,
      source: 'ecr-enhanced',
    }),
  );
}
