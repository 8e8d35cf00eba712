/**
 * The size cut, as a property: for random lists (any length, multi-byte text, single items bigger than the
 * limit) every alert fits SNS's limit, every body is whole UTF-8, the machine JSON keeps a most-severe-first
 * prefix of the list, says truthfully how much it cut, and keeps at least as many items as the first
 * implementation (assemble-reference.ts), which measured every try.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SEVERITIES, type Severity, severityRank } from '../../../lib/findings/finding.ts';
import { alertParts, assemble, type Notice } from '../../../lib/notify/format.ts';
import {
  MAX_PUBLISH_BYTES,
  messageSizeBytes,
  TARGET_PUBLISH_BYTES,
} from '../../../lib/notify/message-size.ts';
import type { OutboundMessage } from '../../../lib/notify/notifier.ts';
import type { Violation } from '../../../lib/policy/decision.ts';
import { referenceAssemble } from './assemble-reference.ts';
import { decision, imageContext, waived } from './notice-fixtures.ts';

const OPTIONS = { now: new Date('2026-01-10T12:00:00Z') };

/** Text of any code points (no lone surrogates). */
const text = fc.string({ unit: 'binary', maxLength: 40 });

/** Text bigger than the whole limit on its own, multi-byte and with characters JSON escapes. */
const huge = fc
  .tuple(fc.string({ unit: 'binary', minLength: 1, maxLength: 6 }), fc.integer({ min: 1_000, max: 50_000 }))
  .map(([unit, times]) => `"\\${unit.repeat(times)}`);

/** `list` with up to three items replaced by `big(item)` at random places. */
function withHugeItems<T>(list: fc.Arbitrary<T[]>, big: fc.Arbitrary<(item: T) => T>): fc.Arbitrary<T[]> {
  return fc.tuple(list, fc.array(fc.tuple(fc.nat(), big), { maxLength: 3 })).map(([items, replacements]) => {
    const out = [...items];
    for (const [at, make] of replacements) {
      if (out.length > 0) out[at % out.length] = make(out[at % out.length] as T);
    }
    return out;
  });
}

const violation: fc.Arbitrary<Violation> = fc.record({
  rule: fc.constantFrom('maxSeverity.CRITICAL', 'maxSeverity.HIGH', 'kev', 'image.user'),
  findingId: fc.option(text, { nil: null }),
  severity: fc.option(fc.constantFrom(...SEVERITIES), { nil: null }),
  package: fc.option(text, { nil: null }),
  message: text,
});

/** A list size: mostly small, sometimes thousands (so that the cut is exercised). */
const size = (max: number) => fc.oneof(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max }));

const decisionNotice: fc.Arbitrary<Notice> = fc
  .record({
    violations: withHugeItems(
      size(3_000).chain((n) => fc.array(violation, { minLength: n, maxLength: n })),
      fc.tuple(huge, fc.constantFrom('message', 'package', 'findingId')).map(
        ([big, field]) =>
          (v: Violation): Violation => ({ ...v, [field]: big }),
      ),
    ),
    waivedCount: size(2_000),
    tags: fc.array(text, { maxLength: 150 }),
    reason: fc.option(fc.oneof(text, huge), { nil: undefined }),
  })
  .map(({ violations, waivedCount, tags, reason }) => ({
    kind: 'decision' as const,
    decision: decision({
      violations,
      waived: Array.from({ length: waivedCount }, (_, i) => waived(`CVE-2024-${i}`, `pkg-${i}`)),
      image: { repository: 'team-a/payments-api', tags, digest: imageContext().digest },
      ...(reason === undefined ? {} : { reason }),
    }),
    image: imageContext({ tagsBefore: tags, tagsAfter: tags }),
    previousVerdict: null,
  }));

const drift = fc.record({ repository: text, kind: fc.constantFrom('lifecycle', 'scan'), message: text });

const otherNotice: fc.Arbitrary<Notice> = fc.oneof(
  size(6_000).chain((n) =>
    withHugeItems(
      fc.array(fc.record({ file: text, path: text, message: text }), { minLength: n, maxLength: n }),
      huge.map((big) => (p: { file: string; path: string; message: string }) => ({ ...p, message: big })),
    ).map(
      (problems): Notice => ({
        kind: 'error',
        problem: 'policy-set-invalid',
        detail: 'invalid',
        image: null,
        decision: null,
        problems,
      }),
    ),
  ),
  size(6_000).chain((n) =>
    withHugeItems(
      fc.array(drift, { minLength: n, maxLength: n }),
      huge.map((big) => (d: { repository: string; kind: string; message: string }) => ({
        ...d,
        repository: big,
      })),
    ).map(
      (topDrift): Notice => ({
        kind: 'hygiene-summary',
        mode: 'enforce',
        startedAt: '2026-01-10T02:00:00Z',
        finishedAt: '2026-01-10T02:04:11Z',
        repositories: { scanned: 1, compliant: 0, drifted: 1, applied: 0, refused: 0, failed: 0 },
        topDrift,
      }),
    ),
  ),
);

interface Machine {
  decision?: { violations: Violation[]; waived: unknown[] };
  problems?: unknown[];
  topDrift?: unknown[];
  truncated?: Record<string, { shown: number; total: number }>;
}

function expectFits(message: OutboundMessage): Machine {
  expect(messageSizeBytes(message)).toBeLessThanOrEqual(TARGET_PUBLISH_BYTES);
  expect(messageSizeBytes(message)).toBeLessThanOrEqual(MAX_PUBLISH_BYTES);
  for (const body of Object.values(message.bodies)) {
    expect(Buffer.from(body, 'utf8').toString('utf8')).toBe(body);
  }
  return JSON.parse(message.bodies.default) as Machine;
}

/** What the machine JSON says about one list: shown and total agree with the list and with the input. */
function expectTruthful(machine: Machine, name: string, shown: number, total: number): void {
  if (shown < total) expect(machine.truncated?.[name]).toEqual({ shown, total });
  else expect(machine.truncated?.[name]).toBeUndefined();
}

const rank = (severity: Severity | null) => (severity === null ? SEVERITIES.length : severityRank(severity));

describe('the alert size cut', () => {
  it('decisions: fit, keep the most severe first, count the cut truthfully, keep no less than before', {
    timeout: 120_000,
  }, () => {
    fc.assert(
      fc.property(decisionNotice, (notice) => {
        if (notice.kind !== 'decision') return;
        const parts = alertParts(notice, OPTIONS);
        const message = assemble(parts);
        const machine = expectFits(message);
        // The email is cut only when the body is too big with every list empty, which no list can cause.
        expect(message.bodies.email).toBe(parts.emailText);
        const kept = machine.decision?.violations ?? [];
        const all = notice.decision.violations;
        expectTruthful(machine, 'decision.violations', kept.length, all.length);
        expectTruthful(
          machine,
          'decision.waived',
          machine.decision?.waived.length ?? 0,
          notice.decision.waived.length,
        );
        // A most-severe-first prefix: kept in rank order, and nothing dropped outranks anything kept.
        for (let i = 1; i < kept.length; i += 1) {
          expect(rank(kept[i]?.severity ?? null)).toBeGreaterThanOrEqual(rank(kept[i - 1]?.severity ?? null));
        }
        const worstKept = kept.length === 0 ? -1 : rank(kept[kept.length - 1]?.severity ?? null);
        const keptBySeverity = new Map<number, number>();
        for (const v of kept)
          keptBySeverity.set(rank(v.severity), (keptBySeverity.get(rank(v.severity)) ?? 0) + 1);
        const allBySeverity = new Map<number, number>();
        for (const v of all)
          allBySeverity.set(rank(v.severity), (allBySeverity.get(rank(v.severity)) ?? 0) + 1);
        for (const [r, count] of allBySeverity) {
          if (r < worstKept) expect(keptBySeverity.get(r) ?? 0).toBe(count);
        }
        // No worse than the first implementation, and the same whenever it kept everything.
        const before = JSON.parse(referenceAssemble(parts).bodies.default) as Machine;
        expect(kept.length).toBeGreaterThanOrEqual(before.decision?.violations.length ?? 0);
        if (before.truncated === undefined)
          expect(message.bodies.default).toBe(referenceAssemble(parts).bodies.default);
      }),
      { numRuns: 15 },
    );
  });

  it('errors and hygiene summaries: fit, keep a prefix, count the cut truthfully', {
    timeout: 120_000,
  }, () => {
    fc.assert(
      fc.property(otherNotice, (notice) => {
        const message = assemble(alertParts(notice, OPTIONS));
        const machine = expectFits(message);
        if (notice.kind === 'error') {
          const total = notice.problems?.length ?? 0;
          expectTruthful(machine, 'problems', machine.problems?.length ?? 0, total);
        } else if (notice.kind === 'hygiene-summary') {
          const kept = machine.topDrift ?? [];
          expectTruthful(machine, 'topDrift', kept.length, notice.topDrift.length);
          // Order kept: the summary lists drift as the sweep ranked it.
          kept.forEach((item, i) => {
            expect((item as { kind: string }).kind).toBe(notice.topDrift[i]?.kind);
          });
        }
      }),
      { numRuns: 15 },
    );
  });
});
