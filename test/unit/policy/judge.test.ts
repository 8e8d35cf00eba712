import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../../lib/findings/finding.ts';
import type { Decision, ImageFacts, ImageUnderTest } from '../../../lib/policy/decision.ts';
import { decideWithoutFindings, evaluate, selectPolicy } from '../../../lib/policy/evaluate.ts';
import {
  governingPolicy,
  type JudgeInput,
  judgeImage,
  judgingPolicies,
  needsImageFacts,
  type ScanOutcome,
} from '../../../lib/policy/judge.ts';
import type { PolicyDefinition, PolicySet } from '../../../lib/policy/policy-set.ts';
import { SCAN_FAILURE_STATUSES } from '../../../lib/policy/policy-set.ts';
import { DEFAULT_POLICY, exception, finding, NOW, policySet } from './support.ts';

const DIGEST = `sha256:${'a'.repeat(64)}`;
const OTHER_DIGEST = `sha256:${'b'.repeat(64)}`;
const HIGH = finding({ id: 'CVE-2024-0001', severity: 'HIGH', score: 7.5 });
const STRICT_DEFAULT = { ...DEFAULT_POLICY, rules: { maxSeverity: { CRITICAL: 0, HIGH: 0 } } };

function policy(name: string, match: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return { apiVersion: 'gatekeeper/v1', kind: 'Policy', name, match, rules: {}, ...extra };
}

function judge(
  set: PolicySet,
  tags: readonly string[],
  overrides: Partial<Omit<JudgeInput, 'image' | 'policySet'>> & { image?: Partial<ImageUnderTest> } = {},
): Decision {
  const { image, ...rest } = overrides;
  return judgeImage({
    image: { repository: 'orders/api', tags, digest: DIGEST, ...image },
    policySet: set,
    now: NOW,
    scan: { kind: 'findings', findings: [HIGH] },
    facts: null,
    factsProblem: null,
    ...rest,
  });
}

const rules = (d: Decision) => d.violations.map((v) => v.rule);
const waivedIds = (d: Decision) => d.waived.map((w) => w.findingId);

describe('judgeImage: adding a tag never loosens the verdict', () => {
  const legacy = policySet(
    { 'default.yaml': STRICT_DEFAULT },
    { 'exceptions/legacy.yaml': [exception({ id: 'legacy-waiver', scope: { tags: ['legacy-*'] } })] },
  );

  it.each([
    { tags: ['1.4.0'], verdict: 'quarantined', waived: [] },
    { tags: ['legacy-zzz'], verdict: 'approved', waived: ['CVE-2024-0001'] },
    { tags: ['1.4.0', 'legacy-zzz'], verdict: 'quarantined', waived: [] },
    { tags: ['legacy-zzz', '1.4.0'], verdict: 'quarantined', waived: [] },
    { tags: ['legacy-a', 'legacy-zzz'], verdict: 'approved', waived: ['CVE-2024-0001'] },
  ])('tag-scoped exception legacy-*: $tags → $verdict', ({ tags, verdict, waived }) => {
    const decision = judge(legacy, tags);
    expect(decision.verdict).toBe(verdict);
    expect(waivedIds(decision)).toEqual(waived);
    // The image is reported as given, whichever tag governed.
    expect(decision.image).toEqual({ repository: 'orders/api', tags, digest: DIGEST });
  });

  it('says which tags governed and how every tag was judged', () => {
    const decision = judge(legacy, ['legacy-zzz', '1.4.0', 'legacy-a']);
    expect(decision.governingTags).toEqual(['1.4.0']);
    expect(decision.perTag).toEqual([
      {
        tags: ['1.4.0'],
        verdict: 'quarantined',
        policy: 'default',
        mode: 'enforce',
        violations: 1,
        waived: 0,
      },
      {
        tags: ['legacy-a', 'legacy-zzz'],
        verdict: 'approved',
        policy: 'default',
        mode: 'enforce',
        violations: 0,
        waived: 1,
      },
    ]);
  });

  it('tags judged alike add nothing to the decision contract', () => {
    const decision = judge(legacy, ['1.4.0', '1.4', 'latest']);
    expect(Object.keys(decision)).toEqual(['verdict', 'image', 'policy', 'summary', 'violations', 'waived']);
  });

  it('a lenient policy selected by a tag pattern does not loosen a digest carrying a stricter tag', () => {
    const set = policySet({
      'default.yaml': STRICT_DEFAULT,
      'teams/dev.yaml': policy(
        'dev',
        { repositories: ['*'], tags: ['dev-*'] },
        { rules: { maxSeverity: { CRITICAL: 0 } } },
      ),
    });
    expect(judge(set, ['dev-1']).verdict).toBe('approved');
    const both = judge(set, ['1.4.0', 'dev-1']);
    expect([both.verdict, both.policy.name, both.governingTags]).toEqual([
      'quarantined',
      'default',
      ['1.4.0'],
    ]);
    // The old selection over all tags picks the lenient policy for the whole digest: the hole this closes.
    expect(selectPolicy(set, { repository: 'orders/api', tags: ['1.4.0', 'dev-1'] }).name).toBe('dev');
    expect(governingPolicy(set, both).name).toBe('default');
    expect(judgingPolicies(set, both).map((p) => p.name)).toEqual(['default', 'dev']);
  });

  it('a stricter policy selected by a tag pattern governs the whole digest, its actions with it', () => {
    const set = policySet({
      'default.yaml': { ...DEFAULT_POLICY, rules: { maxSeverity: { CRITICAL: 0 } } },
      'teams/release.yaml': policy(
        'release',
        { repositories: ['orders/*'], tags: ['release-*'] },
        {
          rules: { maxSeverity: { HIGH: 0 } },
          actions: { removeSourceTags: true, archiveQuarantined: true },
        },
      ),
    });
    const decision = judge(set, ['nightly', 'release-7']);
    expect([decision.verdict, decision.policy.name, decision.governingTags]).toEqual([
      'quarantined',
      'release',
      ['release-7'],
    ]);
    expect(governingPolicy(set, decision).actions).toEqual({
      removeSourceTags: true,
      archiveQuarantined: true,
    });
  });
});

describe('judgeImage: audit and enforce', () => {
  const set = policySet({
    'default.yaml': { ...DEFAULT_POLICY, rules: { maxSeverity: { CRITICAL: 0 } } },
    'teams/exp.yaml': policy(
      'experiments',
      { repositories: ['*'], tags: ['exp-*'] },
      { mode: 'audit', rules: { maxSeverity: { HIGH: 0 } } },
    ),
    'teams/strict.yaml': policy(
      'strict',
      { repositories: ['*'], tags: ['rc-*'] },
      { rules: { maxSeverity: { HIGH: 0 } } },
    ),
  });

  it('an approved judgement that recorded audit violations governs over a clean one', () => {
    const decision = judge(set, ['1.0.0', 'exp-1']);
    expect([decision.verdict, decision.policy.name, decision.policy.mode, rules(decision)]).toEqual([
      'approved',
      'experiments',
      'audit',
      ['maxSeverity.HIGH'],
    ]);
  });

  it('an enforcing tag quarantines even next to an audit tag', () => {
    const decision = judge(set, ['exp-1', 'rc-1']);
    expect([decision.verdict, decision.policy.name, decision.governingTags]).toEqual([
      'quarantined',
      'strict',
      ['rc-1'],
    ]);
  });
});

describe('judgeImage: untagged images and digest-scoped exceptions', () => {
  const set = policySet(
    {
      'default.yaml': STRICT_DEFAULT,
      'teams/lenient.yaml': policy('lenient', { repositories: ['*'], tags: ['*'] }, { mode: 'audit' }),
    },
    {
      'exceptions/tags.yaml': [exception({ id: 'by-tag', scope: { tags: ['*'] } })],
      'exceptions/digest.yaml': [
        exception({ id: 'by-digest', finding: 'CVE-2024-0002', scope: { digest: DIGEST } }),
      ],
    },
  );
  const findings = [HIGH, finding({ id: 'CVE-2024-0002', severity: 'HIGH' })];

  it('an untagged image is judged with no tags: tag-selected policies and tag-scoped exceptions do not apply', () => {
    const decision = judge(set, [], { scan: { kind: 'findings', findings } });
    expect([decision.verdict, decision.policy.name, rules(decision), waivedIds(decision)]).toEqual([
      'quarantined',
      'default',
      ['maxSeverity.HIGH'],
      ['CVE-2024-0002'],
    ]);
    expect(decision.governingTags).toBeUndefined();
  });

  it('a digest-scoped exception applies to the judgement of every tag', () => {
    const strict = policySet(
      {
        'default.yaml': STRICT_DEFAULT,
        'teams/rc.yaml': policy(
          'rc',
          { repositories: ['*'], tags: ['rc-*'] },
          { rules: { maxSeverity: { HIGH: 0, MEDIUM: 0 } } },
        ),
      },
      { 'exceptions/digest.yaml': [exception({ id: 'by-digest', scope: { digest: DIGEST } })] },
    );
    const decision = judge(strict, ['1.0.0', 'rc-1']);
    expect(decision.verdict).toBe('approved');
    expect(decision.perTag?.map((j) => [j.tags, j.waived])).toEqual([
      [['1.0.0'], 1],
      [['rc-1'], 1],
    ]);
    const elsewhere = judge(strict, ['1.0.0', 'rc-1'], { image: { digest: OTHER_DIGEST } });
    expect(elsewhere.verdict).toBe('quarantined');
  });
});

describe('judgeImage: image facts that could not be read', () => {
  const set = policySet({
    'default.yaml': { ...DEFAULT_POLICY, rules: {} },
    'teams/secure.yaml': policy(
      'secure',
      { repositories: ['*'], tags: ['prod-*'] },
      { rules: { image: { runsAsRoot: 'deny' } } },
    ),
    'teams/labelled.yaml': policy(
      'labelled',
      { repositories: ['*'], tags: ['audit-*'] },
      { mode: 'audit', rules: { image: { requiredLabels: ['team'] } } },
    ),
    'teams/sized.yaml': policy(
      'sized',
      { repositories: ['*'], tags: ['small-*'] },
      { rules: { image: { maxSizeBytes: 1000 } } },
    ),
    'teams/tags-only.yaml': policy(
      'tags-only',
      { repositories: ['*'], tags: ['named-*'] },
      { rules: { image: { latestAlone: 'deny', tagNaming: ['named-*'] } } },
    ),
  });
  const clean = { scan: { kind: 'findings', findings: [] } as ScanOutcome, factsProblem: 'registry timeout' };

  it.each([
    { tags: ['prod-1'], verdict: 'quarantined', policy: 'secure', facts: true },
    { tags: ['small-1'], verdict: 'quarantined', policy: 'sized', facts: true },
    { tags: ['audit-1'], verdict: 'approved', policy: 'labelled', facts: true },
    { tags: ['named-1'], verdict: 'approved', policy: 'tags-only', facts: false },
    { tags: ['1.0.0'], verdict: 'approved', policy: 'default', facts: false },
    { tags: ['1.0.0', 'prod-1'], verdict: 'quarantined', policy: 'secure', facts: true },
    { tags: ['audit-1', 'named-1'], verdict: 'approved', policy: 'labelled', facts: true },
  ])('$tags → $verdict under $policy (image.facts: $facts)', ({ tags, verdict, policy, facts }) => {
    const decision = judge(set, tags, clean);
    expect([decision.verdict, decision.policy.name]).toEqual([verdict, policy]);
    expect(rules(decision)).toEqual(facts ? ['image.facts'] : []);
    if (facts) expect(decision.reason).toBe('image rules cannot be checked: registry timeout');
    else expect(decision.reason).toBeUndefined();
  });

  it('facts not asked for (factsProblem null) skip the rules instead of failing them', () => {
    expect(judge(set, ['prod-1'], { ...clean, factsProblem: null }).verdict).toBe('approved');
  });

  it('also after a scan without findings, keeping the scan reason', () => {
    const decision = judge(set, ['prod-1'], {
      scan: { kind: 'no-findings', status: 'UNSUPPORTED_IMAGE', description: null },
      factsProblem: 'child sha256:… : registry timeout',
    });
    expect(rules(decision)).toEqual(['scan.UNSUPPORTED_IMAGE', 'image.facts']);
    expect(decision.reason).toBe('no findings to judge: scan UNSUPPORTED_IMAGE');
  });
});

describe('judgeImage: rules about tags', () => {
  const set = policySet(
    {
      'default.yaml': { ...DEFAULT_POLICY, rules: { image: { latestAlone: 'deny' } } },
      'teams/semver.yaml': policy(
        'semver',
        { repositories: ['*'], tags: ['v*'] },
        { rules: { image: { tagNaming: ['semver'] } } },
      ),
    },
    { 'exceptions/latest.yaml': [exception({ id: 'latest-only', scope: { tags: ['latest'] } })] },
  );
  const clean = { scan: { kind: 'findings', findings: [] } as ScanOutcome };

  it('latestAlone looks at every tag of the digest, even when latest is judged apart', () => {
    expect(rules(judge(set, ['latest'], clean))).toEqual(['image.latestAlone']);
    const both = judge(set, ['latest', '1.0.0'], clean);
    expect(both.perTag).toHaveLength(2); // latest has its own exception, so it is judged apart
    expect([both.verdict, rules(both)]).toEqual(['approved', []]);
  });

  it('naming rules of a tag-selected policy apply to the tags it selects', () => {
    const decision = judge(set, ['v1.2', 'nightly', 'v1.2.3'], clean);
    expect([decision.verdict, decision.policy.name, rules(decision)]).toEqual([
      'quarantined',
      'semver',
      ['image.tagNaming'],
    ]);
    expect(decision.violations[0]?.message).toBe('tag "v1.2" matches none of: semver');
  });
});

describe('judgeImage: scans without findings', () => {
  it('each tag is judged under its own onScanFailure', () => {
    const set = policySet({
      'default.yaml': DEFAULT_POLICY,
      'teams/tools.yaml': policy(
        'tools',
        { repositories: ['*'], tags: ['tool-*'] },
        { onScanFailure: { UNSUPPORTED_IMAGE: 'approve' } },
      ),
    });
    const scan: ScanOutcome = { kind: 'no-findings', status: 'UNSUPPORTED_IMAGE', description: null };
    expect(judge(set, ['tool-1'], { scan }).verdict).toBe('approved');
    const both = judge(set, ['tool-1', '1.0.0'], { scan });
    expect([both.verdict, both.policy.name, rules(both)]).toEqual([
      'quarantined',
      'default',
      ['scan.UNSUPPORTED_IMAGE'],
    ]);
  });
});

describe('judgeImage: many tags', () => {
  it('groups tags judged alike: 500 tags, two judgements', () => {
    const set = policySet(
      { 'default.yaml': STRICT_DEFAULT },
      { 'exceptions/legacy.yaml': [exception({ scope: { tags: ['legacy-*'] } })] },
    );
    const tags = [...Array.from({ length: 499 }, (_, i) => `1.0.${i}`), 'legacy-zzz'];
    const started = performance.now();
    const decision = judge(set, tags);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(decision.verdict).toBe('quarantined');
    expect(decision.perTag?.map((j) => j.tags.length)).toEqual([499, 1]);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Properties over random policy sets, exceptions, findings and tag sets.

const TAGS = [
  '1.0.0',
  '1.4.0',
  'v2.1.0',
  'v2.1',
  'latest',
  'legacy-a',
  'legacy-zzz',
  'dev-1',
  'dev-2',
  'rc-1',
  'nightly',
  '2.0.1-3f9c2ab',
] as const;
const TAG_PATTERNS = ['legacy-*', 'dev-*', '*', '1.*', 'latest', 'v*', '?.?.?', 'rc-?', 'nightly', '*-*'];
const REPOSITORY_PATTERNS = ['orders/*', '*', 'orders/api', 'payments/*', 'other/*'];
const REPOSITORIES = ['orders/api', 'orders/web', 'payments/api'];
const CVES = ['CVE-2024-0001', 'CVE-2024-0002', 'CVE-2024-0003', 'CVE-2024-0004'];
const PACKAGES = ['openssl', 'zlib1g', 'libxml2'];
const STATUSES = [...SCAN_FAILURE_STATUSES, 'SOMETHING_NEW'];

/** `latest-alone`: the one tag rule that reads the whole tag set; `all`: tag naming too. */
type TagRules = 'latest-alone' | 'all';

/** Optional keys: an arbitrary for each, present only when the coin says so. */
function optionalKeys(shape: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<Record<string, unknown>> {
  return fc.record(shape, { requiredKeys: [] });
}

function rulesArb(tagRules: TagRules): fc.Arbitrary<Record<string, unknown>> {
  return optionalKeys({
    maxSeverity: optionalKeys({
      CRITICAL: fc.integer({ min: 0, max: 1 }),
      HIGH: fc.record({ max: fc.integer({ min: 0, max: 2 }), fixableOnly: fc.boolean() }),
      MEDIUM: fc.integer({ min: 0, max: 2 }),
    }),
    score: fc.record({
      atLeast: fc.constantFrom(5, 7, 9),
      whenUnknown: fc.constantFrom('ignore', 'violate'),
    }),
    exploitAvailable: fc.record({ deny: fc.boolean(), whenUnknown: fc.constantFrom('ignore', 'violate') }),
    deniedPackages: fc.constantFrom([{ name: 'openssl', versions: ['<3.0.12'] }], [{ name: 'zlib*' }]),
    image: optionalKeys({
      runsAsRoot: fc.constantFrom('deny', 'allow'),
      requiredLabels: fc.constantFrom([], ['team']),
      maxSizeBytes: fc.constantFrom(1000, 100000),
      // Naming violations accumulate per group, so only verdicts compare with a per-tag reference when they are on.
      ...(tagRules === 'all' ? { tagNaming: fc.constantFrom(['semver'], ['semver', 'dev-*'], ['*-*']) } : {}),
      latestAlone: fc.constantFrom('deny', 'allow'),
    }),
  });
}

function policyFields(tagRules: TagRules) {
  return {
    mode: fc.constantFrom('enforce', 'enforce', 'audit'),
    rules: rulesArb(tagRules),
    onScanFailure: optionalKeys(
      Object.fromEntries(SCAN_FAILURE_STATUSES.map((s) => [s, fc.constantFrom('quarantine', 'approve')])),
    ),
  };
}

const exceptionArb = fc.record({
  finding: fc.constantFrom(...CVES),
  // NOW is 2026-11-23T12:00Z: the first has ended, the second is on its last day.
  expires: fc.constantFrom('2026-11-22', '2026-11-23', '2027-01-31'),
  until: fc.option(fc.constant('fix-available'), { nil: undefined }),
  scope: optionalKeys({
    tags: fc.subarray(TAG_PATTERNS, { minLength: 1, maxLength: 2 }),
    repositories: fc.subarray(REPOSITORY_PATTERNS, { minLength: 1, maxLength: 2 }),
    digest: fc.constantFrom(DIGEST, OTHER_DIGEST),
    packages: fc.subarray(PACKAGES, { minLength: 1, maxLength: 2 }),
  }),
});

function policySetArb(tagRules: TagRules): fc.Arbitrary<PolicySet> {
  const extra = fc.record({
    ...policyFields(tagRules),
    priority: fc.integer({ min: 0, max: 2 }),
    repositories: fc.subarray(REPOSITORY_PATTERNS, { minLength: 1, maxLength: 2 }),
    tags: fc.option(fc.subarray(TAG_PATTERNS, { minLength: 1, maxLength: 2 }), { nil: undefined }),
  });
  return fc
    .record({
      base: fc.record(policyFields(tagRules)),
      extras: fc.array(extra, { maxLength: 4 }),
      exceptions: fc.array(exceptionArb, { maxLength: 5 }),
    })
    .map(({ base, extras, exceptions }) => {
      const docs: Record<string, unknown> = { 'default.yaml': { ...DEFAULT_POLICY, ...base } };
      extras.forEach(({ repositories, tags, ...fields }, i) => {
        docs[`teams/p${i}.yaml`] = policy(
          `p${i}`,
          tags === undefined ? { repositories } : { repositories, tags },
          fields,
        );
      });
      const list = exceptions.map((e, i) => exception({ id: `e${i}`, ...e }));
      return policySet(docs, { 'exceptions/random.yaml': list });
    });
}

const findingArb: fc.Arbitrary<Finding> = fc
  .record({
    id: fc.constantFrom(...CVES),
    severity: fc.constantFrom('CRITICAL', 'HIGH', 'MEDIUM', 'LOW'),
    score: fc.option(fc.constantFrom(4.3, 7.5, 9.8), { nil: null }),
    fixAvailable: fc.constantFrom('YES', 'NO', 'PARTIAL', null),
    exploitAvailable: fc.constantFrom(true, false, null),
    package: fc.constantFrom(...PACKAGES),
    version: fc.constantFrom('3.0.11', '1.2.13'),
  })
  .map(({ fixAvailable, ...f }) =>
    finding({ ...f, fixAvailable, fixedIn: fixAvailable === 'YES' ? '9.9.9' : null }),
  );

const scanArb: fc.Arbitrary<ScanOutcome> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc
      .array(findingArb, { maxLength: 5 })
      .map((findings) => ({ kind: 'findings', findings }) as const),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({ status: fc.constantFrom(...STATUSES), description: fc.constantFrom(null, 'no scan') })
      .map((s) => ({ kind: 'no-findings', ...s }) as const),
  },
);

const factsArb: fc.Arbitrary<ImageFacts | null> = fc.option(
  fc.record({
    user: fc.constantFrom('', 'root', '10001'),
    sizeBytes: fc.constantFrom(500, 50000),
    labels: fc.constantFrom<Record<string, string>>({}, { team: 'orders' }),
  }),
  { nil: null },
);

function inputArb(tagRules: TagRules, minTags = 0) {
  return fc.record({
    policySet: policySetArb(tagRules),
    repository: fc.constantFrom(...REPOSITORIES),
    digest: fc.constantFrom(DIGEST, OTHER_DIGEST, null),
    tags: fc.shuffledSubarray([...TAGS], { minLength: minTags, maxLength: 6 }),
    extra: fc.constantFrom(...TAGS),
    scan: scanArb,
    facts: factsArb,
    factsProblem: fc.constantFrom(null, null, 'registry timeout'),
  });
}

type Case = ReturnType<typeof inputArb> extends fc.Arbitrary<infer T> ? T : never;

function inputOf(c: Case, tags: readonly string[] = c.tags): JudgeInput {
  return {
    image: { repository: c.repository, tags, digest: c.digest },
    policySet: c.policySet,
    now: NOW,
    scan: c.scan,
    facts: c.facts,
    factsProblem: c.factsProblem,
  };
}

function needsFacts(p: PolicyDefinition): boolean {
  const r = p.rules.image;
  return r.runsAsRoot === 'deny' || r.requiredLabels.length > 0 || r.maxSizeBytes !== null;
}

/**
 * The rule stated plainly: judge every tag alone (no tags at all when untagged), under the policy that tag selects
 * and the exceptions that cover it; missing facts fail a judgement whose policy has facts rules; `latest` alone is
 * only a violation when it is the digest's only tag. The strictest judgement wins.
 */
function reference(input: JudgeInput): Decision {
  const { image, policySet: set, now, scan } = input;
  const tags = [...new Set(image.tags)];
  const judged = (tags.length === 0 ? [[]] : tags.map((t) => [t])).map((own) => {
    const one = { ...image, tags: own };
    let d =
      scan.kind === 'findings'
        ? evaluate(scan.findings, one, input.facts, set, now)
        : decideWithoutFindings(scan.status, scan.description, one, set, now);
    if (tags.some((t) => t !== 'latest') && d.violations.some((v) => v.rule === 'image.latestAlone')) {
      const violations = d.violations.filter((v) => v.rule !== 'image.latestAlone');
      const verdict = d.policy.mode === 'enforce' && violations.length > 0 ? 'quarantined' : 'approved';
      d = { ...d, violations, verdict };
    }
    if (input.factsProblem !== null && needsFacts(selectPolicy(set, one))) {
      const message = `image rules cannot be checked: ${input.factsProblem}`;
      d = {
        ...d,
        verdict: d.policy.mode === 'enforce' ? 'quarantined' : d.verdict,
        violations: [
          ...d.violations,
          { rule: 'image.facts', findingId: null, severity: null, package: null, message },
        ],
        reason: d.reason ?? message,
      };
    }
    return { tag: own[0] ?? '', d };
  });
  const text = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  judged.sort(
    (a, b) =>
      (a.d.verdict === b.d.verdict ? 0 : a.d.verdict === 'quarantined' ? -1 : 1) ||
      b.d.violations.length - a.d.violations.length ||
      a.d.waived.length - b.d.waived.length ||
      text(a.d.policy.file, b.d.policy.file) ||
      text(a.d.policy.name, b.d.policy.name) ||
      text(a.tag, b.tag),
  );
  return (judged[0] as { d: Decision }).d;
}

/** The decision without the image (which lists the tags as given) and the per-tag explanation. */
function core(d: Decision) {
  const { image: _image, governingTags: _g, perTag: _p, ...rest } = d;
  return rest;
}

const RUNS = { seed: 20261202, numRuns: 500 };

describe('judgeImage properties', () => {
  it('adding a tag never turns a quarantine into an approval', () => {
    fc.assert(
      fc.property(inputArb('all', 1), (c) => {
        const before = judgeImage(inputOf(c));
        const after = judgeImage(inputOf(c, [...c.tags, c.extra]));
        // By design the one rule a tag satisfies: "latest" alone wants a versioned tag beside it.
        const onlyLatestAlone =
          c.tags.every((t) => t === 'latest') &&
          before.violations.every((v) => v.rule === 'image.latestAlone');
        if (before.verdict === 'quarantined' && !onlyLatestAlone) expect(after.verdict).toBe('quarantined');
        // Among approvals, adding a tag never hides violations that were recorded.
        if (before.verdict === 'approved' && after.verdict === 'approved' && !onlyLatestAlone) {
          expect(after.violations.length).toBeGreaterThanOrEqual(
            before.violations.filter((v) => v.rule !== 'image.latestAlone').length,
          );
        }
      }),
      RUNS,
    );
  });

  it('equals the rule stated plainly: each tag judged alone, the strictest wins', () => {
    fc.assert(
      fc.property(inputArb('latest-alone'), (c) => {
        const input = inputOf(c);
        const decision = judgeImage(input);
        const expected = reference(input);
        expect(core(decision)).toEqual(core(expected));
        expect(decision.image).toEqual(input.image);
      }),
      RUNS,
    );
  });

  it('with tag-naming rules too, the verdict equals the reference', () => {
    fc.assert(
      fc.property(inputArb('all'), (c) => {
        const input = inputOf(c);
        expect(judgeImage(input).verdict).toBe(reference(input).verdict);
      }),
      RUNS,
    );
  });

  it('is deterministic: same inputs, same bytes, whatever the tag order and however often', () => {
    fc.assert(
      fc.property(inputArb('all'), (c) => {
        const first = JSON.stringify(judgeImage(inputOf(c)));
        expect(JSON.stringify(judgeImage(inputOf(c)))).toBe(first);
        // A structurally equal set (a fresh object, so nothing cached) and the tags in another order.
        const reordered = judgeImage({
          ...inputOf(c, [...c.tags].reverse()),
          policySet: structuredClone(c.policySet),
        });
        expect(JSON.stringify(core(reordered))).toBe(JSON.stringify(core(JSON.parse(first))));
        expect(reordered.governingTags).toEqual(JSON.parse(first).governingTags);
        expect(reordered.perTag).toEqual(JSON.parse(first).perTag);
      }),
      RUNS,
    );
  });
});

describe('needsImageFacts: when the gate may skip reading the facts', () => {
  it('skipping them (said as a problem) decides exactly as reading them would, whenever it says they are not needed', () => {
    fc.assert(
      fc.property(inputArb('all'), (c) => {
        const image = { repository: c.repository, tags: c.tags };
        if (needsImageFacts(c.policySet, image)) return;
        const read = judgeImage({ ...inputOf(c), factsProblem: null });
        const skipped = judgeImage({ ...inputOf(c), facts: null, factsProblem: 'image facts not read' });
        expect(JSON.stringify(skipped)).toBe(JSON.stringify(read));
      }),
      RUNS,
    );
  });

  it('says they are needed when any policy judging a tag (or the untagged image) has image rules', () => {
    const set = policySet({
      'default.yaml': DEFAULT_POLICY,
      'teams/release.yaml': policy(
        'release',
        { repositories: ['orders/*'], tags: ['release-*'] },
        { rules: { image: { runsAsRoot: 'deny' } } },
      ),
    });
    expect(needsImageFacts(set, { repository: 'orders/api', tags: ['1.0.0'] })).toBe(false);
    expect(needsImageFacts(set, { repository: 'orders/api', tags: ['1.0.0', 'release-7'] })).toBe(true);
    expect(needsImageFacts(set, { repository: 'orders/api', tags: [] })).toBe(false);
    const strictDefault = policySet({
      'default.yaml': { ...DEFAULT_POLICY, rules: { image: { requiredLabels: ['team'] } } },
    });
    expect(needsImageFacts(strictDefault, { repository: 'orders/api', tags: [] })).toBe(true);
  });
});
