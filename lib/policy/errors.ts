/**
 * Errors of the policy module. A policy set that cannot be used as written is a {@link PolicySetInvalidError}
 * carrying every problem found (file + path + message), not just the first, so one `policy validate` run
 * shows an author everything to fix.
 */
import { GatekeeperError, InvalidInputError } from '../errors/gatekeeper-error.ts';

export { InvalidInputError };

export type ProblemLevel = 'error' | 'warning';

/** One problem in one file: `file` is shown as given (e.g. `policies/teams/payments.yaml`), `path` is dotted. */
export interface PolicyProblem {
  readonly file: string;
  readonly path: string;
  readonly message: string;
  readonly level: ProblemLevel;
}

/** `policies/teams/payments.yaml: rules.maxSeverity.HIGH: must be >= 0` */
export function formatProblem(problem: PolicyProblem): string {
  return problem.path
    ? `${problem.file}: ${problem.path}: ${problem.message}`
    : `${problem.file}: ${problem.message}`;
}

/** The policy set (YAML directory or bundled JSON) has at least one error; `problems` lists all of them. */
export class PolicySetInvalidError extends GatekeeperError {
  readonly problems: readonly PolicyProblem[];

  constructor(source: string, problems: readonly PolicyProblem[], options?: { cause?: unknown }) {
    const errors = problems.filter((p) => p.level === 'error');
    const first = errors[0];
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
    super(first ? `${formatProblem(first)}${more}` : `${source}: the policy set is invalid`, options);
    this.problems = problems;
  }
}
