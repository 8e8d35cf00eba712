/**
 * ECR lifecycle policy documents: parsing and validation with ECR's documented limits and rules
 * (Amazon ECR User Guide, "Lifecycle policy properties", "Lifecycle policies" / evaluation rules,
 * "Amazon ECR service quotas"). Every problem is reported with the rule it concerns, not only the first.
 *
 * Documented facts enforced here:
 * - at most 50 rules per policy; the policy text is at most 30,720 characters;
 * - `rulePriority` is a unique positive integer; a `tagStatus: any` rule must have the highest priority
 *   (among the rules of its storage class);
 * - `tagStatus` tagged needs `tagPrefixList` or `tagPatternList` (not both); untagged/any must omit both;
 * - at most four `*` per `tagPatternList` entry;
 * - `countUnit` (only `days`) is used with the age count types and only with them;
 * - `countNumber` is a positive integer (0 is not accepted);
 * - only one rule may select untagged images; the set of tag prefixes/patterns of the rules must be unique;
 * - archive storage (newer ECR): `storageClass` standard|archive, `sinceImageTransitioned` only with archive,
 *   the other count types only with standard, `transition` only to `archive` and only from standard, and
 *   archived images cannot be expired by a policy before 90 days in archive.
 * Decisions where the documentation is silent (uniqueness per storage class) are noted where they are made.
 */
import { isRecord } from '../findings/json-reader.ts';
import { type HygieneProblem, LifecyclePolicyInvalidError } from './errors.ts';
import { countWildcards } from './wildcard.ts';

export const MAX_LIFECYCLE_RULES = 50;
export const MAX_LIFECYCLE_POLICY_CHARS = 30_720;
export const MAX_WILDCARDS_PER_PATTERN = 4;
/** Archived images have a minimum storage duration of 90 days; a policy cannot delete them earlier. */
export const MIN_ARCHIVE_DAYS_BEFORE_EXPIRE = 90;

export type TagStatus = 'tagged' | 'untagged' | 'any';
export type CountType =
  | 'imageCountMoreThan'
  | 'sinceImagePushed'
  | 'sinceImagePulled'
  | 'sinceImageTransitioned';
export type StorageClassName = 'standard' | 'archive';

export interface LifecycleSelection {
  readonly tagStatus: TagStatus;
  readonly tagPrefixList?: readonly string[];
  readonly tagPatternList?: readonly string[];
  /** Absent means `standard`, as in ECR. */
  readonly storageClass?: StorageClassName;
  readonly countType: CountType;
  readonly countUnit?: 'days';
  readonly countNumber: number;
}

export interface LifecycleAction {
  readonly type: 'expire' | 'transition';
  readonly targetStorageClass?: 'archive';
}

export interface LifecycleRule {
  readonly rulePriority: number;
  readonly description?: string;
  readonly selection: LifecycleSelection;
  readonly action: LifecycleAction;
}

export interface LifecyclePolicy {
  readonly rules: readonly LifecycleRule[];
}

const TAG_STATUSES: readonly string[] = ['tagged', 'untagged', 'any'];
const COUNT_TYPES: readonly string[] = [
  'imageCountMoreThan',
  'sinceImagePushed',
  'sinceImagePulled',
  'sinceImageTransitioned',
];
const AGE_COUNT_TYPES: ReadonlySet<string> = new Set([
  'sinceImagePushed',
  'sinceImagePulled',
  'sinceImageTransitioned',
]);
const RULE_KEYS = new Set(['rulePriority', 'description', 'selection', 'action']);
const SELECTION_KEYS = new Set([
  'tagStatus',
  'tagPrefixList',
  'tagPatternList',
  'storageClass',
  'countType',
  'countUnit',
  'countNumber',
]);
const ACTION_KEYS = new Set(['type', 'targetStorageClass']);

/** Describes a rule in messages: `rules[2] (rulePriority 30)`. */
function ruleLabel(index: number, raw: unknown): string {
  const priority = isRecord(raw) ? raw.rulePriority : undefined;
  return typeof priority === 'number' ? `rules[${index}] (rulePriority ${priority})` : `rules[${index}]`;
}

function stringList(
  value: unknown,
  path: string,
  problems: (path: string, message: string) => void,
): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length === 0) {
    problems(path, 'must be a non-empty list of strings');
    return undefined;
  }
  const out: string[] = [];
  value.forEach((item, i) => {
    if (typeof item !== 'string' || item.length === 0) {
      problems(`${path}[${i}]`, 'must be a non-empty string');
    } else {
      out.push(item);
    }
  });
  return out;
}

/**
 * Checks a parsed lifecycle policy document and returns it typed, or every problem found.
 * `textLength` is the length of the policy text when known (the 30,720-character limit applies to the text).
 * @example checkLifecyclePolicy(JSON.parse(text), 'policy.json', text.length).problems.map(formatProblem)
 */
export function checkLifecyclePolicy(
  json: unknown,
  file: string,
  textLength?: number,
): { policy: LifecyclePolicy | null; problems: HygieneProblem[] } {
  const problems: HygieneProblem[] = [];
  const add = (path: string, message: string) => problems.push({ file, path, message });
  const length = textLength ?? JSON.stringify(json ?? null).length;
  if (length > MAX_LIFECYCLE_POLICY_CHARS) {
    add('', `policy text is ${length} characters; ECR allows at most ${MAX_LIFECYCLE_POLICY_CHARS}`);
  }
  if (!isRecord(json)) {
    add('', 'must be a JSON object with a "rules" list');
    return { policy: null, problems };
  }
  for (const key of Object.keys(json)) {
    if (key !== 'rules') add(key, 'unknown property (a lifecycle policy has only "rules")');
  }
  const rawRules = json.rules;
  if (!Array.isArray(rawRules) || rawRules.length === 0) {
    add('rules', 'must be a non-empty list of rules');
    return { policy: null, problems };
  }
  if (rawRules.length > MAX_LIFECYCLE_RULES) {
    add('rules', `has ${rawRules.length} rules; ECR allows at most ${MAX_LIFECYCLE_RULES} per policy`);
  }
  const rules: LifecycleRule[] = [];
  rawRules.forEach((raw, index) => {
    const label = ruleLabel(index, raw);
    const at = (suffix: string) => `${label}${suffix}`;
    const before = problems.length;
    if (!isRecord(raw)) {
      add(label, 'must be an object');
      return;
    }
    for (const key of Object.keys(raw)) if (!RULE_KEYS.has(key)) add(at(`.${key}`), 'unknown property');
    const priority = raw.rulePriority;
    if (priority === undefined) add(at('.rulePriority'), 'is required');
    else if (typeof priority !== 'number' || !Number.isInteger(priority) || priority < 1) {
      add(at('.rulePriority'), 'must be a positive integer');
    }
    if (raw.description !== undefined && typeof raw.description !== 'string') {
      add(at('.description'), 'must be a string');
    }
    const sel = raw.selection;
    const act = raw.action;
    if (!isRecord(sel)) add(at('.selection'), 'is required and must be an object');
    if (!isRecord(act)) add(at('.action'), 'is required and must be an object');
    if (!isRecord(sel) || !isRecord(act)) return;
    for (const key of Object.keys(sel))
      if (!SELECTION_KEYS.has(key)) add(at(`.selection.${key}`), 'unknown property');
    for (const key of Object.keys(act))
      if (!ACTION_KEYS.has(key)) add(at(`.action.${key}`), 'unknown property');

    const tagStatus = sel.tagStatus;
    if (tagStatus === undefined) add(at('.selection.tagStatus'), 'is required (tagged, untagged or any)');
    else if (typeof tagStatus !== 'string' || !TAG_STATUSES.includes(tagStatus)) {
      add(at('.selection.tagStatus'), `must be tagged, untagged or any (got ${JSON.stringify(tagStatus)})`);
    }
    const prefixes = stringList(sel.tagPrefixList, at('.selection.tagPrefixList'), add);
    const patterns = stringList(sel.tagPatternList, at('.selection.tagPatternList'), add);
    if (tagStatus === 'tagged') {
      if (sel.tagPrefixList === undefined && sel.tagPatternList === undefined) {
        add(at('.selection'), 'tagStatus tagged needs a tagPrefixList or a tagPatternList');
      }
      if (sel.tagPrefixList !== undefined && sel.tagPatternList !== undefined) {
        add(at('.selection'), 'use either tagPrefixList or tagPatternList, not both');
      }
    } else if (typeof tagStatus === 'string' && TAG_STATUSES.includes(tagStatus)) {
      if (sel.tagPrefixList !== undefined) {
        add(
          at('.selection.tagPrefixList'),
          `is only allowed with tagStatus tagged (this rule is ${tagStatus})`,
        );
      }
      if (sel.tagPatternList !== undefined) {
        add(
          at('.selection.tagPatternList'),
          `is only allowed with tagStatus tagged (this rule is ${tagStatus})`,
        );
      }
    }
    patterns?.forEach((pattern, i) => {
      const n = countWildcards(pattern);
      if (n > MAX_WILDCARDS_PER_PATTERN) {
        add(
          at(`.selection.tagPatternList[${i}]`),
          `"${pattern}" has ${n} wildcards; ECR allows at most ${MAX_WILDCARDS_PER_PATTERN} per pattern`,
        );
      }
    });

    const countType = sel.countType;
    const isCountType = typeof countType === 'string' && COUNT_TYPES.includes(countType);
    if (countType === undefined) add(at('.selection.countType'), 'is required');
    else if (!isCountType) {
      add(
        at('.selection.countType'),
        `must be one of ${COUNT_TYPES.join(', ')} (got ${JSON.stringify(countType)})`,
      );
    }
    const countNumber = sel.countNumber;
    if (countNumber === undefined) add(at('.selection.countNumber'), 'is required');
    else if (typeof countNumber !== 'number' || !Number.isInteger(countNumber) || countNumber < 1) {
      add(at('.selection.countNumber'), 'must be a positive integer (0 is not accepted)');
    }
    const isAge = isCountType && AGE_COUNT_TYPES.has(countType);
    if (sel.countUnit !== undefined) {
      if (isCountType && !isAge) {
        add(at('.selection.countUnit'), `is only used with the age count types (this rule is ${countType})`);
      } else if (sel.countUnit !== 'days') {
        add(at('.selection.countUnit'), `must be "days" (got ${JSON.stringify(sel.countUnit)})`);
      }
    } else if (isAge) {
      add(at('.selection.countUnit'), `is required with ${countType} (use "days")`);
    }

    const storageClass = sel.storageClass ?? 'standard';
    if (storageClass !== 'standard' && storageClass !== 'archive') {
      add(
        at('.selection.storageClass'),
        `must be standard or archive (got ${JSON.stringify(sel.storageClass)})`,
      );
    } else if (countType === 'sinceImageTransitioned' && storageClass !== 'archive') {
      add(
        at('.selection.storageClass'),
        'sinceImageTransitioned selects archived images: storageClass must be archive',
      );
    } else if (isCountType && countType !== 'sinceImageTransitioned' && storageClass === 'archive') {
      add(
        at('.selection.storageClass'),
        `archive can only be used with sinceImageTransitioned (this rule is ${countType})`,
      );
    }

    const actionType = act.type;
    if (actionType === undefined) add(at('.action.type'), 'is required (expire or transition)');
    else if (actionType !== 'expire' && actionType !== 'transition') {
      add(at('.action.type'), `must be expire or transition (got ${JSON.stringify(actionType)})`);
    }
    if (actionType === 'transition') {
      if (act.targetStorageClass !== 'archive') {
        add(
          at('.action.targetStorageClass'),
          'transition needs targetStorageClass "archive" (the only target)',
        );
      }
      if (storageClass === 'archive')
        add(at('.action'), 'archived images cannot be transitioned again; use expire');
    } else if (act.targetStorageClass !== undefined) {
      add(at('.action.targetStorageClass'), 'is only used with action type transition');
    }
    if (
      actionType === 'expire' &&
      storageClass === 'archive' &&
      typeof countNumber === 'number' &&
      countNumber < MIN_ARCHIVE_DAYS_BEFORE_EXPIRE
    ) {
      add(
        at('.selection.countNumber'),
        `archived images have a ${MIN_ARCHIVE_DAYS_BEFORE_EXPIRE}-day minimum storage duration; a policy cannot expire them after ${countNumber} days`,
      );
    }
    if (problems.length === before) {
      const selection: LifecycleSelection = {
        tagStatus: tagStatus as TagStatus,
        ...(prefixes ? { tagPrefixList: prefixes } : {}),
        ...(patterns ? { tagPatternList: patterns } : {}),
        ...(sel.storageClass !== undefined ? { storageClass: sel.storageClass as StorageClassName } : {}),
        countType: countType as CountType,
        ...(sel.countUnit !== undefined ? { countUnit: 'days' as const } : {}),
        countNumber: countNumber as number,
      };
      rules.push({
        rulePriority: priority as number,
        ...(typeof raw.description === 'string' ? { description: raw.description } : {}),
        selection,
        action: {
          type: actionType as 'expire' | 'transition',
          ...(act.targetStorageClass !== undefined ? { targetStorageClass: 'archive' as const } : {}),
        },
      });
    }
  });
  if (problems.length === 0) checkRuleSet(rules, file, add);
  return problems.length === 0 ? { policy: { rules }, problems } : { policy: null, problems };
}

/** Checks that need the whole rule set. */
function checkRuleSet(
  rules: readonly LifecycleRule[],
  _file: string,
  add: (path: string, message: string) => void,
): void {
  const label = (r: LifecycleRule) => `rules[${rules.indexOf(r)}] (rulePriority ${r.rulePriority})`;
  const byPriority = new Map<number, LifecycleRule>();
  for (const rule of rules) {
    const other = byPriority.get(rule.rulePriority);
    if (other)
      add(
        `${label(rule)}.rulePriority`,
        `duplicates the priority of ${label(other)}; priorities must be unique`,
      );
    else byPriority.set(rule.rulePriority, rule);
  }
  // "A rule with a tagStatus value of any must have the highest value for rulePriority": applied among the rules
  // of the same storage class (a standard `any` transition rule followed by an archive expire rule is the usual
  // archive policy; documented decision, like the uniqueness checks below).
  for (const storage of ['standard', 'archive']) {
    const group = rules.filter((r) => (r.selection.storageClass ?? 'standard') === storage);
    if (group.length === 0) continue;
    const highest = Math.max(...group.map((r) => r.rulePriority));
    for (const rule of group) {
      if (rule.selection.tagStatus === 'any' && rule.rulePriority !== highest) {
        add(
          `${label(rule)}.rulePriority`,
          `a tagStatus "any" rule must have the highest rulePriority of the ${storage} rules (highest is ${highest})`,
        );
      }
    }
  }
  // Uniqueness rules ("only one rule may select untagged images", "unique set of tag prefixes") are applied per
  // storage class: archive rules act on a separate population of images (documented decision).
  const seenSelectors = new Map<string, LifecycleRule>();
  for (const rule of rules) {
    const s = rule.selection;
    const storage = s.storageClass ?? 'standard';
    let key: string | null = null;
    let what = '';
    if (s.tagStatus === 'untagged') {
      key = `${storage}|untagged`;
      what = 'only one rule may select untagged images';
    } else if (s.tagPrefixList) {
      key = `${storage}|prefix|${[...new Set(s.tagPrefixList)].sort().join('\u0000')}`;
      what = 'the rules must have a unique set of tag prefixes';
    } else if (s.tagPatternList) {
      key = `${storage}|pattern|${[...new Set(s.tagPatternList)].sort().join('\u0000')}`;
      what = 'the rules must have a unique set of tag patterns';
    }
    if (key === null) continue;
    const other = seenSelectors.get(key);
    if (other) add(`${label(rule)}.selection`, `selects the same images as ${label(other)}: ${what}`);
    else seenSelectors.set(key, rule);
  }
}

/**
 * Parses and validates a lifecycle policy given as text (what GetLifecyclePolicy returns and
 * PutLifecyclePolicy takes). Throws `LifecyclePolicyInvalidError` carrying every problem.
 * @example parseLifecyclePolicyText('{"rules":[...]}', 'policy.json').rules.length
 */
export function parseLifecyclePolicyText(text: string, file: string): LifecyclePolicy {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new LifecyclePolicyInvalidError([
      { file, path: '', message: `not valid JSON (${(error as Error).message})` },
    ]);
  }
  return parseLifecyclePolicy(json, file, text.length);
}

/**
 * As `parseLifecyclePolicyText` for an already parsed document.
 * @example parseLifecyclePolicy(response.lifecyclePolicyText ? JSON.parse(response.lifecyclePolicyText) : {}, 'get-lifecycle-policy.json')
 */
export function parseLifecyclePolicy(json: unknown, file: string, textLength?: number): LifecyclePolicy {
  const { policy, problems } = checkLifecyclePolicy(json, file, textLength);
  if (!policy) throw new LifecyclePolicyInvalidError(problems);
  return policy;
}

/** Canonical policy text: rules sorted by priority, keys in ECR's documented order, compact JSON. */
export function serializeLifecyclePolicy(policy: LifecyclePolicy): string {
  const rules = [...policy.rules]
    .sort((a, b) => a.rulePriority - b.rulePriority)
    .map((r) => ({
      rulePriority: r.rulePriority,
      ...(r.description !== undefined ? { description: r.description } : {}),
      selection: {
        tagStatus: r.selection.tagStatus,
        ...(r.selection.tagPatternList ? { tagPatternList: [...r.selection.tagPatternList] } : {}),
        ...(r.selection.tagPrefixList ? { tagPrefixList: [...r.selection.tagPrefixList] } : {}),
        ...(r.selection.storageClass ? { storageClass: r.selection.storageClass } : {}),
        countType: r.selection.countType,
        ...(r.selection.countUnit ? { countUnit: r.selection.countUnit } : {}),
        countNumber: r.selection.countNumber,
      },
      action: {
        type: r.action.type,
        ...(r.action.targetStorageClass ? { targetStorageClass: r.action.targetStorageClass } : {}),
      },
    }));
  return JSON.stringify({ rules });
}
