/**
 * Help that helps and errors that fit on one line: every command's own help (usage, inputs, examples, exit
 * codes), the sample hygiene dump it points at, paths shown as typed, and replay's warnings and errors.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../lib/cli/command-usage.ts';
import { SHIPPED_POLICY_DIR } from '../../lib/cli/policy-location.ts';
import { AWS, NOW, ROOT, run, SCANNERS } from './support.ts';

const TRIVY = `${SCANNERS}/trivy-image-debian12-ecr.json`;
const tempDir = () => mkdtempSync(join(tmpdir(), 'gk-help-'));

describe('gatekeeper COMMAND --help', () => {
  it.each(COMMANDS)(
    '%s --help: its usage, options, examples and exit codes, and no other command',
    async (command) => {
      const out = await run([command, '--help']);
      expect(out.code).toBe(0);
      expect(out.stderr).toBe('');
      expect(out.stdout).toMatch(new RegExp(`^usage: gatekeeper ${command} `));
      expect(out.stdout).toContain('\nExamples:\n');
      expect(out.stdout).toContain('\nExit codes: 0 ');
      for (const other of COMMANDS.filter((c) => c !== command))
        expect(out.stdout).not.toContain(`usage: gatekeeper ${other} `);
      // Every example runs the command it documents.
      const examples = out.stdout
        .slice(out.stdout.indexOf('\nExamples:\n'))
        .split('\n\nExit codes')[0] as string;
      expect(examples).toContain(`gatekeeper ${command} `);
      // `help COMMAND` is the same text.
      expect((await run(['help', command])).stdout).toBe(out.stdout);
    },
  );

  it('every option a command accepts is described in its help', async () => {
    const options: Record<string, string[]> = {
      evaluate: [
        'findings',
        'input',
        'repository',
        'tag',
        'digest',
        'policies',
        'now',
        'image-facts',
        'output',
      ],
      lifecycle: ['policy', 'images', 'now', 'output'],
      hygiene: ['repositories', 'baseline', 'scope', 'now', 'output'],
      replay: ['findings', 'input', 'dry-run', 'tags', 'policies', 'image-facts', 'now', 'output'],
    };
    for (const [command, names] of Object.entries(options)) {
      const help = (await run([command, '--help'])).stdout;
      for (const name of names) expect(help, `${command} --${name}`).toMatch(new RegExp(`\\n  --${name}\\b`));
    }
  });

  it('hygiene plan --help documents the dump and its sample runs as shown', async () => {
    const help = (await run(['hygiene', '--help'])).stdout;
    for (const key of [
      '"repositories"',
      '"lifecyclePolicies"',
      '"registryScanningConfiguration"',
      '"images"',
    ])
      expect(help).toContain(key);
    expect(help).toContain('gatekeeper hygiene plan --repositories examples/hygiene-dump.json');

    const plan = await run([
      'hygiene',
      'plan',
      '--repositories',
      'examples/hygiene-dump.json',
      '--now',
      NOW,
      '--output',
      'json',
    ]);
    expect([plan.code, plan.stderr]).toEqual([1, '']);
    const statuses = Object.fromEntries(
      JSON.parse(plan.stdout).repositories.map((r: { repository: string; status: string }) => [
        r.repository,
        r.status,
      ]),
    );
    expect(statuses).toEqual({
      'orders/api': 'compliant',
      'orders/web': 'drift',
      'docker-hub/library/nginx': 'compliant',
    });
  });

  it('replay --help says what it plans and that nothing is sent', async () => {
    const help = (await run(['replay', '--help'])).stdout;
    for (const text of [
      'PutImage',
      'BatchDeleteImage',
      'UpdateImageStorageClass',
      'SNS',
      'nothing is sent to AWS',
    ])
      expect(help).toContain(text);
  });
});

describe('policy directories', () => {
  it('evaluate uses --policies, else $GATEKEEPER_POLICIES, else the shipped set, whatever the working directory holds', async () => {
    // Prepare: a working directory with an unrelated policies/ folder, and a team set that approves everything.
    const cwd = tempDir();
    cpSync(join(ROOT, 'policies'), join(cwd, 'policies'), { recursive: true });
    writeFileSync(join(cwd, 'policies', 'default.yaml'), 'not: a policy\n');
    const team = join(tempDir(), 'team');
    mkdirSync(team);
    writeFileSync(
      join(team, 'default.yaml'),
      'apiVersion: gatekeeper/v1\nkind: Policy\nname: lenient\ndefault: true\nmode: audit\nrules: {}\n',
    );
    const args = ['evaluate', '--findings', join(ROOT, TRIVY), '--output', 'json', '--now', NOW];

    // Act
    const shipped = await run(args, { cwd });
    const fromEnv = await run(args, { cwd, env: { GATEKEEPER_POLICIES: team } });
    const fromOption = await run([...args, '--policies', team], {
      cwd,
      env: { GATEKEEPER_POLICIES: 'nowhere' },
    });

    // Assess
    // The report names payments/api: the shipped payments policy applies.
    expect([shipped.code, JSON.parse(shipped.stdout).policy.name]).toEqual([1, 'payments']);
    expect([fromEnv.code, JSON.parse(fromEnv.stdout).policy.name]).toEqual([0, 'lenient']);
    expect([fromOption.code, JSON.parse(fromOption.stdout).policy.name]).toEqual([0, 'lenient']);
  });

  it('policy validate and test take DIR, else $GATEKEEPER_POLICIES, else ./policies, else the shipped set', async () => {
    const empty = tempDir();
    const shipped = await run(['policy', 'validate', '--now', NOW], { cwd: empty });
    expect(shipped.code).toBe(0);
    expect(shipped.stdout).toBe(`${SHIPPED_POLICY_DIR.replace(/\/$/, '')}: 10 files valid\n`);

    const withLocal = tempDir();
    cpSync(join(ROOT, 'policies'), join(withLocal, 'policies'), { recursive: true });
    writeFileSync(join(withLocal, 'policies', 'default.yaml'), 'apiVersion: gatekeeper/v1\nkind: Policy\n');
    const local = await run(['policy', 'validate', '--now', NOW], { cwd: withLocal });
    expect(local.code).toBe(2);
    expect(local.stderr).toMatch(/^error: policies\/default\.yaml: /);
    const env = await run(['policy', 'validate', '--now', NOW], {
      cwd: withLocal,
      env: { GATEKEEPER_POLICIES: join(ROOT, 'policies') },
    });
    expect(env.code).toBe(0);
  });

  it('policy test shows every path as typed, findings files of failing cases included', async () => {
    const cwd = tempDir();
    cpSync(join(ROOT, 'policies'), join(cwd, 'team-set'), { recursive: true });
    const cases = join(cwd, 'team-set', 'tests', 'default.yaml');
    writeFileSync(
      cases,
      readFileSync(cases, 'utf8').replace('findings/ecr-basic-medium.json', 'findings/gone.json'),
    );

    const out = await run(['policy', 'test', './team-set/', '--now', NOW], { cwd });

    expect(out.code).toBe(1);
    expect(out.stdout).toContain(
      'FAIL  ./team-set/tests/default.yaml: a medium finding from ECR basic scanning is approved\n' +
        '      ./team-set/tests/findings/gone.json: cannot read the file (ENOENT)\n',
    );
    expect(out.stdout).not.toContain(cwd);
    expect(
      out.stdout
        .split('\n')
        .filter((l) => /^(PASS|FAIL) {2}/.test(l))
        .every((l) => l.includes('./team-set/tests/')),
    ).toBe(true);
  });
});

describe('exit-2 errors are one line naming the file and field', () => {
  it.each([
    [['evaluate', '--findings', join(ROOT, TRIVY), '--policies', 'missing-dir']],
    [['policy', 'validate', 'missing-dir']],
    [['policy', 'test', 'missing-dir']],
    [
      [
        'replay',
        join(ROOT, 'events/ecr-basic-scan-complete.json'),
        '--findings',
        join(ROOT, TRIVY),
        '--dry-run',
        '--policies',
        'missing-dir',
      ],
    ],
  ])('%j: a missing policy directory is named as typed', async (argv) => {
    const cwd = tempDir();
    const out = await run(argv, { cwd });
    expect(out.code).toBe(2);
    const errors = out.stderr.split('\n').filter((l) => l !== '' && !l.startsWith('gatekeeper: warning:'));
    expect(errors).toEqual(['gatekeeper: missing-dir: cannot read the policies directory (ENOENT)']);
  });

  it.each([
    ['an event that is not JSON', 'event.json', '{', /^gatekeeper: event\.json: not valid JSON \(/],
    [
      'an event missing a field',
      'event.json',
      JSON.stringify({
        version: '0',
        id: 'e-1',
        'detail-type': 'ECR Image Scan',
        source: 'aws.ecr',
        detail: {},
      }),
      /^gatekeeper: event\.json: account: is missing \(event e-1\)$/,
    ],
  ])('replay: %s', async (_name, file, text, expected) => {
    const cwd = tempDir();
    writeFileSync(join(cwd, file), text);
    const out = await run(['replay', file, '--findings', join(ROOT, TRIVY), '--dry-run'], { cwd });
    expect(out.code).toBe(2);
    expect(out.stderr.split('\n')).toHaveLength(2);
    expect(out.stderr.trimEnd()).toMatch(expected);
  });

  it('replay: an invalid policy set names its first problem on one line', async () => {
    const cwd = tempDir();
    cpSync(join(ROOT, 'policies'), join(cwd, 'p'), { recursive: true });
    const file = join(cwd, 'p', 'default.yaml');
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace('CRITICAL: 0', 'CRITICAL: -1').replace('HIGH:', 'SEVERE:'),
    );
    const out = await run(
      [
        'replay',
        join(ROOT, 'events/ecr-basic-scan-complete.json'),
        '--findings',
        join(ROOT, TRIVY),
        '--dry-run',
        '--policies',
        'p',
      ],
      { cwd },
    );
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(
      /^gatekeeper: warning: .*\ngatekeeper: p\/default\.yaml: rules\.maxSeverity\.\S+: .* \(and \d+ more\)\n$/,
    );
  });

  it('lifecycle preview: a policy with several problems is one line with the count', async () => {
    const cwd = tempDir();
    writeFileSync(
      join(cwd, 'policy.json'),
      JSON.stringify({ rules: [{ rulePriority: 0 }, { rulePriority: 'x' }] }),
    );
    const out = await run(
      [
        'lifecycle',
        'preview',
        '--policy',
        'policy.json',
        '--images',
        join(ROOT, AWS, 'ecr-describe-images-cluster-autoscaler.json'),
      ],
      { cwd },
    );
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/^gatekeeper: policy\.json: rules\[0\].*\(and \d+ more problem\(s\)\)\n$/);
  });

  it('hygiene plan: a broken baseline is named as typed', async () => {
    const cwd = tempDir();
    writeFileSync(
      join(cwd, 'baseline.yaml'),
      'apiVersion: gatekeeper/v1\nkind: HygieneBaseline\ndefaults: 3\n',
    );
    const out = await run(
      [
        'hygiene',
        'plan',
        '--repositories',
        join(ROOT, 'examples/hygiene-dump.json'),
        '--baseline',
        'baseline.yaml',
      ],
      { cwd },
    );
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/^gatekeeper: baseline\.yaml: [^\n]+\n$/);
  });
});

describe('replay', () => {
  it('warns on one line when the findings file is about another image than the event', async () => {
    const event = 'events/ecr-basic-scan-complete.json';
    const other = await run(['replay', event, '--findings', TRIVY, '--dry-run', '--now', NOW]);
    expect(other.stderr.split('\n').filter((l) => l.startsWith('gatekeeper: warning:'))).toEqual([
      expect.stringMatching(
        /^gatekeeper: warning: test\/fixtures\/scanners\/trivy-image-debian12-ecr\.json is about payments\/api@sha256:0f3c2b1a\w+, the event about demo\/web@sha256:888206c7\w+; /,
      ),
    ]);

    // The same image: no warning.
    const eventJson = JSON.parse(readFileSync(join(ROOT, event), 'utf8'));
    const report = JSON.parse(readFileSync(join(ROOT, TRIVY), 'utf8'));
    report.ArtifactName = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/${eventJson.detail['repository-name']}:1.4.2`;
    report.Metadata.RepoDigests = [
      `${report.ArtifactName.split(':')[0]}@${eventJson.detail['image-digest']}`,
    ];
    report.Metadata.RepoTags = [report.ArtifactName];
    const cwd = tempDir();
    writeFileSync(join(cwd, 'same.json'), JSON.stringify(report));
    const same = await run(
      ['replay', join(ROOT, event), '--findings', 'same.json', '--dry-run', '--now', NOW],
      { cwd },
    );
    expect(same.stderr).not.toContain('warning');
    expect(same.code).toBe(1);
  });
});
