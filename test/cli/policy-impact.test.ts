/**
 * `gatekeeper policy impact`: a hand-made registry snapshot judged by two small policy sets
 * (test/fixtures/policy-impact/base and head) with known answers, then the command's outputs and exit codes,
 * policy sets read from git revisions, and its help.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImpactCollector, type PolicyImpact } from '../../lib/cli/policy-impact.ts';
import { MARKDOWN_LIMITS, renderImpactMarkdown } from '../../lib/cli/render/impact.ts';
import type { Finding, FixAvailability, Severity } from '../../lib/findings/finding.ts';
import { loadPolicySet } from '../../lib/policy/index.ts';
import { readSnapshot, type SnapshotImageInput, writeSnapshot } from '../../lib/snapshot/index.ts';
import { ROOT, run } from './support.ts';

const FIXTURES = 'test/fixtures/policy-impact';
const NOW = '2026-12-01T12:00:00Z';
const DIR = mkdtempSync(join(tmpdir(), 'policy-impact-'));

function finding(id: string, severity: Severity, fix: FixAvailability | null, pkg = 'openssl'): Finding {
  return {
    id,
    severity,
    score: null,
    epss: null,
    fixAvailable: fix,
    exploitAvailable: null,
    package: pkg,
    version: '1.0.0',
    fixedIn: fix === 'YES' ? '1.0.1' : null,
    url: null,
    title: null,
    source: 'inspector',
  };
}

function digest(n: number): string {
  return `sha256:${n.toString(16).padStart(64, '0')}`;
}

function image(
  n: number,
  repository: string,
  tags: string[],
  findings: Finding[] | { status: string },
  extra: Partial<SnapshotImageInput> = {},
): SnapshotImageInput {
  return {
    repository,
    digest: digest(n),
    tags,
    scan: Array.isArray(findings) ? { findings } : { status: findings.status, description: null },
    facts: null,
    inUse: null,
    recorded: null,
    ...extra,
  };
}

/**
 * What changes from base to head: default denies HIGH with a fix; sandbox goes from audit to enforce; the zlib
 * waiver is gone; CVE-2024-0002 is waived everywhere. The legacy-* waiver is in both.
 */
const CASES: { image: SnapshotImageInput; base: string; head: string; rules?: string[] }[] = [
  {
    image: image(1, 'orders/api', ['1.0.0'], [finding('CVE-2024-1000', 'HIGH', 'YES')], {
      facts: { user: '10001' },
      inUse: { lastPulledAt: '2026-11-30T08:00:00Z', inUse: true },
    }),
    base: 'approved',
    head: 'quarantined',
    rules: ['maxSeverity.HIGH'],
  },
  {
    image: image(2, 'orders/api', ['1.0.1'], [finding('CVE-2024-1001', 'HIGH', 'NO')]),
    base: 'approved',
    head: 'approved',
  },
  {
    image: image(3, 'orders/api', ['1.0.2'], [finding('CVE-2024-0003', 'CRITICAL', 'NO')], {
      recorded: {
        verdict: 'approved',
        policyVersion: `sha256:${'e'.repeat(64)}`,
        decidedAt: '2026-10-01T00:00:00Z',
      },
    }),
    base: 'quarantined',
    head: 'quarantined',
  },
  {
    image: image(4, 'sandbox/x', ['dev'], [finding('CVE-2024-0004', 'CRITICAL', 'NO')]),
    base: 'approved',
    head: 'quarantined',
    rules: ['maxSeverity.CRITICAL'],
  },
  {
    image: image(5, 'platform/zlib', ['2.0.0'], [finding('CVE-2023-45853', 'CRITICAL', 'NO', 'zlib1g')]),
    base: 'approved',
    head: 'quarantined',
    rules: ['maxSeverity.CRITICAL'],
  },
  {
    image: image(6, 'platform/ssl', ['3.0.0'], [finding('CVE-2024-0002', 'CRITICAL', 'NO')]),
    base: 'quarantined',
    head: 'approved',
    rules: ['maxSeverity.CRITICAL'],
  },
  // Strictest over tags: the legacy-* waiver speaks for legacy-1 only, in both sets.
  {
    image: image(7, 'orders/api', ['1.0.3', 'legacy-1'], [finding('CVE-2024-0001', 'CRITICAL', 'NO')]),
    base: 'quarantined',
    head: 'quarantined',
  },
  {
    image: image(8, 'orders/web', ['1.0.0'], [], { facts: { user: '' } }),
    base: 'quarantined',
    head: 'quarantined',
  },
  { image: image(9, 'orders/web', [], { status: 'FAILED' }), base: 'quarantined', head: 'quarantined' },
  // Same verdict, one more violation under head.
  {
    image: image(
      10,
      'orders/api',
      ['1.0.5'],
      [finding('CVE-2024-0005', 'CRITICAL', 'NO'), finding('CVE-2024-1005', 'HIGH', 'YES')],
    ),
    base: 'quarantined',
    head: 'quarantined',
  },
];

const SNAPSHOT = join(DIR, 'snapshot.jsonl');

beforeAll(async () => {
  const chunks: string[] = [];
  await writeSnapshot(
    { write: (c: string) => chunks.push(c) },
    { takenAt: new Date('2026-12-01T03:00:00Z'), source: 'sweep' },
    CASES.map((c) => c.image),
  );
  writeFileSync(SNAPSHOT, chunks.join(''));
});

afterAll(() => rmSync(DIR, { recursive: true, force: true }));

async function collect(): Promise<PolicyImpact> {
  const base = await loadPolicySet(join(ROOT, FIXTURES, 'base'));
  const head = await loadPolicySet(join(ROOT, FIXTURES, 'head'));
  const collector = new ImpactCollector(base, head, new Date(NOW));
  const reading = await readSnapshot(SNAPSHOT);
  for await (const img of reading.images) collector.add(img);
  return collector.finish(
    { source: 'base', version: base.version },
    { source: 'head', version: head.version },
    { file: 'snapshot.jsonl', header: reading.header },
  );
}

describe('policy impact: flips over a hand-made snapshot', () => {
  it.each(CASES.map((c, i) => ({ ...c, n: i + 1 })))(
    'image $n ($image.repository $image.tags): $base → $head',
    async ({ image: img, base, head, rules }) => {
      const impact = await collect();
      const flip = impact.repositories.flatMap((r) => r.flips).find((f) => f.digest === img.digest);
      if (base === head) {
        expect(flip).toBeUndefined();
        return;
      }
      expect(flip).toMatchObject({ repository: img.repository, from: base, to: head, rules });
    },
  );

  it('counts flips by repository and direction, with the rules responsible', async () => {
    const impact = await collect();
    expect(impact.summary).toEqual({
      images: 10,
      repositories: 5,
      flipped: 4,
      toQuarantined: 3,
      toApproved: 1,
      violationsChanged: 1,
      withoutFacts: 8,
      recordedDiffers: 1,
    });
    expect(
      impact.repositories.map((r) => [r.repository, r.images, r.toQuarantined, r.toApproved, r.rules]),
    ).toEqual([
      ['orders/api', 5, 1, 0, { 'maxSeverity.HIGH': 1 }],
      ['platform/ssl', 1, 0, 1, { 'maxSeverity.CRITICAL': 1 }],
      ['platform/zlib', 1, 1, 0, { 'maxSeverity.CRITICAL': 1 }],
      ['sandbox/x', 1, 1, 0, { 'maxSeverity.CRITICAL': 1 }],
    ]);
    const sandbox = impact.repositories[3]?.flips[0];
    expect(sandbox?.mode).toEqual({ base: 'audit', head: 'enforce' });
    expect(sandbox?.addedTotal).toBe(0);
    const orders = impact.repositories[0]?.flips[0];
    expect(orders?.added.map((v) => v.findingId)).toEqual(['CVE-2024-1000']);
    expect(orders).toMatchObject({ running: true, lastPulledAt: '2026-11-30T08:00:00Z' });
  });

  it('judges once and reports nothing when both sides are the same set', async () => {
    const set = await loadPolicySet(join(ROOT, FIXTURES, 'base'));
    const collector = new ImpactCollector(set, set, new Date(NOW));
    const reading = await readSnapshot(SNAPSHOT);
    for await (const img of reading.images) collector.add(img);
    const impact = collector.finish(
      { source: 'a', version: set.version },
      { source: 'b', version: set.version },
      { file: 's', header: reading.header },
    );
    expect(impact.summary.flipped).toBe(0);
    expect(impact.repositories).toEqual([]);
  });
});

describe('gatekeeper policy impact', () => {
  const args = () => [
    'policy',
    'impact',
    '--base',
    `${FIXTURES}/base`,
    '--head',
    `${FIXTURES}/head`,
    '--snapshot',
    SNAPSHOT,
    '--now',
    NOW,
  ];

  it('prints the flips by repository as text and exits 0', async () => {
    const { code, stdout } = await run(args());
    expect(code).toBe(0);
    expect(stdout).toMatch(
      /^policy impact: 4 of 10 images would change verdict \(3 → quarantined, 1 → approved\) in 4 repositories$/m,
    );
    expect(stdout).toContain('orders/api: 1 → quarantined of 5 images — maxSeverity.HIGH ×1');
    expect(stdout).toContain(
      '→ quarantined sha256:000000000000  1.0.0 [running]  new: maxSeverity.HIGH (CVE-2024-1000 in openssl)',
    );
    expect(stdout).toContain(
      '→ approved    sha256:000000000000  3.0.0  gone: maxSeverity.CRITICAL (CVE-2024-0002 in openssl)',
    );
    expect(stdout).toContain('dev  mode audit → enforce; rules: maxSeverity.CRITICAL');
    expect(stdout).toContain('note: 8 images have no image facts');
  });

  it('exits 1 with --fail-on-flip when an image flips, 0 when none does', async () => {
    expect((await run([...args(), '--fail-on-flip'])).code).toBe(1);
    const same = args();
    same[5] = `${FIXTURES}/base`;
    const { code, stdout } = await run([...same, '--fail-on-flip']);
    expect(code).toBe(0);
    expect(stdout).toContain('no image would change verdict: base and head are the same policy set');
  });

  it('prints the whole report as JSON', async () => {
    const { code, stdout } = await run([...args(), '--output', 'json']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as PolicyImpact;
    expect(report.format).toBe('gatekeeper-policy-impact/v1');
    expect(report.summary.flipped).toBe(4);
    expect(report.snapshot).toEqual({
      file: SNAPSHOT,
      takenAt: '2026-12-01T03:00:00.000Z',
      source: 'sweep',
      images: 10,
    });
    expect(report.now).toBe('2026-12-01T12:00:00.000Z');
  });

  it('prints a markdown comment: summary table and a collapsible list per repository', async () => {
    const { code, stdout } = await run([...args(), '--output', 'markdown']);
    expect(code).toBe(0);
    expect(stdout).toContain('### ⚠️ Policy impact: 4 of 10 images would change verdict');
    expect(stdout).toContain('| `orders/api` | 5 | 1 | 0 | maxSeverity.HIGH ×1 |');
    expect(stdout).toContain(
      '<details><summary><code>sandbox/x</code>: 1 → quarantined of 1 image</summary>',
    );
    expect(stdout).toContain('| quarantined → **approved** | `sha256:000000000000` | `3.0.0` | — |');
  });

  it.each([
    [['--head', 'x', '--snapshot', 's'], 'option "--base DIR|REV" is required'],
    [
      ['--base', `${FIXTURES}/base`, '--head', 'no-such-ref-or-dir', '--snapshot', 's'],
      'option "--head": "no-such-ref-or-dir" is neither a directory nor a git revision with a policies directory',
    ],
    [
      [...args().slice(2), '--output', 'sarif'],
      'option "--output" must be one of text, json, markdown, got "sarif"',
    ],
    [
      [...args().slice(2), '--fail-on-flips'],
      'unknown option "--fail-on-flips" (did you mean "--fail-on-flip"?)',
    ],
  ])('exits 2 on bad usage: %j', async (extra, message) => {
    const { code, stderr } = await run(['policy', 'impact', ...extra]);
    expect(code).toBe(2);
    // git's own words (in parentheses after a revision that is not one) vary between git versions.
    expect(stderr).toMatch(/^gatekeeper: .*; see "gatekeeper policy --help"\n$/);
    expect(stderr.startsWith(`gatekeeper: ${message}`)).toBe(true);
  });

  it('exits 2 naming the snapshot file, line and field', async () => {
    const bad = join(DIR, 'bad.jsonl');
    writeFileSync(
      bad,
      '{"format":"gatekeeper-registry-snapshot/v1","takenAt":"2026-12-01T03:00:00Z","source":"nightly","findingFields":[]}\n',
    );
    const a = args();
    a[7] = bad;
    const { code, stderr } = await run(a);
    expect(code).toBe(2);
    expect(stderr).toBe(
      `gatekeeper: ${bad}: line 1: findingFields: expected ["id", "severity", "score", "epss", "fixAvailable", "exploitAvailable", "package", "version", "fixedIn", "kev"], got an array\n`,
    );
  });

  it('exits 2 naming the policy file of an invalid side', async () => {
    const broken = join(DIR, 'broken');
    cpSync(join(ROOT, FIXTURES, 'head'), broken, { recursive: true });
    writeFileSync(
      join(broken, 'default.yaml'),
      'apiVersion: gatekeeper/v1\nkind: Policy\nname: default\ndefault: true\nrules: { maxSeverity: { HIGH: -1 } }\n',
    );
    const a = args();
    a[5] = broken;
    const { code, stderr } = await run(a);
    expect(code).toBe(2);
    expect(stderr).toMatch(new RegExp(`^gatekeeper: ${broken}/default.yaml: rules.maxSeverity.HIGH`));
  });

  it('prints its own help', async () => {
    const { code, stdout } = await run(['policy', 'impact', '--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^usage: gatekeeper policy impact --base DIR\|REV\[:PATH\] --head/);
    expect(stdout).toContain('--fail-on-flip');
    expect(stdout).toContain('Exit codes: 0 the report was printed');
    expect((await run(['help', 'policy', 'impact'])).stdout).toBe(stdout);
    expect((await run(['policy', '--help'])).stdout).toContain(
      'gatekeeper policy impact --base DIR|REV[:PATH]',
    );
  });
});

describe('gatekeeper policy impact with git revisions', () => {
  const repo = join(DIR, 'repo');
  const git = (...a: string[]) =>
    execFileSync('git', a, {
      cwd: repo,
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 't',
        GIT_AUTHOR_EMAIL: 't@example.com',
        GIT_COMMITTER_NAME: 't',
        GIT_COMMITTER_EMAIL: 't@example.com',
      },
    });

  beforeAll(() => {
    cpSync(join(ROOT, FIXTURES, 'base'), join(repo, 'policies'), { recursive: true });
    git('init', '-q', '-b', 'main');
    git('add', '.');
    git('commit', '-q', '-m', 'base');
    cpSync(join(ROOT, FIXTURES, 'head'), join(repo, 'policies'), { recursive: true, force: true });
    cpSync(join(ROOT, FIXTURES, 'head'), join(repo, 'security', 'policies'), { recursive: true });
    git('add', '.');
    git('commit', '-q', '-m', 'head');
  });

  it('reads REV (its policies/) and REV:PATH the same as the directories', async () => {
    const { code, stdout } = await run(
      [
        'policy',
        'impact',
        '--base',
        'HEAD~1',
        '--head',
        'main:security/policies',
        '--snapshot',
        SNAPSHOT,
        '--now',
        NOW,
        '--output',
        'json',
      ],
      { cwd: repo },
    );
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as PolicyImpact;
    const direct = await collect();
    expect(report.base.version).toBe(direct.base.version);
    expect(report.head.version).toBe(direct.head.version);
    expect(report.summary).toEqual(direct.summary);
  });

  it('names the revision in the error of an invalid set', async () => {
    writeFileSync(
      join(repo, 'policies', 'default.yaml'),
      'apiVersion: gatekeeper/v1\nkind: Policy\nname: default\ndefault: true\nmode: sometimes\n',
    );
    git('commit', '-q', '-am', 'broken');
    const { code, stderr } = await run(
      ['policy', 'impact', '--base', 'HEAD~1', '--head', 'HEAD', '--snapshot', SNAPSHOT],
      { cwd: repo },
    );
    expect(code).toBe(2);
    expect(stderr).toMatch(/^gatekeeper: HEAD:policies\/default\.yaml: mode/);
  });
});

describe('policy impact markdown limits', () => {
  it('caps the lists and says how many were left out', async () => {
    const impact = await collect();
    const flip = impact.repositories[0]?.flips[0];
    if (!flip) throw new Error('fixture has a flip');
    const many = Array.from({ length: 80 }, (_, r) => ({
      repository: `team/repo-${String(r).padStart(2, '0')}`,
      images: 100,
      toQuarantined: 40,
      toApproved: 0,
      rules: { 'maxSeverity.HIGH': 40 },
      flips: Array.from({ length: 40 }, (_, i) => ({ ...flip, digest: digest(r * 100 + i) })),
    }));
    const markdown = renderImpactMarkdown({ ...impact, repositories: many });
    expect(markdown.length).toBeLessThanOrEqual(MARKDOWN_LIMITS.characters);
    expect(markdown).toContain(`…and ${80 - MARKDOWN_LIMITS.tableRepositories} more repositories.`);
    expect(markdown).toContain(`…and ${40 - MARKDOWN_LIMITS.flipsPerRepository} more images.`);
    expect(markdown).toMatch(/…and \d+ more repositories not listed here/);
    expect(markdown.match(/<details>/g)?.length).toBeLessThanOrEqual(MARKDOWN_LIMITS.listedRepositories);
  });
});

describe('policy impact: fix deadlines and in-use data from the snapshot', () => {
  const policy = (inUse: string) => `apiVersion: gatekeeper/v1
kind: Policy
name: default
default: true
mode: enforce
rules:
  knownExploited: deny
deadlines:
  knownExploited: dateDue
${inUse}`;
  const approved = {
    verdict: 'approved' as const,
    policyVersion: `sha256:${'e'.repeat(64)}`,
    decidedAt: '2026-10-01T00:00:00Z',
  };
  // CISA's due date passed on 2026-11-28 (NOW is 2026-12-01): 7 more days while in use reach 2026-12-05.
  const kev = (id: string, dateDue: string): Finding => ({
    ...finding(id, 'LOW', 'NO'),
    kev: { dateAdded: '2026-11-01', dateDue },
  });

  async function impactOf(images: SnapshotImageInput[]): Promise<PolicyImpact> {
    const dir = mkdtempSync(join(DIR, 'deadlines-'));
    for (const [side, inUse] of [
      ['base', ''],
      ['head', '  inUse: { extraDays: 7 }\n'],
    ] as const) {
      mkdirSync(join(dir, side));
      writeFileSync(join(dir, side, 'default.yaml'), policy(inUse));
    }
    const chunks: string[] = [];
    await writeSnapshot(
      { write: (c: string) => chunks.push(c) },
      { takenAt: new Date(NOW), source: 'sweep' },
      images,
    );
    writeFileSync(join(dir, 'snapshot.jsonl'), chunks.join(''));
    const base = await loadPolicySet(join(dir, 'base'));
    const head = await loadPolicySet(join(dir, 'head'));
    const collector = new ImpactCollector(base, head, new Date(NOW));
    const reading = await readSnapshot(join(dir, 'snapshot.jsonl'));
    for await (const img of reading.images) collector.add(img);
    return collector.finish(
      { source: 'base', version: base.version },
      { source: 'head', version: head.version },
      { file: 'snapshot.jsonl', header: reading.header },
    );
  }

  it('gives the extra days to an image approved before that Inspector saw running, and to no other', async () => {
    const impact = await impactOf([
      image(21, 'base/os', ['1'], [kev('CVE-2026-2001', '2026-11-28')], {
        recorded: approved,
        inUse: { lastPulledAt: null, inUse: true },
      }),
      // Pulled recently, but the snapshot cannot tell that pull from the gate's own reads.
      image(22, 'base/os', ['2'], [kev('CVE-2026-2002', '2026-11-28')], {
        recorded: approved,
        inUse: { lastPulledAt: '2026-11-30T10:00:00Z', inUse: null },
      }),
      // Running, but never approved: no grace either way.
      image(23, 'base/os', ['3'], [kev('CVE-2026-2003', '2026-11-28')], {
        inUse: { lastPulledAt: null, inUse: true },
      }),
      // Approved before and still within CISA's due date: approved (at risk) under both sets.
      image(24, 'base/os', ['4'], [kev('CVE-2026-2004', '2026-12-03')], { recorded: approved }),
    ]);
    const flips = impact.repositories.flatMap((r) => r.flips);
    expect(flips.map((f) => [f.digest, f.from, f.to, f.rules])).toEqual([
      [digest(21), 'quarantined', 'approved', ['knownExploited']],
    ]);
    expect(impact.summary).toMatchObject({ images: 4, flipped: 1, toApproved: 1, recordedDiffers: 2 });
  });
});
