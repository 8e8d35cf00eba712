/**
 * Errors of the hygiene module. Validation problems are collected (every problem, not only the first) and
 * carried by the error so the CLI and the sweep can print each one with its file and path.
 */
import { GatekeeperError, InvalidInputError } from '../errors/gatekeeper-error.ts';

/** One thing wrong with a lifecycle policy, a baseline or a dump: where (file + path) and what. */
export interface HygieneProblem {
  readonly file: string;
  /** JSON-pointer-like path, e.g. `rules[1].selection.tagPatternList[0]`; `` for the whole document. */
  readonly path: string;
  readonly message: string;
}

export function formatProblem(problem: HygieneProblem): string {
  return problem.path
    ? `${problem.file}: ${problem.path}: ${problem.message}`
    : `${problem.file}: ${problem.message}`;
}

/** Base of this module's errors. */
export class HygieneError extends GatekeeperError {}

/** An ECR lifecycle policy ECR itself would reject (or that breaks a documented rule). */
export class LifecyclePolicyInvalidError extends InvalidInputError {
  readonly problems: readonly HygieneProblem[];

  constructor(problems: readonly HygieneProblem[]) {
    const first = problems[0] ?? { file: 'lifecycle policy', path: '', message: 'invalid' };
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem(s))` : '';
    super(first.file, first.path || null, `${first.message}${more}`);
    this.problems = problems;
  }
}

/** policies/hygiene.yaml (or its compiled JSON) is not usable. */
export class BaselineInvalidError extends InvalidInputError {
  readonly problems: readonly HygieneProblem[];

  constructor(problems: readonly HygieneProblem[]) {
    const first = problems[0] ?? { file: 'hygiene baseline', path: '', message: 'invalid' };
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem(s))` : '';
    super(first.file, first.path || null, `${first.message}${more}`);
    this.problems = problems;
  }
}

/** The sweep could not continue for a reason a later invocation may fix (throttling, a store conflict). */
export class SweepInterruptedError extends HygieneError {}

/** Another invocation changed the sweep checkpoint first (conditional write lost). */
export class CheckpointConflictError extends HygieneError {}
