import { describe, expect, it } from 'vitest';
import { policySetFileSha256, policySetFromBuild } from '../../../lib/policy/built-set.ts';
import { policySetVersion } from '../../../lib/policy/canonical.ts';
import { loadPolicySet } from '../../../lib/policy/load.ts';
import { readPolicySetJson } from '../../../lib/policy/read-policy-set.ts';
import { PolicySetInvalidError } from '../../../lib/policy/runtime.ts';

/** policy-set.json as scripts/build-functions.ts writes it. */
async function builtJson(): Promise<string> {
  return `${JSON.stringify(await loadPolicySet('policies'))}\n`;
}

function refusal(read: () => unknown): PolicySetInvalidError {
  try {
    read();
  } catch (error) {
    expect(error).toBeInstanceOf(PolicySetInvalidError);
    return error as PolicySetInvalidError;
  }
  throw new Error('the policy set was accepted');
}

describe('policySetFromBuild', () => {
  it('reads the file the build wrote exactly as the full check does', async () => {
    // Prepare
    const text = await builtJson();

    // Act
    const built = policySetFromBuild(text, 'policy-set.json', policySetFileSha256(text));

    // Assess
    expect(built).toEqual(readPolicySetJson(text, 'policy-set.json'));
    expect(JSON.stringify(built)).toBe(JSON.stringify(readPolicySetJson(text, 'policy-set.json')));
  });

  it('refuses bytes other than the ones the build recorded', async () => {
    const text = await builtJson();
    const recorded = policySetFileSha256(text);
    const edited = text.replace('"HIGH":{"max":0', '"HIGH":{"max":9');
    expect(edited).not.toBe(text);

    const error = refusal(() => policySetFromBuild(edited, 'policy-set.json', recorded));
    expect(error.problems).toEqual([
      expect.objectContaining({ file: 'policy-set.json', path: '', level: 'error' }),
    ]);
    expect(error.message).toContain('the file was changed after it was built');
  });

  it('refuses a set whose version does not match its content, even with a matching sha256', async () => {
    const text = (await builtJson()).replace('"HIGH":{"max":0', '"HIGH":{"max":9');
    const error = refusal(() => policySetFromBuild(text, 'policy-set.json', policySetFileSha256(text)));
    expect(error.problems).toEqual([expect.objectContaining({ path: 'version' })]);
  });

  it('refuses another format', async () => {
    const set = JSON.parse(await builtJson());
    const text = JSON.stringify({ ...set, format: 'other/v9' });
    expect(policySetVersion(set.policies, set.exceptions)).toBe(set.version);
    const error = refusal(() => policySetFromBuild(text, 'policy-set.json', policySetFileSha256(text)));
    expect(error.problems).toEqual([expect.objectContaining({ path: 'format' })]);
  });

  it('refuses every file when the bundle was built without a policy set', async () => {
    const text = await builtJson();
    const error = refusal(() => policySetFromBuild(text, 'policy-set.json', undefined));
    expect(error.message).toContain('built without a policy set');
  });
});
