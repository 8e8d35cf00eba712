import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type CliIo, main } from '../../lib/cli/main.ts';

// biome-ignore lint/suspicious/noExplicitAny: JSON documents are edited freely to build negative cases.
type JsonEdit = any;

const FIXTURES = new URL('../fixtures/aws/', import.meta.url).pathname;
const REPO_ROOT = new URL('../../', import.meta.url).pathname;
const NOW = '2024-06-30T12:00:00Z';
const DAY = 86_400;
const nowS = Date.parse(NOW) / 1000;

function io(cwd: string, env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: {
      stdout: { write: (s: string) => out.push(s) },
      stderr: { write: (s: string) => err.push(s) },
      env,
      cwd,
    },
    out: () => out.join(''),
    err: () => err.join(''),
  };
}

/** Through main(), as `gatekeeper lifecycle …` / `gatekeeper hygiene …` run. */
const runLifecycle = (args: string[], cliIo: CliIo) => main(['lifecycle', ...args], cliIo);
const runHygiene = (args: string[], cliIo: CliIo) => main(['hygiene', ...args], cliIo);

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gk-hygiene-cli-'));
  writeFileSync(
    join(dir, 'images.json'),
    JSON.stringify({
      imageDetails: [
        {
          imageDigest: `sha256:${'a'.repeat(64)}`,
          imageTags: ['beta-1', 'prod-1'],
          imagePushedAt: nowS - 10 * DAY,
        },
        {
          imageDigest: `sha256:${'b'.repeat(64)}`,
          imageTags: ['beta-2', 'prod-2'],
          imagePushedAt: nowS - 9 * DAY,
        },
        {
          imageDigest: `sha256:${'c'.repeat(64)}`,
          imageTags: ['beta-3'],
          imagePushedAt: new Date((nowS - 8 * DAY) * 1000).toISOString(),
        },
      ],
    }),
  );
  const preview = JSON.parse(
    readFileSync(join(FIXTURES, 'ecr-get-lifecycle-policy-preview-complete.json'), 'utf8'),
  );
  writeFileSync(join(dir, 'preview-response.json'), JSON.stringify(preview));
  writeFileSync(
    join(dir, 'bad-policy.json'),
    '{"rules":[{"rulePriority":1,"selection":{"tagStatus":"tagged","countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}]}',
  );
});

describe('gatekeeper lifecycle preview', () => {
  it('documented Example A → JSON shaped like GetLifecyclePolicyPreview, only Image A, exit 0', async () => {
    const t = io(dir);
    const code = await runLifecycle(
      [
        'preview',
        '--policy',
        join(FIXTURES, 'ecr-lifecycle-policy-multiple-rules-example-a.json'),
        '--images',
        'images.json',
        '--now',
        NOW,
      ],
      t.io,
    );
    expect(code).toBe(0);
    const out = JSON.parse(t.out());
    expect(out.summary).toEqual({ expiringImageTotalCount: 1 });
    expect(out.previewResults).toEqual([
      expect.objectContaining({
        imageDigest: `sha256:${'a'.repeat(64)}`,
        action: { type: 'EXPIRE' },
        appliedRulePriority: 1,
      }),
    ]);
  });

  it('text output; a GetLifecyclePolicyPreview response is accepted as --policy (its lifecyclePolicyText)', async () => {
    const t = io(dir);
    expect(
      await runLifecycle(
        [
          'preview',
          '--policy=preview-response.json',
          '--images',
          'images.json',
          '--now',
          NOW,
          '--output',
          'text',
        ],
        t.io,
      ),
    ).toBe(0);
    expect(t.out()).toContain('0 image(s) expire');
  });

  it.each([
    [['preview', '--images', 'images.json'], 'gatekeeper: option "--policy FILE" is required\n'],
    [
      ['preview', '--policy', 'x', '--images', 'y', '--output', 'xml'],
      'gatekeeper: option "--output" must be one of json, text, got "xml"\n',
    ],
    [
      ['preview', '--policy', 'x', '--images', 'y', '--now', 'yesterday'],
      'gatekeeper: option "--now" must be an ISO-8601 date-time such as 2026-01-31T12:00:00Z, got "yesterday"\n',
    ],
    [['show'], 'gatekeeper: unknown subcommand "lifecycle show"\n'],
    [['preview', '--bogus'], 'gatekeeper: unknown option "--bogus"\n'],
  ])('bad usage %j → exit 2 with a reason', async (args, message) => {
    const t = io(dir);
    expect(await runLifecycle(args, t.io)).toBe(2);
    expect(t.err()).toBe(message.replace(/\n$/, '; see "gatekeeper lifecycle --help"\n'));
  });

  it.each([
    [
      ['--policy', 'bad-policy.json', '--images', 'images.json'],
      'bad-policy.json: rules[0] (rulePriority 1).selection: tagStatus tagged needs a tagPrefixList or a tagPatternList',
    ],
    [
      ['--policy', 'missing.json', '--images', 'images.json'],
      'gatekeeper: missing.json: cannot read the file (ENOENT)',
    ],
    [
      ['--policy', 'preview-response.json', '--images', 'bad-policy.json'],
      'bad-policy.json: imageDetails: expected a DescribeImages response',
    ],
  ])('bad input %j → exit 2 naming file and field', async (args, message) => {
    const t = io(dir);
    expect(await runLifecycle(['preview', ...args], t.io)).toBe(2);
    expect(t.err()).toContain(message);
  });
});

describe('gatekeeper hygiene plan', () => {
  function writeDump(name: string, dump: unknown): string {
    writeFileSync(join(dir, name), JSON.stringify(dump));
    return name;
  }
  const repo = (name: string, over: Record<string, unknown> = {}) => ({
    repositoryName: name,
    repositoryArn: `arn:aws:ecr:eu-west-1:123456789012:repository/${name}`,
    registryId: '123456789012',
    imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
    imageTagMutabilityExclusionFilters: [
      { filterType: 'WILDCARD', filter: 'approved-*' },
      { filterType: 'WILDCARD', filter: 'quarantined-*' },
    ],
    imageScanningConfiguration: { scanOnPush: true },
    ...over,
  });

  it('reports drift from the shipped baseline (exit 1), then a compliant dump exits 0', async () => {
    const dump = {
      repositories: {
        repositories: [
          repo('team/api'),
          repo('team/web', { imageTagMutability: 'MUTABLE', imageTagMutabilityExclusionFilters: [] }),
        ],
      },
      lifecyclePolicies: {
        'team/api': {
          lifecyclePolicyText: readFileSync(
            join(FIXTURES, 'ecr-lifecycle-policy-multiple-rules-example-a.json'),
            'utf8',
          ),
        },
        'team/web': null,
      },
      registryScanningConfiguration: JSON.parse(
        readFileSync(join(FIXTURES, 'ecr-get-registry-scanning-configuration-enhanced.json'), 'utf8'),
      ),
    };
    const t = io(REPO_ROOT);
    expect(
      await runHygiene(
        ['plan', '--repositories', join(dir, writeDump('dump.json', dump)), '--now', NOW, '--output', 'json'],
        t.io,
      ),
    ).toBe(1);
    const plan = JSON.parse(t.out());
    expect(plan.totals).toMatchObject({ repositories: 2, drift: 2 });
    const web = plan.repositories.find((r: { repository: string }) => r.repository === 'team/web');
    expect(web.changes.map((c: { kind: string }) => c.kind)).toEqual([
      'put-lifecycle-policy',
      'put-tag-mutability',
    ]);

    // Apply the planned policies to the dump: the same plan is now clean.
    const fixed = structuredClone(dump) as Record<string, JsonEdit>;
    for (const r of plan.repositories) {
      const change = r.changes.find((c: { kind: string }) => c.kind === 'put-lifecycle-policy');
      fixed.lifecyclePolicies[r.repository] = change.policyText;
    }
    fixed.repositories.repositories[1] = repo('team/web');
    const t2 = io(REPO_ROOT);
    expect(
      await runHygiene(
        ['plan', '--repositories', join(dir, writeDump('fixed.json', fixed)), '--now', NOW],
        t2.io,
      ),
    ).toBe(0);
    expect(t2.out()).toContain('2 repositories: 2 compliant');
  });

  it('prints progress on stderr for long runs (1,000 repositories)', async () => {
    const names = Array.from({ length: 1000 }, (_, i) => `svc/r${String(i).padStart(4, '0')}`);
    const dump = {
      repositories: [
        { repositories: names.slice(0, 500).map((n) => repo(n)) },
        { repositories: names.slice(500).map((n) => repo(n)) },
      ],
      lifecyclePolicies: Object.fromEntries(names.map((n) => [n, null])),
    };
    const t = io(REPO_ROOT);
    expect(
      await runHygiene(
        ['plan', '--repositories', join(dir, writeDump('big.json', dump)), '--now', NOW],
        t.io,
      ),
    ).toBe(1);
    expect(t.err()).toContain('hygiene plan: 100/1000 repositories');
    expect(t.err()).toContain('hygiene plan: 1000/1000 repositories');
    expect(t.out()).toContain('1000 repositories: 0 compliant, 1000 drift');
  });

  it.each([
    [
      { repositories: { repositories: [repo('a/b')] }, lifecyclePolicies: {} },
      'lifecyclePolicies.a/b: missing',
    ],
    [{ repositories: {}, lifecyclePolicies: {} }, 'repositories: expected a DescribeRepositories response'],
    [
      { repositories: { repositories: [repo('a/b')] }, lifecyclePolicies: { 'a/b': 42 } },
      'lifecyclePolicies.a/b: expected a GetLifecyclePolicy response',
    ],
    [
      {
        repositories: { repositories: [repo('a/b')] },
        lifecyclePolicies: { 'a/b': null },
        images: { 'a/b': { imageDetails: [{ imageDigest: 'x' }] } },
      },
      'images.a/b.imageDetails[0].imageDigest',
    ],
  ])('bad dump → exit 2 naming the field (%#)', async (dump, message) => {
    const t = io(REPO_ROOT);
    expect(
      await runHygiene(
        ['plan', '--repositories', join(dir, writeDump('bad.json', dump)), '--now', NOW],
        t.io,
      ),
    ).toBe(2);
    expect(t.err()).toContain(message);
  });

  it('a broken baseline → exit 2 with file and path', async () => {
    writeFileSync(
      join(dir, 'hygiene.yaml'),
      'apiVersion: gatekeeper/v1\nkind: HygieneBaseline\ndefaults:\n  scanning:\n    expect: sometimes\n',
    );
    const t = io(dir);
    writeDump('one.json', {
      repositories: { repositories: [repo('a/b')] },
      lifecyclePolicies: { 'a/b': null },
    });
    expect(await runHygiene(['plan', '--repositories', 'one.json', '--baseline', 'hygiene.yaml'], t.io)).toBe(
      2,
    );
    expect(t.err()).toMatch(/hygiene\.yaml: defaults\.scanning\.expect: must be one of/);
  });
});
