import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runPolicyTests } from '../../../lib/policy/policy-tests.ts';
import { DEFAULT_YAML, NOW, policyDir } from './support.ts';

describe('runPolicyTests', () => {
  it('runs every shipped case with the real engine: exact cases, verdicts, policies, rules and waivers', async () => {
    // Act
    const report = await runPolicyTests('policies', NOW);

    // Assess: [file, case, verdict, policy, mode, violated rules, waived findings], in file and case order.
    const actual = report.cases.map((c) => [
      c.file.replace('policies/tests/', ''),
      c.name,
      c.actual?.verdict,
      c.actual?.policy,
      c.actual?.mode,
      c.actual?.violations,
      c.actual?.waived,
    ]);
    expect(actual).toEqual([
      [
        'deadlines.yaml',
        'a new base image with a KEV finding is quarantined at once (no grace without a prior approval)',
        'quarantined',
        'base-images',
        'enforce',
        ['knownExploited', 'maxSeverity.HIGH'],
        ['CVE-2023-45853'],
      ],
      [
        'deadlines.yaml',
        'an approved base image stays approved, at risk until the earliest deadline (the high, 14 days after its fix)',
        'approved',
        'base-images',
        'enforce',
        ['knownExploited', 'maxSeverity.HIGH'],
        ['CVE-2023-45853'],
      ],
      [
        'deadlines.yaml',
        'once the first deadline passes (high, 14 days after the fix) the approved image is quarantined',
        'quarantined',
        'base-images',
        'enforce',
        ['knownExploited', 'maxSeverity.HIGH'],
        ['CVE-2023-45853'],
      ],
      [
        'deadlines.yaml',
        "an image in use gets the policy's 7 extra days on every deadline",
        'approved',
        'base-images',
        'enforce',
        ['knownExploited', 'maxSeverity.HIGH'],
        ['CVE-2023-45853'],
      ],
      [
        'deadlines.yaml',
        'a finding with no first-seen date gets no grace (fail closed)',
        'quarantined',
        'base-images',
        'enforce',
        ['knownExploited', 'maxSeverity.HIGH'],
        ['CVE-2023-45853'],
      ],
      [
        'default.yaml',
        'a medium finding from ECR basic scanning is approved',
        'approved',
        'default',
        'enforce',
        [],
        [],
      ],
      [
        'default.yaml',
        'a high finding without a fix is approved (fixable-only gate)',
        'approved',
        'default',
        'enforce',
        [],
        [],
      ],
      [
        'default.yaml',
        'fixable highs and a known exploit quarantine; the minizip critical is waived',
        'quarantined',
        'default',
        'enforce',
        ['exploitAvailable', 'maxSeverity.HIGH'],
        ['CVE-2023-45853'],
      ],
      [
        'default.yaml',
        "a critical outside every exception's scope is quarantined",
        'quarantined',
        'default',
        'enforce',
        ['maxSeverity.CRITICAL'],
        [],
      ],
      [
        'default.yaml',
        'image rules - root user, oversized and tagged only latest',
        'quarantined',
        'default',
        'enforce',
        ['image.latestAlone', 'image.maxSizeBytes', 'image.runsAsRoot'],
        [],
      ],
      [
        'default.yaml',
        'an unsupported image is quarantined (fail closed)',
        'quarantined',
        'default',
        'enforce',
        ['scan.UNSUPPORTED_IMAGE'],
        [],
      ],
      [
        'exceptions.yaml',
        'the libxml2 critical is waived on platform images',
        'approved',
        'default',
        'enforce',
        [],
        ['CVE-2022-49043'],
      ],
      [
        'exceptions.yaml',
        'the waiver still applies on its last day',
        'approved',
        'default',
        'enforce',
        [],
        ['CVE-2022-49043'],
      ],
      [
        'exceptions.yaml',
        'the day after it expires the critical quarantines again',
        'quarantined',
        'default',
        'enforce',
        ['maxSeverity.CRITICAL'],
        [],
      ],
      [
        'teams.yaml',
        'payments is stricter - any high, score >= 7 and unknown exploit data quarantine',
        'quarantined',
        'payments',
        'enforce',
        ['exploitAvailable', 'maxSeverity.HIGH', 'score'],
        ['CVE-2023-45853'],
      ],
      [
        'teams.yaml',
        'a clean, labelled, non-root payments image with a semver+sha tag is approved',
        'approved',
        'payments',
        'enforce',
        [],
        [],
      ],
      [
        'teams.yaml',
        'payments refuses tags that are not semver and missing labels',
        'quarantined',
        'payments',
        'enforce',
        ['image.requiredLabels', 'image.tagNaming'],
        [],
      ],
      [
        'teams.yaml',
        'sandbox audits - violations recorded, verdict approved',
        'approved',
        'sandbox',
        'audit',
        ['exploitAvailable', 'maxSeverity.HIGH'],
        ['CVE-2023-45853'],
      ],
      [
        'teams.yaml',
        'sandbox opts in to approving unsupported images',
        'approved',
        'sandbox',
        'audit',
        [],
        [],
      ],
      [
        'teams.yaml',
        'sandbox audits findings but a failed scan is still quarantined (audit never approves an unscanned image)',
        'quarantined',
        'sandbox',
        'audit',
        ['scan.FAILED'],
        [],
      ],
      [
        'teams.yaml',
        'sandbox findings unavailable - quarantined, only UNSUPPORTED_IMAGE is opted in',
        'quarantined',
        'sandbox',
        'audit',
        ['scan.FINDINGS_UNAVAILABLE'],
        [],
      ],
    ]);
    expect(report.cases.filter((c) => !c.passed).map((c) => `${c.name}: ${c.failure}`)).toEqual([]);
    expect([report.passed, report.failed, report.problems]).toEqual([21, 0, []]);
    expect(report.policyVersion).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('reports mismatches, unreadable findings and malformed cases per case', async () => {
    const dir = await policyDir({
      'default.yaml': DEFAULT_YAML,
      'tests/cases.yaml': `apiVersion: gatekeeper/v1
kind: PolicyTest
cases:
  - name: expects the wrong verdict
    now: 2026-11-23T00:00:00Z
    scan: { status: FAILED }
    image: { repository: a, tags: ['1.0.0'] }
    expect: { verdict: approved, violations: [] }
  - name: findings file missing
    findings: nowhere.json
    image: { repository: a }
    expect: { verdict: approved }
  - name: no image
    expect: { verdict: approved }
  - name: passes
    image: { repository: a }
    expect: { verdict: approved, policy: default, violations: [], waived: [] }
`,
    });
    const report = await runPolicyTests(dir, NOW);
    expect(report.cases.map((c) => [c.name, c.passed])).toEqual([
      ['expects the wrong verdict', false],
      ['findings file missing', false],
      ['no image', false],
      ['passes', true],
    ]);
    expect(report.cases[0]?.failure).toBe(
      'expected verdict approved, got quarantined; expected violations [], got [scan.FAILED]',
    );
    // Named like the set's other files (set name first), so the CLI can show it as the user typed the directory.
    expect(report.cases[1]?.failure).toBe(
      `${basename(dir)}/tests/nowhere.json: cannot read the file (ENOENT)`,
    );
    expect(report.cases[2]?.failure).toBe('cases[2].image: must be a mapping, not undefined');
    expect(report.cases[2]?.file).toBe('policies/tests/cases.yaml');
    expect(report.failed).toBe(3);
  });

  it('reads a case timeline and compares atRisk, naming a malformed field', async () => {
    const dir = await policyDir({
      'default.yaml': `apiVersion: gatekeeper/v1
kind: Policy
name: default
default: true
rules: { maxSeverity: { HIGH: 0 } }
deadlines: { HIGH: 2d }
`,
      'tests/findings.json': JSON.stringify({
        matches: [
          {
            vulnerability: {
              id: 'CVE-2026-0009',
              severity: 'High',
              fix: { state: 'fixed', versions: ['2'] },
            },
            artifact: { name: 'zlib', version: '1', type: 'deb' },
          },
        ],
        source: { type: 'image', target: { userInput: 'a:1' } },
        descriptor: { name: 'grype', version: '0.80.0' },
      }),
      'tests/cases.yaml': `apiVersion: gatekeeper/v1
kind: PolicyTest
cases:
  - name: at risk, deadline matches in another spelling
    now: 2026-11-02T00:00:00Z
    findings: findings.json
    image: { repository: a }
    timeline: { previouslyApproved: true, firstSeen: { CVE-2026-0009 zlib: 2026-11-01T00:00:00Z } }
    expect: { verdict: approved, atRisk: 2026-11-03T00:00:00.000Z }
  - name: wrong deadline
    now: 2026-11-02T00:00:00Z
    findings: findings.json
    image: { repository: a }
    timeline: { previouslyApproved: true, firstSeen: { CVE-2026-0009: 2026-11-01T00:00:00Z } }
    expect: { verdict: approved, atRisk: 2026-11-04T00:00:00Z }
  - name: bad date
    findings: findings.json
    image: { repository: a }
    timeline: { firstSeen: { CVE-2026-0009: yesterday } }
    expect: { verdict: approved, atRisk: true }
`,
    });
    const report = await runPolicyTests(dir, NOW);
    expect(report.cases.map((c) => [c.name, c.passed, c.failure])).toEqual([
      ['at risk, deadline matches in another spelling', true, null],
      [
        'wrong deadline',
        false,
        'expected at risk until 2026-11-04T00:00:00Z, got at risk until 2026-11-03T00:00:00.000Z',
      ],
      [
        'bad date',
        false,
        'cases[2].timeline.firstSeen.CVE-2026-0009: must be an ISO-8601 date-time such as 2026-11-23T00:00:00Z',
      ],
    ]);
  });
});
