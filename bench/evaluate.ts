/**
 * Benchmark: 10,000 findings against a policy with 20 rules and 200 exceptions (DESIGN.md target: a few ms).
 * Run: npx tsx bench/evaluate.ts [runs]. Prints machine info, then median and p95 per evaluation.
 */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { cpus, loadavg, platform, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import type { Finding, Severity } from '../lib/findings/finding.ts';
import { evaluate, loadPolicySet } from '../lib/policy/index.ts';

const RUNS = Number(process.argv[2] ?? 200);
const FINDINGS = 10_000;
const EXCEPTIONS = 200;
const SEVERITIES: Severity[] = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL', 'UNDEFINED'];

// Deterministic pseudo-random numbers (no Math.random: the same data on every run).
let seed = 42;
function rand(): number {
  seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
  return seed / 2_147_483_648;
}

// 20 rules: 5 severity limits + score + exploit + EPSS + 7 denied packages + 5 image rules.
const POLICY = `apiVersion: gatekeeper/v1
kind: Policy
name: default
default: true
rules:
  maxSeverity:
    CRITICAL: 0
    HIGH: { max: 0, fixableOnly: true }
    MEDIUM: { max: 2000, fixableOnly: true }
    LOW: 5000
    INFORMATIONAL: 5000
  score: { atLeast: 9.0 }
  exploitAvailable: { deny: true }
  epss: { atLeast: 0.5 }
  deniedPackages:
${Array.from({ length: 7 }, (_, i) => `    - { name: 'pkg-${i}*', versions: ['>=1.0.0 <1.${i}.5', '2.0.${i}-r0'] }`).join('\n')}
  image:
    runsAsRoot: deny
    requiredLabels: [org.opencontainers.image.source]
    maxSizeBytes: 1073741824
    tagNaming: [semver, semver+sha]
    latestAlone: deny
`;

function exceptionsYaml(): string {
  const lines = ['apiVersion: gatekeeper/v1', 'kind: Exceptions', 'exceptions:'];
  for (let i = 0; i < EXCEPTIONS; i += 1) {
    lines.push(
      `  - id: waiver-${i}`,
      `    finding: CVE-2024-${String(i * 7).padStart(5, '0')}`,
      '    reason: benchmark',
      '    owner: bench@example.com',
      '    expires: 2099-12-31',
      ...(i % 2 === 0 ? ['    until: fix-available'] : []),
      '    scope:',
      `      repositories: ['orders/*', 'payments/*']`,
      `      packages: ['pkg-${i % 50}*']`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Two distributions of the same size. `typical`: severities and fix/exploit/EPSS rates shaped like a real
 * distro image (mostly MEDIUM/LOW, a few fixable HIGH, 1% known exploits), so few findings violate.
 * `worst`: uniform severities, half fixable, 10% exploited: almost every finding violates a rule, and the
 * decision lists ~10,000 violations.
 */
function findings(kind: 'typical' | 'worst'): Finding[] {
  const pickSeverity = (): Severity => {
    if (kind === 'worst') return SEVERITIES[Math.floor(rand() * SEVERITIES.length)] as Severity;
    const r = rand();
    return r < 0.005
      ? 'CRITICAL'
      : r < 0.08
        ? 'HIGH'
        : r < 0.5
          ? 'MEDIUM'
          : r < 0.9
            ? 'LOW'
            : r < 0.97
              ? 'INFORMATIONAL'
              : 'UNDEFINED';
  };
  return Array.from({ length: FINDINGS }, (_, i) => {
    const severity = pickSeverity();
    const fixable = kind === 'worst' ? rand() < 0.5 : severity !== 'HIGH' && rand() < 0.3;
    return {
      id: `CVE-2024-${String(Math.floor(rand() * 3000)).padStart(5, '0')}`,
      severity,
      score: rand() < 0.9 ? Math.round(rand() * (kind === 'worst' ? 100 : 89)) / 10 : null,
      epss: rand() < 0.5 ? rand() * (kind === 'worst' ? 1 : 0.4) : null,
      fixAvailable: fixable ? 'YES' : 'NO',
      exploitAvailable: kind === 'worst' ? rand() < 0.1 : false,
      package: `pkg-${i % 400}`,
      version:
        kind === 'worst'
          ? `1.${Math.floor(rand() * 10)}.${Math.floor(rand() * 10)}`
          : `3.${Math.floor(rand() * 10)}.1`,
      fixedIn: null,
      url: null,
      title: null,
      source: 'ecr-enhanced',
    };
  });
}

const dir = join(await mkdtemp(join(tmpdir(), 'gk-bench-')), 'policies');
await mkdir(join(dir, 'exceptions'), { recursive: true });
await writeFile(join(dir, 'default.yaml'), POLICY);
await writeFile(join(dir, 'exceptions', 'bench.yaml'), exceptionsYaml());
const set = await loadPolicySet(dir);
const image = { repository: 'orders/api', tags: ['1.4.2', 'latest'], digest: null };
const facts = { user: 'app', sizeBytes: 200_000_000, labels: { 'org.opencontainers.image.source': 'x' } };
const now = new Date('2026-11-23T00:00:00Z');
const cpu = cpus();
console.log(
  `machine: ${cpu[0]?.model ?? 'unknown CPU'} × ${cpu.length}, ${Math.round(totalmem() / 2 ** 30)} GiB, ${platform()} ${release()}, Node ${process.version}, load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
for (const kind of ['typical', 'worst'] as const) {
  const input = findings(kind);
  const first = evaluate(input, image, facts, set, now); // compiles the set once (cached per set)
  for (let i = 0; i < 20; i += 1) evaluate(input, image, facts, set, now);
  const times: number[] = [];
  for (let i = 0; i < RUNS; i += 1) {
    const t = process.hrtime.bigint();
    evaluate(input, image, facts, set, now);
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  times.sort((a, b) => a - b);
  const pick = (q: number) =>
    (times[Math.min(times.length - 1, Math.floor(q * times.length))] as number).toFixed(2);
  console.log(
    `${kind}: ${FINDINGS} findings, 20 rules, ${set.exceptions.length} exceptions → ${first.verdict}, ${first.violations.length} violations, ${first.waived.length} waived`,
  );
  console.log(
    `  evaluate × ${RUNS}: median ${pick(0.5)} ms, p95 ${pick(0.95)} ms, min ${times[0]?.toFixed(2)} ms`,
  );
}
