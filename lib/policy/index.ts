/**
 * Policy engine public entry (CLI, CI, build): load and validate policies/, evaluate findings, run the policy
 * test cases. Lambda handlers import `./runtime.ts` instead, which leaves out YAML and JSON Schema loading.
 */
export { canonicalJson } from './canonical.ts';
export { formatProblem, type PolicyProblem, PolicySetInvalidError, type ProblemLevel } from './errors.ts';
export { checkGlob, compileGlob, type GlobKind, globMatches } from './glob.ts';
export { indexFacts } from './index-facts.ts';
export { loadPolicySet, SCHEMA_DIR, type ValidationReport, validatePolicyDir } from './load.ts';
export {
  API_VERSION,
  displayFile,
  type ExceptionDefinition,
  exceptionEndsAt,
  POLICY_SET_FORMAT,
  type PolicyDefinition,
  type PolicyRules,
  type PolicySet,
  SCAN_FAILURE_STATUSES,
  type ScanFailureStatus,
} from './policy-set.ts';
export {
  type PolicyTestCaseResult,
  type PolicyTestExpectation,
  type PolicyTestOutcome,
  type PolicyTestReport,
  runPolicyTests,
} from './policy-tests.ts';
export {
  type AtRisk,
  applyDeadlines,
  type DeadlineFrom,
  type DeadlinePolicy,
  type Decision,
  decideWithoutFindings,
  evaluate,
  type FindingHistory,
  findingKey,
  governingPolicy,
  type ImageFacts,
  type ImageUnderTest,
  type JudgeInput,
  judgeImage,
  judgingPolicies,
  type KnownExploitedRule,
  kevDueEndsAt,
  type PolicyMode,
  policySetFromJson,
  type ScanOutcome,
  type SkippedImageRule,
  selectPolicy,
  skippedImageRules,
  type TagJudgement,
  type Timeline,
  type Verdict,
  type Violation,
  type Waived,
  type WaiverRef,
} from './runtime.ts';
