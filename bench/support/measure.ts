/**
 * What every bench script shares: the `--quick` switch (tiny sizes, so `npm run bench -- --quick` keeps the
 * scripts alive in CI), the machine line printed first, and medians over repeated runs.
 */
import { cpus, loadavg, platform, release, totalmem } from 'node:os';

/** True when the script was started with `--quick`: run at tiny sizes, only to prove it still works. */
export const QUICK = process.argv.includes('--quick');

/** Positional arguments (flags removed), so `--quick` can sit anywhere on the command line. */
export const ARGS = process.argv.slice(2).filter((a) => !a.startsWith('--'));

/** One line naming the machine, the runtime, the time and the load, printed before any figure. */
export function machineLine(): string {
  const cpu = cpus();
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  return `machine: ${cpu[0]?.model ?? 'unknown CPU'} × ${cpu.length}, ${Math.round(totalmem() / 2 ** 30)} GiB, ${platform()} ${release()}, Node ${process.version}, ${new Date().toISOString()}, load average ${load}`;
}

/** Milliseconds taken by each of `runs` calls of `fn`, after `warmup` untimed calls. */
export function timeRuns(fn: () => unknown, runs: number, warmup = Math.min(runs, 5)): number[] {
  for (let i = 0; i < warmup; i += 1) fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const start = process.hrtime.bigint();
    fn();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return times;
}

/** The value at quantile `q` (0–1) of `values` (not modified). */
export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

/** Deterministic pseudo-random numbers in [0, 1) (mulberry32; no Math.random: the same data on every run). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
