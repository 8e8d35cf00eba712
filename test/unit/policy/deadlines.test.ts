import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Finding, Severity } from '../../../lib/findings/finding.ts';
import { findingKey, type Timeline } from '../../../lib/policy/deadlines.ts';
import type { Decision } from '../../../lib/policy/decision.ts';
import { InvalidInputError } from '../../../lib/policy/errors.ts';
import { judgeImage } from '../../../lib/policy/judge.ts';
import type { PolicySet } from '../../../lib/policy/policy-set.ts';
import { policySetFromJson } from '../../../lib/policy/runtime.ts';
import { DEFAULT_POLICY, finding, policySet } from './support.ts';

const DIGEST = `sha256:${'c'.repeat(64)}`;
const DAY = 24 * 60 * 60 * 1000;
const T0 = Date.parse('2026-11-01T00:00:00Z');
const at = (days: number) => new Date(T0 + days * DAY);
const iso = (days: number) => at(days).toISOString();

const CRIT = finding({ id: 'CVE-2026-0001', severity: 'CRITICAL', package: 'openssl' });
const HIGH = finding({ id: 'CVE-2026-0002', severity: 'HIGH', package: 'zlib' });
const KEV = finding({
  id: 'CVE-2026-0003',
  severity: 'MEDIUM',
  package: 'curl',
  kev: { dateAdded: '2026-10-30', dateDue: '2026-11-20', action: 'Apply updates' },
});

function set(rules: Record<string, unknown>, deadlines?: Record<string, unknown>): PolicySet {
  return policySet({
    'default.yaml': { ...DEFAULT_POLICY, rules, ...(deadlines ? { deadlines } : {}) },
  });
}

const STRICT = { maxSeverity: { CRITICAL: 0, HIGH: 0 } };
const GRACE = { CRITICAL: '3d', HIGH: '14d', knownExploited: 'dateDue' };

function judge(
  policies: PolicySet,
  findings: readonly Finding[],
  now: Date,
  timeline: Timeline = {},
): Decision {
  return judgeImage({
    image: { repository: 'orders/api', tags: ['1.0.0'], digest: DIGEST },
    policySet: policies,
    now,
    scan: { kind: 'findings', findings },
    facts: null,
    factsProblem: null,
    ...timeline,
  });
}

function seen(entries: readonly [Finding, number][]): Timeline['history'] {
  return { firstSeen: Object.fromEntries(entries.map(([f, d]) => [findingKey(f), iso(d)])) };
}

describe('findingKey', () => {
  it('keys by vulnerability id and package, not version', () => {
    expect(findingKey(CRIT)).toBe('CVE-2026-0001\u0000openssl');
    const upgraded: Finding = { ...CRIT, version: '9.9.9' };
    expect(findingKey(upgraded)).toBe(findingKey(CRIT));
    expect(findingKey({ ...CRIT, package: 'libssl' })).not.toBe(findingKey(CRIT));
    expect(findingKey({ id: 'CVE-2026-0001', package: null })).toBe('CVE-2026-0001\u0000');
  });
});

describe('policy syntax', () => {
  it('normalises deadlines and the KEV rule, and the bundled set re-checks to the same set', () => {
    const policies = set(
      { knownExploited: { deadline: 'dateDue' } },
      { HIGH: '14d', inUse: { extraDays: 7 } },
    );
    const definition = policies.policies[0];
    expect(definition?.deadlines).toEqual({ from: 'firstSeen', HIGH: '14d', inUse: { extraDays: 7 } });
    expect(definition?.rules.knownExploited).toEqual({ deadline: 'dateDue' });
    expect(policySetFromJson(JSON.parse(JSON.stringify(policies)), 'policy-set.json')).toEqual(policies);
  });

  it('leaves the version of a policy without them unchanged (the keys are absent, not null)', () => {
    const plain = set({ maxSeverity: { HIGH: 0 } });
    expect(Object.hasOwn(plain.policies[0] ?? {}, 'deadlines')).toBe(false);
    expect(Object.hasOwn(plain.policies[0]?.rules ?? {}, 'knownExploited')).toBe(false);
  });
});

describe('rules.knownExploited', () => {
  it.each([
    { rule: 'deny', now: 0, violated: true, message: /catalogue \(CISA due date 2026-11-20\)/ },
    { rule: { deadline: 'dateDue' }, now: 19, violated: false, message: null },
    { rule: { deadline: 'dateDue' }, now: 19.99, violated: false, message: null },
    {
      rule: { deadline: 'dateDue' },
      now: 20,
      violated: true,
      message: /CISA due date 2026-11-20 has passed/,
    },
  ])('$rule on day $now → violated: $violated', ({ rule, now, violated, message }) => {
    const decision = judge(set({ knownExploited: rule }), [KEV, HIGH], at(now));
    const kev = decision.violations.filter((v) => v.rule === 'knownExploited');
    expect(kev.length).toBe(violated ? 1 : 0);
    expect(decision.verdict).toBe(violated ? 'quarantined' : 'approved');
    if (message) {
      expect(kev[0]?.message).toMatch(message);
      expect(kev[0]?.kev).toEqual({ dateAdded: '2026-10-30', dateDue: '2026-11-20' });
    }
  });

  it('fails closed on a KEV entry without a due date when waiting for it', () => {
    const noDue = { ...KEV, kev: { dateAdded: '2026-10-30', dateDue: null } };
    const decision = judge(set({ knownExploited: { deadline: 'dateDue' } }), [noDue], at(0));
    expect(decision.verdict).toBe('quarantined');
    expect(decision.violations[0]?.message).toMatch(/no readable due date/);
  });

  it('marks every violation of a KEV finding with its due date, whatever the rule', () => {
    const decision = judge(set({ maxSeverity: { MEDIUM: 0 } }), [KEV], at(0));
    expect(decision.violations.map((v) => [v.rule, v.kev?.dateDue])).toEqual([
      ['maxSeverity.MEDIUM', '2026-11-20'],
    ]);
  });
});

describe('deadlines: the timeline of an approved image', () => {
  const policies = set(STRICT, GRACE);
  const history = seen([[CRIT, 0]]);

  it.each([
    { day: 0, verdict: 'approved', atRisk: iso(3), expired: false },
    { day: 1.5, verdict: 'approved', atRisk: iso(3), expired: false },
    { day: 2.999, verdict: 'approved', atRisk: iso(3), expired: false },
    { day: 3, verdict: 'quarantined', atRisk: null, expired: true },
    { day: 30, verdict: 'quarantined', atRisk: null, expired: true },
  ])('CRITICAL seen day 0, 3d grace, day $day → $verdict', ({ day, verdict, atRisk, expired }) => {
    const decision = judge(policies, [CRIT], at(day), { history, previouslyApproved: true });
    expect(decision.verdict).toBe(verdict);
    expect(decision.atRisk ?? null).toEqual(atRisk ? { deadline: atRisk, violations: 1 } : null);
    expect(decision.violations[0]).toMatchObject({ deadline: iso(3), deadlineExpired: expired });
  });

  it('gives an image never approved no grace, but still reports the deadline', () => {
    const decision = judge(policies, [CRIT], at(1), { history, previouslyApproved: false });
    expect(decision.verdict).toBe('quarantined');
    expect(decision.atRisk).toBeUndefined();
    expect(decision.violations[0]).toMatchObject({ deadline: iso(3), deadlineExpired: false });
  });

  it('reports the earliest deadline over several violations', () => {
    const h = seen([
      [CRIT, 1],
      [HIGH, -10],
      [KEV, 0],
    ]);
    const decision = judge(set({ ...STRICT, knownExploited: 'deny' }, GRACE), [CRIT, HIGH, KEV], at(2), {
      history: h,
      previouslyApproved: true,
    });
    expect(decision.verdict).toBe('approved');
    expect(decision.atRisk).toEqual({ deadline: iso(4), violations: 3 });
    const byRule = Object.fromEntries(decision.violations.map((v) => [v.rule, v.deadline]));
    expect(byRule).toEqual({
      'maxSeverity.CRITICAL': iso(4),
      'maxSeverity.HIGH': iso(4),
      knownExploited: '2026-11-21T00:00:00.000Z',
    });
  });

  it('quarantines when one violation is not covered (no deadline for its severity, or an image rule)', () => {
    const noLow = judge(
      set({ maxSeverity: { CRITICAL: 0, LOW: 0 } }, GRACE),
      [CRIT, finding({ severity: 'LOW' })],
      at(0),
      {
        history: seen([[CRIT, 0]]),
        previouslyApproved: true,
      },
    );
    expect(noLow.verdict).toBe('quarantined');
    const denied = judge(set({ ...STRICT, deniedPackages: [{ name: 'openssl' }] }, GRACE), [CRIT], at(0), {
      history,
      previouslyApproved: true,
    });
    expect(denied.verdict).toBe('quarantined');
    expect(denied.violations.find((v) => v.rule === 'deniedPackages')?.deadline).toBeUndefined();
  });

  it('gives no grace to a finding without a first-seen date, and falls back to the scanner firstObservedAt', () => {
    expect(judge(policies, [CRIT], at(0), { previouslyApproved: true }).verdict).toBe('quarantined');
    const observed = { ...CRIT, firstObservedAt: iso(-1) };
    const d = judge(policies, [observed], at(0), { previouslyApproved: true });
    expect(d.atRisk).toEqual({ deadline: iso(2), violations: 1 });
  });

  it('extends deadlines for an image in use only when the policy says so', () => {
    const withInUse = set(STRICT, { ...GRACE, inUse: { extraDays: 7 } });
    const timeline = { history, previouslyApproved: true };
    expect(judge(withInUse, [CRIT], at(5), { ...timeline, inUse: true }).atRisk?.deadline).toBe(iso(10));
    expect(judge(withInUse, [CRIT], at(5), { ...timeline, inUse: false }).verdict).toBe('quarantined');
    expect(judge(policies, [CRIT], at(5), { ...timeline, inUse: true }).verdict).toBe('quarantined');
  });

  it('from: fixAvailable counts from the first-fixable date; no clock while no fix is known', () => {
    const fromFix = set(STRICT, { ...GRACE, from: 'fixAvailable' });
    const h = { firstSeen: { [findingKey(CRIT)]: iso(0) }, firstFixable: { [findingKey(CRIT)]: iso(10) } };
    const fixed = judge(fromFix, [CRIT], at(12), { history: h, previouslyApproved: true });
    expect(fixed.atRisk).toEqual({ deadline: iso(13), violations: 1 });
    const unfixable = { ...CRIT, fixAvailable: 'NO' as const, fixedIn: null };
    const pending = judge(fromFix, [unfixable], at(400), {
      history: seen([[CRIT, 0]]),
      previouslyApproved: true,
    });
    expect(pending.verdict).toBe('approved');
    expect(pending.atRisk).toEqual({ deadline: null, violations: 1 });
    expect(pending.violations[0]).toMatchObject({ deadline: null, deadlineExpired: false });
    // A fix known today but never recorded: counted from first seen (the earlier, stricter anchor).
    const unrecorded = judge(fromFix, [CRIT], at(4), {
      history: seen([[CRIT, 0]]),
      previouslyApproved: true,
    });
    expect(unrecorded.verdict).toBe('quarantined');
  });

  it('keeps audit mode approved and annotated, without atRisk', () => {
    const audit = policySet({
      'default.yaml': { ...DEFAULT_POLICY, mode: 'audit', rules: STRICT, deadlines: GRACE },
    });
    const d = judge(audit, [CRIT], at(9), { history, previouslyApproved: true });
    expect(d.verdict).toBe('approved');
    expect(d.atRisk).toBeUndefined();
    expect(d.violations[0]?.deadlineExpired).toBe(true);
  });

  it('names the field of a history date that cannot be read', () => {
    const bad = { firstSeen: { [findingKey(CRIT)]: 'yesterday' } };
    expect(() => judge(policies, [CRIT], at(0), { history: bad, previouslyApproved: true })).toThrow(
      new InvalidInputError(
        'history',
        `firstSeen[${JSON.stringify(findingKey(CRIT))}]`,
        'must be an ISO-8601 date-time',
      ),
    );
  });
});

// Properties over random findings, histories and deadlines.
const SEVS: readonly Severity[] = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'];
const findingArb = fc
  .record({
    id: fc.constantFrom('CVE-1', 'CVE-2', 'CVE-3', 'CVE-4'),
    severity: fc.constantFrom(...SEVS),
    package: fc.constantFrom('a', 'b', null),
    fix: fc.constantFrom('YES', 'NO', null),
    kevDue: fc.option(fc.integer({ min: -5, max: 30 }), { nil: undefined }),
    observed: fc.option(fc.integer({ min: -20, max: 20 }), { nil: undefined }),
  })
  .map(({ id, severity, package: pkg, fix, kevDue, observed }) =>
    finding({
      id,
      severity,
      package: pkg,
      fixAvailable: fix as Finding['fixAvailable'],
      fixedIn: fix === 'YES' ? '9' : null,
      ...(kevDue === undefined ? {} : { kev: { dateAdded: null, dateDue: iso(kevDue).slice(0, 10) } }),
      ...(observed === undefined ? {} : { firstObservedAt: iso(observed) }),
    }),
  );
const daysArb = fc.integer({ min: 0, max: 20 });
const graceArb = fc.record(
  {
    from: fc.constantFrom('firstSeen', 'fixAvailable'),
    CRITICAL: daysArb,
    HIGH: daysArb,
    MEDIUM: daysArb,
    knownExploited: fc.oneof(daysArb, fc.constant('dateDue' as const)),
    inUse: daysArb,
  },
  { requiredKeys: ['from'] },
);
const rulesArb = fc.record(
  {
    maxSeverity: fc.record(
      { CRITICAL: fc.constant(0), HIGH: fc.integer({ min: 0, max: 1 }), MEDIUM: fc.constant(0) },
      { requiredKeys: [] },
    ),
    knownExploited: fc.constantFrom('deny', { deadline: 'dateDue' }),
  },
  { requiredKeys: [] },
);
// Mostly complete histories of approved images, so the grace path is exercised, not just the no-grace one.
const offsets = (findings: readonly Finding[]) =>
  fc
    .array(fc.option(fc.integer({ min: -20, max: 20 }), { freq: 6 }), {
      minLength: findings.length,
      maxLength: findings.length,
    })
    .map((days) => findings.flatMap((f, i) => (days[i] === null ? [] : [[f, days[i]] as [Finding, number]])));
const timelineArb = (findings: readonly Finding[]) =>
  fc.record(
    {
      firstSeen: offsets(findings),
      firstFixable: offsets(findings),
      inUse: fc.boolean(),
      previouslyApproved: fc.oneof(
        { arbitrary: fc.constant(true), weight: 4 },
        { arbitrary: fc.constant(false), weight: 1 },
      ),
    },
    { requiredKeys: ['firstSeen', 'previouslyApproved'] },
  );

type Grace = Record<string, unknown> & { inUse?: number };
function deadlines(g: Grace): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(g)) {
    if (k === 'inUse') out.inUse = { extraDays: v };
    else out[k] = typeof v === 'number' ? `${v}d` : v;
  }
  return out;
}
function toTimeline(t: {
  firstSeen?: [Finding, number][];
  firstFixable?: [Finding, number][];
  inUse?: boolean;
  previouslyApproved?: boolean;
}): Timeline {
  const map = (list: [Finding, number][] | undefined) =>
    list && Object.fromEntries(list.map(([f, d]) => [findingKey(f), iso(d)]));
  return {
    history: {
      ...(t.firstSeen ? { firstSeen: map(t.firstSeen) } : {}),
      ...(t.firstFixable ? { firstFixable: map(t.firstFixable) } : {}),
    },
    ...(t.inUse === undefined ? {} : { inUse: t.inUse }),
    ...(t.previouslyApproved === undefined ? {} : { previouslyApproved: t.previouslyApproved }),
  };
}
const scenario = fc.array(findingArb, { minLength: 1, maxLength: 6 }).chain((findings) =>
  fc.record({
    findings: fc.constant(findings),
    rules: rulesArb,
    grace: graceArb,
    timeline: timelineArb(findings),
  }),
);
const strict = (d: Decision) => (d.verdict === 'quarantined' ? 2 : d.atRisk ? 1 : 0);

describe('deadlines: properties', () => {
  it('a later now never loosens the verdict', () => {
    fc.assert(
      fc.property(
        scenario,
        fc.integer({ min: -5, max: 40 }),
        fc.integer({ min: 0, max: 30 }),
        (s, day, later) => {
          const policies = set(s.rules, deadlines(s.grace));
          const timeline = toTimeline(s.timeline);
          const before = judge(policies, s.findings, at(day), timeline);
          const after = judge(policies, s.findings, at(day + later), timeline);
          expect(strict(after)).toBeGreaterThanOrEqual(strict(before));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('extending a deadline never tightens the verdict', () => {
    fc.assert(
      fc.property(
        scenario,
        fc.integer({ min: -5, max: 40 }),
        fc.constantFrom('CRITICAL', 'HIGH', 'MEDIUM', 'knownExploited', 'inUse'),
        fc.integer({ min: 1, max: 10 }),
        (s, day, key, extra) => {
          const g = s.grace as Grace;
          const current = g[key];
          const longer: Grace = {
            ...g,
            [key]: typeof current === 'number' ? current + extra : current === undefined ? extra : current,
          };
          if (current === undefined && key !== 'inUse') return; // adding a deadline is covered by the case below
          const timeline = toTimeline(s.timeline);
          const short = judge(set(s.rules, deadlines(g)), s.findings, at(day), timeline);
          const long = judge(set(s.rules, deadlines(longer)), s.findings, at(day), timeline);
          if (long.verdict === 'quarantined') expect(short.verdict).toBe('quarantined');
        },
      ),
      { numRuns: 150 },
    );
  });

  it('without a timeline, deadlines change nothing; without deadlines, a timeline changes nothing', () => {
    fc.assert(
      fc.property(scenario, fc.integer({ min: -5, max: 40 }), (s, day) => {
        const plain = set(s.rules);
        const graced = set(s.rules, deadlines(s.grace));
        const withoutVersion = (d: Decision) =>
          JSON.stringify({ ...d, policy: { ...d.policy, version: '' } });
        const today = judge(plain, s.findings, at(day));
        expect(withoutVersion(judge(graced, s.findings, at(day)))).toBe(withoutVersion(today));
        expect(JSON.stringify(judge(plain, s.findings, at(day), toTimeline(s.timeline)))).toBe(
          JSON.stringify(today),
        );
      }),
      { numRuns: 150 },
    );
  });
});
