/**
 * The drift plan over many repositories (pure): what `gatekeeper hygiene plan` prints and what the sweep applies.
 */
import { isRepositoryInScope } from '../config/index.ts';
import { type CompileOptions, type HygieneBaseline, settingsFor } from './baseline.ts';
import { type PlanStatus, planRepository, type RepositoryPlan } from './drift.ts';
import type { HygieneDump } from './dump.ts';

export interface HygienePlan {
  readonly generatedAt: string;
  readonly baseline: string;
  readonly totals: Readonly<Record<PlanStatus, number>> & {
    readonly repositories: number;
    readonly changes: number;
  };
  readonly repositories: readonly RepositoryPlan[];
}

export function emptyTotals(): Record<PlanStatus, number> {
  return { compliant: 0, drift: 0, conflict: 0, refused: 0, 'opted-out': 0 };
}

/**
 * Plans every repository of a dump against the baseline. `onProgress(done, total)` is called every 100
 * repositories and at the end (the CLI prints it on stderr).
 * @example planHygiene(parseHygieneDump(json, 'dump.json'), baseline, { now: Date.now(), scope: ['*'], ...DEFAULT_PREFIXES })
 */
export function planHygiene(
  dump: HygieneDump,
  baseline: HygieneBaseline,
  options: CompileOptions & { readonly now: number; readonly scope: readonly string[] },
  onProgress?: (done: number, total: number) => void,
): HygienePlan {
  const inScope = dump.repositories
    .filter((r) => isRepositoryInScope(options.scope, r.name))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const totals = emptyTotals();
  const plans: RepositoryPlan[] = [];
  let changes = 0;
  inScope.forEach((state, i) => {
    const plan = planRepository(state, settingsFor(baseline, state.name), {
      now: options.now,
      registryScanning: dump.registryScanning,
      approvedPrefix: options.approvedPrefix,
      quarantinedPrefix: options.quarantinedPrefix,
    });
    totals[plan.status] += 1;
    changes += plan.changes.length;
    plans.push(plan);
    if (onProgress && ((i + 1) % 100 === 0 || i + 1 === inScope.length)) onProgress(i + 1, inScope.length);
  });
  return {
    generatedAt: new Date(options.now).toISOString(),
    baseline: baseline.file,
    totals: { ...totals, repositories: plans.length, changes },
    repositories: plans,
  };
}
