/**
 * The GitHub Action (action.yml → action/dist/index.mjs → lib/cli/github-action.ts), run with the environment a
 * runner provides: INPUT_* variables, a step-summary file, an outputs file. Checks the summary, the outputs, the
 * SARIF file, the annotations and the exit code; that action.yml declares exactly what the code reads and
 * writes; and that the committed bundle is what the build makes from today's sources.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ACTION_INPUTS, ACTION_OUTPUTS, runAction } from '../../lib/cli/github-action.ts';
import { bundleCli, CLI_BUNDLES } from '../../scripts/build-cli.ts';
import { AWS, NOW, ROOT, SCANNERS } from './support.ts';

interface Workspace {
  dir: string;
  env: NodeJS.ProcessEnv;
  summary: () => string;
  outputs: () => Record<string, string>;
}

/** A workspace with the two scan reports, and the files and variables the runner sets for a step. */
function workspace(inputs: Record<string, string>): Workspace {
  const dir = mkdtempSync(join(tmpdir(), 'gk-action-'));
  cpSync(join(ROOT, SCANNERS, 'trivy-image-debian12-ecr.json'), join(dir, 'trivy.json'));
  cpSync(join(ROOT, AWS, 'ecr-describe-image-scan-findings-basic.json'), join(dir, 'ecr-scan.json'));
  writeFileSync(join(dir, 'summary.md'), '');
  writeFileSync(join(dir, 'outputs.txt'), '');
  const env: NodeJS.ProcessEnv = {
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: dir,
    GITHUB_STEP_SUMMARY: join(dir, 'summary.md'),
    GITHUB_OUTPUT: join(dir, 'outputs.txt'),
    'INPUT_FAIL-ON-VERDICT': 'true',
    'INPUT_OUTPUT-FORMAT': 'text',
    'INPUT_SARIF-FILE': 'gatekeeper.sarif',
    INPUT_INPUT: 'auto',
    INPUT_NOW: NOW,
  };
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value;
  return {
    dir,
    env,
    summary: () => readFileSync(join(dir, 'summary.md'), 'utf8'),
    outputs: () =>
      Object.fromEntries(
        readFileSync(join(dir, 'outputs.txt'), 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
      ),
  };
}

async function act(ws: Workspace): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runAction({
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: ws.env,
    cwd: ws.dir,
  });
  return { code, stdout, stderr };
}

describe('the GitHub Action', () => {
  it('quarantine: fails the step, with the markdown summary, SARIF, outputs and an error annotation', async () => {
    const ws = workspace({ findings: 'trivy.json', 'sarif-file': 'reports/gatekeeper.sarif' });

    const out = await act(ws);

    expect(out.code).toBe(1);
    expect(ws.outputs()).toEqual({
      verdict: 'quarantined',
      'sarif-file': 'reports/gatekeeper.sarif',
      policy: 'payments',
      violations: expect.stringMatching(/^[1-9]\d*$/),
    });
    expect(ws.summary()).toMatch(/^### ❌ Quarantined: `payments\/api:1\.4\.2, latest`/);
    const sarif = JSON.parse(readFileSync(join(ws.dir, 'reports', 'gatekeeper.sarif'), 'utf8'));
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.runs[0].results.length).toBeGreaterThan(0);
    expect(out.stdout).toContain('QUARANTINED  payments/api:1.4.2, latest');
    expect(out.stdout).toMatch(
      /\n::error title=gatekeeper::payments\/api:1\.4\.2, latest is quarantined by policy payments: \d+ violations\n$/,
    );
    // evaluate's warning (image rules without facts) is an annotation, not a stray stderr line.
    expect(out.stdout).toContain('::warning title=gatekeeper::image rules not checked');
    expect(out.stderr).toBe('');
  });

  it('fail-on-verdict false: the step passes with a warning; the verdict is still an output', async () => {
    const ws = workspace({ findings: 'trivy.json', 'fail-on-verdict': 'false', 'output-format': 'json' });

    const out = await act(ws);

    expect(out.code).toBe(0);
    expect(ws.outputs().verdict).toBe('quarantined');
    expect(out.stdout).toContain('"verdict": "quarantined"');
    expect(out.stdout).toMatch(/::warning title=gatekeeper::payments\/api.* fail-on-verdict is false/);
  });

  it('approval: exit 0 and an approved summary', async () => {
    const ws = workspace({ findings: 'ecr-scan.json', repository: 'sample-repo', tag: '1.0.0, 1.0' });

    const out = await act(ws);

    expect(out.code).toBe(0);
    expect(ws.outputs()).toMatchObject({ verdict: 'approved', violations: '0', policy: 'default' });
    expect(ws.summary()).toMatch(/^### ✅ Approved: `sample-repo:1\.0\.0, 1\.0`/);
  });

  it.each([
    [{}, 'input "findings" is required'],
    [{ findings: 'trivy.json', 'fail-on-verdict': 'yes' }, 'input "fail-on-verdict" must be true or false'],
    [{ findings: 'missing.json' }, 'missing.json: cannot read the file (ENOENT)'],
    [{ findings: 'trivy.json', 'output-format': 'html' }, 'must be one of text, json, sarif, markdown'],
  ])('bad input %j: exit 2 with one error annotation, no outputs', async (inputs, message) => {
    const ws = workspace(inputs);

    const out = await act(ws);

    expect(out.code).toBe(2);
    expect(out.stdout.split('\n').filter(Boolean)).toEqual([expect.stringContaining(message)]);
    expect(out.stdout).toMatch(/^::error title=gatekeeper::/);
    expect(ws.outputs()).toEqual({});
  });

  it('action.yml declares exactly the inputs read and the outputs written, and runs the committed bundle', () => {
    const action = parse(readFileSync(join(ROOT, 'action.yml'), 'utf8'));
    expect(Object.keys(action.inputs).sort()).toEqual([...ACTION_INPUTS].sort());
    expect(Object.keys(action.outputs).sort()).toEqual([...ACTION_OUTPUTS].sort());
    expect(action.inputs.findings.required).toBe(true);
    expect(action.inputs['fail-on-verdict'].default).toBe('true');
    // Node versions GitHub runs JavaScript actions on today (node20 was removed from the runners in 2026).
    expect(action.runs).toEqual({ using: 'node24', main: CLI_BUNDLES.action.out });
  });

  it('the committed bundle is what `npm run build:cli` makes from the sources, and runs as the runner starts it', async () => {
    const built = await bundleCli(ROOT, 'action');
    expect(
      built === readFileSync(join(ROOT, CLI_BUNDLES.action.out), 'utf8'),
      `${CLI_BUNDLES.action.out} is out of date: run npm run build:cli and commit it`,
    ).toBe(true);

    const ws = workspace({ findings: 'trivy.json' });
    const spawned = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      execFile(
        process.execPath,
        [join(ROOT, CLI_BUNDLES.action.out)],
        { cwd: ws.dir, env: { PATH: process.env.PATH ?? '', ...ws.env }, timeout: 30_000 },
        (error, stdout) => resolve({ code: error ? (error.code as number) : 0, stdout }),
      );
    });
    expect(spawned.code).toBe(1);
    expect(ws.outputs().verdict).toBe('quarantined');
    expect(ws.summary()).toContain('### ❌ Quarantined');
    expect(spawned.stdout).toContain('::error title=gatekeeper::');
  }, 60_000);
});
