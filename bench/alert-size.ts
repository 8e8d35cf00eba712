/**
 * Alert size cut: building the alert of a quarantine decision with 10,000 and 60,000 violations (plus 2,000
 * waivers and 300 tags), which must be cut to SNS's 256 KiB. `assemble` (sizes measured once, one
 * serialisation, one check) is timed against the first implementation (test/unit/notify/assemble-reference.ts:
 * a binary search re-serialising the whole message on every try) on the same parts in the same run, and both
 * are checked to keep the same items. The parts themselves (texts, ranking) are built once, outside the timing,
 * and also timed on their own so the whole alert's cost is visible.
 *
 *   npx tsx bench/alert-size.ts [runs=9] [--quick]
 */
import { alertParts, assemble, type Notice } from '../lib/notify/format.ts';
import type { Violation } from '../lib/policy/decision.ts';
import { referenceAssemble } from '../test/unit/notify/assemble-reference.ts';
import {
  decision,
  imageContext,
  manyFindings,
  violationFor,
  waived,
} from '../test/unit/notify/notice-fixtures.ts';
import { ARGS, addSamples, emptySamples, machineLine, median, QUICK, sample } from './support/measure.ts';

const RUNS = QUICK ? 2 : Number(ARGS[0] ?? 9);
const SIZES = QUICK ? [300, 3_000] : [10_000, 60_000];
const OPTIONS = { now: new Date('2026-01-10T12:00:00Z') };

function notice(n: number): Notice {
  const findings = manyFindings(n, (i) => `package-${i}-${i % 3 === 0 ? 'ünïcödé-漢字' : 'ascii'}`);
  const violations: Violation[] = findings.map((f) => violationFor(f));
  return {
    kind: 'decision',
    decision: decision({
      violations,
      waived: findings.slice(0, 2_000).map((f) => waived(f.id, f.package)),
    }),
    image: imageContext({ tagsBefore: Array.from({ length: 300 }, (_, i) => `release-${i}`) }),
    previousVerdict: 'approved',
    findings,
  };
}

console.log(machineLine());
console.log(
  `median of ${RUNS} runs after warm-up, the two cuts interleaved; ratio is the first cut's time over ours`,
);
console.log(
  'violations | parts ms | cut ms: ours | first cut | ratio | whole alert ms: ours / first | CPU ms cut: ours / first | kept',
);
for (const n of SIZES) {
  const input = notice(n);
  const parts = alertParts(input, OPTIONS);
  const ours = assemble(parts);
  const first = referenceAssemble(parts);
  /** Violations the machine JSON keeps (all of them when nothing was cut). */
  const kept = (m: typeof ours) =>
    (JSON.parse(m.bodies.default) as { truncated?: Record<string, { shown: number }> }).truncated?.[
      'decision.violations'
    ]?.shown ?? n;
  if (kept(ours) < kept(first)) {
    throw new Error(
      `at ${n} violations the cut kept ${kept(ours)} items, the first implementation ${kept(first)}`,
    );
  }
  const build = emptySamples();
  const oursCut = emptySamples();
  const firstCut = emptySamples();
  for (let r = 0; r < RUNS; r += 1) {
    const warmup = r === 0 ? 1 : 0;
    addSamples(
      build,
      sample(() => alertParts(input, OPTIONS), 1, 1, warmup),
    );
    addSamples(
      oursCut,
      sample(() => assemble(parts), 1, 1, warmup),
    );
    addSamples(
      firstCut,
      sample(() => referenceAssemble(parts), 1, 1, warmup),
    );
  }
  const [p, a, b] = [median(build.wall), median(oursCut.wall), median(firstCut.wall)];
  console.log(
    `${n} | ${p.toFixed(1)} | ${a.toFixed(1)} | ${b.toFixed(1)} | ${(b / a).toFixed(1)}× | ${(p + a).toFixed(1)} / ${(p + b).toFixed(1)} | ${median(oursCut.cpu).toFixed(1)} / ${median(firstCut.cpu).toFixed(1)} | ${kept(ours)} (first: ${kept(first)})`,
  );
}
