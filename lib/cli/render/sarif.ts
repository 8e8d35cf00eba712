/**
 * `--output sarif`: SARIF 2.1.0 for GitHub code scanning. One rule per violated CVE (or per image rule such
 * as `image.runsAsRoot`), one result per violation (level `error` when enforced, `warning` in audit mode) and
 * one result per waived finding carrying a SARIF suppression (the exception's reason). There is no source
 * file, so each result points at a stable logical artifact (`ecr/<repository>`) and names the package as a
 * logical location. `partialFingerprints` hash repository, policy rule, finding and package (not the digest or
 * the version), so the same problem keeps one alert across pushes. `security-severity` drives GitHub's severity.
 */
import { createHash } from 'node:crypto';
import type { Finding } from '../../findings/finding.ts';
import {
  atRiskNote,
  deadlineNote,
  findingFor,
  kevMarker,
  kevOf,
  type RenderContext,
  skippedRulesNote,
} from './context.ts';

const SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';
/** GitHub code scanning caps rule short and full descriptions at 1,024 characters. */
const MAX_DESCRIPTION = 1024;
const MAX_HELP = 4000;
/** GitHub's bands: >= 9.0 critical, 7.0–8.9 high, 4.0–6.9 medium, 0.1–3.9 low. */
const SEVERITY_SCORE: Readonly<Record<string, number>> = {
  CRITICAL: 9.5,
  HIGH: 8.0,
  MEDIUM: 5.5,
  LOW: 2.0,
  INFORMATIONAL: 0.1,
  UNDEFINED: 5.5,
  UNTRIAGED: 5.5,
};

interface Rule {
  id: string;
  name: string;
  shortDescription: { text: string };
  fullDescription: { text: string };
  helpUri?: string;
  help: { text: string; markdown: string };
  defaultConfiguration: { level: 'error' | 'warning' | 'note' };
  properties: { tags: string[]; 'security-severity': string; precision: string };
}

export function renderSarif(ctx: RenderContext): string {
  const d = ctx.decision;
  const artifact = `ecr/${d.image.repository}`;
  const level = d.policy.mode === 'audit' ? 'warning' : 'error';
  const rules = new Map<string, Rule>();
  const ruleIndexes = new Map<string, number>();
  const results: Record<string, unknown>[] = [];

  /**
   * A rule describes what it checks, never one result: a vulnerability rule uses the scanner's title and
   * description of that vulnerability, a policy rule the catalogue below (SARIF 2.1.0 §3.49.9–3.49.10: the
   * short description is concise, the full one comprehensive; GitHub shows both at the top of every alert).
   */
  const ruleFor = (
    id: string,
    severity: string | null,
    finding: Finding | null,
    policyRule: string | null,
  ): number => {
    if (!rules.has(id)) {
      const score = finding?.score ?? SEVERITY_SCORE[severity ?? ''] ?? 5.5;
      const text =
        policyRule === null ? vulnerabilityText(id, severity, finding) : policyRuleText(policyRule);
      const rule: Rule = {
        id,
        name: ruleName(id),
        shortDescription: { text: oneLine(text.short, MAX_DESCRIPTION) },
        fullDescription: { text: oneLine(text.full, MAX_DESCRIPTION) },
        help: {
          text: finding?.url
            ? `${oneLine(text.full, MAX_HELP)}\n${finding.url}`
            : oneLine(text.full, MAX_HELP),
          markdown: finding?.url
            ? `${escapeMd(oneLine(text.full, MAX_HELP))}\n\n[${escapeMd(id)}](${finding.url})`
            : escapeMd(oneLine(text.full, MAX_HELP)),
        },
        defaultConfiguration: { level },
        properties: {
          tags:
            policyRule === null
              ? ['security', 'vulnerability', 'container-image', ...(finding?.kev ? ['known-exploited'] : [])]
              : ['security', 'container-image', 'policy'],
          'security-severity': score.toFixed(1),
          precision: 'very-high',
        },
      };
      if (finding?.url) rule.helpUri = finding.url;
      ruleIndexes.set(id, rules.size);
      rules.set(id, rule);
    }
    return ruleIndexes.get(id) ?? 0;
  };

  for (const v of d.violations) {
    const finding = findingFor(ctx.findings, v);
    const ruleId = v.findingId ?? `gatekeeper/${v.rule}`;
    const ruleIndex = ruleFor(ruleId, v.severity, finding, v.findingId === null ? v.rule : null);
    const kev = kevOf(v, finding);
    const notes = [kev ? kevMarker(kev) : null, deadlineNote(v)].filter((n) => n !== null);
    const message = notes.length > 0 ? `${v.message} (${notes.join('; ')})` : v.message;
    const extra = {
      ...(kev ? { kev } : {}),
      ...(v.deadline !== undefined
        ? { deadline: v.deadline, deadlineExpired: v.deadlineExpired ?? false }
        : {}),
    };
    results.push(
      result(
        ruleId,
        ruleIndex,
        level,
        message,
        artifact,
        v.package,
        finding,
        d.image.repository,
        v.rule,
        [],
        extra,
      ),
    );
  }
  for (const w of d.waived) {
    const finding = findingFor(ctx.findings, w);
    const ruleIndex = ruleFor(w.findingId, finding?.severity ?? null, finding, null);
    const e = w.exception;
    const message = `${w.findingId}${w.package ? ` in ${w.package}` : ''} is waived by ${e.id} (${e.file}) until ${e.expires}: ${e.reason}`;
    results.push(
      result(
        w.findingId,
        ruleIndex,
        'note',
        message,
        artifact,
        w.package,
        finding,
        d.image.repository,
        'waived',
        [
          {
            kind: 'external',
            status: 'accepted',
            justification: oneLine(`${e.reason} (owner ${e.owner}, expires ${e.expires})`, 1000),
          },
        ],
      ),
    );
  }

  const log = {
    $schema: SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'ecr-scan-gatekeeper',
            version: ctx.toolVersion,
            semanticVersion: ctx.toolVersion,
            rules: [...rules.values()],
          },
        },
        invocations: [invocation(ctx)],
        automationDetails: { id: `gatekeeper/${d.image.repository}/` },
        artifacts: [
          {
            location: { uri: artifact },
            description: { text: `container image repository ${d.image.repository}` },
          },
        ],
        results,
        properties: {
          verdict: d.verdict,
          policy: d.policy,
          image: d.image,
          summary: d.summary,
          ...(d.reason ? { reason: d.reason } : {}),
          ...(d.atRisk ? { atRisk: { ...d.atRisk, note: atRiskNote(d) } } : {}),
        },
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}

function result(
  ruleId: string,
  ruleIndex: number,
  level: string,
  message: string,
  artifact: string,
  pkg: string | null,
  finding: Finding | null,
  repository: string,
  policyRule: string,
  suppressions: unknown[],
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const fingerprint = createHash('sha256')
    .update([repository, policyRule, ruleId, pkg ?? ''].join('\u0000'))
    .digest('hex');
  const out: Record<string, unknown> = {
    ruleId,
    ruleIndex,
    level,
    message: { text: oneLine(message, 1000) },
    locations: [
      {
        physicalLocation: { artifactLocation: { uri: artifact, index: 0 }, region: { startLine: 1 } },
        logicalLocations: [
          pkg === null
            ? { name: repository, kind: 'module' }
            : {
                name: pkg,
                fullyQualifiedName: `${repository}/${pkg}${finding?.version ? `@${finding.version}` : ''}`,
                kind: 'package',
              },
        ],
      },
    ],
    partialFingerprints: { 'gatekeeperFinding/v1': fingerprint },
    properties: {
      policyRule,
      ...(finding
        ? {
            severity: finding.severity,
            score: finding.score,
            fixedIn: finding.fixedIn,
            installedVersion: finding.version,
          }
        : {}),
      ...extra,
    },
  };
  if (suppressions.length > 0) out.suppressions = suppressions;
  return out;
}

/** The run's invocation; rules that could not be checked are tool notifications (SARIF 2.1.0 §3.20.21). */
function invocation(ctx: RenderContext): Record<string, unknown> {
  const note = skippedRulesNote(ctx.skippedRules);
  if (note === null) return { executionSuccessful: true };
  return {
    executionSuccessful: true,
    toolExecutionNotifications: [
      {
        level: 'warning',
        message: { text: `${note}; their results are missing from this log` },
        properties: { skippedRules: (ctx.skippedRules ?? []).map((s) => s.rule) },
      },
    ],
  };
}

interface RuleText {
  readonly short: string;
  readonly full: string;
}

/** A vulnerability: the scanner's title and description where it gives them, else what is known of it. */
function vulnerabilityText(id: string, severity: string | null, finding: Finding | null): RuleText {
  const grade = severity ?? finding?.severity ?? null;
  const generic = `${grade === null ? 'Vulnerability' : `${grade} severity vulnerability`} ${id}`;
  const title = finding?.title ?? null;
  const description = finding?.description ?? null;
  return {
    short: title ?? generic,
    full: description ?? (title !== null ? `${generic}: ${title}` : `${generic} in a package of the image.`),
  };
}

/** What each policy rule checks (the rule ids of docs/policies.md), for rules not tied to one vulnerability. */
const POLICY_RULES: Readonly<Record<string, RuleText>> = {
  deniedPackages: {
    short: 'Denied package',
    full: 'The image contains a package version that the policy denies (rules.deniedPackages).',
  },
  'image.runsAsRoot': {
    short: 'Image runs as root',
    full: 'The image config sets no User, or root or UID 0; the policy requires a non-root user (rules.image.runsAsRoot: deny).',
  },
  'image.requiredLabels': {
    short: 'Required image label missing',
    full: 'The image config lacks a label the policy requires (rules.image.requiredLabels).',
  },
  'image.maxSizeBytes': {
    short: 'Image larger than allowed',
    full: "The image's compressed size (config plus layers) is above the policy's maximum (rules.image.maxSizeBytes).",
  },
  'image.tagNaming': {
    short: 'Tag breaks the naming rule',
    full: 'An image tag matches none of the formats or globs the policy allows (rules.image.tagNaming).',
  },
  'image.latestAlone': {
    short: 'Only tag is latest',
    full: 'The image\'s only tag is "latest"; the policy requires a versioned tag with it (rules.image.latestAlone: deny).',
  },
  'scan.status': {
    short: 'Unknown scan status',
    full: 'The scan ended with a status that is not a known outcome, so there is no verdict on findings; the gate fails closed.',
  },
};

function policyRuleText(rule: string): RuleText {
  const known = Object.hasOwn(POLICY_RULES, rule) ? POLICY_RULES[rule] : undefined;
  if (known) return known;
  if (rule.startsWith('scan.')) {
    const status = rule.slice('scan.'.length);
    return {
      short: `Image scan ended ${status}`,
      full: `The image scan ended with ${status}, so there are no findings to judge; the gate quarantines the image unless the policy says onScanFailure.${status}: approve.`,
    };
  }
  return { short: `Policy rule ${rule}`, full: `The image violates the gatekeeper policy rule ${rule}.` };
}

function ruleName(id: string): string {
  // A reportingDescriptor name is an identifier-like string (PascalCase in the SARIF guidance).
  return (
    id
      .replace(/[^A-Za-z0-9]+/g, ' ')
      .trim()
      .split(' ')
      .map((w) => (w[0] ?? '').toUpperCase() + w.slice(1))
      .join('') || 'Rule'
  );
}

function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

function escapeMd(text: string): string {
  return text.replace(/[\\`*_{}[\]<>()#+!|]/g, (c) => `\\${c}`);
}
