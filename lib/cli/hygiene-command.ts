/**
 * `gatekeeper hygiene plan --repositories FILE [--baseline FILE] [--now ISO-8601]
 *  [--scope GLOB]... [--output text|json]`
 *
 * Prints the drift plan offline from a dump (format: lib/hygiene/dump.ts) against the hygiene baseline.
 * Progress goes to stderr every 100 repositories. Exit codes: 0 every repository complies (or opted out);
 * 1 drift, conflicts or refused changes found; 2 bad usage or bad input (file and field named on stderr).
 */
import { join, resolve } from 'node:path';
import { loadConfig } from '../config/index.ts';
import {
  BaselineInvalidError,
  type HygienePlan,
  loadBaseline,
  parseHygieneDump,
  planHygiene,
} from '../hygiene/index.ts';
import { choice, parseArgs, parseNow, single } from './args.ts';
import { EXIT, UsageError, unknownSubcommand } from './errors.ts';
import { readInputJson } from './input-file.ts';
import type { CliIo } from './io.ts';
import { choosePolicyDir } from './policy-location.ts';

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
  const [sub, ...rest] = args;
  if (sub !== 'plan') throw unknownSubcommand('hygiene', sub, ['plan']);
  const parsed = parseArgs(rest, {
    repositories: 'single',
    baseline: 'single',
    now: 'single',
    scope: 'multi',
    output: 'single',
  });
  if (parsed.positional.length > 0) throw new UsageError(`unexpected argument "${parsed.positional[0]}"`);
  const dumpFile = single(parsed, 'repositories');
  if (!dumpFile) throw new UsageError('option "--repositories FILE" is required');
  const output = choice(parsed, 'output', ['text', 'json'] as const, 'text');
  const now = parseNow(parsed).getTime();
  // A bad GATEKEEPER_* variable throws lib/config's ConfigError: main prints it, exit 2.
  const config = loadConfig(io.env, { requireAws: false });
  const prefixes = { approvedPrefix: config.approvedPrefix, quarantinedPrefix: config.quarantinedPrefix };
  const baselineOption = single(parsed, 'baseline');
  const policies = choosePolicyDir(undefined, io);
  const baselinePath =
    baselineOption === undefined ? join(policies.dir, 'hygiene.yaml') : resolve(io.cwd, baselineOption);
  const baselineShown = baselineOption ?? join(policies.shown, 'hygiene.yaml');
  // A baseline or dump with several problems is reported by main as its first problem and how many more.
  const baseline = await loadBaseline(baselinePath, prefixes).catch((error: unknown) => {
    if (!(error instanceof BaselineInvalidError)) throw error;
    // Named as typed (or as found), not by the absolute path the loader was given.
    throw new BaselineInvalidError(
      error.problems.map((p) => ({ ...p, file: p.file === baselinePath ? baselineShown : p.file })),
    );
  });
  const dump = parseHygieneDump(await readInputJson(io, dumpFile), dumpFile);
  const scope = parsed.options.get('scope') ?? config.repositoryScope;
  const started = Date.now();
  const plan = planHygiene(dump, baseline, { now, scope, ...prefixes }, (done, total) => {
    if (total >= 100)
      io.stderr.write(`hygiene plan: ${done}/${total} repositories (${Date.now() - started} ms)\n`);
  });
  io.stdout.write(output === 'json' ? `${JSON.stringify(plan, null, 2)}\n` : renderText(plan));
  return plan.totals.repositories === plan.totals.compliant + plan.totals['opted-out']
    ? EXIT.ok
    : EXIT.failed;
}
