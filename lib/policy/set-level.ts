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
  const names = new Map<string, PolicyDefinition>();
  for (const p of policies) {
    const seen = names.get(p.name);
    if (seen) {
      const w = where.policy(p);
      problems.push({
        file: w.file,
        path: joinPath(w.path, 'name'),
        message: `duplicate policy name "${p.name}" (also in ${where.policy(seen).file})`,
        level: 'error',
      });
    } else names.set(p.name, p);
  }
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
  const ids = new Map<string, ExceptionDefinition>();
  for (const e of exceptions) {
    const seen = ids.get(e.id);
    if (seen) {
      const w = where.exception(e);
      problems.push({
        file: w.file,
        path: joinPath(w.path, 'id'),
        message: `duplicate exception id "${e.id}" (also in ${where.exception(seen).file})`,
        level: 'error',
      });
    } else ids.set(e.id, e);
  }
}
