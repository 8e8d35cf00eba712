import { describe, expect, it } from 'vitest';
import { runPolicyTests } from '../../../lib/policy/policy-tests.ts';
import { DEFAULT_YAML, NOW, policyDir } from './support.ts';

describe('runPolicyTests', () => {
  it('runs the shipped cases and they all pass, covering approved, quarantined, waived and audit', async () => {
    const report = await runPolicyTests('policies', NOW);
    expect(report.cases.filter((c) => !c.passed).map((c) => `${c.name}: ${c.failure}`)).toEqual([]);
    expect(report.failed).toBe(0);
    expect(report.passed).toBeGreaterThanOrEqual(10);
    const actual = report.cases.map((c) => c.actual);
    expect(actual.some((a) => a?.verdict === 'approved' && a.mode === 'enforce')).toBe(true);
    expect(actual.some((a) => a?.verdict === 'quarantined')).toBe(true);
    expect(actual.some((a) => a?.verdict === 'approved' && (a.waived.length ?? 0) > 0)).toBe(true);
    expect(
      actual.some((a) => a?.mode === 'audit' && a.violations.length > 0 && a.verdict === 'approved'),
    ).toBe(true);
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
    expect(report.cases[1]?.failure).toContain('nowhere.json');
    expect(report.cases[2]?.failure).toMatch(/^cases\[2\].image: must be a mapping, not /);
    expect(report.cases[2]?.file).toBe('policies/tests/cases.yaml');
    expect(report.failed).toBe(3);
  });
});
