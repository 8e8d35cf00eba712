/**
 * A straightforward evaluation, kept as the reference the optimised lib/policy/evaluate.ts must agree with
 * (test/unit/policy/evaluate-differential.test.ts): every finding checked against every exception of the set,
 * every rule applied finding by finding, nothing compiled, indexed or remembered. Written from the rules as
 * documented, not from the optimised code.
 */
import type { Finding } from '../../../lib/findings/finding.ts';
import { SEVERITIES } from '../../../lib/findings/finding.ts';
import { severityCounts } from '../../../lib/findings/severity-counts.ts';
import type {
  Decision,
  ImageFacts,
  ImageUnderTest,
  Violation,
  Waived,
} from '../../../lib/policy/decision.ts';
import { evaluate, selectPolicy } from '../../../lib/policy/evaluate.ts';
import { globMatches } from '../../../lib/policy/glob.ts';
import {
  displayFile,
  type ExceptionDefinition,
  exceptionEndsAt,
  type PolicySet,
} from '../../../lib/policy/policy-set.ts';
import { matchVersionSpec, parseVersionSpec, type VersionSpec } from '../../../lib/policy/version-range.ts';

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function label(f: Finding): string {
  if (f.package === null) return f.id;
  return f.version === null ? `${f.id} in ${f.package}` : `${f.id} in ${f.package} ${f.version}`;
}

function num(n: number): string {
  return String(Math.round(n * 10000) / 10000);
}

function violation(rule: string, f: Finding, message: string): Violation {
  return {
    rule,
    findingId: f.id,
    severity: f.severity,
    package: f.package,
    message: `${label(f)}: ${message}`,
  };
}

/** Unknown fix data counts as fixable; a fix "exists" (ending until: fix-available) only on evidence. */
function isFixable(f: Finding): boolean {
  return f.fixAvailable !== 'NO' || f.fixedIn !== null;
}

function fixExists(f: Finding): boolean {
  return f.fixAvailable === 'YES' || f.fixAvailable === 'PARTIAL' || f.fixedIn !== null;
}

function waives(e: ExceptionDefinition, f: Finding, image: ImageUnderTest, nowMs: number): boolean {
  const s = e.scope;
  return (
    e.finding === f.id &&
    nowMs < exceptionEndsAt(e.expires) &&
    (s.digest === null || s.digest === image.digest) &&
    (s.repositories === null || s.repositories.some((p) => globMatches(p, image.repository))) &&
    (s.tags === null || s.tags.some((p) => image.tags.some((t) => globMatches(p, t)))) &&
    (s.packages === null ||
      (f.package !== null && s.packages.some((p) => globMatches(p, f.package as string)))) &&
    !(e.until === 'fix-available' && fixExists(f))
  );
}

function deniedViolations(set: PolicySet, image: ImageUnderTest, findings: readonly Finding[]): Violation[] {
  const entries = selectPolicy(set, image).rules.deniedPackages;
  const out: Violation[] = [];
  const judged = new Set<string>();
  for (const f of findings) {
    if (f.package === null) continue;
    const pair = JSON.stringify([f.package, f.version]);
    if (judged.has(pair)) continue;
    judged.add(pair);
    for (const entry of entries) {
      if (!globMatches(entry.name, f.package)) continue;
      let verdict = 'match';
      let spec = '';
      if (entry.versions) {
        const results = entry.versions.map((text) => ({
          text,
          result: matchVersionSpec(parseVersionSpec(text) as VersionSpec, f.version),
        }));
        const match = results.find((r) => r.result === 'match');
        const unknown = results.find((r) => r.result === 'unknown');
        if (match) spec = match.text;
        else if (unknown) {
          verdict = 'unknown';
          spec = unknown.text;
        } else verdict = 'no-match';
      }
      if (verdict === 'no-match') continue;
      const what =
        f.version === null ? `package ${f.package} (version unknown)` : `package ${f.package} ${f.version}`;
      const rule = entry.versions ? `${entry.name} ${spec}` : entry.name;
      const why =
        verdict === 'unknown'
          ? ' (the version cannot be ordered exactly against the range: denied to be safe)'
          : '';
      const reason = entry.reason ? `: ${entry.reason}` : '';
      out.push({
        rule: 'deniedPackages',
        findingId: null,
        severity: null,
        package: f.package,
        message: `${what} is denied by "${rule}"${why}${reason}`,
      });
    }
  }
  return out;
}

function rank(v: Violation): number {
  return v.severity === null ? SEVERITIES.length : SEVERITIES.indexOf(v.severity);
}

export function referenceEvaluate(
  findings: readonly Finding[],
  image: ImageUnderTest,
  facts: ImageFacts | null,
  set: PolicySet,
  now: Date,
): Decision {
  const nowMs = now.getTime();
  const policy = selectPolicy(set, image);
  const rules = policy.rules;
  const violations: Violation[] = deniedViolations(set, image, findings);
  const waived: Waived[] = [];
  const counted: Finding[] = [];
  for (const f of findings) {
    const e = set.exceptions.find((x) => waives(x, f, image, nowMs));
    if (!e) {
      counted.push(f);
      continue;
    }
    if (waived.some((w) => w.findingId === f.id && w.package === f.package && w.exception.id === e.id))
      continue;
    const ref = {
      id: e.id,
      file: displayFile(set, e.file),
      reason: e.reason,
      owner: e.owner,
      expires: e.expires,
    };
    waived.push({
      findingId: f.id,
      package: f.package,
      exception: e.ticket !== null ? { ...ref, ticket: e.ticket } : ref,
    });
  }
  for (const severity of SEVERITIES) {
    const limit = rules.maxSeverity[severity];
    if (!limit) continue;
    const gated = counted.filter((f) => f.severity === severity && (!limit.fixableOnly || isFixable(f)));
    const distinct = new Set(gated.map((f) => f.id)).size;
    if (distinct <= limit.max) continue;
    const kind = limit.fixableOnly ? `${severity} vulnerabilities with a fix` : `${severity} vulnerabilities`;
    for (const f of gated) {
      violations.push(
        violation(`maxSeverity.${severity}`, f, `${distinct} ${kind}; at most ${limit.max} allowed`),
      );
    }
  }
  for (const f of counted) {
    const fixable = isFixable(f);
    const { score, exploitAvailable: exploit, epss } = rules;
    if (score && (!score.fixableOnly || fixable)) {
      if (f.score !== null && f.score >= score.atLeast) {
        violations.push(violation('score', f, `score ${num(f.score)} >= ${num(score.atLeast)}`));
      } else if (f.score === null && score.whenUnknown === 'violate') {
        violations.push(violation('score', f, 'no score is known (score.whenUnknown: violate)'));
      }
    }
    if (exploit?.deny && (!exploit.fixableOnly || fixable)) {
      if (f.exploitAvailable === true)
        violations.push(violation('exploitAvailable', f, 'a public exploit is known'));
      else if (f.exploitAvailable === null && exploit.whenUnknown === 'violate') {
        violations.push(
          violation('exploitAvailable', f, 'exploit status unknown (exploitAvailable.whenUnknown: violate)'),
        );
      }
    }
    if (epss && (!epss.fixableOnly || fixable)) {
      if (f.epss !== null && f.epss >= epss.atLeast) {
        violations.push(violation('epss', f, `EPSS ${num(f.epss)} >= ${num(epss.atLeast)}`));
      } else if (f.epss === null && epss.whenUnknown === 'violate') {
        violations.push(violation('epss', f, 'no EPSS score is known (epss.whenUnknown: violate)'));
      }
    }
  }
  // Image rules read the image and its facts, never the findings: the same as for an image without findings.
  violations.push(...evaluate([], image, facts, set, now).violations);
  violations.sort(
    (a, b) =>
      rank(a) - rank(b) ||
      compareText(a.findingId ?? '', b.findingId ?? '') ||
      compareText(a.package ?? '', b.package ?? '') ||
      compareText(a.rule, b.rule) ||
      compareText(a.message, b.message),
  );
  waived.sort(
    (a, b) =>
      compareText(a.findingId, b.findingId) ||
      compareText(a.package ?? '', b.package ?? '') ||
      compareText(a.exception.id, b.exception.id),
  );
  return {
    verdict: policy.mode === 'enforce' && violations.length > 0 ? 'quarantined' : 'approved',
    image: { repository: image.repository, tags: [...image.tags], digest: image.digest },
    policy: {
      name: policy.name,
      file: displayFile(set, policy.file),
      version: set.version,
      mode: policy.mode,
    },
    summary: severityCounts(findings),
    violations,
    waived,
  };
}
