import { describe, expect, it } from 'vitest';
import { loadPolicySet } from '../../../lib/policy/load.ts';
import { evaluate, PolicySetInvalidError, policySetFromJson } from '../../../lib/policy/runtime.ts';
import { DEFAULT_YAML, finding, image, NOW, policyDir } from './support.ts';

const TEAM = `apiVersion: gatekeeper/v1
kind: Policy
name: team
match: { repositories: [team/*] }
rules: { maxSeverity: { HIGH: 0 } }
`;
const TEAM_REFORMATTED = `# same policy, other formatting and key order
rules:
  maxSeverity:
    HIGH: 0
match:
  repositories:
    - "team/*"
name: 'team'
kind: Policy
apiVersion: gatekeeper/v1
`;

describe('policySetFromJson', () => {
  it('round-trips a loaded set through JSON and decides identically', async () => {
    const set = await loadPolicySet('policies');
    const json = JSON.parse(JSON.stringify(set));
    const back = policySetFromJson(json, 'policy-set.json');
    expect(back).toEqual(set);
    const findings = [
      finding({ severity: 'CRITICAL' }),
      finding({ id: 'CVE-2023-45853', package: 'zlib1g' }),
    ];
    const i = image({ repository: 'payments/api' });
    expect(JSON.stringify(evaluate(findings, i, null, back, NOW))).toBe(
      JSON.stringify(evaluate(findings, i, null, set, NOW)),
    );
  });

  type Path = readonly (string | number)[];
  /** Sets (or, with undefined, deletes) the value at `path` inside parsed JSON. */
  function edit(json: unknown, path: Path, value: unknown): unknown {
    if (path.length === 0) return value;
    let node = json as Record<string | number, unknown>;
    for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
    const last = path[path.length - 1] as string | number;
    if (value === undefined) delete node[last];
    else node[last] = value;
    return json;
  }

  it.each([
    { name: 'not an object', path: [], value: 'nope', fragment: 'policy-set.json: must be a mapping' },
    {
      name: 'content changed after the build',
      path: ['policies', 0, 'rules', 'maxSeverity', 'CRITICAL', 'max'],
      value: 5,
      fragment: 'policy-set.json: version: does not match the content',
    },
    {
      name: 'a negative threshold',
      path: ['policies', 0, 'rules', 'maxSeverity', 'CRITICAL', 'max'],
      value: -1,
      fragment: 'policy-set.json: policies[0].rules.maxSeverity.CRITICAL.max: must be >= 0',
    },
    {
      name: 'a dropped exception field',
      path: ['exceptions', 0, 'owner'],
      value: undefined,
      fragment: 'policy-set.json: exceptions[0].owner: is required',
    },
    {
      name: 'a path escaping the directory',
      path: ['policies', 0, 'file'],
      value: '../etc/passwd',
      fragment: 'policy-set.json: policies[0].file:',
    },
    { name: 'wrong format', path: ['format'], value: 'v0', fragment: 'policy-set.json: format: must be' },
    {
      name: 'a policy entry that is not a mapping',
      path: ['policies', 0],
      value: 'strict.yaml',
      fragment: 'policy-set.json: policies[0]: must be a mapping',
    },
    {
      name: 'an exception entry that is not a mapping',
      path: ['exceptions', 0],
      value: [],
      fragment: 'policy-set.json: exceptions[0]: must be a mapping',
    },
    {
      name: 'an exception without its file',
      path: ['exceptions', 0, 'file'],
      value: undefined,
      fragment: 'policy-set.json: exceptions[0].file: is required',
    },
  ] as { name: string; path: Path; value: unknown; fragment: string }[])(
    'refuses a corrupted set: $name',
    async ({ path, value, fragment }) => {
      const set = await loadPolicySet('policies');
      const json = edit(structuredClone(JSON.parse(JSON.stringify(set))), path, value);
      let error: unknown;
      try {
        policySetFromJson(json, 'policy-set.json');
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(PolicySetInvalidError);
      expect((error as Error).message).toContain(fragment);
    },
  );
});

describe('policy version', () => {
  it('depends on content only: not on YAML formatting, key order or the directory name', async () => {
    const a = await loadPolicySet(await policyDir({ 'default.yaml': DEFAULT_YAML, 'teams/team.yaml': TEAM }));
    const b = await loadPolicySet(
      await policyDir({ 'teams/team.yaml': TEAM_REFORMATTED, 'default.yaml': DEFAULT_YAML }),
    );
    expect(a.version).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(b.version).toBe(a.version);
  });

  it('changes when a rule or a file path changes', async () => {
    const a = await loadPolicySet(await policyDir({ 'default.yaml': DEFAULT_YAML, 'teams/team.yaml': TEAM }));
    const changed = await loadPolicySet(
      await policyDir({
        'default.yaml': DEFAULT_YAML,
        'teams/team.yaml': TEAM.replace('HIGH: 0', 'HIGH: 1'),
      }),
    );
    const moved = await loadPolicySet(
      await policyDir({ 'default.yaml': DEFAULT_YAML, 'teams/other.yaml': TEAM }),
    );
    expect(changed.version).not.toBe(a.version);
    expect(moved.version).not.toBe(a.version);
  });
});
