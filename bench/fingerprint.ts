/**
 * Findings fingerprint: `uniqueFindings` then `findingsDigest` of the result, as the gate does for every
 * decision, at 1,000 / 10,000 / 100,000 findings (10% duplicate rows, as overlapping pages or several children
 * of a multi-arch index give). The first implementation (kept in the tests as the byte-identical reference) is
 * measured in the same run, so the speed-up is a ratio on the same machine at the same load.
 *
 *   npx tsx bench/fingerprint.ts [runs=15] [--quick]
 */
import type { Finding, Severity } from '../lib/findings/finding.ts';
import { findingsDigest, fingerprintFindings, uniqueFindings } from '../lib/gate/fingerprint.ts';
import { referenceFindingsDigest, referenceUniqueFindings } from '../test/unit/gate/fingerprint-reference.ts';
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

console.log(machineLine());
console.log(
  `median of ${RUNS} runs after warm-up, the three forms interleaved; ratios are the first implementation's time over ours`,
);
console.log(
  'findings | unique | fingerprintFindings ms (µs per finding) | uniqueFindings + findingsDigest ms | first implementation ms | ratio one pass | ratio two calls | CPU ms: one pass / two calls / first',
);
for (const n of SIZES) {
  const input = findings(n);
  const once = fingerprintFindings(input);
  const expected = referenceFindingsDigest(referenceUniqueFindings(input));
  if (once.digest !== expected || findingsDigest(uniqueFindings(input)) !== expected) {
    throw new Error(`digest differs from the first implementation at ${n} findings`);
  }
  const onePass = emptySamples();
  const twoCalls = emptySamples();
  const first = emptySamples();
  for (let r = 0; r < RUNS; r += 1) {
    const warmup = r === 0 ? 2 : 0;
    addSamples(
      onePass,
      sample(() => fingerprintFindings(input), 1, 1, warmup),
    );
    addSamples(
      twoCalls,
      sample(() => findingsDigest(uniqueFindings(input)), 1, 1, warmup),
    );
    addSamples(
      first,
      sample(() => referenceFindingsDigest(referenceUniqueFindings(input)), 1, 1, warmup),
    );
  }
  const [a, b, c] = [median(onePass.wall), median(twoCalls.wall), median(first.wall)];
  const cpu = [onePass, twoCalls, first].map((s) => median(s.cpu).toFixed(1)).join(' / ');
  console.log(
    `${n} | ${once.findings.length} | ${a.toFixed(2)} (${((a * 1000) / n).toFixed(2)}) | ${b.toFixed(2)} | ${c.toFixed(2)} | ${(c / a).toFixed(1)}× | ${(c / b).toFixed(1)}× | ${cpu}`,
  );
}
