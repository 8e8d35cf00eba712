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

/** Wall-clock and CPU milliseconds of each timed run. */
export interface Samples {
  readonly wall: number[];
  readonly cpu: number[];
}

/**
 * Wall-clock and process CPU time (user + system, so GC threads count) of each of `runs` runs of `calls` calls
 * of `fn`, per call, after `warmup` untimed runs. On a shared machine CPU time leaves out the time the process
 * waited for a core; both are reported.
 */
export function sample(fn: () => unknown, runs: number, calls = 1, warmup = 0): Samples {
  for (let i = 0; i < warmup * calls; i += 1) fn();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < runs; r += 1) {
    const startCpu = process.cpuUsage();
    const start = process.hrtime.bigint();
    for (let i = 0; i < calls; i += 1) fn();
    wall.push(Number(process.hrtime.bigint() - start) / 1e6 / calls);
    const used = process.cpuUsage(startCpu);
    cpu.push((used.user + used.system) / 1000 / calls);
  }
  return { wall, cpu };
}

/** Appends `more` to `into` (interleaved rounds of several measured functions). */
export function addSamples(into: Samples, more: Samples): void {
  into.wall.push(...more.wall);
  into.cpu.push(...more.cpu);
}

export function emptySamples(): Samples {
  return { wall: [], cpu: [] };
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
