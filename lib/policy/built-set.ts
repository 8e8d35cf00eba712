/**
 * The policy set as the build wrote it (`policy-set.json`), read by a Lambda bundle without re-running the
 * checker: the build validated the set (the same checks as `gatekeeper policy validate`, plus a round trip
 * through `policySetFromJson`) and baked the sha256 of the exact bytes it wrote into the bundle. The bundle
 * verifies those bytes and the set's own `version` hash, so a corrupted or hand-edited file is still refused.
 * Source runs (tests, the CLI, `serverless invoke local` without a build) check the JSON in full instead:
 * lib/policy/read-policy-set.ts, which the build replaces by this reader.
 */
import { createHash } from 'node:crypto';
import { byFileThen, policySetVersion } from './canonical.ts';
import { type PolicyProblem, PolicySetInvalidError } from './errors.ts';
import { POLICY_SET_FORMAT, type PolicySet } from './policy-set.ts';

/** `sha256:<hex>` of the file's bytes as read (UTF-8), the form the build records. */
export function policySetFileSha256(text: string): string {
  return `sha256:${createHash('sha256').update(text, 'utf8').digest('hex')}`;
}

/**
 * Reads the build's `policy-set.json` text, trusting its content only when its sha256 is the one the build
 * recorded and its `version` matches the policies and exceptions it holds.
 * @example policySetFromBuild(readFileSync('policy-set.json', 'utf8'), 'policy-set.json', 'sha256:…')
 * @throws PolicySetInvalidError naming what does not match
 */
export function policySetFromBuild(
  text: string,
  source: string,
  recordedSha256: string | undefined,
): PolicySet {
  const refuse = (path: string, message: string): never => {
    const problem: PolicyProblem = { file: source, path, message, level: 'error' };
    throw new PolicySetInvalidError(source, [problem]);
  };
  if (recordedSha256 === undefined) {
    return refuse('', 'this bundle was built without a policy set: run npm run build');
  }
  const actual = policySetFileSha256(text);
  if (actual !== recordedSha256) {
    refuse(
      '',
      `does not match the policy set the build validated (sha256 ${actual}, built ${recordedSha256}): the file was changed after it was built`,
    );
  }
  const set = JSON.parse(text) as PolicySet;
  if (set.format !== POLICY_SET_FORMAT) refuse('format', `must be ${POLICY_SET_FORMAT}`);
  const computed = policySetVersion(set.policies, set.exceptions);
  if (computed !== set.version) {
    refuse(
      'version',
      `does not match the content (computed ${computed}): the file was changed after it was built`,
    );
  }
  return {
    format: POLICY_SET_FORMAT,
    root: set.root,
    version: set.version,
    policies: [...set.policies].sort(byFileThen((p) => p.name)),
    exceptions: [...set.exceptions].sort(byFileThen((e) => e.id)),
  };
}
