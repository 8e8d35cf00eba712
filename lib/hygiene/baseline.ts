/**
 * The hygiene baseline (policies/hygiene.yaml, `kind: HygieneBaseline`): loading, validation (JSON Schema, then
 * semantic checks with file and path), the settings that apply to one repository, and compilation of the short
 * lifecycle form into ECR lifecycle rules that `checkLifecyclePolicy` accepts.
 *
 * Compiled rule order (ECR applies the lowest rulePriority first, and a rule never expires an image a higher-
 * priority rule selected):
 *   1. approved-*    imageCountMoreThan keepLast (default 100,000 = ECR's images-per-repository quota): protection.
 *   2. quarantined-* sinceImagePushed expireAfterDays.
 *   3. the extra `rules` in ECR format (their own order), except `any` rules.
 *   4. untagged      sinceImagePushed expireAfterDays.
 *   5. tagged `*`    imageCountMoreThan keepLast: keep the last N tagged images.
 *   6. extra `any` rules (ECR requires them last).
 * Every compiled rule's description starts with `gatekeeper:` so a later plan can tell baseline rules from a
 * repository's own rules.
 */
import { readFile } from 'node:fs/promises';
import { baselineSchemaProblems } from './baseline-schema.ts';
import { BaselineInvalidError, type HygieneProblem } from './errors.ts';
import {
  checkLifecyclePolicy,
  type LifecyclePolicy,
  type LifecycleRule,
  serializeLifecyclePolicy,
} from './lifecycle-policy.ts';
import { compileWildcard, type WildcardMatcher } from './wildcard.ts';

export const MANAGED_RULE_MARKER = 'gatekeeper:';
export const DEFAULT_APPROVED_KEEP = 100_000;

export type Aspect = 'lifecycle' | 'scanning' | 'tagMutability';
export type TagMutabilityMode =
  | 'MUTABLE'
  | 'IMMUTABLE'
  | 'IMMUTABLE_WITH_EXCLUSION'
  | 'MUTABLE_WITH_EXCLUSION';

export interface LifecycleSettings {
  readonly approved: { readonly keepLast: number } | false;
  readonly quarantined: { readonly expireAfterDays: number } | false;
  readonly untagged: { readonly expireAfterDays: number } | false;
  readonly tagged: { readonly keepLast: number } | false;
  readonly rules: readonly LifecycleRule[];
  readonly existingRules: 'merge' | 'report';
}

export interface RepositorySettings {
  readonly lifecycle: LifecycleSettings;
  readonly scanning: 'scan-on-push' | 'continuous' | 'ignore';
  readonly tagMutability: {
    readonly expect: TagMutabilityMode | 'ignore';
    readonly exclusions: readonly string[];
  };
  readonly inUseWindowDays: number;
  /** Aspects neither reported nor changed, with the reason given in the baseline. */
  readonly optOut: ReadonlySet<Aspect>;
  readonly optOutReason: string | null;
  /** `defaults` or `repositories[i]`: where these settings came from, for reports. */
  readonly source: string;
}

interface PartialSettings {
  lifecycle?: Partial<Omit<LifecycleSettings, 'rules'>> & { rules?: unknown[] };
  scanning?: { expect: RepositorySettings['scanning'] };
  tagMutability?: { expect: TagMutabilityMode | 'ignore'; exclusions?: string[] };
  inUse?: { windowDays?: number };
}

interface Entry {
  readonly index: number;
  readonly matchers: readonly WildcardMatcher[];
  readonly settings: PartialSettings;
  readonly optOut: ReadonlySet<Aspect>;
  readonly reason: string | null;
}

export interface HygieneBaseline {
  readonly file: string;
  readonly name: string;
  readonly defaults: RepositorySettings;
  readonly entries: readonly Entry[];
  /** Raw document (plain JSON) for `baselineFromJson` round trips (build output). */
  readonly document: unknown;
}

const BUILT_IN: RepositorySettings = {
  lifecycle: {
    approved: { keepLast: DEFAULT_APPROVED_KEEP },
    quarantined: { expireAfterDays: 30 },
    untagged: { expireAfterDays: 7 },
    tagged: { keepLast: 10 },
    rules: [],
    existingRules: 'merge',
  },
  scanning: 'scan-on-push',
  tagMutability: { expect: 'IMMUTABLE_WITH_EXCLUSION', exclusions: ['approved-*', 'quarantined-*'] },
  inUseWindowDays: 30,
  optOut: new Set(),
  optOutReason: null,
  source: 'built-in defaults',
};

function mergeSettings(base: RepositorySettings, over: PartialSettings, source: string): RepositorySettings {
  const l = over.lifecycle ?? {};
  return {
    lifecycle: {
      approved:
        l.approved === undefined
          ? base.lifecycle.approved
          : l.approved === false
            ? false
            : { keepLast: l.approved.keepLast ?? DEFAULT_APPROVED_KEEP },
      quarantined: l.quarantined ?? base.lifecycle.quarantined,
      untagged: l.untagged ?? base.lifecycle.untagged,
      tagged: l.tagged ?? base.lifecycle.tagged,
      rules: l.rules ? (l.rules as LifecycleRule[]) : base.lifecycle.rules,
      existingRules: l.existingRules ?? base.lifecycle.existingRules,
    },
    scanning: over.scanning?.expect ?? base.scanning,
    tagMutability: over.tagMutability
      ? { expect: over.tagMutability.expect, exclusions: over.tagMutability.exclusions ?? [] }
      : base.tagMutability,
    inUseWindowDays: over.inUse?.windowDays ?? base.inUseWindowDays,
    optOut: base.optOut,
    optOutReason: base.optOutReason,
    source,
  };
}

export interface CompileOptions {
  readonly approvedPrefix: string;
  readonly quarantinedPrefix: string;
}

export const DEFAULT_PREFIXES: CompileOptions = {
  approvedPrefix: 'approved-',
  quarantinedPrefix: 'quarantined-',
};

/** Short form + extra rules → the baseline's ECR rules (not yet merged with a repository's own rules). */
export function compileLifecycle(
  settings: LifecycleSettings,
  options: CompileOptions = DEFAULT_PREFIXES,
): LifecycleRule[] {
  const rules: Omit<LifecycleRule, 'rulePriority'>[] = [];
  if (settings.approved) {
    rules.push({
      description: `${MANAGED_RULE_MARKER} protect ${options.approvedPrefix}* images (keep the newest ${settings.approved.keepLast})`,
      selection: {
        tagStatus: 'tagged',
        tagPatternList: [`${options.approvedPrefix}*`],
        countType: 'imageCountMoreThan',
        countNumber: settings.approved.keepLast,
      },
      action: { type: 'expire' },
    });
  }
  if (settings.quarantined) {
    rules.push({
      description: `${MANAGED_RULE_MARKER} expire ${options.quarantinedPrefix}* images ${settings.quarantined.expireAfterDays} days after push`,
      selection: {
        tagStatus: 'tagged',
        tagPatternList: [`${options.quarantinedPrefix}*`],
        countType: 'sinceImagePushed',
        countUnit: 'days',
        countNumber: settings.quarantined.expireAfterDays,
      },
      action: { type: 'expire' },
    });
  }
  const extra = [...settings.rules].sort((a, b) => a.rulePriority - b.rulePriority);
  const mark = (r: LifecycleRule) => ({
    ...r,
    description: `${MANAGED_RULE_MARKER} ${r.description ?? `baseline rule ${r.rulePriority}`}`,
  });
  rules.push(...extra.filter((r) => r.selection.tagStatus !== 'any').map(mark));
  if (settings.untagged) {
    rules.push({
      description: `${MANAGED_RULE_MARKER} expire untagged images ${settings.untagged.expireAfterDays} days after push`,
      selection: {
        tagStatus: 'untagged',
        countType: 'sinceImagePushed',
        countUnit: 'days',
        countNumber: settings.untagged.expireAfterDays,
      },
      action: { type: 'expire' },
    });
  }
  if (settings.tagged) {
    rules.push({
      description: `${MANAGED_RULE_MARKER} keep the last ${settings.tagged.keepLast} tagged images`,
      selection: {
        tagStatus: 'tagged',
        tagPatternList: ['*'],
        countType: 'imageCountMoreThan',
        countNumber: settings.tagged.keepLast,
      },
      action: { type: 'expire' },
    });
  }
  rules.push(...extra.filter((r) => r.selection.tagStatus === 'any').map(mark));
  return rules.map((r, i) => ({ ...r, rulePriority: i + 1 }));
}

export function isManagedRule(rule: LifecycleRule): boolean {
  return (rule.description ?? '').startsWith(MANAGED_RULE_MARKER);
}

/**
 * Validates a baseline document (already parsed from YAML or JSON) and returns it ready to use.
 * Throws `BaselineInvalidError` with every problem (file + path).
 */
export function baselineFromJson(
  json: unknown,
  file: string,
  options: CompileOptions = DEFAULT_PREFIXES,
): HygieneBaseline {
  const schemaProblems = baselineSchemaProblems(json, file);
  if (schemaProblems.length > 0) throw new BaselineInvalidError(schemaProblems);
  const doc = json as {
    metadata?: { name?: string };
    defaults: PartialSettings;
    repositories?: { match: string[]; reason?: string; optOut?: string[] } & PartialSettings[];
  };
  const problems: HygieneProblem[] = [];
  const defaults = mergeSettings(BUILT_IN, doc.defaults, 'defaults');
  checkSettings(defaults, doc.defaults, 'defaults', file, options, problems);
  const entries: Entry[] = [];
  const rawEntries = (doc.repositories ?? []) as unknown as ({
    match: string[];
    reason?: string;
    optOut?: string[];
  } & PartialSettings)[];
  rawEntries.forEach((raw, index) => {
    const where = `repositories[${index}]`;
    const optOut = new Set<Aspect>(
      (raw.optOut ?? []).flatMap((a) =>
        a === 'all' ? (['lifecycle', 'scanning', 'tagMutability'] as Aspect[]) : [a as Aspect],
      ),
    );
    const effective = mergeSettings(defaults, raw, where);
    checkSettings(effective, raw, where, file, options, problems);
    raw.match.forEach((glob, i) => {
      if (raw.match.indexOf(glob) !== i)
        problems.push({ file, path: `${where}.match[${i}]`, message: `"${glob}" is listed twice` });
    });
    entries.push({
      index,
      matchers: raw.match.map(compileWildcard),
      settings: raw,
      optOut,
      reason: raw.reason ?? null,
    });
  });
  if (problems.length > 0) throw new BaselineInvalidError(problems);
  return { file, name: doc.metadata?.name ?? 'hygiene', defaults, entries, document: json };
}

/** Semantic checks the schema cannot express: the compiled policy must be one ECR accepts. */
function checkSettings(
  settings: RepositorySettings,
  raw: PartialSettings,
  where: string,
  file: string,
  options: CompileOptions,
  problems: HygieneProblem[],
): void {
  const add = (path: string, message: string) => problems.push({ file, path: `${where}.${path}`, message });
  const mutability = settings.tagMutability;
  if (mutability.expect.endsWith('_WITH_EXCLUSION') && mutability.exclusions.length === 0) {
    add(
      'tagMutability.exclusions',
      `${mutability.expect} needs at least one exclusion filter (recommended: ${options.approvedPrefix}*, ${options.quarantinedPrefix}*)`,
    );
  }
  if (
    !mutability.expect.endsWith('_WITH_EXCLUSION') &&
    mutability.exclusions.length > 0 &&
    raw.tagMutability
  ) {
    add(
      'tagMutability.exclusions',
      `exclusions are only used with IMMUTABLE_WITH_EXCLUSION or MUTABLE_WITH_EXCLUSION (expect is ${mutability.expect})`,
    );
  }
  if (mutability.expect === 'IMMUTABLE') {
    add(
      'tagMutability.expect',
      `IMMUTABLE stops the gatekeeper from moving ${options.approvedPrefix} tags; use IMMUTABLE_WITH_EXCLUSION with exclusions ${options.approvedPrefix}*, ${options.quarantinedPrefix}*`,
    );
  }
  if (mutability.expect === 'IMMUTABLE_WITH_EXCLUSION') {
    const excluded = (prefix: string) =>
      mutability.exclusions.some((f) => compileWildcard(f).test(`${prefix}x`));
    for (const prefix of [options.approvedPrefix, options.quarantinedPrefix]) {
      if (!excluded(prefix))
        add(
          'tagMutability.exclusions',
          `no exclusion covers the gatekeeper prefix ${prefix} (add "${prefix}*")`,
        );
    }
  }
  // Extra rules: validated as ECR would, in context of the compiled policy.
  const lifecycle = settings.lifecycle;
  if (raw.lifecycle?.rules) {
    const { problems: ruleProblems } = checkLifecyclePolicy({ rules: raw.lifecycle.rules }, file);
    for (const p of ruleProblems)
      problems.push({ file, path: `${where}.lifecycle.${p.path || 'rules'}`, message: p.message });
    if (ruleProblems.length > 0) return;
    if (
      lifecycle.untagged &&
      lifecycle.rules.some(
        (r) =>
          r.selection.tagStatus === 'untagged' && (r.selection.storageClass ?? 'standard') === 'standard',
      )
    ) {
      add(
        'lifecycle.untagged',
        'rules already has an untagged rule and ECR allows only one: set untagged: false or drop that rule',
      );
    }
  }
  const compiled = compileLifecycle(lifecycle, options);
  if (compiled.length === 0) return;
  const policy: LifecyclePolicy = { rules: compiled };
  const { problems: compiledProblems } = checkLifecyclePolicy(
    JSON.parse(serializeLifecyclePolicy(policy)),
    file,
    serializeLifecyclePolicy(policy).length,
  );
  for (const p of compiledProblems) {
    add(
      'lifecycle',
      `the compiled policy would be rejected by ECR: ${p.path ? `${p.path}: ` : ''}${p.message}`,
    );
  }
}

/**
 * Reads policies/hygiene.yaml (YAML through parseSafeYaml) or its JSON form.
 * @example const baseline = await loadBaseline('policies/hygiene.yaml'); settingsFor(baseline, 'team-a/api')
 */
export async function loadBaseline(
  file: string,
  options: CompileOptions = DEFAULT_PREFIXES,
): Promise<HygieneBaseline> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new BaselineInvalidError([
      {
        file,
        path: '',
        message: `cannot read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
      },
    ]);
  }
  let json: unknown;
  if (file.endsWith('.json')) {
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new BaselineInvalidError([
        { file, path: '', message: `not valid JSON (${(error as Error).message})` },
      ]);
    }
  } else {
    // Loaded on demand: the sweep reads the JSON form, only the CLI and the build read YAML.
    const { parseSafeYaml } = await import('../policy/safe-yaml.ts');
    json = parseSafeYaml(file, text);
  }
  return baselineFromJson(json, file, options);
}

/** The settings that apply to one repository: the first matching entry over the defaults, or the defaults. */
export function settingsFor(baseline: HygieneBaseline, repository: string): RepositorySettings {
  for (const entry of baseline.entries) {
    if (entry.matchers.some((m) => m.test(repository))) {
      const merged = mergeSettings(baseline.defaults, entry.settings, `repositories[${entry.index}]`);
      return { ...merged, optOut: entry.optOut, optOutReason: entry.reason };
    }
  }
  return baseline.defaults;
}
