/**
 * `gatekeeper policy validate [DIR] [--now ISO-8601] [--output text|json]` and
 * `gatekeeper policy test [DIR] [--now ISO-8601] [--output text|json]` (DIR defaults to ./policies).
 *
 * validate: exit 0 when no problem is an error (warnings such as soon-expiring exceptions are printed),
 * 2 when any is (every problem on stderr as `file: path: message`).
 * test: exit 0 when every case passes, 1 when any fails, 2 when the policy set itself is invalid.
 * `gatekeeper policy impact …` lives in policy-impact-command.ts.
 */
import { formatProblem, runPolicyTests, validatePolicyDir } from '../policy/index.ts';
import { choice, parseArgs, parseNow } from './args.ts';
import { EXIT, UsageError, unknownSubcommand } from './errors.ts';
import type { CliIo } from './io.ts';
import {
  choosePolicyDirToCheck,
  locateProblems,
  policyFileLocator,
  showingPolicyDir,
} from './policy-location.ts';

/**
 * Runs `gatekeeper policy validate|test …` (args after `policy`) and returns the exit code.
 * @example await runPolicy(['validate', 'policies'], io) // 0 when no problem is an error
 */
export async function runPolicy(args: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === 'impact') {
    // Loaded on demand: the snapshot reader and git export are not needed by validate and test.
    const { runPolicyImpact } = await import('./policy-impact-command.ts');
    return runPolicyImpact(rest, io);
  }
  if (sub !== 'validate' && sub !== 'test')
    throw unknownSubcommand('policy', sub, ['validate', 'test', 'impact']);
  const parsed = parseArgs(rest, { now: 'single', output: 'single' });
  if (parsed.positional.length > 1) throw new UsageError(`unexpected argument "${parsed.positional[1]}"`);
  const policies = choosePolicyDirToCheck(parsed.positional[0], io);
  const { dir, shown: dirArg } = policies;
  const output = choice(parsed, 'output', ['text', 'json'] as const, 'text');
  const now = parseNow(parsed);
  const locate = policyFileLocator(io.cwd, dirArg);
  return showingPolicyDir(
    io.cwd,
    policies,
    sub === 'validate' ? validate(io, dir, dirArg, now, output, locate) : test(io, dir, now, output, locate),
  );
}

async function validate(
  io: CliIo,
  dir: string,
  dirArg: string,
  now: Date,
  output: 'text' | 'json',
  locate: (file: string) => string,
): Promise<number> {
  const found = await validatePolicyDir(dir, now);
  const report = { files: found.files.map(locate), problems: locateProblems(found.problems, locate) };
  const errors = report.problems.filter((p) => p.level === 'error');
  if (output === 'json') {
    io.stdout.write(`${JSON.stringify({ valid: errors.length === 0, ...report }, null, 2)}\n`);
  } else {
    for (const p of report.problems) io.stderr.write(`${p.level}: ${formatProblem(p)}\n`);
    const warnings = report.problems.length - errors.length;
    const tail = warnings > 0 ? `, ${warnings} warning${warnings === 1 ? '' : 's'}` : '';
    if (errors.length === 0) io.stdout.write(`${dirArg}: ${report.files.length} files valid${tail}\n`);
    else
      io.stdout.write(
        `${dirArg}: ${errors.length} error${errors.length === 1 ? '' : 's'}${tail} in ${report.files.length} files\n`,
      );
  }
  return errors.length === 0 ? EXIT.ok : EXIT.invalid;
}

async function test(
  io: CliIo,
  dir: string,
  now: Date,
  output: 'text' | 'json',
  locate: (file: string) => string,
): Promise<number> {
  const found = await runPolicyTests(dir, now);
  const report = {
    ...found,
    problems: locateProblems(found.problems, locate),
    cases: found.cases.map((c) => ({
      ...c,
      file: locate(c.file),
      failure: c.failure === null ? null : locate(c.failure),
    })),
  };
  if (output === 'json') {
    io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    for (const p of report.problems) io.stderr.write(`${p.level}: ${formatProblem(p)}\n`);
    for (const c of report.cases) {
      io.stdout.write(`${c.passed ? 'PASS' : 'FAIL'}  ${c.file}: ${c.name}\n`);
      if (!c.passed && c.failure) io.stdout.write(`      ${c.failure}\n`);
    }
    io.stdout.write(
      `${report.passed} passed, ${report.failed} failed (policy version ${report.policyVersion})\n`,
    );
  }
  return report.failed === 0 ? EXIT.ok : EXIT.failed;
}
