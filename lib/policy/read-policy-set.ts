/**
 * Reads `policy-set.json` for the gate: the full check of lib/policy/runtime.ts (every definition, the set-level
 * rules, the version hash). The Lambda bundles replace this module (scripts/build-functions.ts,
 * `builtPolicySetReader`) by lib/policy/built-set.ts with the sha256 the build recorded: the build already ran
 * this check on the exact bytes it wrote, so the bundle verifies the bytes instead of carrying the checker.
 */
import type { PolicySet } from './policy-set.ts';
import { policySetFromJson } from './runtime.ts';

/**
 * @example readPolicySetJson(await readFile('policy-set.json', 'utf8'), 'policy-set.json')
 * @throws PolicySetInvalidError listing every problem; SyntaxError for text that is not JSON
 */
export function readPolicySetJson(text: string, source: string): PolicySet {
  return policySetFromJson(JSON.parse(text), source);
}
