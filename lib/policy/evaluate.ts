/**
 * Evaluation: findings + image (+ facts) + policy set + time → Decision. Pure and deterministic: no clock, no
 * I/O, no locale; the same inputs give a byte-identical `JSON.stringify` of the result.
 */
import { type Finding, SEVERITIES, type Severity } from '../findings/finding.ts';
// The leaf module, not findings/index.ts: the Lambda runtime path must not pull in the scanner parsers.
import { severityCounts } from '../findings/severity-counts.ts';
import {
  type CompiledDenied,
  type CompiledException,
  type CompiledPolicy,
  type CompiledSet,
  compilePolicySet,
  selectCompiled,
} from './compiled.ts';
import type { Decision, ImageFacts, ImageUnderTest, Violation, Waived, WaiverRef } from './decision.ts';
import { InvalidInputError } from './errors.ts';
import {
  displayFile,
  type KnownExploitedRule,
  type PolicyDefinition,
  type PolicySet,
  SCAN_FAILURE_STATUSES,
  type ScanFailureStatus,
} from './policy-set.ts';
import { matchVersionSpec, parseVersion } from './version-range.ts';

/**
 * The policy that governs an image (see the precedence in docs: most specific repository pattern, then tag
 * pattern, then `priority`, then file and name; the default policy when nothing matches).
 * @example selectPolicy(set, { repository: 'payments/api', tags: ['1.4.0'], digest: null }).name // 'payments'
 */
export function selectPolicy(
  policySet: PolicySet,
  image: Pick<ImageUnderTest, 'repository' | 'tags'>,
): PolicyDefinition {
  return selectCompiled(compilePolicySet(policySet), image).definition;
}

function checkNow(now: Date): number {
  const ms = now instanceof Date ? now.getTime() : Number.NaN;
  if (!Number.isFinite(ms)) throw new InvalidInputError('now', null, 'is not a valid date');
  return ms;
}

/** Exceptions that apply to this image at this time, by finding id, in set order (file, then id). */
function activeExceptions(
  compiled: CompiledSet,
  image: ImageUnderTest,
  nowMs: number,
): Map<string, CompiledException[]> {
  const byFinding = new Map<string, CompiledException[]>();
  for (const e of compiled.exceptions) {
    if (nowMs >= e.endsAt) continue;
    const scope = e.definition.scope;
    if (scope.digest !== null && scope.digest !== image.digest) continue;
    if (e.repositories && !e.repositories.some((m) => m(image.repository))) continue;
    if (e.tags && !e.tags.some((m) => image.tags.some((t) => m(t)))) continue;
    const list = byFinding.get(e.definition.finding);
    if (list) list.push(e);
    else byFinding.set(e.definition.finding, [e]);
  }
  return byFinding;
}

/** Unknown fix data counts as fixable: a fixable-only rule exempts a finding only on evidence that no fix exists. */
function isFixable(f: Finding): boolean {
  return f.fixAvailable !== 'NO' || f.fixedIn !== null;
}

/** A fix exists (ends `until: fix-available` waivers): only on evidence. */
export function fixExists(f: Finding): boolean {
  return f.fixAvailable === 'YES' || f.fixAvailable === 'PARTIAL' || f.fixedIn !== null;
}

function waiverRef(set: PolicySet, e: CompiledException): WaiverRef {
  const d = e.definition;
  const ref: WaiverRef = {
    id: d.id,
    file: displayFile(set, d.file),
    reason: d.reason,
    owner: d.owner,
    expires: d.expires,
  };
  return d.ticket !== null ? { ...ref, ticket: d.ticket } : ref;
}

function label(f: Finding): string {
  if (f.package === null) return f.id;
  return f.version === null ? `${f.id} in ${f.package}` : `${f.id} in ${f.package} ${f.version}`;
}

function num(n: number): string {
  return String(Math.round(n * 10000) / 10000);
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const RANK: Readonly<Record<string, number>> = Object.fromEntries(SEVERITIES.map((s, i) => [s, i]));

/** Ordinal of each distinct string in code-unit order, so a big sort compares numbers, not long strings. */
function ordinals(values: Iterable<string>): Map<string, number> {
  const sorted = [...new Set(values)].sort(compareText);
  return new Map(sorted.map((v, i) => [v, i]));
}

/**
 * Sorts violations by severity (image rules last), finding id, package, rule, message: code-unit order,
 * locale-independent. Ids and packages are ranked once, so 10k violations sort on integers.
 */
function sortViolations(violations: Violation[]): Violation[] {
  const ids = ordinals(violations.map((v) => v.findingId ?? ''));
  const packages = ordinals(violations.map((v) => v.package ?? ''));
  const keyed = violations.map((v) => ({
    rank: v.severity === null ? SEVERITIES.length : (RANK[v.severity] as number),
    id: ids.get(v.findingId ?? '') as number,
    pkg: packages.get(v.package ?? '') as number,
    v,
  }));
  keyed.sort(
    (a, b) =>
      a.rank - b.rank ||
      a.id - b.id ||
      a.pkg - b.pkg ||
      compareText(a.v.rule, b.v.rule) ||
      compareText(a.v.message, b.v.message),
  );
  return keyed.map((k) => k.v);
}

function compareWaived(a: Waived, b: Waived): number {
  return (
    compareText(a.findingId, b.findingId) ||
    compareText(a.package ?? '', b.package ?? '') ||
    compareText(a.exception.id, b.exception.id)
  );
}

function vulnerability(rule: string, f: Finding, message: string): Violation {
  const v: Violation = {
    rule,
    findingId: f.id,
    severity: f.severity,
    package: f.package,
    message: `${label(f)}: ${message}`,
  };
  return f.kev ? { ...v, kev: { dateAdded: f.kev.dateAdded, dateDue: f.kev.dateDue } } : v;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The first instant after a KEV due date (`YYYY-MM-DD`, inclusive, UTC), or null when there is no readable date.
 * @example kevDueEndsAt('2026-12-01') // Date.parse('2026-12-02T00:00:00Z')
 */
export function kevDueEndsAt(dateDue: string | null): number | null {
  if (dateDue === null || !/^\d{4}-\d{2}-\d{2}$/.test(dateDue)) return null;
  const ms = Date.parse(`${dateDue}T00:00:00Z`);
  return Number.isFinite(ms) ? ms + DAY_MS : null;
}

/** `rules.knownExploited` for one finding that is not waived. */
function knownExploitedRule(rule: KnownExploitedRule, f: Finding, nowMs: number, out: Violation[]): void {
  if (!f.kev) return;
  const due = f.kev.dateDue;
  const dueText = due === null ? 'no CISA due date' : `CISA due date ${due}`;
  if (rule === 'deny') {
    out.push(
      vulnerability('knownExploited', f, `in CISA's Known Exploited Vulnerabilities catalogue (${dueText})`),
    );
    return;
  }
  const endsAt = kevDueEndsAt(due);
  if (endsAt === null) {
    // Fail closed: a deadline that cannot be read cannot be waited for.
    out.push(
      vulnerability(
        'knownExploited',
        f,
        `in CISA's Known Exploited Vulnerabilities catalogue with no readable due date (knownExploited.deadline: dateDue)`,
      ),
    );
  } else if (nowMs >= endsAt) {
    out.push(
      vulnerability(
        'knownExploited',
        f,
        `in CISA's Known Exploited Vulnerabilities catalogue: ${dueText} has passed`,
      ),
    );
  }
}

function imageViolation(rule: string, message: string): Violation {
  return { rule, findingId: null, severity: null, package: null, message };
}

function isRootUser(user: string | undefined): boolean {
  const u = (user ?? '').trim();
  if (u === '') return true;
  const name = u.split(':')[0] as string;
  return name === 'root' || name === '0';
}

function imageRules(
  policy: CompiledPolicy,
  image: ImageUnderTest,
  facts: ImageFacts | null,
  out: Violation[],
): void {
  const rules = policy.definition.rules.image;
  const tags = image.tags;
  if (rules.latestAlone === 'deny' && tags.length > 0 && tags.every((t) => t === 'latest')) {
    out.push(imageViolation('image.latestAlone', 'the only tag is "latest": push a versioned tag with it'));
  }
  if (policy.tagNaming) {
    const allowed = policy.tagNaming.map((n) => n.entry).join(', ');
    for (const tag of [...new Set(tags)].sort(compareText)) {
      if (tag === 'latest') continue; // governed by image.latestAlone, not by naming
      if (!policy.tagNaming.some((n) => n.matches(tag))) {
        out.push(imageViolation('image.tagNaming', `tag "${tag}" matches none of: ${allowed}`));
      }
    }
  }
  if (facts === null) return;
  if (rules.runsAsRoot === 'deny' && isRootUser(facts.user)) {
    const user =
      facts.user === undefined || facts.user.trim() === '' ? 'no User is set' : `User is "${facts.user}"`;
    out.push(imageViolation('image.runsAsRoot', `the image runs as root (${user} in its config)`));
  }
  const labels = facts.labels ?? {};
  for (const name of rules.requiredLabels) {
    if (!Object.hasOwn(labels, name)) {
      out.push(imageViolation('image.requiredLabels', `required label "${name}" is missing`));
    }
  }
  if (rules.maxSizeBytes !== null && facts.sizeBytes !== undefined && facts.sizeBytes > rules.maxSizeBytes) {
    out.push(
      imageViolation(
        'image.maxSizeBytes',
        `the image is ${facts.sizeBytes} bytes; the maximum is ${rules.maxSizeBytes}`,
      ),
    );
  }
}

/** An image rule that could not be checked because the fact it reads was not given. */
export interface SkippedImageRule {
  /** Rule id as in decisions, e.g. `image.runsAsRoot`. */
  readonly rule: string;
  /** The fact that was missing: `image facts` (none given) or the missing key, e.g. `sizeBytes`. */
  readonly missing: string;
}

/**
 * The image rules of a policy that {@link evaluate} cannot check with these facts (and therefore skips):
 * `runsAsRoot` and `requiredLabels` without facts, `maxSizeBytes` without facts or without `sizeBytes`.
 * Tag rules never need facts. Callers use it to say which checks did not run, instead of staying silent.
 * @example skippedImageRules(selectPolicy(set, image), null) // [{ rule: 'image.runsAsRoot', missing: 'image facts' }, …]
 */
export function skippedImageRules(
  policy: PolicyDefinition,
  facts: ImageFacts | null,
): readonly SkippedImageRule[] {
  const rules = policy.rules.image;
  const out: SkippedImageRule[] = [];
  if (facts === null) {
    if (rules.runsAsRoot === 'deny') out.push({ rule: 'image.runsAsRoot', missing: 'image facts' });
    if (rules.requiredLabels.length > 0) out.push({ rule: 'image.requiredLabels', missing: 'image facts' });
    if (rules.maxSizeBytes !== null) out.push({ rule: 'image.maxSizeBytes', missing: 'image facts' });
  } else if (rules.maxSizeBytes !== null && facts.sizeBytes === undefined) {
    out.push({ rule: 'image.maxSizeBytes', missing: 'sizeBytes' });
  }
  return out;
}

function deniedPackage(
  entries: readonly CompiledDenied[],
  pkg: string,
  version: string | null,
  out: Violation[],
): void {
  const parsed = parseVersion(version);
  for (const d of entries) {
    let verdict: 'match' | 'unknown' | 'no-match' = 'match';
    let spec = '';
    if (d.specs) {
      verdict = 'no-match';
      for (const s of d.specs) {
        const m = matchVersionSpec(s.spec, parsed);
        if (m === 'match') {
          verdict = 'match';
          spec = s.text;
          break;
        }
        if (m === 'unknown' && verdict === 'no-match') {
          verdict = 'unknown';
          spec = s.text;
        }
      }
    }
    if (verdict === 'no-match') continue;
    const what = version === null ? `package ${pkg} (version unknown)` : `package ${pkg} ${version}`;
    const rule = d.entry.versions ? `${d.entry.name} ${spec}` : d.entry.name;
    const why =
      verdict === 'unknown'
        ? ' (the version cannot be ordered exactly against the range: denied to be safe)'
        : '';
    const reason = d.entry.reason ? `: ${d.entry.reason}` : '';
    out.push({
      rule: 'deniedPackages',
      findingId: null,
      severity: null,
      package: pkg,
      message: `${what} is denied by "${rule}"${why}${reason}`,
    });
  }
}

/**
 * Decides one image from its findings. Every violated rule is listed (sorted: severity, finding id, package,
 * rule, message); every finding an active exception covers is listed in `waived` with that exception and is
 * not counted by the vulnerability rules (denied packages still apply). In `audit` mode the verdict is
 * `approved` and the violations are still recorded. `summary` counts all findings, waived ones included.
 * @example evaluate(findings, { repository: 'demo', tags: ['1.0.0'], digest: null }, null, set, new Date()).verdict
 */
export function evaluate(
  findings: readonly Finding[],
  image: ImageUnderTest,
  facts: ImageFacts | null,
  policySet: PolicySet,
  now: Date,
): Decision {
  const nowMs = checkNow(now);
  const compiled = compilePolicySet(policySet);
  const policy = selectCompiled(compiled, image);
  const rules = policy.definition.rules;
  const exceptions = activeExceptions(compiled, image, nowMs);
  const violations: Violation[] = [];
  const waived = new Map<string, Waived>();
  const severityBuckets = new Map<Severity, { ids: Set<string>; findings: Finding[] }>();
  // Denied packages are judged once per (package, version), however many findings name them.
  const denied = new Map<string, { entries: readonly CompiledDenied[]; versions: Set<string | null> }>();

  for (const f of findings) {
    if (f.package !== null && policy.denied.length > 0) {
      let byName = denied.get(f.package);
      if (byName === undefined) {
        const name = f.package;
        byName = { entries: policy.denied.filter((d) => d.name(name)), versions: new Set() };
        denied.set(name, byName);
      }
      if (byName.entries.length > 0 && !byName.versions.has(f.version)) {
        byName.versions.add(f.version);
        deniedPackage(byName.entries, f.package, f.version, violations);
      }
    }

    const candidates = exceptions.get(f.id);
    if (candidates) {
      const e = candidates.find(
        (c) =>
          (c.packages === null || (f.package !== null && c.packages.some((m) => m(f.package as string)))) &&
          !(c.definition.until === 'fix-available' && fixExists(f)),
      );
      if (e) {
        const key = `${f.id}\u0000${f.package ?? ''}\u0000${e.definition.id}`;
        if (!waived.has(key)) {
          waived.set(key, { findingId: f.id, package: f.package, exception: waiverRef(policySet, e) });
        }
        continue;
      }
    }

    if (rules.knownExploited) knownExploitedRule(rules.knownExploited, f, nowMs, violations);
    const fixable = isFixable(f);
    const limit = rules.maxSeverity[f.severity];
    if (limit && (!limit.fixableOnly || fixable)) {
      let bucket = severityBuckets.get(f.severity);
      if (!bucket) {
        bucket = { ids: new Set(), findings: [] };
        severityBuckets.set(f.severity, bucket);
      }
      bucket.ids.add(f.id);
      bucket.findings.push(f);
    }
    const score = rules.score;
    if (score && (!score.fixableOnly || fixable)) {
      if (f.score !== null) {
        if (f.score >= score.atLeast)
          violations.push(vulnerability('score', f, `score ${num(f.score)} >= ${num(score.atLeast)}`));
      } else if (score.whenUnknown === 'violate') {
        violations.push(vulnerability('score', f, 'no score is known (score.whenUnknown: violate)'));
      }
    }
    const exploit = rules.exploitAvailable;
    if (exploit?.deny && (!exploit.fixableOnly || fixable)) {
      if (f.exploitAvailable === true)
        violations.push(vulnerability('exploitAvailable', f, 'a public exploit is known'));
      else if (f.exploitAvailable === null && exploit.whenUnknown === 'violate') {
        violations.push(
          vulnerability(
            'exploitAvailable',
            f,
            'exploit status unknown (exploitAvailable.whenUnknown: violate)',
          ),
        );
      }
    }
    const epss = rules.epss;
    if (epss && (!epss.fixableOnly || fixable)) {
      if (f.epss !== null) {
        if (f.epss >= epss.atLeast)
          violations.push(vulnerability('epss', f, `EPSS ${num(f.epss)} >= ${num(epss.atLeast)}`));
      } else if (epss.whenUnknown === 'violate') {
        violations.push(vulnerability('epss', f, 'no EPSS score is known (epss.whenUnknown: violate)'));
      }
    }
  }

  for (const [severity, bucket] of severityBuckets) {
    const limit = rules.maxSeverity[severity];
    if (!limit || bucket.ids.size <= limit.max) continue;
    const kind = limit.fixableOnly ? `${severity} vulnerabilities with a fix` : `${severity} vulnerabilities`;
    const message = `${bucket.ids.size} ${kind}; at most ${limit.max} allowed`;
    for (const f of bucket.findings) violations.push(vulnerability(`maxSeverity.${severity}`, f, message));
  }

  imageRules(policy, image, facts, violations);
  const enforce = policy.definition.mode === 'enforce';
  return {
    verdict: enforce && violations.length > 0 ? 'quarantined' : 'approved',
    image: copyImage(image),
    policy: policyRef(policySet, policy.definition),
    summary: severityCounts(findings),
    violations: sortViolations(violations),
    waived: [...waived.values()].sort(compareWaived),
  };
}

function copyImage(image: ImageUnderTest): ImageUnderTest {
  return { repository: image.repository, tags: [...image.tags], digest: image.digest };
}

function policyRef(set: PolicySet, p: PolicyDefinition): Decision['policy'] {
  return { name: p.name, file: displayFile(set, p.file), version: set.version, mode: p.mode };
}

/**
 * Decides an image whose scan produced no findings to judge (DESIGN.md fail-closed table): FAILED,
 * UNSUPPORTED_IMAGE, FINDINGS_UNAVAILABLE, SCAN_ELIGIBILITY_EXPIRED and IMAGE_ARCHIVED quarantine unless the
 * selected policy opts in (`onScanFailure.<STATUS>: approve`). `audit` mode does not approve them: it relaxes
 * verdicts on findings, and here there are none. Any other status is not a policy outcome and always quarantines.
 * @example decideWithoutFindings('UNSUPPORTED_IMAGE', 'The operating system is not supported', image, set, now).verdict
 */
export function decideWithoutFindings(
  scanStatus: string,
  description: string | null,
  image: ImageUnderTest,
  policySet: PolicySet,
  now: Date,
): Decision {
  checkNow(now);
  const policy = selectCompiled(compilePolicySet(policySet), image).definition;
  const detail = description ? `: ${description}` : '';
  const base = {
    image: copyImage(image),
    policy: policyRef(policySet, policy),
    summary: severityCounts([]),
    waived: [] as Waived[],
  };
  const known = (SCAN_FAILURE_STATUSES as readonly string[]).includes(scanStatus);
  if (!known) {
    const message = `scan status ${JSON.stringify(scanStatus)} is not a known outcome without findings${detail}`;
    return {
      ...base,
      verdict: 'quarantined',
      violations: [imageViolation('scan.status', message)],
      reason: message,
    };
  }
  const status = scanStatus as ScanFailureStatus;
  const outcome = policy.onScanFailure[status];
  if (outcome === 'approve') {
    return {
      ...base,
      verdict: 'approved',
      violations: [],
      reason: `scan ${status}${detail}; approved because onScanFailure.${status} is approve`,
    };
  }
  const message = `no findings to judge: scan ${status}${detail}`;
  // Audit mode relaxes verdicts on findings, never on their absence: an unscanned image is not approved
  // unless the policy opts in explicitly (DESIGN.md fail-closed table).
  return {
    ...base,
    verdict: 'quarantined',
    violations: [imageViolation(`scan.${status}`, message)],
    reason:
      policy.mode === 'audit'
        ? `${message}; quarantined even in audit mode (opt in with onScanFailure.${status}: approve)`
        : message,
  };
}
