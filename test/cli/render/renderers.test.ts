/** Renderers on hand-built decisions (the contract), independent of the policy engine. */
import { describe, expect, it } from 'vitest';
import type { RenderContext } from '../../../lib/cli/render/context.ts';
import { renderJson } from '../../../lib/cli/render/json.ts';
import { renderMarkdown } from '../../../lib/cli/render/markdown.ts';
import { renderSarif } from '../../../lib/cli/render/sarif.ts';
import type { Finding } from '../../../lib/findings/finding.ts';
import type { Decision } from '../../../lib/policy/decision.ts';

const FINDING: Finding = {
  id: 'CVE-2023-4911',
  severity: 'HIGH',
  score: 7.8,
  epss: 0.73,
  fixAvailable: 'YES',
  exploitAvailable: true,
  package: 'libc6',
  version: '2.36-9+deb12u1',
  fixedIn: '2.36-9+deb12u3',
  url: 'https://security-tracker.debian.org/tracker/CVE-2023-4911',
  title: 'glibc: buffer overflow in ld.so | with a pipe',
  source: 'grype',
};

function decision(overrides: Partial<Decision> = {}): Decision {
  return {
    verdict: 'quarantined',
    image: { repository: 'payments/api', tags: ['1.4.2'], digest: `sha256:${'a'.repeat(64)}` },
    policy: {
      name: 'payments',
      file: 'policies/teams/payments.yaml',
      version: `sha256:${'b'.repeat(64)}`,
      mode: 'enforce',
    },
    summary: { CRITICAL: 0, HIGH: 1, MEDIUM: 0, LOW: 0, INFORMATIONAL: 0, UNDEFINED: 0 },
    violations: [
      {
        rule: 'maxSeverity.HIGH',
        findingId: 'CVE-2023-4911',
        severity: 'HIGH',
        package: 'libc6',
        message: '1 HIGH | at most 0',
      },
      {
        rule: 'score',
        findingId: 'CVE-2023-4911',
        severity: 'HIGH',
        package: 'libc6',
        message: 'score 7.8 >= 7',
      },
      {
        rule: 'image.runsAsRoot',
        findingId: null,
        severity: null,
        package: null,
        message: 'the image runs as root',
      },
    ],
    waived: [
      {
        findingId: 'CVE-2023-45853',
        package: 'zlib1g',
        exception: {
          id: 'zlib-minizip',
          file: 'policies/exceptions/platform.yaml',
          reason: 'minizip is not built',
          owner: 'security@example.com',
          expires: '2027-03-31',
          ticket: 'SEC-1',
        },
      },
    ],
    ...overrides,
  };
}

function ctx(d: Decision): RenderContext {
  return { decision: d, findings: [FINDING], findingsFile: 'grype.json', excluded: {}, toolVersion: '1.2.3' };
}

describe('renderJson', () => {
  it('orders keys as the contract whatever order the object was built in', () => {
    const d = decision();
    const shuffled = JSON.parse(
      JSON.stringify({
        waived: d.waived,
        summary: d.summary,
        verdict: d.verdict,
        violations: d.violations,
        policy: { mode: 'enforce', version: d.policy.version, file: d.policy.file, name: 'payments' },
        image: { digest: d.image.digest, tags: d.image.tags, repository: d.image.repository },
      }),
    );
    expect(renderJson(shuffled)).toBe(renderJson(d));
    expect(Object.keys(JSON.parse(renderJson(shuffled)))).toEqual([
      'verdict',
      'image',
      'policy',
      'summary',
      'violations',
      'waived',
    ]);
    expect(renderJson(d).endsWith('}\n')).toBe(true);
  });

  it('keeps reason when set', () => {
    expect(JSON.parse(renderJson(decision({ reason: 'scan FAILED' }))).reason).toBe('scan FAILED');
  });
});

describe('renderSarif', () => {
  it('is SARIF 2.1.0 with one rule per CVE / image rule and one result per violation or waiver', () => {
    const log = JSON.parse(renderSarif(ctx(decision())));
    expect(log.version).toBe('2.1.0');
    expect(log.$schema).toBe('https://json.schemastore.org/sarif-2.1.0.json');
    const run = log.runs[0];
    expect(run.tool.driver).toMatchObject({ name: 'ecr-scan-gatekeeper', version: '1.2.3' });
    expect(run.tool.driver.rules.map((r: { id: string }) => r.id)).toEqual([
      'CVE-2023-4911',
      'gatekeeper/image.runsAsRoot',
      'CVE-2023-45853',
    ]);
    expect(run.tool.driver.rules[0]).toMatchObject({
      shortDescription: { text: 'glibc: buffer overflow in ld.so | with a pipe' },
      helpUri: FINDING.url,
      properties: { 'security-severity': '7.8' },
    });
    expect(run.tool.driver.rules[1].properties['security-severity']).toBe('5.5');
    expect(
      run.results.map((r: { ruleId: string; ruleIndex: number; level: string }) => [
        r.ruleId,
        r.ruleIndex,
        r.level,
      ]),
    ).toEqual([
      ['CVE-2023-4911', 0, 'error'],
      ['CVE-2023-4911', 0, 'error'],
      ['gatekeeper/image.runsAsRoot', 1, 'error'],
      ['CVE-2023-45853', 2, 'note'],
    ]);
    for (const r of run.results) {
      expect(r.message.text.length).toBeGreaterThan(0);
      expect(r.locations[0].physicalLocation.artifactLocation.uri).toBe('ecr/payments/api');
      expect(r.partialFingerprints['gatekeeperFinding/v1']).toMatch(/^[0-9a-f]{64}$/);
    }
    expect(run.results[0].locations[0].logicalLocations[0]).toEqual({
      name: 'libc6',
      fullyQualifiedName: 'payments/api/libc6@2.36-9+deb12u1',
      kind: 'package',
    });
    expect(run.results[3].suppressions).toEqual([
      {
        kind: 'external',
        status: 'accepted',
        justification: 'minizip is not built (owner security@example.com, expires 2027-03-31)',
      },
    ]);
    expect(run.automationDetails.id).toBe('gatekeeper/payments/api/');
  });

  it('fingerprints do not change with the digest or the installed version; audit mode gives warnings', () => {
    const a = JSON.parse(renderSarif(ctx(decision())));
    const other = decision({
      image: { repository: 'payments/api', tags: ['1.4.3'], digest: `sha256:${'c'.repeat(64)}` },
      policy: { ...decision().policy, mode: 'audit' },
    });
    const b = JSON.parse(
      renderSarif({ ...ctx(other), findings: [{ ...FINDING, version: '2.36-9+deb12u2' }] }),
    );
    const prints = (log: { runs: { results: { partialFingerprints: Record<string, string> }[] }[] }) =>
      log.runs[0]?.results.map((r) => r.partialFingerprints['gatekeeperFinding/v1']);
    expect(prints(b)).toEqual(prints(a));
    // Each violated rule is its own alert, even on the same CVE and package.
    expect(new Set(prints(a)).size).toBe(4);
    expect(b.runs[0].results[0].level).toBe('warning');
  });
});

describe('renderMarkdown', () => {
  it('has the verdict headline, the summary table, violations and waivers with expiry', () => {
    const md = renderMarkdown(ctx(decision()));
    const lines = md.split('\n');
    expect(lines[0]).toBe('### ❌ Quarantined: `payments/api:1.4.2`');
    expect(md).toContain(
      '| CRITICAL | HIGH | MEDIUM | LOW | INFORMATIONAL | UNDEFINED |\n|---:|---:|---:|---:|---:|---:|\n| 0 | 1 | 0 | 0 | 0 | 0 |',
    );
    expect(md).toContain('#### Violations (3)');
    expect(md).toContain(
      '| HIGH | [CVE-2023-4911](https://security-tracker.debian.org/tracker/CVE-2023-4911) | `libc6 2.36-9+deb12u1` | `2.36-9+deb12u3` | `maxSeverity.HIGH` | 1 HIGH \\| at most 0 |',
    );
    expect(md).toContain('| — | — | — | — | `image.runsAsRoot` | the image runs as root |');
    expect(md).toContain(
      '| `CVE-2023-45853` | `zlib1g` | `zlib-minizip` in `policies/exceptions/platform.yaml` | security@example.com | 2027-03-31 | minizip is not built (SEC-1) |',
    );
  });

  it('says approved, audit mode and reason, and escapes hostile text', () => {
    const md = renderMarkdown(
      ctx(
        decision({
          verdict: 'approved',
          policy: { ...decision().policy, mode: 'audit' },
          reason: 'scan FAILED: <script>alert(1)</script>',
          violations: [
            {
              rule: 'x',
              findingId: 'CVE-1`|',
              severity: 'LOW',
              package: 'p|q',
              message: 'a\nb | [link](javascript:alert(1))',
            },
          ],
          waived: [],
        }),
      ),
    );
    expect(md.split('\n')[0]).toBe(
      '### ✅ Approved: `payments/api:1.4.2` (audit mode: recorded, not enforced)',
    );
    expect(md).toContain('> scan FAILED: \\<script\\>alert\\(1\\)\\</script\\>');
    expect(md).toContain(
      "| LOW | `CVE-1'¦` | `p¦q` | — | `x` | a b \\| \\[link\\]\\(javascript:alert\\(1\\)\\) |",
    );
    expect(md).toContain('#### Waivers (0)\n\nNone.');
  });
});
