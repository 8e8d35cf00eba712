/**
 * Policy evaluation benchmarks, warm (the policy set compiled once and cached, as in a Lambda container):
 *
 * 1. 10,000 findings against a policy with 20 rules and 200 exceptions, a typical and a worst-case distribution:
 *    median, p95 and min per evaluation.
 * 2. Evaluate ÷ floor over 1,000 / 10,000 / 100,000 findings × 0 / 200 / 2,000 exceptions, where the floor is
 *    `severityCounts` of the same findings (the decision's summary: distinct ids counted by severity), the least
 *    any evaluation must do. Both are timed interleaved in the same run, so the ratio holds on a loaded machine.
 *
 *   npx tsx bench/evaluate.ts [runs=200] [--quick]
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Finding, Severity } from '../lib/findings/finding.ts';
import { severityCounts } from '../lib/findings/severity-counts.ts';
import { evaluate, loadPolicySet, type PolicySet } from '../lib/policy/index.ts';
import {
  ARGS,
  addSamples,
  emptySamples,
  machineLine,
  median,
  QUICK,
  quantile,
  sample,
  seededRandom,
} from './support/measure.ts';

const RUNS = QUICK ? 2 : Number(ARGS[0] ?? 200);
const HEADLINE_FINDINGS = QUICK ? 200 : 10_000;
const HEADLINE_EXCEPTIONS = QUICK ? 20 : 200;
const TABLE_FINDINGS = QUICK ? [200] : [1_000, 10_000, 100_000];
const TABLE_EXCEPTIONS = QUICK ? [0, 20] : [0, 200, 2_000];
const SEVERITIES: Severity[] = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL', 'UNDEFINED'];

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

/**
 * Exceptions `from` … `to - 1` on ids CVE-2024-00000, -00007, …; scoped by repository and package, half until a
 * fix is available.
 */
function exceptionsYaml(from: number, to: number): string {
  const lines = ['apiVersion: gatekeeper/v1', 'kind: Exceptions', 'exceptions:'];
  for (let i = from; i < to; i += 1) {
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

async function policySet(exceptions: number): Promise<PolicySet> {
  const root = await mkdtemp(join(tmpdir(), 'gk-bench-'));
  try {
    const dir = join(root, 'policies');
    await mkdir(join(dir, 'exceptions'), { recursive: true });
    await writeFile(join(dir, 'default.yaml'), POLICY);
    // A file holds at most 1,000 exceptions (the loader's limit).
    for (let from = 0; from < exceptions; from += 500) {
      const to = Math.min(exceptions, from + 500);
      await writeFile(join(dir, 'exceptions', `bench-${from}.yaml`), exceptionsYaml(from, to));
    }
    return await loadPolicySet(dir);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/**
 * Two distributions. `typical`: severities and fix/exploit/EPSS rates shaped like a real distro image (mostly
 * MEDIUM/LOW, a few fixable HIGH, no known exploits), so few findings violate. `worst`: uniform severities, half
 * fixable, 10% exploited: almost every finding violates a rule. Ids come from a pool of `ids` (3,000 for the
 * headline, as in earlier figures), so several packages share an id.
 */
function findings(kind: 'typical' | 'worst', n: number, ids: number, seed: number): Finding[] {
  const rand = seededRandom(seed);
  // Through JSON, as findings arrive (strings flat, as parsed from a response), not as built here.
  return JSON.parse(JSON.stringify(generate(kind, n, ids, rand))) as Finding[];
}

function generate(kind: 'typical' | 'worst', n: number, ids: number, rand: () => number): Finding[] {
  const pickSeverity = (): Severity => {
    if (kind === 'worst') return SEVERITIES[Math.floor(rand() * SEVERITIES.length)] as Severity;
    const r = rand();
    if (r < 0.005) return 'CRITICAL';
    if (r < 0.08) return 'HIGH';
    if (r < 0.5) return 'MEDIUM';
    if (r < 0.9) return 'LOW';
    return r < 0.97 ? 'INFORMATIONAL' : 'UNDEFINED';
  };
  return Array.from({ length: n }, (_, i) => {
    const severity = pickSeverity();
    const fixable = kind === 'worst' ? rand() < 0.5 : severity !== 'HIGH' && rand() < 0.3;
    return {
      id: `CVE-2024-${String(Math.floor(rand() * ids)).padStart(5, '0')}`,
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

const image = { repository: 'orders/api', tags: ['1.4.2', 'latest'], digest: null };
const facts = { user: 'app', sizeBytes: 200_000_000, labels: { 'org.opencontainers.image.source': 'x' } };
const now = new Date('2026-11-23T00:00:00Z');

console.log(machineLine());

const headlineSet = await policySet(HEADLINE_EXCEPTIONS);
console.log(
  `\n${HEADLINE_FINDINGS} findings, 20 rules, ${headlineSet.exceptions.length} exceptions; ${RUNS} evaluations each`,
);
console.log('distribution | verdict | violations | waived | median ms | p95 ms | min ms | CPU median ms');
for (const kind of ['typical', 'worst'] as const) {
  const input = findings(kind, HEADLINE_FINDINGS, 3_000, 42);
  const decision = evaluate(input, image, facts, headlineSet, now);
  const { wall, cpu } = sample(
    () => evaluate(input, image, facts, headlineSet, now),
    RUNS,
    1,
    QUICK ? 1 : 50,
  );
  console.log(
    `${kind} | ${decision.verdict} | ${decision.violations.length} | ${decision.waived.length} | ${median(wall).toFixed(2)} | ${quantile(wall, 0.95).toFixed(2)} | ${quantile(wall, 0).toFixed(2)} | ${median(cpu).toFixed(2)}`,
  );
}

console.log(
  '\nevaluate ÷ floor (floor: severityCounts of the same findings), typical distribution, interleaved rounds, medians',
);
console.log(
  'findings | exceptions | violations | waived | evaluate ms | floor ms | ratio (wall) | evaluate CPU ms | floor CPU ms | ratio (CPU)',
);
const sets = new Map<number, PolicySet>();
for (const count of TABLE_EXCEPTIONS) sets.set(count, await policySet(count));
for (const n of TABLE_FINDINGS) {
  const input = findings('typical', n, Math.max(3_000, Math.round(n * 0.3)), n);
  // Each timing covers about 20,000 findings (several calls for the small inputs), so CPU time (µs resolution)
  // reads well; fewer rounds for the big inputs.
  const calls = Math.max(1, Math.round(20_000 / n));
  const rounds = QUICK ? 2 : Math.max(15, Math.round(RUNS / Math.max(1, n / 10_000)));
  for (const count of TABLE_EXCEPTIONS) {
    const set = sets.get(count) as PolicySet;
    const decision = evaluate(input, image, facts, set, now);
    const ev = emptySamples();
    const floor = emptySamples();
    for (let r = 0; r < rounds; r += 1) {
      const warmup = r === 0 ? 3 : 0;
      addSamples(
        ev,
        sample(() => evaluate(input, image, facts, set, now), 1, calls, warmup),
      );
      addSamples(
        floor,
        sample(() => severityCounts(input), 1, calls, warmup),
      );
    }
    const [e, f, ec, fc] = [median(ev.wall), median(floor.wall), median(ev.cpu), median(floor.cpu)];
    console.log(
      `${n} | ${count} | ${decision.violations.length} | ${decision.waived.length} | ${e.toFixed(3)} | ${f.toFixed(3)} | ${(e / f).toFixed(1)}× | ${ec.toFixed(3)} | ${fc.toFixed(3)} | ${(ec / fc).toFixed(1)}×`,
    );
  }
}
