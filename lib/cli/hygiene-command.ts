/**
 * `gatekeeper hygiene plan --repositories FILE [--baseline policies/hygiene.yaml] [--now ISO-8601]
 *  [--scope GLOB]... [--output text|json]`
 *
 * Prints the drift plan offline from a dump (format: lib/hygiene/dump.ts) against the hygiene baseline.
 * Progress goes to stderr every 100 repositories. Exit codes: 0 every repository complies (or opted out);
 * 1 drift, conflicts or refused changes found; 2 bad usage or bad input (file and field named on stderr).
 */
import { resolve } from 'node:path';
import { loadConfig } from '../config/index.ts';
import { InvalidInputError } from '../errors/gatekeeper-error.ts';
import { DEFAULT_PREFIXES, loadBaseline } from '../hygiene/baseline.ts';
import { type CliIo, parseNow, parseOptions, readJsonFile, UsageError } from '../hygiene/cli-support.ts';
import { parseHygieneDump } from '../hygiene/dump.ts';
import { BaselineInvalidError, formatProblem, LifecyclePolicyInvalidError } from '../hygiene/errors.ts';
import { type HygienePlan, planHygiene } from '../hygiene/plan.ts';

const USAGE =
  'usage: gatekeeper hygiene plan --repositories FILE [--baseline policies/hygiene.yaml] [--now ISO-8601] [--scope GLOB]... [--output text|json]';

function renderText(plan: HygienePlan): string {
  const lines: string[] = [];
  for (const repo of plan.repositories) {
    if (repo.status === 'compliant') continue;
    lines.push(`${repo.repository}: ${repo.status} (${repo.settingsSource})`);
    for (const item of repo.items) lines.push(`  ${item.level.padEnd(8)} ${item.aspect}: ${item.message}`);
    for (const change of repo.changes) {
      if (change.kind === 'put-lifecycle-policy') {
        lines.push(
          `  change   PutLifecyclePolicy (${JSON.parse(change.policyText).rules.length} rules; would act on ${change.affectedNow} image(s) now)`,
        );
      } else if (change.kind === 'put-tag-mutability') {
        lines.push(
          `  change   PutImageTagMutability ${change.mutability}${change.exclusions.length ? ` [${change.exclusions.join(', ')}]` : ''}`,
        );
      } else {
        lines.push('  change   PutImageScanningConfiguration scanOnPush=true');
      }
    }
  }
  const t = plan.totals;
  lines.push(
    `${t.repositories} repositories: ${t.compliant} compliant, ${t.drift} drift, ${t.conflict} conflict, ${t.refused} refused, ${t['opted-out']} opted out; ${t.changes} change(s) planned`,
  );
  return `${lines.join('\n')}\n`;
}

/**
 * Runs `gatekeeper hygiene …` (args after `hygiene`).
 * @example await runHygiene(['plan', '--repositories', 'dump.json'], { stdout, stderr, env, cwd })
 */
export async function runHygiene(args: string[], io: CliIo): Promise<number> {
  try {
    const [sub, ...rest] = args;
    if (sub !== 'plan')
      throw new UsageError(sub ? `unknown subcommand "hygiene ${sub}"` : 'missing subcommand');
    const { options, positional } = parseOptions(rest, {
      repositories: 'single',
      baseline: 'single',
      now: 'single',
      scope: 'multi',
      output: 'single',
    });
    if (positional.length > 0) throw new UsageError(`unexpected argument "${positional[0]}"`);
    const dumpFile = options.get('repositories')?.[0];
    if (!dumpFile) throw new UsageError('--repositories FILE is required');
    const output = options.get('output')?.[0] ?? 'text';
    if (output !== 'json' && output !== 'text')
      throw new UsageError(`--output must be json or text (got "${output}")`);
    const now = parseNow(options.get('now')?.[0]);
    const config = loadConfig(io.env, { requireAws: false });
    const prefixes = { approvedPrefix: config.approvedPrefix, quarantinedPrefix: config.quarantinedPrefix };
    const baselineFile = options.get('baseline')?.[0] ?? 'policies/hygiene.yaml';
    const baseline = await loadBaseline(resolve(io.cwd, baselineFile), prefixes ?? DEFAULT_PREFIXES);
    const dump = parseHygieneDump(await readJsonFile(io, dumpFile), dumpFile);
    const scope = options.get('scope') ?? config.repositoryScope;
    const started = Date.now();
    const plan = planHygiene(dump, baseline, { now, scope, ...prefixes }, (done, total) => {
      if (total >= 100)
        io.stderr.write(`hygiene plan: ${done}/${total} repositories (${Date.now() - started} ms)\n`);
    });
    io.stdout.write(output === 'json' ? `${JSON.stringify(plan, null, 2)}\n` : renderText(plan));
    return plan.totals.repositories === plan.totals.compliant + plan.totals['opted-out'] ? 0 : 1;
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`gatekeeper hygiene: ${error.message}\n${USAGE}\n`);
      return 2;
    }
    if (error instanceof LifecyclePolicyInvalidError || error instanceof BaselineInvalidError) {
      io.stderr.write(`${error.problems.map(formatProblem).join('\n')}\n`);
      return 2;
    }
    if (error instanceof InvalidInputError || (error as Error).name === 'ConfigError') {
      io.stderr.write(`${(error as Error).message}\n`);
      return 2;
    }
    throw error;
  }
}
