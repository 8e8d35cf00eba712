/**
 * Repository scope: the comma-separated repository globs of GATEKEEPER_REPOSITORY_SCOPE, matched by the policy
 * engine's glob matcher (lib/policy/glob.ts), so a scope and a policy's `match.repositories` read the same way.
 */
// Same semantics as policy globs (`*` any run incl. `/`, `?` one character), so one matcher serves both.
import { compileGlob, globMatches } from '../policy/glob.ts';

export { globMatches };

/** Characters a scope glob may contain: ECR repository-name characters plus the two wildcards. */
export const SCOPE_GLOB_PATTERN = /^[a-z0-9._/*?-]{1,256}$/;

/**
 * Whether `repository` matches one of the scope globs.
 * @example isRepositoryInScope(['team-a/*', 'shared'], 'team-a/api') // true
 */
export function isRepositoryInScope(scope: readonly string[], repository: string): boolean {
  return scope.some((glob) => compileGlob(glob)(repository));
}
