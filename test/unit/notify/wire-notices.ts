/**
 * Representative notices of every kind whose rendered bytes are pinned in test/unit/notify/wire/ (see
 * wire-bytes.test.ts): a change of how alerts are assembled or cut must not change what subscribers receive.
 * The `cut` ones are big enough for the machine JSON to be cut to SNS's limit.
 */
import type { FormatOptions, Notice } from '../../../lib/notify/format.ts';
import type { Violation } from '../../../lib/policy/decision.ts';
import {
  decision,
  enhancedFixtureFindings,
  imageContext,
  manyFindings,
  summaryOf,
  violationFor,
  waived,
} from './notice-fixtures.ts';

export const WIRE_OPTIONS: FormatOptions = { now: new Date('2026-01-10T12:00:00Z') };

export interface WireCase {
  readonly name: string;
  readonly notice: Notice;
  readonly options?: FormatOptions;
}

const fixture = enhancedFixtureFindings();
const imageRule: Violation = {
  rule: 'image.user',
  findingId: null,
  severity: null,
  package: null,
  message: 'the image runs as root',
};

/** Small notices: nothing in them is cut. */
export function smallWireCases(): WireCase[] {
  return [
    {
      name: 'decision-approved',
      notice: {
        kind: 'decision',
        decision: decision({ verdict: 'approved' }),
        image: imageContext({ tagsAfter: ['1.4.2', 'approved-1.4.2'] }),
        previousVerdict: null,
      },
    },
    {
      name: 'decision-re-quarantined',
      notice: {
        kind: 'decision',
        decision: decision({
          summary: summaryOf(fixture),
          violations: [...fixture.map((f) => violationFor(f)), imageRule],
          reason: 'violations of the policy',
        }),
        image: imageContext({ tagsBefore: ['1.4.2', 'approved-1.4.2'] }),
        previousVerdict: 'approved',
        findings: fixture,
      },
      options: { ...WIRE_OPTIONS, stateChange: 'img#7' },
    },
    {
      name: 'decision-approved-after-exception-archived-audit',
      notice: {
        kind: 'decision',
        decision: decision({
          verdict: 'approved',
          policy: { name: 'audit', file: 'policies/audit.yaml', version: 'v1', mode: 'audit' },
          summary: summaryOf(fixture.slice(0, 3)),
          waived: fixture.slice(0, 3).map((f) => waived(f.id, f.package)),
          atRisk: { violations: 2, deadline: '2026-02-01T00:00:00Z' },
        }),
        image: imageContext(),
        previousVerdict: 'quarantined',
        findings: fixture,
        archived: true,
      },
    },
    {
      name: 'decision-quarantined-archived-multibyte',
      notice: {
        kind: 'decision',
        decision: decision({
          violations: fixture
            .slice(0, 4)
            .map((f) => ({ ...violationFor(f), message: `漢字 🔥 "quoted" \\ ${f.id}` })),
        }),
        image: imageContext({ repository: 'équipe/paiements', tagsBefore: ['v1-é'], tagsAfter: [] }),
        previousVerdict: null,
        findings: fixture,
        archived: true,
      },
      options: {
        ...WIRE_OPTIONS,
        consoleRegion: 'us-east-1',
        approvedPrefix: 'ok-',
        quarantinedPrefix: 'no-',
      },
    },
    {
      name: 'spoofed-tag',
      notice: {
        kind: 'spoofed-tag',
        image: imageContext({ tagsBefore: ['1.4.2', 'approved-1.4.2'], tagsAfter: ['1.4.2'] }),
        removedTags: ['approved-1.4.2', 'approved-latest'],
        detail: {
          writtenOn: `sha256:${'b'.repeat(64)}`,
          putBack: true,
          explanation: 'It was moved; it is put back.',
        },
      },
    },
    {
      name: 'immutable-repository',
      notice: {
        kind: 'immutable-repository',
        image: imageContext(),
        decision: decision(),
        blockedTags: ['quarantined-1.4.2'],
        mutability: 'IMMUTABLE_WITH_EXCLUSION',
        existingExclusionFilters: ['latest', 'bad filter!'],
      },
    },
    {
      name: 'error-scan-failed',
      notice: {
        kind: 'error',
        problem: 'scan-failed',
        detail: 'UnsupportedImageError: The operating system is not supported.\nSecond line.',
        image: imageContext(),
        decision: decision({ reason: 'scan failed' }),
        scanStatus: 'FAILED',
        archived: true,
      },
    },
    {
      name: 'error-policy-set-invalid',
      notice: {
        kind: 'error',
        problem: 'policy-set-invalid',
        detail: 'policy-set.json failed validation at cold start',
        image: null,
        decision: null,
        problems: Array.from({ length: 25 }, (_, i) => ({
          file: `policies/teams/t${String(i).padStart(2, '0')}.yaml`,
          path: 'rules.maxSeverity.HIGH',
          message: 'must be >= 0',
        })),
        registryId: '123456789012',
        region: 'eu-west-1',
      },
    },
    {
      name: 'hygiene-summary',
      notice: {
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
    },
  ];
}

/** Notices whose machine JSON is cut to fit. */
export function cutWireCases(): WireCase[] {
  const findings = manyFindings(10_000);
  const wide = manyFindings(3_000, (i) => `pkg-${i}-${'漢字🔥é'.repeat(40)}`);
  return [
    {
      name: 'decision-10k-cut',
      notice: {
        kind: 'decision',
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
      },
    },
    {
      name: 'decision-multibyte-cut',
      notice: {
        kind: 'decision',
        decision: decision({
          violations: wide.map((f) => ({ ...violationFor(f), message: `🔥 ${'ünïcödé "q" '.repeat(300)}` })),
        }),
        image: imageContext(),
        previousVerdict: 'approved',
        findings: wide,
      },
    },
    {
      name: 'error-problems-cut',
      notice: {
        kind: 'error',
        problem: 'policy-set-invalid',
        detail: 'policy-set.json failed validation',
        image: null,
        decision: null,
        problems: Array.from({ length: 5_000 }, (_, i) => ({
          file: `policies/teams/t${i}.yaml`,
          path: `rules.maxSeverity.${'x'.repeat(i % 300)}`,
          message: 'must be >= 0',
        })),
      },
    },
    {
      name: 'hygiene-summary-cut',
      notice: {
        kind: 'hygiene-summary',
        mode: 'enforce',
        startedAt: '2026-01-10T02:00:00Z',
        finishedAt: '2026-01-10T02:04:11Z',
        repositories: { scanned: 9_000, compliant: 0, drifted: 9_000, applied: 9_000, refused: 0, failed: 0 },
        topDrift: Array.from({ length: 9_000 }, (_, i) => ({
          repository: `team-${i}/service-${'y'.repeat(i % 50)}`,
          kind: 'lifecycle',
          message: `rule ${i} is missing`,
        })),
      },
    },
  ];
}
