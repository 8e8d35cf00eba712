import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { baselineFromJson, DEFAULT_PREFIXES, settingsFor } from '../../../lib/hygiene/baseline.ts';
import { type PlanOptions, planRepository, type RepositoryState } from '../../../lib/hygiene/drift.ts';
import { DAY_MS, previewLifecycle } from '../../../lib/hygiene/lifecycle-engine.ts';
import type { LifecycleImage } from '../../../lib/hygiene/lifecycle-images.ts';
import { parseLifecyclePolicyText } from '../../../lib/hygiene/lifecycle-policy.ts';
import { registryScanningFromJson } from '../../../lib/hygiene/scanning.ts';

const NOW = Date.parse('2024-06-30T00:00:00Z');
const FIXTURES = new URL('../../fixtures/aws/', import.meta.url);
const exampleA = readFileSync(
  new URL('ecr-lifecycle-policy-multiple-rules-example-a.json', FIXTURES),
  'utf8',
);
const enhanced = registryScanningFromJson(
  JSON.parse(
    readFileSync(new URL('ecr-get-registry-scanning-configuration-enhanced.json', FIXTURES), 'utf8'),
  ),
).config;

const DOC = {
  apiVersion: 'gatekeeper/v1',
  kind: 'HygieneBaseline',
  defaults: {
    lifecycle: {
      approved: { keepLast: 100000 },
      quarantined: { expireAfterDays: 30 },
      untagged: { expireAfterDays: 7 },
      tagged: { keepLast: 10 },
      existingRules: 'merge',
    },
    scanning: { expect: 'scan-on-push' },
    tagMutability: { expect: 'IMMUTABLE_WITH_EXCLUSION', exclusions: ['approved-*', 'quarantined-*'] },
    inUse: { windowDays: 30 },
  },
  repositories: [
    { match: ['reported/*'], lifecycle: { existingRules: 'report' } },
    { match: ['vendor/*'], reason: 'vendor mirror', optOut: ['all'] },
    {
      match: ['lifecycle-only/*'],
      reason: 'scanning handled elsewhere',
      optOut: ['scanning', 'tagMutability'],
    },
    { match: ['unprotected/*'], lifecycle: { approved: false, tagged: { keepLast: 2 } } },
    { match: ['continuous/*'], scanning: { expect: 'continuous' } },
  ],
};
const baseline = baselineFromJson(DOC, 'hygiene.yaml');
const options: PlanOptions = { now: NOW, registryScanning: null, ...DEFAULT_PREFIXES };

function img(
  name: string,
  tags: string[],
  daysAgo: number,
  pulledDaysAgo: number | null = null,
): LifecycleImage {
  return {
    digest: `sha256:${name.padEnd(64, '0')}`,
    tags,
    pushedAt: NOW - daysAgo * DAY_MS,
    lastPulledAt: pulledDaysAgo === null ? null : NOW - pulledDaysAgo * DAY_MS,
    storageClass: 'standard',
    archivedAt: null,
  };
}

function state(name: string, over: Partial<RepositoryState> = {}): RepositoryState {
  return {
    name,
    lifecyclePolicyText: null,
    tagMutability: 'IMMUTABLE_WITH_EXCLUSION',
    tagMutabilityExclusions: ['quarantined-*', 'approved-*'],
    scanOnPush: true,
    images: [],
    ...over,
  };
}

const plan = (s: RepositoryState, opts = options) => planRepository(s, settingsFor(baseline, s.name), opts);
const policyOf = (p: ReturnType<typeof plan>) => {
  const change = p.changes.find((c) => c.kind === 'put-lifecycle-policy');
  return change?.kind === 'put-lifecycle-policy' ? JSON.parse(change.policyText) : null;
};

describe('drift plan: lifecycle', () => {
  it('no policy → drift, the baseline policy is planned; once applied, the repository is compliant (idempotent)', () => {
    const first = plan(state('team/api'));
    expect(first.status).toBe('drift');
    const policy = policyOf(first);
    expect(policy.rules.map((r: { rulePriority: number }) => r.rulePriority)).toEqual([1, 2, 3, 4]);
    const text = first.changes[0]?.kind === 'put-lifecycle-policy' ? first.changes[0].policyText : '';
    const second = plan(state('team/api', { lifecyclePolicyText: text }));
    expect(second).toMatchObject({ status: 'compliant', changes: [] });
  });

  it('own rules with room around them keep their priorities; baseline rules go before and after', () => {
    const own = JSON.stringify({
      rules: [
        {
          rulePriority: 10,
          description: 'keep releases',
          selection: {
            tagStatus: 'tagged',
            tagPatternList: ['release-*'],
            countType: 'imageCountMoreThan',
            countNumber: 9999,
          },
          action: { type: 'expire' },
        },
        {
          rulePriority: 20,
          description: 'old dev',
          selection: {
            tagStatus: 'tagged',
            tagPrefixList: ['dev'],
            countType: 'sinceImagePushed',
            countUnit: 'days',
            countNumber: 14,
          },
          action: { type: 'expire' },
        },
      ],
    });
    const p = plan(state('team/api', { lifecyclePolicyText: own }));
    const rules = policyOf(p).rules as { rulePriority: number; description: string }[];
    expect(rules.map((r) => [r.rulePriority, r.description.slice(0, 26)])).toEqual([
      [1, 'gatekeeper: protect approv'],
      [2, 'gatekeeper: expire quarant'],
      [10, 'keep releases'],
      [20, 'old dev'],
      [21, 'gatekeeper: expire untagge'],
      [22, 'gatekeeper: keep the last '],
    ]);
    expect(p.items.filter((i) => i.level === 'note')).toEqual([]);
  });

  it('own rules at 1 and 2 are renumbered in the same order, and the plan says so', () => {
    const p = plan(state('team/api', { lifecyclePolicyText: exampleA }));
    const rules = policyOf(p).rules as { rulePriority: number; description: string }[];
    expect(rules.map((r) => r.description)).toEqual([
      expect.stringContaining('gatekeeper: protect'),
      expect.stringContaining('gatekeeper: expire quarantined'),
      'Rule 1',
      'Rule 2',
      expect.stringContaining('untagged'),
      expect.stringContaining('keep the last 10'),
    ]);
    expect(rules.map((r) => r.rulePriority)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(p.items.some((i) => i.level === 'note' && i.message.includes('renumbered'))).toBe(true);
    // Re-planning the merged result is stable.
    const text = p.changes[0]?.kind === 'put-lifecycle-policy' ? p.changes[0].policyText : '';
    expect(plan(state('team/api', { lifecyclePolicyText: text })).status).toBe('compliant');
  });

  it('an own untagged rule stands; the baseline untagged rule is left out with a note', () => {
    const own = JSON.stringify({
      rules: [
        {
          rulePriority: 5,
          selection: { tagStatus: 'untagged', countType: 'imageCountMoreThan', countNumber: 1 },
          action: { type: 'expire' },
        },
      ],
    });
    const p = plan(state('team/api', { lifecyclePolicyText: own }));
    expect(p.status).toBe('drift');
    const rules = policyOf(p).rules as { selection: { tagStatus: string } }[];
    expect(rules.filter((r) => r.selection.tagStatus === 'untagged')).toHaveLength(1);
    expect(p.items.find((i) => i.level === 'note')?.message).toMatch(/repository's rule is kept/);
  });

  it('an own rule selecting approved-* is a conflict: reported, nothing planned for the lifecycle', () => {
    const own = JSON.stringify({
      rules: [
        {
          rulePriority: 5,
          selection: {
            tagStatus: 'tagged',
            tagPatternList: ['approved-*'],
            countType: 'imageCountMoreThan',
            countNumber: 3,
          },
          action: { type: 'expire' },
        },
      ],
    });
    const p = plan(state('team/api', { lifecyclePolicyText: own }));
    expect(p.status).toBe('conflict');
    expect(p.changes).toEqual([]);
  });

  it('an own any rule stays last; baseline tail rules go before it', () => {
    const own = JSON.stringify({
      rules: [
        {
          rulePriority: 100,
          selection: { tagStatus: 'any', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 365 },
          action: { type: 'expire' },
        },
      ],
    });
    const rules = policyOf(plan(state('team/api', { lifecyclePolicyText: own }))).rules as {
      rulePriority: number;
      selection: { tagStatus: string };
    }[];
    expect(rules.at(-1)).toMatchObject({ rulePriority: 100, selection: { tagStatus: 'any' } });
  });

  it('existingRules: report → own rules are never touched, the drift is a conflict with no change', () => {
    const p = plan(state('reported/api', { lifecyclePolicyText: exampleA }));
    expect(p.status).toBe('conflict');
    expect(p.changes).toEqual([]);
    expect(p.items[0]?.message).toMatch(/existingRules is "report"/);
  });

  it('a current policy that does not validate is left alone (conflict)', () => {
    expect(plan(state('team/api', { lifecyclePolicyText: '{"rules":[' })).status).toBe('conflict');
    expect(plan(state('team/api', { lifecyclePolicyText: '{"rules":[{"rulePriority":1}]}' })).status).toBe(
      'conflict',
    );
  });
});

describe('drift plan: never expire an approved image still in use', () => {
  const images = [
    img('a', ['v1', 'approved-v1'], 40, 2), // oldest, approved, pulled 2 days ago
    img('b', ['v2'], 30),
    img('c', ['v3'], 20),
    img('d', ['v4'], 10),
  ];

  it('with approved protection the approved image survives keep-last-2 (and the change is planned)', () => {
    const p = plan(state('team/api', { images }));
    expect(p.status).toBe('drift');
    const text = p.changes[0]?.kind === 'put-lifecycle-policy' ? p.changes[0].policyText : '';
    const expired = previewLifecycle(parseLifecyclePolicyText(text, 'x'), images, NOW).previewResults.map(
      (r) => r.imageTags[0],
    );
    expect(expired).not.toContain('v1');
  });

  it('without protection (approved: false) the change that would expire it is refused', () => {
    const p = plan(state('unprotected/api', { images }));
    expect(p.status).toBe('refused');
    expect(p.changes.some((c) => c.kind === 'put-lifecycle-policy')).toBe(false);
    expect(p.items.find((i) => i.level === 'refused')?.message).toMatch(
      /sha256:a0+ \(v1, approved-v1\).*last pulled/,
    );
  });

  it('Inspector in-use data counts even when the image was never pulled; stale use does not', () => {
    const quiet = [img('a', ['approved-v1'], 40), ...images.slice(1)];
    const running = new Map([[quiet[0]!.digest, { lastInUseAt: null, inUseCount: 3 }]]);
    expect(plan(state('unprotected/api', { images: quiet, usage: running })).status).toBe('refused');
    const stale = new Map([[quiet[0]!.digest, { lastInUseAt: NOW - 90 * DAY_MS, inUseCount: 0 }]]);
    expect(plan(state('unprotected/api', { images: quiet, usage: stale })).status).toBe('drift');
  });

  it('without an image list the check is skipped and said so', () => {
    const p = plan(state('team/api', { images: null }));
    expect(p.items.some((i) => i.message.includes('in-use check'))).toBe(true);
  });
});

describe('drift plan: scanning and tag mutability', () => {
  it('basic scanning without scan on push → put-scan-on-push', () => {
    const p = plan(state('team/api', { scanOnPush: false, lifecyclePolicyText: null }));
    expect(p.changes).toContainEqual({ kind: 'put-scan-on-push', scanOnPush: true });
  });

  it('registry rules from the real enhanced fixture: "*" is scanned on push, "prod" continuously', () => {
    const opts = { ...options, registryScanning: enhanced };
    expect(
      plan(state('team/api', { scanOnPush: false }), opts).items.filter((i) => i.aspect === 'scanning'),
    ).toEqual([]);
    const cont = plan(state('continuous/api', { scanOnPush: false }), opts);
    expect(cont.items.find((i) => i.aspect === 'scanning')).toMatchObject({ level: 'conflict' });
    expect(cont.changes.some((c) => c.kind === 'put-scan-on-push')).toBe(false);
  });

  it('mutability: exclusions compared as a set; a difference plans put-tag-mutability', () => {
    expect(plan(state('team/api')).items.filter((i) => i.aspect === 'tagMutability')).toEqual([]);
    const p = plan(state('team/api', { tagMutability: 'MUTABLE', tagMutabilityExclusions: [] }));
    expect(p.changes).toContainEqual({
      kind: 'put-tag-mutability',
      mutability: 'IMMUTABLE_WITH_EXCLUSION',
      exclusions: ['approved-*', 'quarantined-*'],
    });
  });

  it('opt-outs: all → opted-out with its reason; partial → only the rest is planned', () => {
    const all = plan(state('vendor/x', { tagMutability: 'MUTABLE', tagMutabilityExclusions: [] }));
    expect(all).toMatchObject({ status: 'opted-out', changes: [] });
    expect(all.items[0]?.message).toBe('opted out: vendor mirror');
    const partial = plan(
      state('lifecycle-only/x', { tagMutability: 'MUTABLE', tagMutabilityExclusions: [], scanOnPush: false }),
    );
    expect(partial.changes.map((c) => c.kind)).toEqual(['put-lifecycle-policy']);
  });
});
