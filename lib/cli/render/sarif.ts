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
import { findingFor, type RenderContext } from './context.ts';

const SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';
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

  const ruleFor = (
    id: string,
    severity: string | null,
    finding: Finding | null,
    description: string,
  ): number => {
    if (!rules.has(id)) {
      const score = finding?.score ?? SEVERITY_SCORE[severity ?? ''] ?? 5.5;
      const title = finding?.title ?? description;
      const rule: Rule = {
        id,
        name: ruleName(id),
        shortDescription: { text: oneLine(title, 200) },
        fullDescription: { text: oneLine(description, 1000) },
        help: {
          text: finding?.url ? `${oneLine(title, 500)}\n${finding.url}` : oneLine(description, 500),
          markdown: finding?.url
            ? `${escapeMd(oneLine(title, 500))}\n\n[${escapeMd(id)}](${finding.url})`
            : escapeMd(oneLine(description, 500)),
        },
        defaultConfiguration: { level },
        properties: {
          tags: finding
            ? ['security', 'vulnerability', 'container-image']
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
    const ruleIndex = ruleFor(ruleId, v.severity, finding, v.message);
    results.push(
      result(
        ruleId,
        ruleIndex,
        level,
        v.message,
        artifact,
        v.package,
        finding,
        d.image.repository,
        v.rule,
        [],
      ),
    );
  }
  for (const w of d.waived) {
    const finding = findingFor(ctx.findings, w);
    const ruleIndex = ruleFor(
      w.findingId,
      finding?.severity ?? null,
      finding,
      `${w.findingId} in ${w.package ?? 'the image'}`,
    );
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
    },
  };
  if (suppressions.length > 0) out.suppressions = suppressions;
  return out;
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
