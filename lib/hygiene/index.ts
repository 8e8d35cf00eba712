/**
 * Lifecycle hygiene public entry: the ECR lifecycle-rule engine (`previewLifecycle`, `checkLifecyclePolicy`), the
 * repository baseline (`loadBaseline`, `baselineFromJson`, `settingsFor`), the offline drift plan (`planHygiene`
 * over a `parseHygieneDump` dump) and the nightly sweep (`runSweep`, `parseSweepEvent`).
 *
 * Lambda-safe: nothing here imports `yaml` or `ajv` statically (YAML is loaded on demand by `loadBaseline` for
 * `.yaml` files only). The sweep's AWS wiring, `getSweepDependencies` / `buildSweepDependencies`, is not
 * re-exported: it builds the gate, ledger, notifier and Inspector clients, which the CLI never needs; import it from
 * `lib/wiring/sweep-dependencies.ts`.
 *
 * @example
 * const policy = parseLifecyclePolicyText(readFileSync('policy.json', 'utf8'), 'policy.json');
 * const images = imagesFromDescribeImages(JSON.parse(readFileSync('images.json', 'utf8')), 'images.json');
 * previewLifecycle(policy, images, new Date()).summary.expiringImageTotalCount;
 */
export {
  type Aspect,
  baselineFromJson,
  type CompileOptions,
  compileLifecycle,
  DEFAULT_APPROVED_KEEP,
  DEFAULT_PREFIXES,
  type HygieneBaseline,
  isManagedRule,
  type LifecycleSettings,
  loadBaseline,
  MANAGED_RULE_MARKER,
  type RepositorySettings,
  settingsFor,
  type TagMutabilityMode,
} from './baseline.ts';
export {
  type DriftAspect,
  type DriftItem,
  type DriftLevel,
  type ImageUsage,
  type MergeResult,
  mergeLifecycle,
  type PlannedChange,
  type PlanOptions,
  type PlanStatus,
  planRepository,
  type RepositoryPlan,
  type RepositoryState,
} from './drift.ts';
export { type HygieneDump, parseHygieneDump } from './dump.ts';
export {
  BaselineInvalidError,
  CheckpointConflictError,
  formatProblem,
  HygieneError,
  type HygieneProblem,
  LifecyclePolicyInvalidError,
  SweepInterruptedError,
} from './errors.ts';
export {
  DAY_MS,
  evaluateLifecycle,
  type ImageVerdict,
  type LifecyclePreview,
  type PreviewAction,
  type PreviewResult,
  previewLifecycle,
} from './lifecycle-engine.ts';
export { imageFromSummary, imagesFromDescribeImages, type LifecycleImage } from './lifecycle-images.ts';
export {
  type CountType,
  checkLifecyclePolicy,
  type LifecycleAction,
  type LifecyclePolicy,
  type LifecycleRule,
  type LifecycleSelection,
  MAX_LIFECYCLE_POLICY_CHARS,
  MAX_LIFECYCLE_RULES,
  MAX_WILDCARDS_PER_PATTERN,
  parseLifecyclePolicy,
  parseLifecyclePolicyText,
  type StorageClassName,
  serializeLifecyclePolicy,
  type TagStatus,
} from './lifecycle-policy.ts';
export { emptyTotals, type HygienePlan, planHygiene } from './plan.ts';
export {
  runSweep,
  type SweepCounters,
  type SweepRequest,
  type SweepRunResult,
} from './sweep.ts';
export { parseSweepEvent } from './sweep-event.ts';
export {
  type CheckpointStore,
  DEFAULT_SWEEP_SETTINGS,
  type HygieneSweepSummary,
  type ImageUsageSource,
  type SweepDependencies,
  type SweepGate,
  type SweepMode,
  type SweepSettings,
  type UsageRequestContext,
} from './sweep-ports.ts';
