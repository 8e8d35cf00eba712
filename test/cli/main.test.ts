/** The CLI through main() with captured streams: options, outputs, exit codes, errors. */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AWS, NOW, ROOT, run, SCANNERS } from './support.ts';

const BASIC = `${AWS}/ecr-describe-image-scan-findings-basic.json`;
const ENHANCED = `${AWS}/ecr-describe-image-scan-findings-enhanced-active.json`;
const TRIVY = `${SCANNERS}/trivy-image-debian12-ecr.json`;
const GRYPE = `${SCANNERS}/grype-image-debian12-ecr.json`;

/** The default policy denies root and caps the size: both need facts, so without them both are named. */
const SKIPPED_DEFAULT =
  'image rules not checked (no --image-facts given): image.runsAsRoot, image.maxSizeBytes';
const SKIPPED_WARNING = `gatekeeper: warning: ${SKIPPED_DEFAULT}\n`;

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'gk-cli-'));
}

function writeJson(dir: string, name: string, value: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(value));
  return path;
}

describe('help and version', () => {
  it('--help prints usage with every command and exits 0', async () => {
    const out = await run(['--help']);
    expect(out.code).toBe(0);
    for (const cmd of [
      'evaluate',
      'policy validate',
      'policy test',
      'lifecycle preview',
      'hygiene plan',
      'replay',
    ]) {
      expect(out.stdout).toContain(`gatekeeper ${cmd}`);
    }
  });

  it('--help says exactly when --repository may be left out', async () => {
    const out = await run(['evaluate', '--help']);
    expect(out.code).toBe(0);
    expect(out.stdout).toContain(
      '--repository NAME is optional when the findings file names the repository (ECR repositoryName, Inspector\n' +
        'resource repositoryName, Trivy ArtifactName, Grype source.target; a registry host is dropped); the option wins\n' +
        'over the file, and evaluate exits 2 when neither names one.',
    );
    expect(out.stdout).toContain('[--repository NAME]');
  });

  it('--version prints the package version', async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    expect(await run(['--version'])).toEqual({ code: 0, stdout: `gatekeeper ${pkg.version}\n`, stderr: '' });
  });

  it('no command prints usage on stderr and exits 2', async () => {
    const out = await run([]);
    expect([out.code, out.stdout]).toEqual([2, '']);
    expect(out.stderr).toContain('usage: gatekeeper evaluate');
  });
});

describe('usage errors exit 2 with one reason and a hint', () => {
  it.each([
    [['deploy'], 'gatekeeper: unknown command "deploy"'],
    [['evaluate'], 'gatekeeper: option "--findings FILE" is required'],
    [['evaluate', '--findings'], 'gatekeeper: option "--findings" needs a value'],
    [['evaluate', '--findings', BASIC, '--colour'], 'gatekeeper: unknown option "--colour"'],
    [
      ['evaluate', '--findings', BASIC, '--output', 'xml'],
      'gatekeeper: option "--output" must be one of text, json, sarif, markdown, got "xml"',
    ],
    [
      ['evaluate', '--findings', BASIC, '--input', 'clair'],
      'gatekeeper: option "--input" must be one of auto, ecr, inspector, trivy, grype, got "clair"',
    ],
    [
      ['evaluate', '--findings', BASIC, '--now', 'tomorrow'],
      'gatekeeper: option "--now" must be an ISO-8601 date-time such as 2026-01-31T12:00:00Z, got "tomorrow"',
    ],
    [
      ['evaluate', '--findings', BASIC, '--digest', 'sha256:abc'],
      'gatekeeper: option "--digest" must be sha256: followed by 64 lowercase hex characters, got "sha256:abc"',
    ],
    [
      ['evaluate', '--findings', BASIC, '--policies', 'a', '--policies', 'b'],
      'gatekeeper: option "--policies" given more than once',
    ],
    [
      ['evaluate', '--findings', BASIC, '--repository', 'Demo Repo'],
      'gatekeeper: option "--repository" must be an ECR repository name (lower-case letters, digits, ".", "_", "-" between them, "/" between parts; 2 to 256 characters), got "Demo Repo"',
    ],
    [
      ['evaluate', '--findings', BASIC, '--repository', 'demo', '--tag', 'v1', '--tag', 'bad tag'],
      'gatekeeper: option "--tag" must be an image tag (letters, digits, "_", "." and "-", not starting with "." or "-", 1 to 300 characters), got "bad tag"',
    ],
    [['evaluate', '--findings', BASIC, 'extra'], 'gatekeeper: unexpected argument "extra"'],
    [['policy'], 'gatekeeper: missing subcommand: policy validate|test|impact'],
    [['policy', 'lint'], 'gatekeeper: unknown subcommand "policy lint"'],
  ])('%j', async (argv, message) => {
    const out = await run(argv);
    expect(out.code).toBe(2);
    expect(out.stdout).toBe('');
    const help = argv[0] === 'deploy' ? 'gatekeeper --help' : `gatekeeper ${argv[0]} --help`;
    expect(out.stderr).toBe(`${message}; see "${help}"\n`);
  });

  it.each([
    [['evaluate', '--finding', BASIC], 'unknown option "--finding" (did you mean "--findings"?)'],
    [
      ['evaluate', '--findings', BASIC, '--repo', 'x'],
      'unknown option "--repo" (did you mean "--repository"?)',
    ],
    [
      ['evaluate', '--findings', BASIC, '--ouptut', 'json'],
      'unknown option "--ouptut" (did you mean "--output"?)',
    ],
    [['evaluate', '--findings', BASIC, '-o', 'json'], 'unknown option "-o"'],
    [['evaluate', '--findings', BASIC, '--colour'], 'unknown option "--colour"'],
    [['replay', 'e.json', '--dryrun'], 'unknown option "--dryrun" (did you mean "--dry-run"?)'],
    [
      ['hygiene', 'plan', '--repository', 'd.json'],
      'unknown option "--repository" (did you mean "--repositories"?)',
    ],
    [['lifecycle', 'preview', '--image', 'i.json'], 'unknown option "--image" (did you mean "--images"?)'],
    [['policy', 'valdiate'], 'unknown subcommand "policy valdiate" (did you mean "policy validate"?)'],
    [['evalute'], 'unknown command "evalute" (did you mean "evaluate"?)'],
    [['lint'], 'unknown command "lint"'],
  ])('%j suggests the nearest name, on one line', async (argv, message) => {
    const out = await run(argv);
    expect(out.code).toBe(2);
    expect(out.stderr.split('\n')).toHaveLength(2);
    expect(out.stderr.startsWith(`gatekeeper: ${message}; see "gatekeeper `)).toBe(true);
  });

  it('needs --repository when the findings file does not name one', async () => {
    const out = await run([
      'evaluate',
      '--findings',
      `${AWS}/ecr-describe-image-scan-findings-enhanced-centos8.json`,
      '--input',
      'trivy',
    ]);
    expect(out.code).toBe(2);
    const dir = tempDir();
    const file = writeJson(dir, 'noname.json', {
      imageScanFindings: { findings: [], imageScanCompletedAt: 1579839105, findingSeverityCounts: {} },
      imageScanStatus: { status: 'COMPLETE' },
    });
    const noName = await run(['evaluate', '--findings', file, '--now', NOW]);
    expect(noName.code).toBe(2);
    expect(noName.stderr).toContain(
      `option "--repository NAME" is required: ${file} does not name the repository`,
    );
  });
});

describe('evaluate: real-world inputs that cannot decide the image', () => {
  it.each([
    [
      'an Inspector finding about a Lambda function',
      `${SCANNERS}/inspector2-finding-lambda-package-vulnerability.json`,
      'detail.resources: no finding is about an ECR container image (1 about AWS_LAMBDA_FUNCTION)',
    ],
    [
      'an ECR response printed by a client older than enhanced scanning',
      `${SCANNERS}/ecr-describe-image-scan-findings-active-old-cli.json`,
      'imageScanFindings.enhancedFindings: missing although the scan status is ACTIVE',
    ],
  ])('%s exits 2 with the reason', async (_name, file, reason) => {
    const out = await run(['evaluate', '--findings', file, '--repository', 'test', '--now', NOW]);
    expect([out.code, out.stdout]).toEqual([2, '']);
    // One line naming the file and the field.
    expect(out.stderr.startsWith(`gatekeeper: ${file}: ${reason}`)).toBe(true);
    expect(out.stderr.indexOf('\n')).toBe(out.stderr.length - 1);
  });
});

describe('evaluate: Trivy reports of image archives', () => {
  it('takes repository and tag from Metadata.RepoTags, else needs --repository', async () => {
    const withTags = `${SCANNERS}/trivy-0.68.1-archive-repotags-alpine310.json`;
    const withoutTags = `${SCANNERS}/trivy-0.48.2-archive-status-alpine310.json`;
    const named = await run(['evaluate', '--findings', withTags, '--output', 'json', '--now', NOW]);
    expect(JSON.parse(named.stdout).image).toEqual({
      repository: 'aquasecurity/trivy-test-images',
      tags: ['alpine-310'],
      digest: null,
    });
    const unnamed = await run(['evaluate', '--findings', withoutTags, '--now', NOW]);
    expect([unnamed.code, unnamed.stdout]).toEqual([2, '']);
    expect(unnamed.stderr).toContain(
      `option "--repository NAME" is required: ${withoutTags} does not name the repository`,
    );
  });
});

describe('evaluate', () => {
  it('--output json is the contract and byte-for-byte the same on every run', async () => {
    const args = ['evaluate', '--findings', GRYPE, '--output', 'json', '--now', NOW];
    const [a, b] = [await run(args), await run(args)];
    expect(a.stdout).toBe(b.stdout);
    const decision = JSON.parse(a.stdout);
    expect(Object.keys(decision)).toEqual(['verdict', 'image', 'policy', 'summary', 'violations', 'waived']);
    expect(Object.keys(decision.image)).toEqual(['repository', 'tags', 'digest']);
    expect(decision.image).toEqual({
      repository: 'payments/api',
      tags: ['1.4.2'],
      digest: 'sha256:0f3c2b1a9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b',
    });
    expect(decision.policy.name).toBe('payments');
    expect(decision.waived).toEqual([
      {
        findingId: 'CVE-2023-45853',
        package: 'zlib1g',
        exception: expect.objectContaining({
          file: 'policies/exceptions/platform.yaml',
          expires: '2027-03-31',
        }),
      },
    ]);
    expect(a.code).toBe(1);
  });

  it('options win over the file: --repository, --tag (repeated), --digest', async () => {
    // A Trivy report of a local build: the repository it will be pushed to is named on the command line.
    const report = JSON.parse(readFileSync(join(ROOT, TRIVY), 'utf8'));
    report.ArtifactName = 'api:ci';
    report.Metadata.RepoTags = ['api:ci'];
    report.Metadata.RepoDigests = [];
    const dir = tempDir();
    writeJson(dir, 'trivy.json', report);
    const digest = `sha256:${'ab'.repeat(32)}`;
    const out = await run([
      'evaluate',
      '--findings',
      join(dir, 'trivy.json'),
      '--repository',
      'orders/api',
      '--tag',
      '2.0.0',
      '--tag',
      '2.0',
      '--digest',
      digest,
      '--output',
      'json',
      '--now',
      NOW,
    ]);
    expect(JSON.parse(out.stdout).image).toEqual({
      repository: 'orders/api',
      tags: ['2.0.0', '2.0'],
      digest,
    });
  });

  it.each([
    [
      'a digest',
      ['--digest', `sha256:${'ab'.repeat(32)}`],
      `gatekeeper: ${ENHANCED}: imageId.imageDigest: the findings are about image sha256:74b2c688c700ec95a93e478cdb959737c148df3fbf5ea706abe0318726e885e6, not sha256:${'ab'.repeat(32)}: findings of another image cannot decide it\n`,
    ],
    [
      'an ECR repository',
      ['--repository', 'orders/api'],
      `gatekeeper: ${ENHANCED}: repositoryName: the findings are about repository sample-repo, not orders/api: findings of another repository cannot decide it\n`,
    ],
  ])('findings about another image than %s named exit 2', async (_name, options, stderr) => {
    const out = await run(['evaluate', '--findings', ENHANCED, ...options, '--now', NOW]);
    expect([out.code, out.stdout, out.stderr]).toEqual([2, '', stderr]);
  });

  it('ignores a digest in the file that is not a sha256 digest, saying so', async () => {
    const out = await run([
      'evaluate',
      '--findings',
      `${AWS}/inspector2-finding-ecr-package-vulnerability.json`,
      '--tag',
      '1.0.0',
      '--output',
      'json',
      '--now',
      NOW,
    ]);
    expect(out.stderr).toBe(
      `gatekeeper: ${AWS}/inspector2-finding-ecr-package-vulnerability.json: ignoring image digest "sha256:36c7b282abd0186e01419f2e58743e1bf635808231049bbc9d77e5EXAMPLE": not a sha256 digest\n${SKIPPED_WARNING}`,
    );
    expect(JSON.parse(out.stdout).image).toEqual({
      repository: 'amazon/amazon-ecs-sample',
      tags: ['1.0.0'],
      digest: null,
    });
  });

  it('malformed findings exit 2 naming the file and the field', async () => {
    const page = JSON.parse(readFileSync(join(ROOT, ENHANCED), 'utf8'));
    const list = page.imageScanFindings.enhancedFindings;
    for (let i = 0; i < 3; i++) list.push(structuredClone(list[0]));
    list[3].severity = 'SEVERE';
    const dir = tempDir();
    writeJson(dir, 'findings.json', page);
    const out = await run(
      [
        'evaluate',
        '--findings',
        'findings.json',
        '--repository',
        'sample-repo',
        '--policies',
        join(ROOT, 'policies'),
      ],
      { cwd: dir },
    );
    expect(out).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'gatekeeper: findings.json: imageScanFindings.enhancedFindings[3].severity: expected one of CRITICAL, HIGH, MEDIUM, LOW, INFORMATIONAL, UNTRIAGED, UNDEFINED, got "SEVERE"\n',
    });
  });

  it.each([
    ['FAILED', 'quarantined', 1],
    ['UNSUPPORTED_IMAGE', 'quarantined', 1],
    ['LIMIT_EXCEEDED', 'quarantined', 1],
  ] as const)('a scan %s is decided without findings: %s', async (status, verdict, code) => {
    const dir = tempDir();
    const file = writeJson(dir, 'scan.json', {
      repositoryName: 'orders/api',
      imageId: { imageDigest: `sha256:${'c'.repeat(64)}`, imageTag: '1.0.0' },
      imageScanStatus: { status, description: 'The operating system is not supported' },
    });
    const out = await run(['evaluate', '--findings', file, '--output', 'json', '--now', NOW]);
    const decision = JSON.parse(out.stdout);
    expect([out.code, decision.verdict]).toEqual([code, verdict]);
    expect(decision.reason).toContain(
      status === 'LIMIT_EXCEEDED' ? 'LIMIT_EXCEEDED' : 'The operating system is not supported',
    );
    expect(decision.image.tags).toEqual(['1.0.0']);
  });

  it('a scan still IN_PROGRESS has no verdict yet: exit 2 naming the file and field', async () => {
    const dir = tempDir();
    writeJson(dir, 'scan.json', { repositoryName: 'r', imageScanStatus: { status: 'IN_PROGRESS' } });
    const out = await run(['evaluate', '--findings', 'scan.json', '--policies', join(ROOT, 'policies')], {
      cwd: dir,
    });
    expect([out.code, out.stderr]).toEqual([
      2,
      'gatekeeper: scan.json: imageScanStatus.status: the scan is IN_PROGRESS; no verdict until it completes (fetch the findings again later)\n',
    ]);
  });

  it('an invalid policy directory exits 2 naming the policy file and path', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'policies'));
    writeFileSync(
      join(dir, 'policies', 'default.yaml'),
      'apiVersion: gatekeeper/v1\nkind: Policy\nname: default\ndefault: true\nmode: enforce\nrules:\n  maxSeverity:\n    HIGH: -1\n',
    );
    const out = await run(['evaluate', '--findings', join(ROOT, BASIC), '--policies', 'policies'], {
      cwd: dir,
    });
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/^gatekeeper: policies\/default\.yaml: rules\.maxSeverity\.HIGH: /);
  });
});

describe('--image-facts', () => {
  const facts = async (value: unknown, extra: string[] = []) => {
    const dir = tempDir();
    const file = writeJson(dir, 'facts.json', value);
    const out = await run([
      'evaluate',
      '--findings',
      BASIC,
      '--tag',
      '1.0.0',
      '--image-facts',
      file,
      '--output',
      'json',
      '--now',
      NOW,
      ...extra,
    ]);
    return {
      ...out,
      rules: out.code === 2 ? [] : JSON.parse(out.stdout).violations.map((v: { rule: string }) => v.rule),
      file,
    };
  };

  it('facts shape: a non-root user and a small image pass; root and size fail', async () => {
    expect((await facts({ sizeBytes: 1000, user: '10001', labels: {} })).rules).toEqual([]);
    expect((await facts({ sizeBytes: 3_000_000_000, user: '' })).rules).toEqual([
      'image.maxSizeBytes',
      'image.runsAsRoot',
    ]);
  });

  it('a raw Docker/OCI config blob: an absent User runs as root', async () => {
    const blob = {
      architecture: 'amd64',
      os: 'linux',
      config: { Env: ['PATH=/usr/bin'], Labels: { a: 'b' } },
      rootfs: { type: 'layers', diff_ids: [] },
    };
    expect((await facts(blob)).rules).toEqual(['image.runsAsRoot']);
    const trivy = JSON.parse(readFileSync(join(ROOT, TRIVY), 'utf8'));
    expect((await facts(trivy.Metadata.ImageConfig)).rules).toEqual([]);
  });

  it('manifest + config: size is the config plus the layers', async () => {
    const manifest = JSON.parse(
      readFileSync(join(ROOT, AWS, 'manifest-docker-v2s2-spec-example.json'), 'utf8'),
    );
    const out = await facts({
      manifest,
      config: { architecture: 'amd64', os: 'linux', config: { User: 'app' } },
    });
    expect(out.rules).toEqual([]);
  });

  it.each([
    [
      { size: 5 },
      'size: unknown key; expected image facts {sizeBytes, user, labels}, a Docker/OCI config blob, or {manifest, config}',
    ],
    [{ sizeBytes: -1 }, 'sizeBytes: expected a whole number of bytes (0 or more), got -1'],
    [{ labels: { a: 1 } }, 'labels.a: expected a string, got 1'],
    [{ manifest: { manifests: [] } }, 'manifest: is an image index; give the manifest of one platform image'],
  ])('refuses %j', async (value, message) => {
    const out = await facts(value);
    expect([out.code, out.stderr]).toEqual([2, `gatekeeper: ${out.file}: ${message}\n`]);
  });
});

describe('policy validate and policy test', () => {
  it('the shipped policies are valid and their tests pass', async () => {
    const validate = await run(['policy', 'validate', 'policies', '--now', NOW]);
    expect([validate.code, validate.stderr]).toEqual([0, '']);
    expect(validate.stdout).toBe('policies: 10 files valid\n');
    const test = await run(['policy', 'test', '--now', NOW]);
    expect(test.code).toBe(0);
    expect(test.stdout).toMatch(/\n21 passed, 0 failed \(policy version sha256:[0-9a-f]{64}\)\n$/);
  });

  it.each([
    [
      'a negative threshold',
      'rules:\n  maxSeverity:\n    HIGH: -1\n',
      'policies/default.yaml: rules.maxSeverity.HIGH',
    ],
    [
      'an unknown severity',
      'rules:\n  maxSeverity:\n    SEVERE: 0\n',
      'policies/default.yaml: rules.maxSeverity',
    ],
  ])('%s exits 2 with file and path', async (_name, rules, where) => {
    const dir = tempDir();
    mkdirSync(join(dir, 'policies'));
    writeFileSync(
      join(dir, 'policies', 'default.yaml'),
      `apiVersion: gatekeeper/v1\nkind: Policy\nname: default\ndefault: true\nmode: enforce\n${rules}`,
    );
    const out = await run(['policy', 'validate'], { cwd: dir });
    expect(out.code).toBe(2);
    expect(out.stderr).toContain(`error: ${where}`);
    expect(out.stdout).toMatch(/^policies: \d+ errors? in 1 files\n$/);
  });

  it('names each file as a path the user can open, wherever the directory is', async () => {
    // Prepare: a copy of the shipped set outside the working directory, with three kinds of mistake.
    const dir = join(tempDir(), 'team-policies');
    cpSync(join(ROOT, 'policies'), dir, { recursive: true });
    const edit = (file: string, from: string, to: string) =>
      writeFileSync(join(dir, file), readFileSync(join(dir, file), 'utf8').replace(from, to));
    edit('default.yaml', 'CRITICAL: 0', 'CRITICAL: -1');
    edit('teams/payments.yaml', '    CRITICAL: 0', '    SEVERE: 0');
    edit('exceptions/platform.yaml', '    expires: 2027-03-31\n', '');

    // Act
    const validate = await run(['policy', 'validate', dir, '--now', NOW]);
    const evaluate = await run([
      'evaluate',
      '--findings',
      BASIC,
      '--repository',
      'sample-repo',
      '--policies',
      dir,
    ]);

    // Assess
    const expected = [
      `${dir}/default.yaml: rules.maxSeverity.CRITICAL: must be >= 0`,
      `${dir}/exceptions/platform.yaml: exceptions[1].expires: is required`,
      `${dir}/teams/payments.yaml: rules.maxSeverity.SEVERE: unknown severity (expected one of CRITICAL, HIGH, MEDIUM, LOW, INFORMATIONAL, UNDEFINED, UNTRIAGED)`,
    ];
    expect(validate.code).toBe(2);
    expect(validate.stderr).toBe(expected.map((line) => `error: ${line}\n`).join(''));
    expect(evaluate.code).toBe(2);
    expect(evaluate.stderr).toBe(`gatekeeper: ${expected[0]} (and 2 more)\n`);
    const json = await run(['policy', 'validate', dir, '--output', 'json', '--now', NOW]);
    expect(JSON.parse(json.stdout).problems.map((p: { file: string }) => p.file)).toEqual([
      `${dir}/default.yaml`,
      `${dir}/exceptions/platform.yaml`,
      `${dir}/teams/payments.yaml`,
    ]);
  });

  it('--output json prints the validation report', async () => {
    const out = await run(['policy', 'validate', 'policies', '--output', 'json', '--now', NOW]);
    expect(JSON.parse(out.stdout)).toMatchObject({ valid: true, problems: [] });
  });
});

describe('text output', () => {
  it('is a readable report without colour when not a terminal', async () => {
    const out = await run(['evaluate', '--findings', GRYPE, '--now', NOW]);
    expect(out.code).toBe(1);
    const lines = out.stdout.split('\n');
    expect(lines[0]).toBe('QUARANTINED  payments/api:1.4.2');
    expect(out.stdout).toContain(
      'findings  CRITICAL 1  HIGH 2  MEDIUM 0  LOW 0  INFORMATIONAL 1  UNDEFINED 1',
    );
    expect(out.stdout).toContain('Waived (1)');
    expect(out.stdout).not.toContain('\u001b[');
  });

  it('uses colour on a terminal, and not when NO_COLOR is set', async () => {
    const tty = await run(['evaluate', '--findings', GRYPE, '--now', NOW], { tty: true });
    expect(tty.stdout.startsWith('\u001b[1;31mQUARANTINED\u001b[0m')).toBe(true);
    const noColour = await run(['evaluate', '--findings', GRYPE, '--now', NOW], {
      tty: true,
      env: { NO_COLOR: '1' },
    });
    expect(noColour.stdout).not.toContain('\u001b[');
  });
});

describe('image rules that need facts are never skipped silently', () => {
  const evaluateBasic = (output: string, extra: string[] = []) =>
    run(['evaluate', '--findings', BASIC, '--tag', '1.0.0', '--output', output, '--now', NOW, ...extra]);

  it('without --image-facts: one warning line on stderr, a note in text and markdown, a SARIF notification', async () => {
    const [text, markdown, sarif, json] = await Promise.all([
      evaluateBasic('text'),
      evaluateBasic('markdown'),
      evaluateBasic('sarif'),
      evaluateBasic('json'),
    ]);
    for (const out of [text, markdown, sarif, json])
      expect([out.code, out.stderr]).toEqual([0, SKIPPED_WARNING]);
    expect(text.stdout.split('\n')).toContain(`note      ${SKIPPED_DEFAULT}`);
    expect(markdown.stdout).toContain(
      `\n> [!WARNING]\n> ${SKIPPED_DEFAULT.replace(/[()]/g, (c) => `\\${c}`)}\n`,
    );
    expect(JSON.parse(sarif.stdout).runs[0].invocations).toEqual([
      {
        executionSuccessful: true,
        toolExecutionNotifications: [
          {
            level: 'warning',
            message: { text: `${SKIPPED_DEFAULT}; their results are missing from this log` },
            properties: { skippedRules: ['image.runsAsRoot', 'image.maxSizeBytes'] },
          },
        ],
      },
    ]);
    // The JSON contract is unchanged: no extra key anywhere at the top.
    expect(Object.keys(JSON.parse(json.stdout))).toEqual([
      'verdict',
      'image',
      'policy',
      'summary',
      'violations',
      'waived',
    ]);
  });

  it('the payments policy also names its required labels', async () => {
    const out = await run(['evaluate', '--findings', GRYPE, '--output', 'json', '--now', NOW]);
    expect(out.stderr).toBe(
      'gatekeeper: warning: image rules not checked (no --image-facts given): image.runsAsRoot, image.requiredLabels, image.maxSizeBytes\n',
    );
  });

  it('complete facts: nothing is skipped and nothing is said', async () => {
    const file = writeJson(tempDir(), 'facts.json', { sizeBytes: 1000, user: '10001', labels: {} });
    const [text, sarif] = await Promise.all([
      evaluateBasic('text', ['--image-facts', file]),
      evaluateBasic('sarif', ['--image-facts', file]),
    ]);
    expect([text.code, text.stderr]).toEqual([0, '']);
    expect(text.stdout).not.toContain('not checked');
    expect(JSON.parse(sarif.stdout).runs[0].invocations).toEqual([{ executionSuccessful: true }]);
  });

  it('a config blob has no size: only the size rule is named', async () => {
    const file = writeJson(tempDir(), 'config.json', {
      architecture: 'amd64',
      os: 'linux',
      config: { User: 'app' },
    });
    const out = await evaluateBasic('text', ['--image-facts', file]);
    const note = 'image rules not checked (the image facts have no sizeBytes): image.maxSizeBytes';
    expect([out.code, out.stderr]).toEqual([0, `gatekeeper: warning: ${note}\n`]);
    expect(out.stdout.split('\n')).toContain(`note      ${note}`);
  });

  it('a decision without findings (scan failed) runs no rule, so there is nothing to warn about', async () => {
    const page = JSON.parse(readFileSync(join(ROOT, BASIC), 'utf8'));
    page.imageScanStatus = {
      status: 'UNSUPPORTED_IMAGE',
      description: 'The operating system is not supported',
    };
    const file = writeJson(tempDir(), 'unsupported.json', page);
    const out = await run(['evaluate', '--findings', file, '--output', 'json', '--now', NOW]);
    expect([out.code, out.stderr]).toEqual([1, '']);
  });
});

describe('text output width', () => {
  const rows = (stdout: string) => {
    const lines = stdout.split('\n');
    const from = lines.findIndex((l) => l.startsWith('  SEVERITY'));
    const to = lines.indexOf('', from);
    return lines.slice(from, to);
  };

  it('not a terminal: every message in full, whatever its length', async () => {
    const out = await run(['evaluate', '--findings', GRYPE, '--output', 'text', '--now', NOW]);
    const json = await run(['evaluate', '--findings', GRYPE, '--output', 'json', '--now', NOW]);
    const messages: string[] = JSON.parse(json.stdout).violations.map((v: { message: string }) => v.message);
    expect(messages).toHaveLength(9);
    const table = rows(out.stdout);
    expect(table).toHaveLength(messages.length + 1);
    expect(table.slice(1).map((row, i) => row.endsWith(`  ${messages[i]}`))).toEqual(
      messages.map(() => true),
    );
    expect(out.stdout).not.toContain('…');
  });

  it('a terminal: rows are cut to its width', async () => {
    const out = await run(['evaluate', '--findings', GRYPE, '--output', 'text', '--now', NOW], {
      tty: true,
      columns: 100,
      env: { NO_COLOR: '1' },
    });
    const table = rows(out.stdout);
    expect(table).toHaveLength(10);
    for (const line of table) expect(line.length).toBeLessThanOrEqual(100);
    expect(table.some((line) => line.endsWith('…'))).toBe(true);
  });
});

describe('COMMAND --help', () => {
  it.each([
    ['replay', 'usage: gatekeeper replay EVENT.json --findings FILE [--dry-run] [--input'],
    ['lifecycle', 'usage: gatekeeper lifecycle preview --policy FILE --images FILE'],
    ['hygiene', 'usage: gatekeeper hygiene plan --repositories FILE'],
    ['policy', 'usage: gatekeeper policy validate [DIR]'],
  ])("%s --help prints that command's usage first and exits 0", async (command, usage) => {
    const out = await run([command, '--help']);
    expect(out.code).toBe(0);
    expect(out.stdout.startsWith(usage)).toBe(true);
    expect(out.stdout).not.toContain('usage: gatekeeper evaluate');
  });
});
