/**
 * The drift plan (pure): one repository's lifecycle policy, scanning and tag mutability compared with the
 * baseline → drift items and the changes that would fix them.
 *
 * Repositories that keep their own lifecycle rules are never silently overwritten:
 * - `existingRules: merge` keeps every own rule (same content, same order) and adds the baseline rules around
 *   them: approved protection and quarantine expiry BEFORE the own rules (so own rules can neither expire an
 *   approved image nor keep a quarantined one alive), the other baseline rules AFTER them (so own "keep" rules
 *   win over the baseline's keep-last-N), and an `any` rule last as ECR requires. Own priorities are kept when the
 *   gaps between them leave room; otherwise all rules are renumbered in the same order, and the plan says so.
 *   A baseline rule selecting the same images as an own rule (ECR forbids duplicate selections) is left out when it
 *   is the untagged / keep-last-N rule (the repository's rule stands, noted), and is a conflict for the approved/
 *   quarantined rules and `any` rules (reported, not applied).
 * - `existingRules: report` changes nothing on repositories with own rules: the drift is reported.
 * Baseline rules are recognised by their description prefix `gatekeeper:` and are replaced on every plan.
 *
 * In-use protection: the planned policy is simulated with the lifecycle engine on the repository's images; if it
 * would expire (or archive) an image carrying an approved- tag that is in use — Inspector's `lastInUseAt` /
 * `inUseCount` when known, else ECR's last recorded pull within the window — the lifecycle change is refused and
 * reported. ECR itself knows nothing of ECS/EKS/Lambda usage: without Inspector data, an image that runs but is
 * never re-pulled (long-lived tasks, nodes with the image cached) is only protected by the approved rule.
 */

import { type RegistryScanningConfiguration, resolveRepositoryScanning } from '../registry/scanning.ts';
import { type CompileOptions, compileLifecycle, isManagedRule, type RepositorySettings } from './baseline.ts';
import { DAY_MS, evaluateLifecycle } from './lifecycle-engine.ts';
import type { LifecycleImage } from './lifecycle-images.ts';
import {
  checkLifecyclePolicy,
  type LifecyclePolicy,
  type LifecycleRule,
  serializeLifecyclePolicy,
} from './lifecycle-policy.ts';
import { scanningStrength } from './scanning.ts';

export interface ImageUsage {
  /** Epoch ms, Inspector `lastInUseAt`. */
  readonly lastInUseAt: number | null;
  /** Inspector `inUseCount` (running ECS tasks / EKS pods). */
  readonly inUseCount: number | null;
}

export interface RepositoryState {
  readonly name: string;
  /** GetLifecyclePolicy text, null when the repository has none. */
  readonly lifecyclePolicyText: string | null;
  readonly tagMutability: string;
  readonly tagMutabilityExclusions: readonly string[];
  readonly scanOnPush: boolean;
  /** Images (for in-use protection); null when not listed (offline dump without images). */
  readonly images: readonly LifecycleImage[] | null;
  readonly usage?: ReadonlyMap<string, ImageUsage>;
}

export type DriftAspect = 'lifecycle' | 'scanning' | 'tagMutability';
export type DriftLevel = 'drift' | 'conflict' | 'refused' | 'note';

export interface DriftItem {
  readonly aspect: DriftAspect;
  readonly level: DriftLevel;
  readonly message: string;
}

export type PlannedChange =
  | {
      readonly kind: 'put-lifecycle-policy';
      readonly policyText: string;
      /** Digests the new policy would act on now (expire or archive), for the report. */
      readonly affectedNow: number;
    }
  | {
      readonly kind: 'put-tag-mutability';
      readonly mutability: string;
      readonly exclusions: readonly string[];
    }
  | { readonly kind: 'put-scan-on-push'; readonly scanOnPush: true };

export type PlanStatus = 'compliant' | 'drift' | 'conflict' | 'refused' | 'opted-out';

export interface RepositoryPlan {
  readonly repository: string;
  readonly status: PlanStatus;
  readonly items: readonly DriftItem[];
  readonly changes: readonly PlannedChange[];
  /** Where the settings came from (`defaults`, `repositories[2]`). */
  readonly settingsSource: string;
  /**
   * True when the in-use check of a planned lifecycle policy looked at approved images that policy would expire
   * or archive: only then can in-use data change the plan, so the sweep reads Inspector's data only then (and
   * plans again with it). Absent when the plan did not depend on usage.
   */
  readonly usageConsulted?: true;
}

export interface PlanOptions extends CompileOptions {
  readonly now: number;
  /** null: not known (offline dump without it) — the repository's own scanOnPush under BASIC is used. */
  readonly registryScanning: RegistryScanningConfiguration | null;
}

export interface MergeResult {
  readonly policy: LifecyclePolicy | null;
  readonly notes: readonly string[];
  readonly conflicts: readonly string[];
}

function selectorKey(rule: LifecycleRule): string | null {
  const s = rule.selection;
  const storage = s.storageClass ?? 'standard';
  if (s.tagStatus === 'untagged') return `${storage}|untagged`;
  if (s.tagStatus === 'any') return `${storage}|any`;
  if (s.tagPrefixList) return `${storage}|prefix|${[...new Set(s.tagPrefixList)].sort().join('\u0000')}`;
  if (s.tagPatternList) return `${storage}|pattern|${[...new Set(s.tagPatternList)].sort().join('\u0000')}`;
  return null;
}

/**
 * Merges the baseline's compiled rules with the repository's own rules (see module doc).
 * `baselineRules` come from `compileLifecycle` (first the head rules for approved/quarantined, in order).
 */
export function mergeLifecycle(
  own: readonly LifecycleRule[],
  baselineRules: readonly LifecycleRule[],
  options: CompileOptions,
): MergeResult {
  const notes: string[] = [];
  const conflicts: string[] = [];
  const ownSorted = [...own].sort((a, b) => a.rulePriority - b.rulePriority);
  const ownKeys = new Map<string, LifecycleRule>();
  for (const r of ownSorted) {
    const key = selectorKey(r);
    if (key) ownKeys.set(key, r);
  }
  const isHead = (r: LifecycleRule) => {
    const p = r.selection.tagPatternList;
    return (
      p?.length === 1 &&
      (p[0] === `${options.approvedPrefix}*` || p[0] === `${options.quarantinedPrefix}*`) &&
      r.selection.tagStatus === 'tagged'
    );
  };
  const head: LifecycleRule[] = [];
  const tail: LifecycleRule[] = [];
  const tailAny: LifecycleRule[] = [];
  for (const rule of baselineRules) {
    const key = selectorKey(rule);
    const clash = key ? ownKeys.get(key) : undefined;
    if (clash) {
      const what = `baseline rule "${rule.description}" selects the same images as the repository's rule ${clash.rulePriority}${clash.description ? ` ("${clash.description}")` : ''}`;
      if (isHead(rule) || rule.selection.tagStatus === 'any')
        conflicts.push(`${what}; ECR allows only one such rule`);
      else notes.push(`${what}; the repository's rule is kept and the baseline rule left out`);
      continue;
    }
    if (isHead(rule)) head.push(rule);
    else if (rule.selection.tagStatus === 'any') tailAny.push(rule);
    else tail.push(rule);
  }
  const ownAny = ownSorted.filter((r) => r.selection.tagStatus === 'any');
  const ownRest = ownSorted.filter((r) => r.selection.tagStatus !== 'any');
  if (conflicts.length > 0) return { policy: null, notes, conflicts };
  // Final order; `null` priority = to assign.
  const order: { rule: LifecycleRule; own: boolean }[] = [
    ...head.map((rule) => ({ rule, own: false })),
    ...ownRest.map((rule) => ({ rule, own: true })),
    ...tail.map((rule) => ({ rule, own: false })),
    ...ownAny.map((rule) => ({ rule, own: true })),
    ...tailAny.map((rule) => ({ rule, own: false })),
  ];
  const ownPrioritiesFit = fitsBetweenOwn(order);
  let rules: LifecycleRule[];
  if (ownPrioritiesFit) {
    rules = ownPrioritiesFit;
  } else {
    rules = order.map((o, i) => ({ ...o.rule, rulePriority: i + 1 }));
    if (own.length > 0) {
      notes.push(
        "the repository's own rules are renumbered (same order, same content) to make room for the baseline rules",
      );
    }
  }
  const policy = { rules };
  const text = serializeLifecyclePolicy(policy);
  const { problems } = checkLifecyclePolicy(JSON.parse(text), 'merged policy', text.length);
  if (problems.length > 0) {
    return {
      policy: null,
      notes,
      conflicts: problems.map(
        (p) => `merged policy would be rejected by ECR: ${p.path ? `${p.path}: ` : ''}${p.message}`,
      ),
    };
  }
  return { policy, notes, conflicts };
}

/** Keeps own priorities and gives baseline rules the free integers between them, or null when there is no room. */
function fitsBetweenOwn(order: readonly { rule: LifecycleRule; own: boolean }[]): LifecycleRule[] | null {
  const out: LifecycleRule[] = [];
  let previous = 0;
  for (let i = 0; i < order.length; i++) {
    const item = order[i];
    if (!item) continue;
    if (item.own) {
      if (item.rule.rulePriority <= previous) return null;
      previous = item.rule.rulePriority;
      out.push(item.rule);
      continue;
    }
    const next = order.slice(i + 1).find((o) => o.own)?.rule.rulePriority ?? Number.POSITIVE_INFINITY;
    const candidate = previous + 1;
    if (candidate >= next) return null;
    previous = candidate;
    out.push({ ...item.rule, rulePriority: candidate });
  }
  return out;
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const sa = new Set(a);
  const sb = new Set(b);
  return sa.size === sb.size && [...sa].every((x) => sb.has(x));
}

function isInUse(
  image: LifecycleImage,
  usage: ImageUsage | undefined,
  now: number,
  windowDays: number,
): string | null {
  const window = windowDays * DAY_MS;
  if (usage?.inUseCount && usage.inUseCount > 0)
    return `in use by ${usage.inUseCount} running task(s)/pod(s) (Inspector)`;
  if (usage?.lastInUseAt !== null && usage?.lastInUseAt !== undefined && now - usage.lastInUseAt <= window) {
    return `last in use ${new Date(usage.lastInUseAt).toISOString()} (Inspector)`;
  }
  if (image.lastPulledAt !== null && now - image.lastPulledAt <= window) {
    return `last pulled ${new Date(image.lastPulledAt).toISOString()} (ECR)`;
  }
  return null;
}

/**
 * Plans one repository. Pure: same inputs, same plan.
 * @example planRepository(state, settingsFor(baseline, state.name), { now: Date.now(), registryScanning: null, ...DEFAULT_PREFIXES })
 */
export function planRepository(
  state: RepositoryState,
  settings: RepositorySettings,
  options: PlanOptions,
): RepositoryPlan {
  const items: DriftItem[] = [];
  const changes: PlannedChange[] = [];
  const all: DriftAspect[] = ['lifecycle', 'scanning', 'tagMutability'];
  if (all.every((a) => settings.optOut.has(a))) {
    return {
      repository: state.name,
      status: 'opted-out',
      items: [
        {
          aspect: 'lifecycle',
          level: 'note',
          message: `opted out: ${settings.optOutReason ?? 'no reason given'}`,
        },
      ],
      changes: [],
      settingsSource: settings.source,
    };
  }
  const usageConsulted =
    !settings.optOut.has('lifecycle') && planLifecycle(state, settings, options, items, changes);
  if (!settings.optOut.has('scanning')) planScanning(state, settings, options, items, changes);
  if (!settings.optOut.has('tagMutability')) planMutability(state, settings, items, changes);
  for (const aspect of all) {
    if (settings.optOut.has(aspect)) {
      items.push({
        aspect,
        level: 'note',
        message: `opted out: ${settings.optOutReason ?? 'no reason given'}`,
      });
    }
  }
  const levels = new Set(items.map((i) => i.level));
  const status: PlanStatus = levels.has('refused')
    ? 'refused'
    : levels.has('conflict')
      ? 'conflict'
      : levels.has('drift')
        ? 'drift'
        : 'compliant';
  return {
    repository: state.name,
    status,
    items,
    changes,
    settingsSource: settings.source,
    ...(usageConsulted ? { usageConsulted: true as const } : {}),
  };
}

/** Plans the lifecycle aspect; returns whether in-use data of approved images was consulted. */
function planLifecycle(
  state: RepositoryState,
  settings: RepositorySettings,
  options: PlanOptions,
  items: DriftItem[],
  changes: PlannedChange[],
): boolean {
  const add = (level: DriftLevel, message: string) => items.push({ aspect: 'lifecycle', level, message });
  const baselineRules = compileLifecycle(settings.lifecycle, options);
  let current: LifecyclePolicy | null = null;
  if (state.lifecyclePolicyText !== null) {
    let json: unknown;
    try {
      json = JSON.parse(state.lifecyclePolicyText);
    } catch {
      add('conflict', 'the current lifecycle policy is not valid JSON; it is left as it is');
      return false;
    }
    const checked = checkLifecyclePolicy(json, 'current policy', state.lifecyclePolicyText.length);
    if (!checked.policy) {
      add(
        'conflict',
        `the current lifecycle policy does not validate (${checked.problems[0]?.path}: ${checked.problems[0]?.message}); it is left as it is`,
      );
      return false;
    }
    current = checked.policy;
  }
  const own = (current?.rules ?? []).filter((r) => !isManagedRule(r));
  if (baselineRules.length === 0 && own.length === (current?.rules.length ?? 0)) return false; // nothing to manage
  const merged = mergeLifecycle(own, baselineRules, options);
  const report = own.length > 0 && settings.lifecycle.existingRules === 'report';
  if (!merged.policy) {
    for (const c of merged.conflicts) add('conflict', c);
    return false;
  }
  const planned = serializeLifecyclePolicy(merged.policy);
  const existing = current ? serializeLifecyclePolicy(current) : null;
  if (planned === existing) return false;
  if (report) {
    add(
      'conflict',
      `the repository keeps ${own.length} rule(s) of its own and existingRules is "report": the baseline rules are not merged`,
    );
    return false;
  }
  for (const note of merged.notes) add('note', note);
  // In-use protection: simulate the planned policy on the repository's images.
  let affectedNow = 0;
  let usageConsulted = false;
  if (state.images === null) {
    add('note', 'images not listed: the in-use check of the planned policy was skipped');
  } else {
    const verdicts = evaluateLifecycle(merged.policy, state.images, options.now);
    const acted = verdicts.filter((v) => v.action !== null);
    affectedNow = acted.length;
    const approvedActed = acted.filter((v) => v.image.tags.some((t) => t.startsWith(options.approvedPrefix)));
    usageConsulted = approvedActed.length > 0;
    const endangered = approvedActed
      .map((v) => ({
        v,
        why: isInUse(v.image, state.usage?.get(v.image.digest), options.now, settings.inUseWindowDays),
      }))
      .filter((x) => x.why !== null);
    if (endangered.length > 0) {
      for (const { v, why } of endangered.slice(0, 10)) {
        add(
          'refused',
          `the planned policy would ${v.action?.type === 'TRANSITION' ? 'archive' : 'expire'} ${v.image.digest} (${v.image.tags.join(', ')}) by rule ${v.rulePriority}, an approved image ${why}; lifecycle change refused`,
        );
      }
      if (endangered.length > 10)
        add('refused', `… and ${endangered.length - 10} more approved in-use image(s)`);
      return usageConsulted;
    }
  }
  add(
    'drift',
    current === null
      ? `no lifecycle policy; the baseline adds ${merged.policy.rules.length} rule(s)`
      : `lifecycle policy differs from the baseline (${own.length} own rule(s) kept)`,
  );
  changes.push({ kind: 'put-lifecycle-policy', policyText: planned, affectedNow });
  return usageConsulted;
}

function planScanning(
  state: RepositoryState,
  settings: RepositorySettings,
  options: PlanOptions,
  items: DriftItem[],
  changes: PlannedChange[],
): void {
  if (settings.scanning === 'ignore') return;
  const resolved = resolveRepositoryScanning(
    options.registryScanning ?? { scanType: 'BASIC', rules: [] },
    state.name,
    state.scanOnPush,
  );
  const wanted = settings.scanning === 'continuous' ? 'CONTINUOUS_SCAN' : 'SCAN_ON_PUSH';
  if (scanningStrength(resolved.frequency) >= scanningStrength(wanted)) return;
  const add = (level: DriftLevel, message: string) => items.push({ aspect: 'scanning', level, message });
  if (wanted === 'SCAN_ON_PUSH' && resolved.scanType === 'BASIC') {
    add(
      'drift',
      'images are not scanned on push (basic scanning, no matching registry rule, scanOnPush off)',
    );
    changes.push({ kind: 'put-scan-on-push', scanOnPush: true });
    return;
  }
  // Registry-level scanning rules are account-wide: the sweep never rewrites them, it reports what to add.
  add(
    'conflict',
    `scanning is ${resolved.frequency} (${resolved.scanType}); the baseline expects ${wanted}: add a registry scanning rule (${wanted}${wanted === 'CONTINUOUS_SCAN' ? ', enhanced scanning' : ''}) whose filter matches "${state.name}" — registry-level settings are not changed automatically`,
  );
}

function planMutability(
  state: RepositoryState,
  settings: RepositorySettings,
  items: DriftItem[],
  changes: PlannedChange[],
): void {
  const want = settings.tagMutability;
  if (want.expect === 'ignore') return;
  const wantExclusions = want.expect.endsWith('_WITH_EXCLUSION') ? want.exclusions : [];
  if (state.tagMutability === want.expect && sameSet(state.tagMutabilityExclusions, wantExclusions)) return;
  items.push({
    aspect: 'tagMutability',
    level: 'drift',
    message: `tag mutability is ${state.tagMutability}${state.tagMutabilityExclusions.length ? ` [${state.tagMutabilityExclusions.join(', ')}]` : ''}; the baseline expects ${want.expect}${wantExclusions.length ? ` [${wantExclusions.join(', ')}]` : ''}`,
  });
  changes.push({ kind: 'put-tag-mutability', mutability: want.expect, exclusions: wantExclusions });
}
