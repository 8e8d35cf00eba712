#!/usr/bin/env node
// Markdown summary of a pull request that changes policies/: changed files, `policy validate`, `policy test`,
// and a verdict table for the sample findings in policies/tests/findings under the base branch's policies
// and under this change's, for every repository named in the policy test cases.
//
//   node .github/scripts/policy-summary.mjs --base <sha> [--out policy-summary.md]
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = join(fileURLToPath(import.meta.url), '..', '..', '..');
const GATEKEEPER = join(ROOT, 'bin', 'gatekeeper.js');

/** Runs a command; returns its exit code and output instead of throwing. */
async function capture(command, args, cwd = ROOT) {
  try {
    const { stdout, stderr } = await run(command, args, { cwd, maxBuffer: 32 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    return {
      code: typeof error.code === 'number' ? error.code : 2,
      stdout: error.stdout ?? '',
      stderr: error.stderr ?? String(error),
    };
  }
}

/** Repository names used by the policy test cases (`repository: name`), so team overrides are exercised. */
export function repositoriesFromTests(texts) {
  const names = new Set();
  for (const text of texts) {
    for (const match of text.matchAll(/repository:\s*['"]?([a-z0-9][a-z0-9._/-]*)/g)) names.add(match[1]);
  }
  return names.size > 0 ? [...names].sort() : ['example'];
}

/** Code block that cannot be closed early by the content. */
function block(text) {
  const body = text.trim() === '' ? '(no output)' : text.trim();
  const fence = body.includes('```') ? '````' : '```';
  return `${fence}\n${body.slice(0, 20_000)}\n${fence}`;
}

/**
 * Renders the summary. `rows`: { findings, repository, base, head } where base/head are verdicts or
 * `error: …`. Changed verdicts come first and are marked.
 */
export function renderSummary({ changedFiles, validate, tests, rows }) {
  const lines = ['## Policy change summary', ''];
  lines.push('| change | file |', '|---|---|');
  for (const { status, file } of changedFiles) lines.push(`| ${status} | \`${file}\` |`);
  lines.push('');
  const mark = (r) => (r.code === 0 ? '✅ passed' : `❌ failed (exit ${r.code})`);
  lines.push(
    `**policy validate**: ${mark(validate)}`,
    '',
    '<details><summary>output</summary>',
    '',
    block(`${validate.stdout}${validate.stderr}`),
    '',
    '</details>',
    '',
  );
  lines.push(
    `**policy test**: ${mark(tests)}`,
    '',
    '<details><summary>output</summary>',
    '',
    block(`${tests.stdout}${tests.stderr}`),
    '',
    '</details>',
    '',
  );
  const changed = rows.filter((r) => r.base !== r.head);
  lines.push(`### Verdicts of the sample findings (${changed.length} changed of ${rows.length})`, '');
  lines.push('| findings | repository | base | this change |', '|---|---|---|---|');
  for (const r of [...changed, ...rows.filter((row) => row.base === row.head)]) {
    const flag = r.base !== r.head ? ' ⚠️' : '';
    lines.push(`| \`${r.findings}\` | \`${r.repository}\` | ${r.base} | ${r.head}${flag} |`);
  }
  return `${lines.join('\n')}\n`;
}

async function verdict(findings, repository, policies) {
  const result = await capture('node', [
    GATEKEEPER,
    'evaluate',
    '--findings',
    findings,
    '--repository',
    repository,
    '--policies',
    policies,
    '--output',
    'json',
  ]);
  if (result.code !== 0 && result.code !== 1)
    return `error: ${(result.stderr.split('\n')[0] ?? '').slice(0, 120)}`;
  try {
    return JSON.parse(result.stdout).verdict;
  } catch {
    return 'error: unreadable output';
  }
}

async function main(argv) {
  const base = argv[argv.indexOf('--base') + 1];
  const out = argv.includes('--out') ? argv[argv.indexOf('--out') + 1] : null;
  if (!argv.includes('--base') || !base)
    throw new Error('usage: policy-summary.mjs --base <sha> [--out FILE]');

  const diff = await capture('git', ['diff', '--name-status', base, 'HEAD', '--', 'policies/']);
  const changedFiles = diff.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [status, ...files] = line.split('\t');
      return { status, file: files.join(' → ') };
    });

  const basePolicies = mkdtempSync(join(tmpdir(), 'policies-base-'));
  try {
    await run('sh', ['-c', `git archive "${base}" policies | tar -x -C "${basePolicies}"`], { cwd: ROOT });
    const validate = await capture('node', [GATEKEEPER, 'policy', 'validate', 'policies']);
    const tests = await capture('node', [GATEKEEPER, 'policy', 'test', 'policies']);
    const testsDir = join(ROOT, 'policies', 'tests');
    const testTexts = readdirSync(testsDir)
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => readFileSync(join(testsDir, f), 'utf8'));
    const repositories = repositoriesFromTests(testTexts);
    const findingsDir = join(testsDir, 'findings');
    const rows = [];
    for (const file of readdirSync(findingsDir)
      .filter((f) => f.endsWith('.json'))
      .sort()) {
      for (const repository of repositories) {
        const findings = join(findingsDir, file);
        rows.push({
          findings: file,
          repository,
          base: await verdict(findings, repository, join(basePolicies, 'policies')),
          head: await verdict(findings, repository, join(ROOT, 'policies')),
        });
      }
    }
    const markdown = renderSummary({ changedFiles, validate, tests, rows });
    if (out) writeFileSync(out, markdown);
    else process.stdout.write(markdown);
  } finally {
    rmSync(basePolicies, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((error) => {
    process.stderr.write(`policy-summary: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  });
}
