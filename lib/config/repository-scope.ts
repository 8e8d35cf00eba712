/**
 * Repository scope: the comma-separated repository globs of GATEKEEPER_REPOSITORY_SCOPE. `*` matches any run of
 * characters (including `/`), `?` exactly one. Matching is iterative with one backtrack point, so no pattern can
 * take more than O(pattern × name) steps (no regular expressions built from user text).
 */

/** Characters a scope glob may contain: ECR repository-name characters plus the two wildcards. */
export const SCOPE_GLOB_PATTERN = /^[a-z0-9._/*?-]{1,256}$/;

/**
 * Whether `repository` matches one of the scope globs.
 * @example isRepositoryInScope(['team-a/*', 'shared'], 'team-a/api') // true
 */
export function isRepositoryInScope(scope: readonly string[], repository: string): boolean {
  return scope.some((glob) => globMatches(glob, repository));
}

/** Wildcard match of a whole name: `*` any run (possibly empty), `?` one character. */
export function globMatches(glob: string, name: string): boolean {
  let g = 0;
  let n = 0;
  let starG = -1;
  let starN = 0;
  while (n < name.length) {
    const gc = glob[g];
    if (gc === '*') {
      starG = g;
      starN = n;
      g += 1;
    } else if (gc !== undefined && (gc === '?' || gc === name[n])) {
      g += 1;
      n += 1;
    } else if (starG >= 0) {
      // Let the last star absorb one more character and retry from there.
      g = starG + 1;
      starN += 1;
      n = starN;
    } else {
      return false;
    }
  }
  while (glob[g] === '*') g += 1;
  return g === glob.length;
}
