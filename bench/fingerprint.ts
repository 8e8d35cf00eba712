/**
 * Findings fingerprint: `fingerprintFindings` (the distinct findings in canonical order and their digest, the
 * one pass the gate makes per decision) at 1,000 / 10,000 / 100,000 findings (10% duplicate rows, as
 * overlapping pages or several children of a multi-arch index give). Timed in the same run, interleaved: the
 * version-1 digest as the gate computed it before (bench/support/fingerprint-v1.ts) and the first implementation
 * (kept in the tests), so the speed-ups are ratios on the same machine at the same load. Before timing, the script
 * checks that all three keep the same distinct findings.
 *
 *   npx tsx bench/fingerprint.ts [runs=15] [--quick]
 */
import type { Finding, Severity } from '../lib/findings/finding.ts';
import { fingerprintFindings } from '../lib/gate/fingerprint.ts';
import { referenceFindingsDigest, referenceUniqueFindings } from '../test/unit/gate/fingerprint-reference.ts';
import { fingerprintFindings as fingerprintV1 } from './support/fingerprint-v1.ts';
import {
  ARGS,
  addSamples,
  emptySamples,
  machineLine,
  median,
  QUICK,
  sample,
  seededRandom,
} from './support/measure.ts';

const RUNS = QUICK ? 2 : Number(ARGS[0] ?? 15);
const SIZES = QUICK ? [200, 1_000] : [1_000, 10_000, 100_000];
const SEVERITIES: Severity[] = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL', 'UNDEFINED'];

/** `n` findings shaped like an enhanced scan: ids repeat across packages; 10% are duplicate rows. */
function findings(n: number): Finding[] {
  const rand = seededRandom(7);
  const distinct = Math.ceil(n * 0.9);
  const rows: Finding[] = Array.from({ length: distinct }, (_, i) => ({
    id: `CVE-20${10 + Math.floor(rand() * 15)}-${String(Math.floor(rand() * 60_000)).padStart(5, '0')}`,
    severity: SEVERITIES[Math.floor(rand() * SEVERITIES.length)] as Severity,
    score: rand() < 0.9 ? Math.round(rand() * 100) / 10 : null,
    epss: rand() < 0.5 ? Math.round(rand() * 1e5) / 1e5 : null,
    fixAvailable: rand() < 0.5 ? 'YES' : 'NO',
    exploitAvailable: rand() < 0.05,
    package: `lib${i % 900}-${Math.floor(rand() * 4)}`,
    version: `${Math.floor(rand() * 5)}.${Math.floor(rand() * 20)}.${Math.floor(rand() * 30)}-r${i % 7}`,
    fixedIn: rand() < 0.4 ? `${Math.floor(rand() * 5)}.${Math.floor(rand() * 20)}.99` : null,
    url: `https://nvd.nist.gov/vuln/detail/CVE-2024-${i}`,
    title: `CVE-2024-${i} - lib${i % 900} out-of-bounds read in parser`,
    source: 'ecr-enhanced',
  }));
  // Duplicate rows are copies (new objects), as a second page or a second child would give.
  for (let i = distinct; i < n; i += 1) rows.push({ ...(rows[Math.floor(rand() * distinct)] as Finding) });
  return rows;
}

/** The same findings as sets of objects (the order differs between formats; the rows kept must not). */
function sameSet(a: readonly Finding[], b: readonly Finding[]): boolean {
  const set = new Set(b);
  return a.length === b.length && a.every((f) => set.has(f));
}

console.log(machineLine());
console.log(
  `median of ${RUNS} runs after warm-up, the three forms interleaved; ratios are the other form's time over version 2's`,
);
console.log(
  'findings | unique | version 2 ms (µs per finding) | version 1 ms | first implementation ms | ratio v1/v2 | ratio first/v2 | CPU ms: v2 / v1 / first',
);
for (const n of SIZES) {
  const input = findings(n);
  const once = fingerprintFindings(input);
  const v1 = fingerprintV1(input);
  const first = referenceUniqueFindings(input);
  if (!sameSet(once.findings, first) || !sameSet(v1.findings, first)) {
    throw new Error(`distinct findings differ from the first implementation at ${n} findings`);
  }
  if (v1.digest !== referenceFindingsDigest(input))
    throw new Error(`version-1 digest differs at ${n} findings`);
  const v2Samples = emptySamples();
  const v1Samples = emptySamples();
  const firstSamples = emptySamples();
  for (let r = 0; r < RUNS; r += 1) {
    const warmup = r === 0 ? 2 : 0;
    addSamples(
      v2Samples,
      sample(() => fingerprintFindings(input), 1, 1, warmup),
    );
    addSamples(
      v1Samples,
      sample(() => fingerprintV1(input), 1, 1, warmup),
    );
    addSamples(
      firstSamples,
      sample(() => referenceFindingsDigest(referenceUniqueFindings(input)), 1, 1, warmup),
    );
  }
  const [a, b, c] = [median(v2Samples.wall), median(v1Samples.wall), median(firstSamples.wall)];
  const cpu = [v2Samples, v1Samples, firstSamples].map((s) => median(s.cpu).toFixed(1)).join(' / ');
  console.log(
    `${n} | ${once.findings.length} | ${a.toFixed(2)} (${((a * 1000) / n).toFixed(2)}) | ${b.toFixed(2)} | ${c.toFixed(2)} | ${(b / a).toFixed(1)}× | ${(c / a).toFixed(1)}× | ${cpu}`,
  );
}
