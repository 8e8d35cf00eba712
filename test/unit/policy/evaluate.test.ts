import { describe, expect, it } from 'vitest';
import type { Finding } from '../../../lib/findings/finding.ts';
import type { ImageFacts } from '../../../lib/policy/decision.ts';
import { decideWithoutFindings, evaluate } from '../../../lib/policy/evaluate.ts';
import { DEFAULT_POLICY, exception, finding, image, NOW, policySet } from './support.ts';

type ExceptionState = 'none' | 'active' | 'expired';

interface RuleKind {
  readonly name: string;
  readonly rule: string;
  readonly rules: Record<string, unknown>;
  /** A finding that violates the rule when it is gated in. */
  readonly finding: (fixable: boolean) => Finding;
  /** Whether fixability / waivers gate this rule (deniedPackages is about the package, not the CVE). */
  readonly gatedByFix: boolean;
  readonly waivable: boolean;
  readonly facts?: ImageFacts;
}

const fix = (fixable: boolean): Partial<Finding> =>
  fixable ? { fixAvailable: 'YES', fixedIn: '3.0.12' } : { fixAvailable: 'NO', fixedIn: null };

const RULE_KINDS: readonly RuleKind[] = [
  {
    name: 'maximum count per severity',
    rule: 'maxSeverity.HIGH',
    rules: { maxSeverity: { HIGH: { max: 0, fixableOnly: true } } },
    finding: (f) => finding({ severity: 'HIGH', ...fix(f) }),
    gatedByFix: true,
    waivable: true,
  },
  {
    name: 'score threshold',
    rule: 'score',
    rules: { score: { atLeast: 9, fixableOnly: true } },
    finding: (f) => finding({ score: 9.8, ...fix(f) }),
    gatedByFix: true,
    waivable: true,
  },
  {
    name: 'known exploit',
    rule: 'exploitAvailable',
    rules: { exploitAvailable: { deny: true, fixableOnly: true } },
    finding: (f) => finding({ exploitAvailable: true, ...fix(f) }),
    gatedByFix: true,
    waivable: true,
  },
  {
    name: 'EPSS threshold',
    rule: 'epss',
    rules: { epss: { atLeast: 0.5, fixableOnly: true } },
    finding: (f) => finding({ epss: 0.91, ...fix(f) }),
    gatedByFix: true,
    waivable: true,
  },
  {
    name: 'denied package version range',
    rule: 'deniedPackages',
    rules: { fixableOnly: true, deniedPackages: [{ name: 'openssl', versions: ['<3.0.12'] }] },
    finding: (f) => finding(fix(f)),
    gatedByFix: false,
    waivable: false,
  },
  {
    name: 'image runs as root',
    rule: 'image.runsAsRoot',
    rules: { fixableOnly: true, image: { runsAsRoot: 'deny' } },
    finding: (f) => finding({ severity: 'LOW', ...fix(f) }),
    gatedByFix: false,
    waivable: false,
    facts: { user: 'root', sizeBytes: 1000, labels: {} },
  },
];

const cases = RULE_KINDS.flatMap((kind) =>
  (['enforce', 'audit'] as const).flatMap((mode) =>
    (['none', 'active', 'expired'] as ExceptionState[]).flatMap((state) =>
      [true, false].map((fixable) => ({ kind, mode, state, fixable })),
    ),
  ),
);

describe('evaluate: rule kind × mode × exception × fixability', () => {
  it.each(cases)(
    '$kind.name, $mode, exception $state, fixable $fixable',
    ({ kind, mode, state, fixable }) => {
      // Prepare
      const exceptions: Record<string, unknown[]> =
        state === 'none'
          ? {}
          : {
              'exceptions/a.yaml': [exception({ expires: state === 'active' ? '2026-11-23' : '2026-11-22' })],
            };
      const set = policySet({ 'default.yaml': { ...DEFAULT_POLICY, mode, rules: kind.rules } }, exceptions);
      const f = kind.finding(fixable);

      // Act
      const decision = evaluate([f], image(), kind.facts ?? null, set, NOW);

      // Assess
      const waived = state === 'active';
      const violated = (!kind.gatedByFix || fixable) && (!kind.waivable || !waived);
      expect(decision.violations.map((v) => v.rule)).toEqual(violated ? [kind.rule] : []);
      expect(decision.verdict).toBe(violated && mode === 'enforce' ? 'quarantined' : 'approved');
      expect(decision.policy.mode).toBe(mode);
      expect(decision.waived.map((w) => w.findingId)).toEqual(waived ? ['CVE-2024-0001'] : []);
      if (waived) {
        expect(decision.waived[0]?.exception).toEqual({
          id: 'waive-cve-2024-0001',
          file: 'policies/exceptions/a.yaml',
          reason: 'not reachable',
          owner: 'team-a@example.com',
          expires: '2026-11-23',
        });
      }
      expect((decision.summary.HIGH ?? 0) + (decision.summary.LOW ?? 0)).toBe(1);
    },
  );
});

describe('evaluate: details', () => {
  it('counts distinct ids per severity against the maximum and lists every offending finding', () => {
    const set = policySet({ 'default.yaml': { ...DEFAULT_POLICY, rules: { maxSeverity: { HIGH: 1 } } } });
    const findings = [
      finding({ id: 'CVE-1', package: 'a' }),
      finding({ id: 'CVE-1', package: 'b' }),
      finding({ id: 'CVE-2', package: 'c' }),
    ];
    expect(evaluate(findings.slice(0, 2), image(), null, set, NOW).verdict).toBe('approved');
    const decision = evaluate(findings, image(), null, set, NOW);
    expect(decision.verdict).toBe('quarantined');
    expect(decision.violations.map((v) => `${v.findingId}/${v.package}`)).toEqual([
      'CVE-1/a',
      'CVE-1/b',
      'CVE-2/c',
    ]);
    expect(decision.violations[0]?.message).toBe(
      'CVE-1 in a 3.0.11: 2 HIGH vulnerabilities; at most 1 allowed',
    );
  });

  it.each([
    { name: 'score', rules: { score: { atLeast: 7 } }, f: { score: null } },
    { name: 'epss', rules: { epss: { atLeast: 0.1 } }, f: { epss: null } },
    { name: 'exploitAvailable', rules: { exploitAvailable: { deny: true } }, f: { exploitAvailable: null } },
  ])(
    'missing $name data is ignored by default and violates with whenUnknown: violate',
    ({ name, rules, f }) => {
      const lenient = policySet({ 'default.yaml': { ...DEFAULT_POLICY, rules } });
      const strictRules = { [name]: { ...(Object.values(rules)[0] as object), whenUnknown: 'violate' } };
      const strict = policySet({ 'default.yaml': { ...DEFAULT_POLICY, rules: strictRules } });
      expect(evaluate([finding(f)], image(), null, lenient, NOW).violations).toEqual([]);
      expect(evaluate([finding(f)], image(), null, strict, NOW).violations.map((v) => v.rule)).toEqual([
        name,
      ]);
    },
  );

  it('treats unknown fixability as fixable (fixable-only never exempts without evidence)', () => {
    const set = policySet({
      'default.yaml': { ...DEFAULT_POLICY, rules: { fixableOnly: true, maxSeverity: { HIGH: 0 } } },
    });
    const unknown = finding({ fixAvailable: null, fixedIn: null });
    expect(evaluate([unknown], image(), null, set, NOW).verdict).toBe('quarantined');
    expect(evaluate([finding({ fixAvailable: 'NO', fixedIn: null })], image(), null, set, NOW).verdict).toBe(
      'approved',
    );
  });

  it('ends an until: fix-available exception when a fix appears', () => {
    const set = policySet(
      { 'default.yaml': { ...DEFAULT_POLICY, rules: { maxSeverity: { HIGH: 0 } } } },
      { 'exceptions/a.yaml': [exception({ until: 'fix-available', ticket: 'SEC-1' })] },
    );
    const noFix = evaluate([finding({ fixAvailable: 'NO', fixedIn: null })], image(), null, set, NOW);
    expect(noFix.verdict).toBe('approved');
    expect(noFix.waived[0]?.exception.ticket).toBe('SEC-1');
    const fixed = evaluate([finding({ fixAvailable: 'YES' })], image(), null, set, NOW);
    expect(fixed.verdict).toBe('quarantined');
    expect(fixed.waived).toEqual([]);
  });

  it.each([
    { scope: { repositories: ['orders/*'] }, applies: true },
    { scope: { repositories: ['billing/*'] }, applies: false },
    { scope: { tags: ['1.*'] }, applies: true },
    { scope: { tags: ['2.*'] }, applies: false },
    { scope: { digest: `sha256:${'a'.repeat(64)}` }, applies: true },
    { scope: { digest: `sha256:${'b'.repeat(64)}` }, applies: false },
    { scope: { packages: ['open*'] }, applies: true },
    { scope: { packages: ['zlib'] }, applies: false },
  ])('exception scope $scope applies: $applies', ({ scope, applies }) => {
    const set = policySet(
      { 'default.yaml': { ...DEFAULT_POLICY, rules: { maxSeverity: { HIGH: 0 } } } },
      { 'exceptions/a.yaml': [exception({ scope })] },
    );
    const decision = evaluate([finding()], image({ digest: `sha256:${'a'.repeat(64)}` }), null, set, NOW);
    expect(decision.verdict).toBe(applies ? 'approved' : 'quarantined');
  });

  it.each([
    { versions: ['<3.0.12'], version: '3.0.11', denied: true, unknown: false },
    { versions: ['<3.0.12'], version: '3.0.12', denied: false, unknown: false },
    { versions: ['>=1.0.0 <1.1.1 || >=3.0.0 <3.0.5'], version: '3.0.4', denied: true, unknown: false },
    { versions: ['<3.0.12'], version: '3.0.12-r0', denied: true, unknown: true },
    { versions: ['3.0.11-r1'], version: '3.0.11-r1', denied: true, unknown: false },
    { versions: ['3.0.11-r1'], version: '3.0.11-r2', denied: false, unknown: false },
    { versions: null, version: '9.9.9', denied: true, unknown: false },
  ])('denied package $versions against $version', ({ versions, version, denied, unknown }) => {
    const entry = versions ? { name: 'openssl', versions, reason: 'old' } : { name: 'openssl' };
    const set = policySet({ 'default.yaml': { ...DEFAULT_POLICY, rules: { deniedPackages: [entry] } } });
    const decision = evaluate(
      [finding({ version }), finding({ id: 'CVE-2', version })],
      image(),
      null,
      set,
      NOW,
    );
    expect(decision.violations.length).toBe(denied ? 1 : 0);
    if (denied) expect(decision.violations[0]?.message.includes('cannot be ordered exactly')).toBe(unknown);
  });

  it.each([
    { tags: ['latest'], rules: { latestAlone: 'deny' }, expected: ['image.latestAlone'] },
    { tags: ['latest', '1.2.3'], rules: { latestAlone: 'deny' }, expected: [] },
    { tags: [], rules: { latestAlone: 'deny' }, expected: [] },
    { tags: ['1.2.3', 'v2.0.0-rc.1'], rules: { tagNaming: ['semver'] }, expected: [] },
    { tags: ['1.2.3-3f9c2ab'], rules: { tagNaming: ['semver+sha'] }, expected: [] },
    {
      tags: ['main', '1.2'],
      rules: { tagNaming: ['semver', 'release-*'] },
      expected: ['image.tagNaming', 'image.tagNaming'],
    },
    { tags: ['release-7', 'latest'], rules: { tagNaming: ['release-*'] }, expected: [] },
  ])('tag rules $rules on $tags', ({ tags, rules, expected }) => {
    const set = policySet({ 'default.yaml': { ...DEFAULT_POLICY, rules: { image: rules } } });
    expect(evaluate([], image({ tags }), null, set, NOW).violations.map((v) => v.rule)).toEqual(expected);
  });

  it.each([
    { facts: null, expected: [] },
    { facts: { user: 'app' }, expected: ['image.requiredLabels'] },
    {
      facts: { user: '', labels: { 'org.opencontainers.image.source': 'x' } },
      expected: ['image.runsAsRoot'],
    },
    {
      facts: { user: '0:0', labels: { 'org.opencontainers.image.source': 'x' } },
      expected: ['image.runsAsRoot'],
    },
    {
      facts: { user: '1000:0', sizeBytes: 11, labels: { 'org.opencontainers.image.source': 'x' } },
      expected: ['image.maxSizeBytes'],
    },
    {
      facts: { user: '1000', sizeBytes: 10, labels: { 'org.opencontainers.image.source': 'x' } },
      expected: [],
    },
  ])('fact rules with facts $facts', ({ facts, expected }) => {
    const rules = {
      image: { runsAsRoot: 'deny', requiredLabels: ['org.opencontainers.image.source'], maxSizeBytes: 10 },
    };
    const set = policySet({ 'default.yaml': { ...DEFAULT_POLICY, rules } });
    expect(evaluate([], image(), facts, set, NOW).violations.map((v) => v.rule)).toEqual(expected);
  });

  it('summarises all findings, waived ones included, with the six ECR severities and UNTRIAGED when present', () => {
    const set = policySet({ 'default.yaml': DEFAULT_POLICY }, { 'exceptions/a.yaml': [exception()] });
    const decision = evaluate(
      [finding(), finding({ id: 'CVE-9', severity: 'UNTRIAGED' })],
      image(),
      null,
      set,
      NOW,
    );
    expect(decision.summary).toEqual({
      CRITICAL: 0,
      HIGH: 1,
      MEDIUM: 0,
      LOW: 0,
      INFORMATIONAL: 0,
      UNDEFINED: 0,
      UNTRIAGED: 1,
    });
    expect(Object.keys(evaluate([], image(), null, set, NOW).summary)).toEqual([
      'CRITICAL',
      'HIGH',
      'MEDIUM',
      'LOW',
      'INFORMATIONAL',
      'UNDEFINED',
    ]);
  });

  it('is deterministic: shuffled findings give a byte-identical decision', () => {
    const set = policySet(
      {
        'default.yaml': {
          ...DEFAULT_POLICY,
          rules: { maxSeverity: { HIGH: 0, CRITICAL: 0 }, score: { atLeast: 5 } },
        },
      },
      { 'exceptions/a.yaml': [exception({ finding: 'CVE-7' })] },
    );
    const findings = Array.from({ length: 50 }, (_, i) =>
      finding({
        id: `CVE-${i % 13}`,
        package: `p${i % 7}`,
        severity: i % 3 === 0 ? 'CRITICAL' : 'HIGH',
        score: (i % 10) + 0.5,
      }),
    );
    const shuffled = [...findings].reverse();
    const a = JSON.stringify(evaluate(findings, image(), null, set, NOW));
    const b = JSON.stringify(evaluate(shuffled, image(), null, set, NOW));
    expect(a).toBe(b);
    expect(JSON.stringify(evaluate(findings, image(), null, set, NOW))).toBe(a);
  });

  it('refuses an invalid now', () => {
    const set = policySet({ 'default.yaml': DEFAULT_POLICY });
    expect(() => evaluate([], image(), null, set, new Date('nope'))).toThrow('now: is not a valid date');
  });
});

describe('decideWithoutFindings', () => {
  const statuses = [
    'FAILED',
    'UNSUPPORTED_IMAGE',
    'FINDINGS_UNAVAILABLE',
    'SCAN_ELIGIBILITY_EXPIRED',
    'IMAGE_ARCHIVED',
  ];
  it.each(
    statuses.flatMap((status) =>
      (['enforce', 'audit'] as const).flatMap((mode) =>
        (['quarantine', 'approve', undefined] as const).map((outcome) => ({ status, mode, outcome })),
      ),
    ),
  )('$status, $mode, onScanFailure $outcome', ({ status, mode, outcome }) => {
    const onScanFailure = outcome ? { [status]: outcome } : undefined;
    const set = policySet({
      'default.yaml': { ...DEFAULT_POLICY, mode, ...(onScanFailure ? { onScanFailure } : {}) },
    });
    const decision = decideWithoutFindings(status, 'why', image(), set, NOW);
    // Audit mode never turns an unscanned image into an approved one: only the explicit opt-in does.
    const approved = outcome === 'approve';
    expect(decision.verdict).toBe(approved ? 'approved' : 'quarantined');
    if (!approved && mode === 'audit') expect(decision.reason).toContain(`onScanFailure.${status}: approve`);
    expect(decision.violations.map((v) => v.rule)).toEqual(outcome === 'approve' ? [] : [`scan.${status}`]);
    expect(decision.reason).toContain(status);
    expect(decision.summary.CRITICAL).toBe(0);
  });

  it('quarantines an unknown status even in audit mode', () => {
    const set = policySet({ 'default.yaml': { ...DEFAULT_POLICY, mode: 'audit' } });
    expect(decideWithoutFindings('COMPLETE', null, image(), set, NOW).verdict).toBe('quarantined');
  });
});
