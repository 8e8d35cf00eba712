import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Finding, Severity } from '../../../lib/findings/index.ts';
import {
  SEVERITIES,
  SUMMARY_SEVERITIES,
  severityCounts,
  summaryOfCounts,
} from '../../../lib/findings/index.ts';

function f(id: string, severity: Severity, pkg = 'p'): Finding {
  return {
    id,
    severity,
    score: null,
    epss: null,
    fixAvailable: null,
    exploitAvailable: null,
    package: pkg,
    version: '1',
    fixedIn: null,
    url: null,
    title: null,
    source: 'trivy',
  };
}

describe('severityCounts', () => {
  it('always has the six ECR severities, in gravity order, even with no findings', () => {
    const counts = severityCounts([]);
    expect(Object.keys(counts)).toEqual(['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL', 'UNDEFINED']);
    expect(Object.values(counts)).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('counts distinct ids, once each, at the gravest severity reported', () => {
    const counts = severityCounts([
      f('CVE-1', 'HIGH', 'a'),
      f('CVE-1', 'HIGH', 'b'),
      f('CVE-2', 'LOW', 'a'),
      f('CVE-2', 'CRITICAL', 'b'),
      f('CVE-3', 'INFORMATIONAL'),
      f('CVE-4', 'UNDEFINED'),
    ]);
    expect(counts).toEqual({ CRITICAL: 1, HIGH: 1, MEDIUM: 0, LOW: 0, INFORMATIONAL: 1, UNDEFINED: 1 });
  });

  it('adds UNTRIAGED only when it occurs, after the six', () => {
    const counts = severityCounts([f('CVE-9', 'UNTRIAGED'), f('CVE-8', 'MEDIUM')]);
    expect(Object.entries(counts)).toEqual([
      ['CRITICAL', 0],
      ['HIGH', 0],
      ['MEDIUM', 1],
      ['LOW', 0],
      ['INFORMATIONAL', 0],
      ['UNDEFINED', 0],
      ['UNTRIAGED', 1],
    ]);
  });
});

describe('summaryOfCounts: the one summary layout (severityCounts and the policy evaluator both use it)', () => {
  it('always shows the six ECR severities, UNTRIAGED only when counted, in gravity order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat(5), { minLength: SEVERITIES.length, maxLength: SEVERITIES.length }),
        (n) => {
          const summary = summaryOfCounts((_severity, i) => n[i] ?? 0);
          const expected = SEVERITIES.filter(
            (s, i) => (SUMMARY_SEVERITIES as readonly string[]).includes(s) || (n[i] ?? 0) > 0,
          );
          expect(Object.keys(summary)).toEqual(expected);
          SEVERITIES.forEach((s, i) => {
            if (s in summary) expect(summary[s]).toBe(n[i]);
          });
        },
      ),
    );
  });

  it('SUMMARY_SEVERITIES are SEVERITIES without UNTRIAGED', () => {
    expect([...SUMMARY_SEVERITIES, 'UNTRIAGED']).toEqual([...SEVERITIES]);
  });
});
