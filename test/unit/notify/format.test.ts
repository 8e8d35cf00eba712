import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../../lib/findings/finding.ts';
import { CHATBOT_LIMITS, type ChatbotNotification } from '../../../lib/notify/chatbot.ts';
import {
  type DecisionChange,
  decisionChange,
  formatDecision,
  formatError,
  formatHygieneSummary,
  formatImmutableRepository,
  formatNotification,
  formatSpoofedTag,
  NOTIFICATION_SCHEMA,
} from '../../../lib/notify/format.ts';
import { MAX_PUBLISH_BYTES, messageSizeBytes } from '../../../lib/notify/message-size.ts';
import type { OutboundMessage } from '../../../lib/notify/notifier.ts';
import type { Verdict } from '../../../lib/policy/decision.ts';
import { parseSafeYaml } from '../../../lib/policy/safe-yaml.ts';
import {
  DIGEST,
  decision,
  enhancedFixtureFindings,
  imageContext,
  manyFindings,
  summaryOf,
  violationFor,
  waived,
} from './notice-fixtures.ts';

const NOW = new Date('2026-01-10T12:00:00Z');
const OPTIONS = { now: NOW };
const CRITICAL: Finding = {
  ...manyFindings(1)[0]!,
  id: 'CVE-2024-3094',
  severity: 'CRITICAL',
  score: 10,
  package: 'xz-utils',
  version: '5.6.0',
  fixedIn: '5.6.1',
  url: 'https://nvd.nist.gov/vuln/detail/CVE-2024-3094',
};
const ATTRIBUTE_NAME = /^(?!AWS\.|Amazon\.)(?!.*\.\.)[A-Za-z0-9_-](?:[A-Za-z0-9_.-]{0,254}[A-Za-z0-9_-])?$/;

function quarantinedNotice() {
  const findings = [...enhancedFixtureFindings(), CRITICAL];
  return {
    kind: 'decision' as const,
    decision: decision({ summary: summaryOf(findings), violations: findings.map((f) => violationFor(f)) }),
    image: imageContext({ tagsBefore: ['1.4.2', 'approved-1.4.2'] }),
    previousVerdict: 'approved' as Verdict,
    findings,
  };
}

function bodies(message: OutboundMessage) {
  return {
    email: message.bodies.email ?? '',
    chat: JSON.parse(message.bodies.https ?? 'null') as ChatbotNotification,
    machine: JSON.parse(message.bodies.default) as Record<string, unknown> & {
      decision?: { violations: unknown[]; waived: unknown[]; verdict: string };
      truncated?: Record<string, { shown: number; total: number }>;
    },
  };
}

/** The YAML between the "8<" marker lines of an email. */
function snippetOf(email: string): string {
  const match = /----- 8< ----- [^\n]*\n([\s\S]*?)\n----- 8< -----/.exec(email);
  if (!match?.[1]) throw new Error('no waiver snippet in the email');
  return match[1];
}

function expectSizeBound(message: OutboundMessage): void {
  expect(messageSizeBytes(message)).toBeLessThan(MAX_PUBLISH_BYTES);
  expect(message.subject.length).toBeLessThanOrEqual(100);
  expect(message.subject).toMatch(/^[\x20-\x7e]+$/);
  expect(Object.keys(message.attributes).length).toBeLessThanOrEqual(10);
  for (const [name, value] of Object.entries(message.attributes)) {
    expect(name).toMatch(ATTRIBUTE_NAME);
    if (typeof value === 'string') expect(value.length).toBeGreaterThan(0);
    else expect(value.length).toBeGreaterThan(0);
  }
}

describe('decisionChange', () => {
  const cases: [Verdict | null, Verdict, number, DecisionChange][] = [
    [null, 'approved', 0, 'approved'],
    [null, 'quarantined', 0, 'quarantined'],
    ['approved', 'quarantined', 0, 're-quarantined'],
    ['quarantined', 'approved', 1, 'approved-after-exception'],
    ['quarantined', 'approved', 0, 'approved-after-fix'],
    ['approved', 'approved', 0, 'unchanged'],
  ];
  it.each(cases)('previous %s → %s with %i waivers is %s', (previous, verdict, waivers, expected) => {
    const d = decision({ verdict, waived: waivers > 0 ? [waived('CVE-2022-49043', 'libxml2')] : [] });
    expect(decisionChange(d, previous)).toBe(expected);
  });
});

describe('formatDecision: re-quarantined after a new finding', () => {
  const message = formatDecision(quarantinedNotice(), OPTIONS);
  const { email, chat, machine } = bodies(message);

  it('names the verdict, the image and the change in subject and email', () => {
    expect(message.subject).toBe(
      '[gatekeeper] RE-QUARANTINED: team-a/payments-api:1.4.2 - 6 violations, highest CRITICAL',
    );
    expect(email).toContain('RE-QUARANTINED: team-a/payments-api:1.4.2');
    expect(email).toContain('was approved before; a new finding');
    expect(email).toContain('Tags before: 1.4.2, approved-1.4.2');
    expect(email).toContain('Tags after : 1.4.2, quarantined-1.4.2');
    expect(email).toContain(`Digest     : ${DIGEST}`);
  });

  it('lists top findings by severity, then score, with fixed-in versions and links', () => {
    const order = ['CVE-2024-3094', 'CVE-2022-49043', 'CVE-2021-33910'].map((id) =>
      email.indexOf(`${id} in`),
    );
    expect(order.every((index) => index > 0)).toBe(true);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(email).toContain('1. CRITICAL 10.0 CVE-2024-3094 in xz-utils 5.6.0 (fixed in 5.6.1)');
    expect(email).toContain('2. HIGH 8.1 CVE-2022-49043 in libxml2 2.9.14+dfsg');
    expect(email).toContain('https://security-tracker.debian.org/tracker/CVE-2022-49043');
    expect(email).toContain('maxSeverity.MEDIUM (4 findings)');
  });

  it('links the image page and Inspector in the console', () => {
    expect(email).toContain(
      `https://eu-west-1.console.aws.amazon.com/ecr/repositories/private/123456789012/team-a/payments-api/_/image/${DIGEST}/details?region=eu-west-1`,
    );
    expect(email).toContain(
      'https://eu-west-1.console.aws.amazon.com/inspector/v2/home?region=eu-west-1#/findings/container',
    );
  });

  it('offers a waiver snippet that parses as a kind: Exceptions document with the policy field names', () => {
    const doc = parseSafeYaml('policies/exceptions/snippet.yaml', snippetOf(email)) as {
      apiVersion: string;
      kind: string;
      exceptions: Record<string, unknown>[];
    };
    expect(doc.apiVersion).toBe('gatekeeper/v1');
    expect(doc.kind).toBe('Exceptions');
    expect(
      doc.exceptions.map((e) => [e.finding, (e.scope as { packages?: string[] }).packages?.[0]]),
    ).toEqual([
      ['CVE-2024-3094', 'xz-utils'],
      ['CVE-2022-49043', 'libxml2'],
      ['CVE-2021-33910', 'systemd'],
      ['CVE-2021-33910', 'systemd-libs'],
      ['CVE-2021-33910', 'systemd-pam'],
      ['CVE-2021-33910', 'systemd-udev'],
    ]);
    const allowed = ['id', 'finding', 'scope', 'expires', 'reason', 'owner', 'ticket', 'until'];
    for (const entry of doc.exceptions) {
      expect(Object.keys(entry).every((key) => allowed.includes(key))).toBe(true);
      expect(
        Object.keys(entry.scope as object).every((k) =>
          ['repositories', 'tags', 'digest', 'packages'].includes(k),
        ),
      ).toBe(true);
      expect(entry.expires).toBe('2026-02-09');
      expect((entry.scope as { repositories: string[] }).repositories).toEqual(['team-a/payments-api']);
      expect(entry.id).toMatch(/^[a-z0-9-]{1,64}$/);
    }
    // No fix exists for libxml2 (fixAvailable NO): the exception ends by itself once one does.
    expect(doc.exceptions[1]?.until).toBe('fix-available');
    expect(doc.exceptions[0]?.until).toBeUndefined();
    expect(new Set(doc.exceptions.map((e) => e.id)).size).toBe(doc.exceptions.length);
  });

  it('the snippet satisfies the published exceptions schema when policies/schema has one', () => {
    const schemaDir = fileURLToPath(new URL('../../../policies/schema/', import.meta.url));
    const file = existsSync(schemaDir)
      ? readdirSync(schemaDir).find((f) => /^exceptions.*\.schema\.json$/.test(f))
      : undefined;
    if (file === undefined) return; // the policy engine publishes it; until then the field-name test above applies
    const schema = JSON.parse(readFileSync(`${schemaDir}${file}`, 'utf8')) as object;
    const ajv = new Ajv2020({ strict: false, strictRequired: false, allowUnionTypes: true, allErrors: true });
    const validate = ajv.compile(schema);
    const valid = validate(parseSafeYaml('snippet.yaml', snippetOf(email)));
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it('renders an AWS Chatbot custom notification within the bounds', () => {
    expect(chat.version).toBe('1.0');
    expect(chat.source).toBe('custom');
    expect(chat.content.textType).toBe('client-markdown');
    expect(chat.content.title).toContain('RE-QUARANTINED');
    expect(chat.content.description).toContain('*CRITICAL 10.0* CVE-2024-3094');
    expect(chat.content.nextSteps.length).toBeGreaterThan(0);
    expect(chat.content.nextSteps.length).toBeLessThanOrEqual(CHATBOT_LIMITS.nextSteps);
    expect(chat.content.keywords).toEqual(['quarantined', 'CRITICAL', 'default', 're-quarantined']);
    expect(Buffer.byteLength(chat.content.description)).toBeLessThanOrEqual(CHATBOT_LIMITS.descriptionBytes);
    expect(chat.metadata.relatedResources).toEqual([
      'arn:aws:ecr:eu-west-1:123456789012:repository/team-a/payments-api',
    ]);
    expect(chat.metadata.additionalContext.verdict).toBe('quarantined');
    expect(Object.keys(chat).sort()).toEqual(['content', 'id', 'metadata', 'source', 'version']);
  });

  it('carries the decision JSON for machines and filter attributes', () => {
    expect(machine.schema).toBe(NOTIFICATION_SCHEMA);
    expect(machine.kind).toBe('decision');
    expect(machine.change).toBe('re-quarantined');
    expect(machine.decision?.verdict).toBe('quarantined');
    expect(machine.decision?.violations).toHaveLength(6);
    expect(machine.truncated).toBeUndefined();
    expect(message.attributes).toEqual({
      kind: 'decision',
      verdict: 'quarantined',
      change: 're-quarantined',
      severity: 'CRITICAL',
      violation_severity: 'CRITICAL',
      repository: 'team-a/payments-api',
      tags: ['1.4.2', 'quarantined-1.4.2'],
      mode: 'enforce',
      account: '123456789012',
    });
    expect(message.dedupeKey).toBe(
      `decision:123456789012/team-a/payments-api@${DIGEST}:quarantined:sha256:${'9'.repeat(64)}`,
    );
    expectSizeBound(message);
  });

  it('is deterministic whatever the order of violations and findings', () => {
    const notice = quarantinedNotice();
    const shuffled = {
      ...notice,
      decision: { ...notice.decision, violations: [...notice.decision.violations].reverse() },
      findings: [...notice.findings].reverse(),
    };
    expect(formatDecision(shuffled, OPTIONS)).toEqual(message);
    expect(formatNotification(notice, OPTIONS)).toEqual(message);
  });
});

describe('formatDecision: the other state changes', () => {
  it('approved after an exception names each waiver with its expiry, file and owner', () => {
    const message = formatDecision(
      {
        kind: 'decision',
        decision: decision({
          verdict: 'approved',
          waived: [waived('CVE-2022-49043', 'libxml2', '2026-02-28')],
        }),
        image: imageContext({ tagsAfter: ['1.4.2', 'approved-1.4.2'] }),
        previousVerdict: 'quarantined',
      },
      OPTIONS,
    );
    const { email, chat } = bodies(message);
    expect(message.subject).toBe('[gatekeeper] APPROVED AFTER EXCEPTION: team-a/payments-api:1.4.2');
    expect(email).toContain('Waivers used');
    expect(email).toContain(
      'CVE-2022-49043 (libxml2): exception "cve-2022-49043-payments" in policies/exceptions/team-a.yaml',
    );
    expect(email).toContain('owner team-a, expires 2026-02-28, ticket SEC-142');
    expect(email).not.toContain('8<');
    expect(chat.content.description).toContain('(expires 2026-02-28)');
    expect(message.attributes.change).toBe('approved-after-exception');
    expect(message.attributes.verdict).toBe('approved');
  });

  it('approved after a fix and a first approval say so, without a waiver snippet', () => {
    const fixed = formatDecision(
      {
        kind: 'decision',
        decision: decision({ verdict: 'approved' }),
        image: imageContext(),
        previousVerdict: 'quarantined',
      },
      OPTIONS,
    );
    expect(fixed.subject).toContain('APPROVED AFTER FIX');
    expect(fixed.bodies.email).toContain('no longer violates policy "default"');
    const first = formatDecision(
      {
        kind: 'decision',
        decision: decision({ verdict: 'approved' }),
        image: imageContext(),
        previousVerdict: null,
      },
      OPTIONS,
    );
    expect(first.subject).toBe('[gatekeeper] APPROVED: team-a/payments-api:1.4.2');
    expect(first.bodies.email).toContain('No rule of the policy is violated.');
    expect(first.attributes.severity).toBe('NONE');
    expect(first.attributes.violation_severity).toBe('NONE');
  });

  it('audit mode says no tag changed because of the violations', () => {
    const findings = enhancedFixtureFindings();
    const notice = {
      kind: 'decision' as const,
      decision: decision({
        policy: {
          name: 'audit-only',
          file: 'policies/teams/b.yaml',
          version: 'sha256:1',
          mode: 'audit' as const,
        },
        summary: summaryOf(findings),
        violations: findings.map((f) => violationFor(f)),
      }),
      image: imageContext(),
      previousVerdict: null,
      findings,
    };
    const message = formatDecision(notice, OPTIONS);
    expect(message.subject).toContain('AUDIT: WOULD BE QUARANTINED');
    expect(message.bodies.email).toContain('audit mode');
    expect(message.attributes.mode).toBe('audit');
  });

  it('image-rule violations are listed with their message and need a change of image, not a waiver', () => {
    const message = formatDecision(
      {
        kind: 'decision',
        decision: decision({
          violations: [
            {
              rule: 'image.runsAsRoot',
              findingId: null,
              severity: null,
              package: null,
              message: 'The image runs as root (User is empty)',
            },
          ],
        }),
        image: imageContext(),
        previousVerdict: null,
      },
      OPTIONS,
    );
    expect(message.bodies.email).toContain('- image.runsAsRoot: The image runs as root (User is empty)');
    expect(message.bodies.email).toContain('concern the image itself');
    expect(message.bodies.email).not.toContain('8<');
    expect(message.attributes.violation_severity).toBe('NONE');
  });
});

describe('subject and text sanitising', () => {
  it.each([
    ['a newline and a tab', 'evil\ntag\twith', /evil tag with/],
    ['non-ASCII', 'tëst-✓', /t\?st-\?/],
    ['bidi override', 'ab\u202ecd', /ab\?cd/],
  ])('a tag with %s stays one printable ASCII line', (_what, tag, expected) => {
    const message = formatDecision(
      {
        kind: 'decision',
        decision: decision(),
        image: imageContext({ tagsBefore: [tag], tagsAfter: [tag] }),
        previousVerdict: null,
      },
      OPTIONS,
    );
    expect(message.subject).toMatch(/^[\x20-\x7e]{1,100}$/);
    expect(message.subject).toMatch(expected);
    expect(message.bodies.email).not.toContain('\u202e');
    expect(message.bodies.email).not.toContain('\t');
  });

  it('a long repository name is cut to 100 characters ending in ...', () => {
    const repository = `${'very-long-team-name/'.repeat(12)}service`;
    const message = formatDecision(
      { kind: 'decision', decision: decision(), image: imageContext({ repository }), previousVerdict: null },
      OPTIONS,
    );
    expect(message.subject).toHaveLength(100);
    expect(message.subject.endsWith('...')).toBe(true);
  });

  it('chat text escapes Slack control characters from finding data', () => {
    const finding: Finding = { ...CRITICAL, package: '<!channel> & `rm`' };
    const message = formatDecision(
      {
        kind: 'decision',
        decision: decision({ violations: [violationFor(finding)] }),
        image: imageContext(),
        previousVerdict: null,
        findings: [finding],
      },
      OPTIONS,
    );
    const chat = bodies(message).chat;
    expect(chat.content.description).toContain("&lt;!channel&gt; &amp; 'rm'");
    expect(chat.content.description).not.toContain('<!channel>');
  });
});

describe('size bound: 10,000 findings', () => {
  const findings = manyFindings(10_000);
  const notice = {
    kind: 'decision' as const,
    decision: decision({
      summary: summaryOf(findings),
      violations: findings.map((f) => violationFor(f)),
      waived: findings.slice(0, 3_000).map((f) => waived(f.id, f.package)),
    }),
    image: imageContext({
      tagsBefore: Array.from(
        { length: 1_000 },
        (_, i) => `release-${String(i).padStart(4, '0')}-${'x'.repeat(110)}`,
      ),
    }),
    previousVerdict: null,
    findings,
  };

  it('stays under 262,144 bytes with attributes, and says how much was cut', () => {
    const message = formatDecision(notice, OPTIONS);
    expectSizeBound(message);
    const { email, machine } = bodies(message);
    expect(email).toContain('… and 9,980 more');
    expect(email).toContain('1. CRITICAL 10.0 CVE-2024-10000');
    const truncated = machine.truncated ?? {};
    expect(truncated['decision.violations']?.total).toBe(10_000);
    expect(truncated['decision.waived']?.total).toBe(3_000);
    expect(truncated['image.tagsBefore']).toEqual({ shown: 100, total: 1_000 });
    const shown = truncated['decision.violations']?.shown ?? 0;
    expect(shown).toBeGreaterThan(100);
    expect(machine.decision?.violations).toHaveLength(shown);
    // The cut keeps the most severe first.
    expect((machine.decision?.violations[0] as { severity?: string } | undefined)?.severity).toBe('CRITICAL');
  });

  it('multi-byte text is cut on UTF-8 boundaries and still fits', () => {
    const wide = manyFindings(10_000, (i) => `pkg-${i}-${'漢字🔥é'.repeat(40)}`);
    const message = formatDecision(
      {
        ...notice,
        decision: {
          ...notice.decision,
          violations: wide.map((f) => ({ ...violationFor(f), message: `🔥 ${'ünïcödé '.repeat(400)}` })),
        },
        findings: wide,
      },
      OPTIONS,
    );
    expectSizeBound(message);
    for (const body of Object.values(message.bodies)) {
      // A cut inside a sequence would decode to U+FFFD.
      expect(body).not.toContain('\ufffd');
      expect(Buffer.from(body, 'utf8').toString('utf8')).toBe(body);
    }
  });

  it('takes well under a second', () => {
    const started = performance.now();
    formatDecision(notice, OPTIONS);
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});

describe('formatSpoofedTag', () => {
  const message = formatSpoofedTag(
    {
      kind: 'spoofed-tag',
      image: imageContext({ tagsBefore: ['1.4.2', 'approved-1.4.2'], tagsAfter: ['1.4.2'] }),
      removedTags: ['approved-1.4.2'],
    },
    OPTIONS,
  );

  it('says which tags were removed and how to find who pushed them', () => {
    expect(message.subject).toBe('[gatekeeper] SPOOFED TAG removed: team-a/payments-api:approved-1.4.2');
    expect(message.bodies.email).toContain('  - approved-1.4.2');
    expect(message.bodies.email).toContain('someone other than the gatekeeper');
    expect(message.bodies.email).toContain('cloudtrail/home?region=eu-west-1#/events?EventName=PutImage');
    expect(message.attributes).toEqual({
      kind: 'spoofed-tag',
      repository: 'team-a/payments-api',
      tags: ['approved-1.4.2'],
      account: '123456789012',
    });
    expect(bodies(message).machine.removedTags).toEqual(['approved-1.4.2']);
    expectSizeBound(message);
  });
});

describe('formatSpoofedTag with the origin of the tag', () => {
  const moved = 'sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
  const cases = [
    {
      name: 'put back on the approved digest it had been written on',
      detail: {
        writtenOn: moved,
        putBack: true,
        explanation: `It was moved off ${moved}, where the gatekeeper had written it; it is put back there.`,
      },
      emailLine: `  Put back on: ${moved}`,
    },
    {
      name: 'not put back, with the reason',
      detail: {
        writtenOn: moved,
        putBack: false,
        explanation: `The gatekeeper had written it on ${moved}, but that image's recorded decision no longer includes it, so it is not put back.`,
      },
      emailLine: `  Written by the gatekeeper on: ${moved}`,
    },
    {
      name: 'never written by the gatekeeper',
      detail: {
        writtenOn: null,
        putBack: false,
        explanation: 'The gatekeeper never wrote this tag in this repository.',
      },
      emailLine: null,
    },
  ];

  it.each(cases)('$name: email, Slack and the machine JSON all carry it', ({ detail, emailLine }) => {
    const message = formatSpoofedTag(
      {
        kind: 'spoofed-tag',
        image: imageContext({ tagsBefore: ['approved-1.4.2'], tagsAfter: ['quarantined-sha256-abc'] }),
        removedTags: ['approved-1.4.2'],
        detail,
      },
      OPTIONS,
    );
    const { machine, chat } = bodies(message);
    const email = message.bodies.email ?? '';
    expect(email).toContain('Where the tag came from');
    expect(email.replace(/\s+/g, ' ')).toContain(detail.explanation);
    if (emailLine) expect(email).toContain(emailLine);
    else expect(email).not.toMatch(/Put back on|Written by the gatekeeper on/);
    expect(JSON.stringify(chat.content.description)).toContain('Origin: ');
    expect(machine.detail).toEqual(detail);
    if (detail.writtenOn) {
      expect(chat.metadata.additionalContext).toMatchObject({
        writtenOn: detail.writtenOn,
        putBack: String(detail.putBack),
      });
    }
    expectSizeBound(message);
  });

  it('without a detail the email has no origin section and the JSON says null', () => {
    const message = formatSpoofedTag(
      { kind: 'spoofed-tag', image: imageContext({}), removedTags: ['approved-1.4.2'] },
      OPTIONS,
    );
    expect(message.bodies.email).not.toContain('Where the tag came from');
    expect(bodies(message).machine.detail).toBeNull();
  });
});

describe('formatImmutableRepository', () => {
  const notice = {
    kind: 'immutable-repository' as const,
    image: imageContext({ tagsAfter: ['1.4.2'] }),
    decision: decision({ verdict: 'approved' }),
    blockedTags: ['approved-1.4.2'],
    mutability: 'IMMUTABLE',
  };

  it('gives the exact AWS CLI command that excludes the gatekeeper prefixes', () => {
    const message = formatImmutableRepository(notice, OPTIONS);
    expect(message.bodies.email).toContain(
      [
        'aws ecr put-image-tag-mutability \\',
        '  --region eu-west-1 --registry-id 123456789012 \\',
        "  --repository-name 'team-a/payments-api' \\",
        '  --image-tag-mutability IMMUTABLE_WITH_EXCLUSION \\',
        "  --image-tag-mutability-exclusion-filters 'filterType=WILDCARD,filter=approved-*' 'filterType=WILDCARD,filter=quarantined-*'",
      ].join('\n'),
    );
    expect(message.bodies.email).toContain('ImageTagAlreadyExistsException');
    const machine = bodies(message).machine as { fix: { imageTagMutabilityExclusionFilters: unknown[] } };
    expect(machine.fix.imageTagMutabilityExclusionFilters).toEqual([
      { filterType: 'WILDCARD', filter: 'approved-*' },
      { filterType: 'WILDCARD', filter: 'quarantined-*' },
    ]);
    expect(message.attributes.kind).toBe('immutable-repository');
    expectSizeBound(message);
  });

  it('uses the configured prefixes and keeps existing exclusion filters', () => {
    const message = formatImmutableRepository(
      { ...notice, existingExclusionFilters: ['latest', 'bad filter!'] },
      { now: NOW, approvedPrefix: 'ok-', quarantinedPrefix: 'blocked-' },
    );
    expect(message.bodies.email).toContain(
      "'filterType=WILDCARD,filter=latest' 'filterType=WILDCARD,filter=ok-*' 'filterType=WILDCARD,filter=blocked-*'",
    );
    expect(message.bodies.email).not.toContain('bad filter!');
  });
});

describe('formatError (fail-closed)', () => {
  it.each([
    ['scan-failed', 'scan failed', 'aws ecr start-image-scan'],
    ['scan-unsupported', 'image type cannot be scanned', 'opt in per policy'],
    ['scan-eligibility-expired', 'scan eligibility expired', 're-scan duration'],
    ['image-archived', 'image is archived', 'Restore the image'],
  ] as const)(
    '%s says what happened, that the image is not approved, and what to do',
    (problem, title, action) => {
      const message = formatError(
        {
          kind: 'error',
          problem,
          detail: 'UnsupportedImageError: The operating system and/or package manager are not supported.',
          image: imageContext(),
          decision: decision({ reason: `scan status ${problem}` }),
          scanStatus: 'FAILED',
        },
        OPTIONS,
      );
      expect(message.subject).toContain(`ERROR: ${title}`);
      expect(message.bodies.email).toContain('failed closed: the image is QUARANTINED');
      expect(message.bodies.email).toContain(action);
      expect(message.attributes).toMatchObject({ kind: 'error', change: problem, verdict: 'quarantined' });
      expectSizeBound(message);
    },
  );

  it('policy-set-invalid lists every problem with file and path, without an image', () => {
    const problems = Array.from({ length: 25 }, (_, i) => ({
      file: `policies/teams/t${String(i).padStart(2, '0')}.yaml`,
      path: 'rules.maxSeverity.HIGH',
      message: 'must be >= 0',
    }));
    const message = formatError(
      {
        kind: 'error',
        problem: 'policy-set-invalid',
        detail: 'policy-set.json failed validation at cold start',
        image: null,
        decision: null,
        problems,
        registryId: '123456789012',
      },
      OPTIONS,
    );
    expect(message.subject).toBe('[gatekeeper] ERROR: policy set invalid - policy set');
    expect(message.bodies.email).toContain('- policies/teams/t00.yaml: rules.maxSeverity.HIGH: must be >= 0');
    expect(message.bodies.email).toContain('… and 5 more');
    expect(message.bodies.email).toContain('no image is approved until the problem is resolved');
    expect(message.attributes).toEqual({
      kind: 'error',
      change: 'policy-set-invalid',
      account: '123456789012',
    });
  });
});

describe('formatHygieneSummary', () => {
  it('gives counts and the top drift', () => {
    const message = formatHygieneSummary(
      {
        kind: 'hygiene-summary',
        mode: 'report',
        startedAt: new Date('2026-01-10T02:00:00Z'),
        finishedAt: '2026-01-10T02:04:11Z',
        registryId: '123456789012',
        region: 'eu-west-1',
        repositories: { scanned: 120, compliant: 100, drifted: 18, applied: 0, refused: 1, failed: 1 },
        topDrift: [
          {
            repository: 'team-a/payments-api',
            kind: 'lifecycle',
            message: 'no rule expires untagged images',
          },
        ],
        safetyNet: { undecidedDecided: 2, exceptionExpiredDecided: 1 },
      },
      OPTIONS,
    );
    expect(message.subject).toBe(
      '[gatekeeper] Hygiene report: 120 repositories, 18 drifted, 0 fixed, 1 failed',
    );
    expect(message.bodies.email).toContain(
      'scanned 120, compliant 100, drifted 18, corrected 0, refused 1, failed 1',
    );
    expect(message.bodies.email).toContain(
      '- team-a/payments-api [lifecycle]: no rule expires untagged images',
    );
    expect(message.bodies.email).toContain('Set GATEKEEPER_HYGIENE_MODE=enforce');
    expect(message.attributes).toEqual({ kind: 'hygiene-summary', mode: 'report', account: '123456789012' });
    expect(bodies(message).chat.content.title).toContain('18 drifted of 120');
    expectSizeBound(message);
  });
});

describe('console links', () => {
  it.each([
    ['cn-north-1', 'https://console.amazonaws.cn/ecr/repositories/private/'],
    ['us-gov-west-1', 'https://console.amazonaws-us-gov.com/ecr/'],
    ['ap-southeast-2', 'https://ap-southeast-2.console.aws.amazon.com/ecr/'],
  ])('region %s uses its partition console', (region, prefix) => {
    const message = formatDecision(
      { kind: 'decision', decision: decision(), image: imageContext({ region }), previousVerdict: null },
      OPTIONS,
    );
    expect(message.bodies.email).toContain(prefix);
  });

  it('GATEKEEPER_CONSOLE_URL_REGION overrides the region in links only', () => {
    const message = formatDecision(
      { kind: 'decision', decision: decision(), image: imageContext(), previousVerdict: null },
      { now: NOW, consoleRegion: 'us-east-1' },
    );
    expect(message.bodies.email).toContain('https://us-east-1.console.aws.amazon.com/ecr/');
    expect(message.bodies.email).toContain(
      '123456789012.dkr.ecr.eu-west-1.amazonaws.com/team-a/payments-api@',
    );
  });
});

describe('dedupe key for machine subscribers', () => {
  it('is in the machine body, the same for a republished decision and different for another verdict', () => {
    const notice = (verdict: Verdict) => ({
      kind: 'decision' as const,
      decision: decision({ verdict }),
      image: imageContext(),
      previousVerdict: null,
    });
    const first = formatDecision(notice('quarantined'), OPTIONS);
    const again = formatDecision(notice('quarantined'), OPTIONS);
    const other = formatDecision(notice('approved'), OPTIONS);

    expect(bodies(first).machine.dedupeKey).toBe(first.dedupeKey);
    expect(bodies(again).machine.dedupeKey).toBe(first.dedupeKey);
    expect(bodies(other).machine.dedupeKey).not.toBe(first.dedupeKey);
  });
});
