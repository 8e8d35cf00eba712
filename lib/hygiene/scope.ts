/** Repository scope for the sweep: GATEKEEPER_REPOSITORY_SCOPE globs, matched as lib/config does. */
import { isRepositoryInScope } from '../config/index.ts';

export function globMatch(scope: readonly string[], repository: string): boolean {
  return isRepositoryInScope(scope, repository);
}
