/** Renderers on hand-built decisions (the contract), independent of the policy engine. */
import { describe, expect, it } from 'vitest';
import type { RenderContext } from '../../../lib/cli/render/context.ts';
import { renderJson } from '../../../lib/cli/render/json.ts';
import { renderMarkdown } from '../../../lib/cli/render/markdown.ts';
import { renderSarif } from '../../../lib/cli/render/sarif.ts';
import { renderText } from '../../../lib/cli/render/text.ts';
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
    expect(run.results.map((r: { message: { text: string } }) => r.message.text)).toEqual([
      '1 HIGH | at most 0',
      'score 7.8 >= 7',
      'the image runs as root',
      'CVE-2023-45853 in zlib1g is waived by zlib-minizip (policies/exceptions/platform.yaml) until 2027-03-31: minizip is not built',
    ]);
    for (const r of run.results) {
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

  it('rules describe what they check, never one violation (GitHub shows them at the top of every alert)', () => {
    // Prepare: a second CVE without title or description, violated by two policy rules with different messages.
    const bare: Finding = { ...FINDING, id: 'CVE-2024-0001', title: null, url: null, package: 'openssl' };
    const described: Finding = {
      ...FINDING,
      description: 'A buffer overflow in the dynamic loader lets a local user gain root.',
    };
    const d = decision({
      violations: [
        ...decision().violations,
        {
          rule: 'maxSeverity.HIGH',
          findingId: 'CVE-2024-0001',
          severity: 'HIGH',
          package: 'openssl',
          message: 'CVE-2024-0001 in openssl: 2 HIGH; at most 0',
        },
        {
          rule: 'score',
          findingId: 'CVE-2024-0001',
          severity: 'HIGH',
          package: 'openssl',
          message: 'CVE-2024-0001 in openssl: score 7.8 >= 7',
        },
        {
          rule: 'deniedPackages',
          findingId: null,
          severity: null,
          package: 'log4j-core',
          message: 'package log4j-core 2.14.1 is denied by "log4j-core <2.17.1"',
        },
        {
          rule: 'scan.FAILED',
          findingId: null,
          severity: null,
          package: null,
          message: 'no findings to judge: scan FAILED',
        },
      ],
    });

    // Act
    const rules = JSON.parse(renderSarif({ ...ctx(d), findings: [described, bare] })).runs[0].tool.driver
      .rules;
    const text = (id: string) => {
      const r = rules.find((x: { id: string }) => x.id === id);
      return [r.shortDescription.text, r.fullDescription.text];
    };

    // Assess
    expect(text('CVE-2023-4911')).toEqual([
      'glibc: buffer overflow in ld.so | with a pipe',
      'A buffer overflow in the dynamic loader lets a local user gain root.',
    ]);
    expect(text('CVE-2024-0001')).toEqual([
      'HIGH severity vulnerability CVE-2024-0001',
      'HIGH severity vulnerability CVE-2024-0001 in a package of the image.',
    ]);
    expect(text('gatekeeper/image.runsAsRoot')).toEqual([
      'Image runs as root',
      'The image config sets no User, or root or UID 0; the policy requires a non-root user (rules.image.runsAsRoot: deny).',
    ]);
    expect(text('gatekeeper/deniedPackages')).toEqual([
      'Denied package',
      'The image contains a package version that the policy denies (rules.deniedPackages).',
    ]);
    expect(text('gatekeeper/scan.FAILED')).toEqual([
      'Image scan ended FAILED',
      'The image scan ended with FAILED, so there are no findings to judge; the gate quarantines the image unless the policy says onScanFailure.FAILED: approve.',
    ]);
    // The waived CVE has no finding in the input: only its id is known.
    expect(text('CVE-2023-45853')).toEqual([
      'Vulnerability CVE-2023-45853',
      'Vulnerability CVE-2023-45853 in a package of the image.',
    ]);
    const messages = new Set(d.violations.map((v) => v.message));
    for (const r of rules) {
      // GitHub code scanning requires id, shortDescription.text, fullDescription.text and help.text (≤ 1,024 for the descriptions).
      expect(r.id.length).toBeGreaterThan(0);
      expect(r.help.text.length).toBeGreaterThan(0);
      for (const t of [r.shortDescription.text, r.fullDescription.text]) {
        expect(t.length).toBeGreaterThan(0);
        expect(t.length).toBeLessThanOrEqual(1024);
        expect(messages.has(t)).toBe(false);
      }
    }
  });

  it("caps a long scanner description at GitHub's 1,024 characters", () => {
    const long: Finding = { ...FINDING, description: 'x'.repeat(5000) };
    const rule = JSON.parse(renderSarif({ ...ctx(decision()), findings: [long] })).runs[0].tool.driver
      .rules[0];
    expect(rule.fullDescription.text).toBe(`${'x'.repeat(1023)}…`);
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

describe('renderText', () => {
  const long = `the image runs as root; ${'a very long explanation '.repeat(12).trim()}`;
  const withLong = () =>
    ctx(
      decision({
        violations: [
          { rule: 'image.runsAsRoot', findingId: null, severity: null, package: null, message: long },
        ],
      }),
    );

  it('not a terminal (no width): the message is printed in full', () => {
    const out = renderText(withLong(), { colour: false, width: null });
    expect(long.length).toBeGreaterThan(250);
    expect(out).toContain(`image.runsAsRoot  ${long}\n`);
    expect(out).not.toContain('…');
  });

  it('a terminal: every table row fits its width, the message is cut with an ellipsis', () => {
    const out = renderText(withLong(), { colour: false, width: 80 });
    const row = out.split('\n').find((l) => l.includes('image.runsAsRoot')) as string;
    expect(row).toHaveLength(80);
    expect(row.endsWith('…')).toBe(true);
    expect(long.startsWith(row.slice(row.indexOf('the image runs as root'), -1))).toBe(true);
  });

  it('says which image rules were not checked', () => {
    const out = renderText(
      { ...withLong(), skippedRules: [{ rule: 'image.maxSizeBytes', missing: 'sizeBytes' }] },
      { colour: false, width: null },
    );
    expect(out.split('\n')).toContain(
      'note      image rules not checked (the image facts have no sizeBytes): image.maxSizeBytes',
    );
  });
});

describe('KEV and fix deadlines in every output', () => {
  const KEV = { dateAdded: '2023-11-21', dateDue: '2023-12-12' };
  const atRisk = decision({
    verdict: 'approved',
    violations: [
      {
        rule: 'knownExploited',
        findingId: 'CVE-2023-4911',
        severity: 'HIGH',
        package: 'libc6',
        message: "in CISA's Known Exploited Vulnerabilities catalogue (CISA due date 2023-12-12)",
        kev: KEV,
        deadline: '2023-12-13T00:00:00.000Z',
        deadlineExpired: false,
      },
    ],
    waived: [],
    atRisk: { deadline: '2023-12-13T00:00:00.000Z', violations: 1 },
  });
  const withKev: RenderContext = {
    ...ctx(atRisk),
    findings: [{ ...FINDING, kev: { ...KEV, action: null } }],
  };

  it('text: a KEV marker with the due date, the deadline, and the at-risk line', () => {
    const out = renderText(withKev, { colour: false, width: null });
    expect(out).toContain('CVE-2023-4911 [KEV due 2023-12-12]');
    expect(out).toContain('(fix deadline 2023-12-13T00:00:00.000Z)');
    expect(out).toContain(
      'at risk   1 violation within their fix deadlines; quarantined at 2023-12-13T00:00:00.000Z unless fixed or waived',
    );
  });

  it('markdown: the marker beside the finding and a warning with the deadline', () => {
    const out = renderMarkdown(withKev);
    expect(out).toContain('**KEV due 2023-12-12**');
    expect(out).toContain(
      '> [!WARNING]\n> at risk: 1 violation within their fix deadlines; quarantined at 2023-12-13T00:00:00.000Z',
    );
  });

  it('json: kev, deadline and atRisk after the contract fields', () => {
    const out = JSON.parse(renderJson(atRisk));
    expect(Object.keys(out)).toEqual([
      'verdict',
      'image',
      'policy',
      'summary',
      'violations',
      'waived',
      'atRisk',
    ]);
    expect(Object.keys(out.violations[0])).toEqual([
      'rule',
      'findingId',
      'severity',
      'package',
      'message',
      'kev',
      'deadline',
      'deadlineExpired',
    ]);
    expect(out.atRisk).toEqual({ deadline: '2023-12-13T00:00:00.000Z', violations: 1 });
  });

  it('sarif: the result names KEV and the deadline; the rule is tagged known-exploited', () => {
    const run = JSON.parse(renderSarif(withKev)).runs[0];
    expect(run.results[0].message.text).toMatch(
      /\(KEV due 2023-12-12; fix deadline 2023-12-13T00:00:00.000Z\)$/,
    );
    expect(run.results[0].properties).toMatchObject({
      kev: KEV,
      deadline: '2023-12-13T00:00:00.000Z',
      deadlineExpired: false,
    });
    expect(run.tool.driver.rules[0].properties.tags).toContain('known-exploited');
    expect(run.properties.atRisk).toMatchObject({ deadline: '2023-12-13T00:00:00.000Z', violations: 1 });
  });

  it('shows nothing of the kind for a finding outside KEV without deadlines', () => {
    const plain = ctx(decision());
    for (const out of [
      renderText(plain, { colour: false, width: null }),
      renderMarkdown(plain),
      renderSarif(plain),
    ]) {
      expect(out).not.toMatch(/KEV|deadline|at risk|known-exploited/);
    }
  });
});
