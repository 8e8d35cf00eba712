/**
 * The checks of a policy set that only make sense across its files: unique policy names, exactly one default
 * policy, unique exception ids. Each file's own checks are in check.ts.
 */
import type { PolicyProblem } from './errors.ts';
import type { ExceptionDefinition, PolicyDefinition } from './policy-set.ts';
import { joinPath } from './schema-problems.ts';

/**
 * Checks that only make sense across files: unique policy names, exactly one default policy, unique exception
 * ids. `where` gives the file and path to report for an item.
 */
export function checkSetLevel(
  problems: PolicyProblem[],
  policies: readonly PolicyDefinition[],
  exceptions: readonly ExceptionDefinition[],
  where: {
    policy: (p: PolicyDefinition) => { file: string; path: string };
    exception: (e: ExceptionDefinition) => { file: string; path: string };
  },
  emptySource: string,
): void {
  reportDuplicates(problems, policies, (p) => p.name, where.policy, 'name', 'policy name');
  const defaults = policies.filter((p) => p.default);
  if (defaults.length === 0 && policies.length > 0) {
    problems.push({
      file: emptySource,
      path: '',
      message: 'no default policy: mark exactly one Policy with default: true',
      level: 'error',
    });
  }
  for (const extra of defaults.slice(1)) {
    const w = where.policy(extra);
    problems.push({
      file: w.file,
      path: joinPath(w.path, 'default'),
      message: `only one policy may be the default (already: "${(defaults[0] as PolicyDefinition).name}" in ${where.policy(defaults[0] as PolicyDefinition).file})`,
      level: 'error',
    });
  }
  if (policies.length === 0) {
    problems.push({
      file: emptySource,
      path: '',
      message: 'no Policy found (a default policy is required)',
      level: 'error',
    });
  }
  reportDuplicates(problems, exceptions, (e) => e.id, where.exception, 'id', 'exception id');
}

/** One error per item whose key an earlier item already has, naming the earlier item's file. */
function reportDuplicates<T>(
  problems: PolicyProblem[],
  items: readonly T[],
  key: (item: T) => string,
  where: (item: T) => { file: string; path: string },
  field: string,
  label: string,
): void {
  const first = new Map<string, T>();
  for (const item of items) {
    const seen = first.get(key(item));
    if (seen === undefined) {
      first.set(key(item), item);
      continue;
    }
    const w = where(item);
    problems.push({
      file: w.file,
      path: joinPath(w.path, field),
      message: `duplicate ${label} "${key(item)}" (also in ${where(seen).file})`,
      level: 'error',
    });
  }
}
