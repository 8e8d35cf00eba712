/**
 * Benchmark: start-up of the packaged CLI (dist/cli/gatekeeper.mjs, the bundle `npm pack` ships), as a pipeline
 * runs it: a new Node.js process per call. Measures `gatekeeper --version` and `gatekeeper evaluate` on a
 * generated 10,000-finding Trivy report with the shipped policies (goals: under 300 ms and under 1 s).
 * Run: npm run bench:cli [runs]   (builds the bundle first; prints machine, date, median, p95 and min per case)
 * `--quick` (the bench runner's smoke run): 2 runs over 200 findings, so the script never rots.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, platform, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildCliBundles, CLI_BUNDLES } from '../scripts/build-cli.ts';

const QUICK = process.argv.includes('--quick');
const RUNS = QUICK ? 2 : Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 15);
const FINDINGS = QUICK ? 200 : 10_000;
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'UNKNOWN'] as const;

// Deterministic pseudo-random numbers: the same report on every run.
let seed = 7;
function rand(): number {
  seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
  return seed / 2_147_483_648;
}

/** A `trivy image -f json` report (SchemaVersion 2) with FINDINGS vulnerabilities over two results. */
function trivyReport(): unknown {
  const vulnerability = (i: number) => {
    const severity = SEVERITIES[Math.floor(rand() ** 2 * SEVERITIES.length)] as string;
    const fixed = rand() < 0.4;
    return {
      VulnerabilityID: `CVE-2024-${String(10_000 + i)}`,
      PkgName: `pkg-${i % 900}`,
      PkgID: `pkg-${i % 900}@1.${i % 13}.${i % 7}`,
      InstalledVersion: `1.${i % 13}.${i % 7}`,
      ...(fixed ? { FixedVersion: `1.${i % 13}.${(i % 7) + 1}` } : {}),
      Status: fixed ? 'fixed' : 'affected',
      SeveritySource: 'nvd',
      PrimaryURL: `https://avd.aquasec.com/nvd/cve-2024-${10_000 + i}`,
      Title: `pkg-${i % 900}: a generated vulnerability`,
      Severity: severity,
      CVSS: { nvd: { V3Score: Math.round(rand() * 100) / 10 } },
    };
  };
  const half = FINDINGS / 2;
  return {
    SchemaVersion: 2,
    CreatedAt: '2026-11-23T12:00:00Z',
    ArtifactName: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/orders/api:1.4.2',
    ArtifactType: 'container_image',
    Metadata: {
      OS: { Family: 'debian', Name: '12.8' },
      RepoTags: ['123456789012.dkr.ecr.eu-west-1.amazonaws.com/orders/api:1.4.2'],
      RepoDigests: [`123456789012.dkr.ecr.eu-west-1.amazonaws.com/orders/api@sha256:${'ab'.repeat(32)}`],
    },
    Results: [
      {
        Target: 'orders/api (debian 12.8)',
        Class: 'os-pkgs',
        Type: 'debian',
        Vulnerabilities: Array.from({ length: half }, (_, i) => vulnerability(i)),
      },
      {
        Target: 'app/package-lock.json',
        Class: 'lang-pkgs',
        Type: 'npm',
        Vulnerabilities: Array.from({ length: FINDINGS - half }, (_, i) => vulnerability(half + i)),
      },
    ],
  };
}

function time(args: string[], cwd: string): { ms: number; code: number | null } {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, [join(ROOT, CLI_BUNDLES.cli.out), ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '' },
    stdio: ['ignore', 'ignore', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0 && result.status !== 1) {
    throw new Error(`gatekeeper ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  }
  return { ms, code: result.status };
}

function stats(samples: number[]): { median: number; p95: number; min: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
  return { median: at(0.5), p95: at(0.95), min: sorted[0] as number };
}

const [bundle] = await buildCliBundles(ROOT, ['cli']);
const dir = mkdtempSync(join(tmpdir(), 'gk-bench-cli-'));
const report = join(dir, 'trivy.json');
writeFileSync(report, JSON.stringify(trivyReport()));

const cpu = cpus();
console.log(
  `machine: ${cpu[0]?.model ?? 'unknown CPU'} × ${cpu.length}, ${Math.round(totalmem() / 2 ** 30)} GiB, ${platform()} ${release()}, Node ${process.version}, load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
console.log(
  `date: ${new Date().toISOString()}; bundle ${bundle?.path} ${bundle?.bytes} bytes; ${RUNS} runs each`,
);

const cases: { name: string; args: string[]; goal: number }[] = [
  { name: 'gatekeeper --version', args: ['--version'], goal: 300 },
  {
    name: `gatekeeper evaluate (Trivy, ${FINDINGS.toLocaleString('en')} findings)`,
    args: ['evaluate', '--findings', report, '--output', 'json', '--now', '2026-11-23T12:00:00Z'],
    goal: 1000,
  },
];
try {
  for (const c of cases) {
    time(c.args, dir); // warm the file cache
    const samples = Array.from({ length: RUNS }, () => time(c.args, dir).ms);
    const s = stats(samples);
    console.log(
      `${c.name.padEnd(48)} median ${s.median.toFixed(0)} ms  p95 ${s.p95.toFixed(0)} ms  min ${s.min.toFixed(0)} ms  (goal < ${c.goal} ms: ${s.median < c.goal ? 'met' : 'NOT met'})`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
