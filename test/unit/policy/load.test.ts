import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { formatProblem, PolicySetInvalidError } from '../../../lib/policy/errors.ts';
import { loadPolicySet, validatePolicyDir } from '../../../lib/policy/load.ts';
import { DEFAULT_YAML, NOW, policyDir } from './support.ts';

async function errors(files: Record<string, string>): Promise<string[]> {
  const report = await validatePolicyDir(await policyDir(files), NOW);
  return report.problems.filter((p) => p.level === 'error').map(formatProblem);
}

const EXCEPTION = `apiVersion: gatekeeper/v1
kind: Exceptions
exceptions:
  - id: waive-one
    finding: CVE-2024-0001
    reason: not reachable
    owner: team-a@example.com
    expires: EXPIRES
`;

describe('validatePolicyDir: every problem with file and path', () => {
  it.each([
    {
      name: 'negative threshold',
      file: 'teams/payments.yaml',
      text: 'apiVersion: gatekeeper/v1\nkind: Policy\nname: payments\nmatch: { repositories: [payments/*] }\nrules:\n  maxSeverity:\n    HIGH: -1\n',
      expected: ['policies/teams/payments.yaml: rules.maxSeverity.HIGH: must be >= 0'],
    },
    {
      name: 'unknown severity',
      file: 'teams/payments.yaml',
      text: 'apiVersion: gatekeeper/v1\nkind: Policy\nname: payments\nmatch: { repositories: [payments/*] }\nrules:\n  maxSeverity:\n    SEVERE: 0\n',
      expected: [
        'policies/teams/payments.yaml: rules.maxSeverity.SEVERE: unknown severity (expected one of CRITICAL, HIGH, MEDIUM, LOW, INFORMATIONAL, UNDEFINED, UNTRIAGED)',
      ],
    },
    {
      name: 'exception without expires',
      file: 'exceptions/a.yaml',
      text: EXCEPTION.replace('    expires: EXPIRES\n', ''),
      expected: ['policies/exceptions/a.yaml: exceptions[0].expires: is required'],
    },
    {
      name: 'exception without reason',
      file: 'exceptions/a.yaml',
      text: EXCEPTION.replace('    reason: not reachable\n', '').replace('EXPIRES', '2027-01-31'),
      expected: ['policies/exceptions/a.yaml: exceptions[0].reason: is required'],
    },
    {
      name: 'exception without owner and a bad date',
      file: 'exceptions/a.yaml',
      text: EXCEPTION.replace('    owner: team-a@example.com\n', '').replace('EXPIRES', '2027-02-30'),
      expected: [
        'policies/exceptions/a.yaml: exceptions[0].expires: 2027-02-30 is not a calendar date',
        'policies/exceptions/a.yaml: exceptions[0].owner: is required',
      ],
    },
    {
      name: 'unknown rule key',
      file: 'teams/x.yaml',
      text: 'apiVersion: gatekeeper/v1\nkind: Policy\nname: x\nmatch: { repositories: [x] }\nrules:\n  maxCritical: 0\n',
      expected: [
        'policies/teams/x.yaml: rules.maxCritical: unknown key (expected one of fixableOnly, maxSeverity, score, exploitAvailable, epss, deniedPackages, image, knownExploited)',
      ],
    },
    {
      name: 'dangerous and invalid globs',
      file: 'teams/x.yaml',
      text: "apiVersion: gatekeeper/v1\nkind: Policy\nname: x\nmatch: { repositories: ['a**', '+(a|b)'], tags: ['*?*?*?*?*?'] }\n",
      expected: [
        'policies/teams/x.yaml: match.repositories[0]: "**" is not supported: one "*" already matches any characters, "/" included',
        'policies/teams/x.yaml: match.repositories[1]: character "+" is not allowed in a repository pattern (use lower-case letters, digits, ".", "_", "-", "/", "*" and "?")',
        'policies/teams/x.yaml: match.tags[0]: pattern has 10 wildcards; the limit is 8',
      ],
    },
    {
      name: 'threshold out of range and a bad version range',
      file: 'teams/x.yaml',
      text: "apiVersion: gatekeeper/v1\nkind: Policy\nname: x\nmatch: { repositories: [x] }\nrules:\n  score: { atLeast: 11 }\n  epss: { atLeast: -0.5 }\n  deniedPackages:\n    - name: openssl\n      versions: ['<1.x']\n",
      expected: [
        'policies/teams/x.yaml: rules.deniedPackages[0].versions[0]: "<1.x": a range bound must be a numeric version such as 1.2.3 or 1:2.3 (epoch:release)',
        'policies/teams/x.yaml: rules.epss.atLeast: must be >= 0',
        'policies/teams/x.yaml: rules.score.atLeast: must be <= 10',
      ],
    },
    {
      name: 'bad KEV rule and deadlines',
      file: 'teams/x.yaml',
      text: 'apiVersion: gatekeeper/v1\nkind: Policy\nname: x\nmatch: { repositories: [x] }\nrules:\n  knownExploited: { deadline: soon }\ndeadlines:\n  from: lastSeen\n  CRITICAL: 3 days\n  HIGH: dateDue\n  knownExploited: 4000d\n  inUse: { extraDays: -1 }\n',
      expected: [
        'policies/teams/x.yaml: deadlines.CRITICAL: must be a number of days such as 3d (0d to 3650d), not "3 days"',
        'policies/teams/x.yaml: deadlines.HIGH: must be a number of days such as 3d (0d to 3650d), not "dateDue"',
        'policies/teams/x.yaml: deadlines.from: must be one of firstSeen, fixAvailable, not "lastSeen"',
        'policies/teams/x.yaml: deadlines.inUse.extraDays: must be >= 0',
        'policies/teams/x.yaml: deadlines.knownExploited: must be a number of days such as 3d (0d to 3650d) or dateDue, not "4000d"',
        'policies/teams/x.yaml: rules.knownExploited.deadline: must be dateDue, not "soon"',
      ],
    },
    {
      name: 'a non-default policy without match, and a wrong mode',
      file: 'teams/x.yaml',
      text: 'apiVersion: gatekeeper/v1\nkind: Policy\nname: x\nmode: warn\n',
      expected: [
        'policies/teams/x.yaml: match: is required unless the policy is the default (default: true)',
        'policies/teams/x.yaml: mode: must be one of enforce, audit, not "warn"',
      ],
    },
    {
      name: 'unknown kind',
      file: 'teams/x.yaml',
      text: 'apiVersion: gatekeeper/v1\nkind: Polcy\nname: x\n',
      expected: [
        'policies/teams/x.yaml: kind: unknown kind "Polcy" (expected one of Policy, Exceptions, PolicyTest, HygieneBaseline)',
      ],
    },
  ])('$name', async ({ file, text, expected }) => {
    const found = await errors({ 'default.yaml': DEFAULT_YAML, [file]: text });
    expect(found).toEqual(expected);
  });

  it('reports duplicate policy names, two defaults and duplicate exception ids across files', async () => {
    const exception = EXCEPTION.replace('EXPIRES', '2027-01-31');
    const found = await errors({
      'default.yaml': DEFAULT_YAML,
      'other.yaml': DEFAULT_YAML,
      'exceptions/a.yaml': exception,
      'exceptions/b.yaml': exception,
    });
    expect(found).toEqual([
      'policies/exceptions/b.yaml: exceptions[0].id: duplicate exception id "waive-one" (also in policies/exceptions/a.yaml)',
      'policies/other.yaml: default: only one policy may be the default (already: "default" in policies/default.yaml)',
      'policies/other.yaml: name: duplicate policy name "default" (also in policies/default.yaml)',
    ]);
  });

  it('points a duplicate exception id in the same file at the second entry', async () => {
    const one = EXCEPTION.replace('EXPIRES', '2027-01-31');
    const twice = `${one}${one.split('exceptions:\n')[1]}`;
    expect(await errors({ 'default.yaml': DEFAULT_YAML, 'exceptions/a.yaml': twice })).toEqual([
      'policies/exceptions/a.yaml: exceptions[1].id: duplicate exception id "waive-one" (also in policies/exceptions/a.yaml)',
    ]);
  });

  it.each([
    {
      expires: '2026-11-22',
      level: 'error',
      message:
        'exception "waive-one" expired on 2026-11-22 and no longer waives CVE-2024-0001: renew it with a new date and reason, or remove it',
    },
    {
      expires: '2026-12-01',
      level: 'warning',
      message:
        'exception "waive-one" expires on 2026-12-01 (8 more days): renew or fix before it stops applying',
    },
    { expires: '2027-01-31', level: null, message: null },
  ])('flags an exception expiring $expires', async ({ expires, level, message }) => {
    const dir = await policyDir({
      'default.yaml': DEFAULT_YAML,
      'exceptions/a.yaml': EXCEPTION.replace('EXPIRES', expires),
    });
    const report = await validatePolicyDir(dir, NOW);
    if (level === null) {
      expect(report.problems).toEqual([]);
      return;
    }
    expect(report.problems).toEqual([
      { file: 'policies/exceptions/a.yaml', path: 'exceptions[0].expires', level, message },
    ]);
    // loadPolicySet has no clock: an expired exception loads and simply stops applying at evaluation.
    await expect(loadPolicySet(dir)).resolves.toMatchObject({ exceptions: [{ id: 'waive-one' }] });
  });

  it('throws PolicySetInvalidError carrying all problems', async () => {
    const dir = await policyDir({
      'default.yaml': DEFAULT_YAML.replace('CRITICAL: 0', 'CRITICAL: -1\n    BAD: 1'),
    });
    const error = await loadPolicySet(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PolicySetInvalidError);
    expect((error as PolicySetInvalidError).problems.map(formatProblem)).toEqual([
      'policies/default.yaml: rules.maxSeverity.BAD: unknown severity (expected one of CRITICAL, HIGH, MEDIUM, LOW, INFORMATIONAL, UNDEFINED, UNTRIAGED)',
      'policies/default.yaml: rules.maxSeverity.CRITICAL: must be >= 0',
    ]);
    expect((error as Error).message).toBe(
      'policies/default.yaml: rules.maxSeverity.BAD: unknown severity (expected one of CRITICAL, HIGH, MEDIUM, LOW, INFORMATIONAL, UNDEFINED, UNTRIAGED) (and 1 more)',
    );
  });
});

describe('hostile YAML is refused and Object.prototype stays untouched', () => {
  const bomb = [
    'a: &a ["x","x","x","x","x","x","x","x","x"]',
    'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
    'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
    'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
    'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]',
    'f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]',
    'g: [*f,*f,*f,*f,*f,*f,*f,*f,*f]',
  ].join('\n');
  it.each([
    {
      name: 'custom tag !!js/function',
      text: `${DEFAULT_YAML}description: !!js/function 'function () { return 1 }'\n`,
      expected: 'line 8, column 14: custom tag tag:yaml.org,2002:js/function is not allowed',
    },
    {
      name: 'custom local tag',
      text: `${DEFAULT_YAML}description: !shell ls\n`,
      expected: 'line 8, column 14: custom tag !shell is not allowed',
    },
    {
      // The 51st alias: the 6th `*f` on line 14 (lines 9–13 hold 45).
      name: 'alias bomb',
      text: `${DEFAULT_YAML}${bomb}\n`,
      expected: 'line 14, column 20: more than 50 aliases',
    },
    {
      name: 'merge key',
      text: `base: &b { polluted: true }\n${DEFAULT_YAML}rules2:\n  <<: *b\n`,
      expected: 'line 10, column 3: key "<<" is not allowed',
    },
    {
      name: '__proto__ key',
      text: `${DEFAULT_YAML}__proto__:\n  polluted: true\n`,
      expected: 'line 8, column 1: key "__proto__" is not allowed',
    },
    {
      name: 'constructor key',
      text: `${DEFAULT_YAML}constructor:\n  prototype: { polluted: true }\n`,
      expected: 'line 8, column 1: key "constructor" is not allowed',
    },
    {
      name: 'duplicate key',
      text: `${DEFAULT_YAML}name: other\n`,
      expected: 'line 8, column 1: invalid YAML: Map keys must be unique',
    },
    {
      name: 'over 1 MiB',
      text: `${DEFAULT_YAML}description: "${'x'.repeat(1024 * 1024)}"\n`,
      expected: 'file is 1048697 bytes; the limit is 1048576 (1 MiB)',
    },
  ])('$name', async ({ text, expected }) => {
    const dir = await policyDir({ 'default.yaml': text });
    const report = await validatePolicyDir(dir, NOW);
    // Exactly one problem: an error naming the file and the place in it, with the whole message.
    expect(report.problems.map((p) => [p.level, formatProblem(p)])).toEqual([
      ['error', `policies/default.yaml: ${expected}`],
    ]);
    await expect(loadPolicySet(dir)).rejects.toBeInstanceOf(PolicySetInvalidError);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
  });
});

describe('the shipped policies/ set', () => {
  it('validates without errors and every file starts with its schema line', async () => {
    const report = await validatePolicyDir('policies', NOW);
    expect(report.problems.filter((p) => p.level === 'error')).toEqual([]);
    const mine = report.files.filter((f) => f !== 'policies/hygiene.yaml');
    expect(mine).toEqual([
      'policies/default.yaml',
      'policies/exceptions/platform.yaml',
      'policies/teams/base-images.yaml',
      'policies/teams/payments.yaml',
      'policies/teams/sandbox.yaml',
      'policies/tests/deadlines.yaml',
      'policies/tests/default.yaml',
      'policies/tests/exceptions.yaml',
      'policies/tests/teams.yaml',
    ]);
    for (const file of mine) {
      const first = (await readFile(file, 'utf8')).split('\n')[0];
      expect(first, file).toMatch(
        /^# yaml-language-server: \$schema=(\.\.\/)?(\.\/)?schema\/(policy|exceptions|policy-test)\.schema\.json$/,
      );
    }
  });

  it('has exactly one default policy, a team override and exceptions expiring well after today', async () => {
    const set = await loadPolicySet('policies');
    expect(set.policies.filter((p) => p.default).map((p) => p.name)).toEqual(['default']);
    expect(set.policies.map((p) => [p.name, p.file, p.mode])).toEqual([
      ['default', 'default.yaml', 'enforce'],
      ['base-images', 'teams/base-images.yaml', 'enforce'],
      ['payments', 'teams/payments.yaml', 'enforce'],
      ['sandbox', 'teams/sandbox.yaml', 'audit'],
    ]);
    expect(set.exceptions.map((e) => [e.id, e.expires])).toEqual([
      ['platform-libxml2-cve-2022-49043', '2027-06-30'],
      ['zlib-minizip-cve-2023-45853', '2027-03-31'],
    ]);
  });
});
