import { describe, expect, it } from 'vitest';
import type { Finding, Severity } from '../../../lib/findings/index.ts';
import { severityCounts } from '../../../lib/findings/index.ts';

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
