/** The decision message shows KEV findings and fix deadlines (issue: verdicts over time). */
import { describe, expect, it } from 'vitest';
import type { ChatbotNotification } from '../../../lib/notify/chatbot.ts';
import { formatDecision } from '../../../lib/notify/format.ts';
import type { Verdict } from '../../../lib/policy/decision.ts';
import {
  decision,
  enhancedFixtureFindings,
  imageContext,
  summaryOf,
  violationFor,
} from './notice-fixtures.ts';

const NOW = new Date('2026-01-10T12:00:00Z');

function notice(atRisk: boolean) {
  const [first] = enhancedFixtureFindings();
  if (!first) throw new Error('fixture has no finding');
  const kev = { dateAdded: '2025-12-01', dateDue: '2025-12-22' };
  const finding = { ...first, kev: { ...kev, action: null } };
  const violation = {
    ...violationFor(finding),
    rule: 'knownExploited',
    kev,
    deadline: '2026-01-13T00:00:00.000Z',
    deadlineExpired: !atRisk,
  };
  return {
    kind: 'decision' as const,
    decision: decision({
      verdict: atRisk ? 'approved' : 'quarantined',
      summary: summaryOf([finding]),
      violations: [violation],
      ...(atRisk ? { atRisk: { deadline: '2026-01-13T00:00:00.000Z', violations: 1 } } : {}),
    }),
    image: imageContext({ tagsBefore: ['1.4.2', 'approved-1.4.2'] }),
    previousVerdict: 'approved' as Verdict,
    findings: [finding],
  };
}

describe('formatDecision: KEV and fix deadlines', () => {
  it('email and chat mark the KEV finding with its due date and say until when the image is at risk', () => {
    const message = formatDecision(notice(true), { now: NOW });
    const email = message.bodies.email ?? '';
    expect(email).toContain('[KEV, CISA due 2025-12-22]');
    expect(email).toContain('fix deadline: 2026-01-13T00:00:00.000Z');
    expect(email).toMatch(/At risk: the image keeps its approval until 2026-01-13T00:00:00\.000Z/);
    const chat = JSON.parse(message.bodies.https ?? 'null') as ChatbotNotification;
    expect(JSON.stringify(chat)).toContain('[KEV, CISA due 2025-12-22]');
    expect(JSON.stringify(chat)).toContain('At risk');
    const machine = JSON.parse(message.bodies.default) as { decision: { atRisk?: unknown } };
    expect(machine.decision.atRisk).toEqual({ deadline: '2026-01-13T00:00:00.000Z', violations: 1 });
  });

  it('an expired deadline is shown as passed, with no at-risk line', () => {
    const email = formatDecision(notice(false), { now: NOW }).bodies.email ?? '';
    expect(email).toContain('fix deadline: 2026-01-13T00:00:00.000Z (passed)');
    expect(email).not.toContain('At risk');
  });
});
