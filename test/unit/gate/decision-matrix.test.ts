/**
 * The gate's decision matrix, in the style of Harbor's vulnerability-prevention tests: one row per situation an
 * image can be in when it is decided (not scanned, scan failed, findings lookup error, below / above the
 * threshold, waived by an exception, multi-arch index), each through the whole gate (fake registry, real policy
 * engine, real messages, in-memory ledger). Every row states the outcome, the tags afterwards, the alerts and
 * whether an approved tag could ever appear. Golden policy cases (`opa test` / `kyverno test` style) are the
 * shipped policies/tests run by test/unit/policy/policy-tests.test.ts and `gatekeeper policy test`.
 */
import { describe, expect, it } from 'vitest';
import type { ImageRef } from '../../../lib/events/image-ref.ts';
import { decideImage } from '../../../lib/gate/decide-image.ts';
import { RegistryUnavailableError } from '../../../lib/registry/errors.ts';
import {
  completeScan,
  finding,
  imageManifest,
  indexManifest,
  scanTrigger,
  type TestGate,
  testGate,
} from './support.ts';

interface Row {
  readonly name: string;
  /** Seeds the image (and, for an index, its children); returns the digest to decide. */
  readonly seed: (gate: TestGate) => ImageRef;
  /** The outcome decideImage returns, or 'throws' for an error left to Lambda's retries. */
  readonly outcome: 'decided' | 'not-ready' | 'throws';
  readonly verdict: 'approved' | 'quarantined' | null;
  /** Tags on the decided digest afterwards. */
  readonly tags: readonly string[];
  /** Notifications published (verdict messages and alerts). */
  readonly messages: number;
  /** Text the message (when any) must contain: why. */
  readonly says?: RegExp;
}

const rows: Row[] = [
  {
    name: 'not scanned (no scan result: ScanNotFound)',
    seed: (g) => g.registry.seed({ tags: ['1.0.0'], scan: null }),
    outcome: 'not-ready',
    verdict: null,
    tags: ['1.0.0'],
    messages: 0,
  },
  {
    name: 'scan still running (IN_PROGRESS)',
    seed: (g) => g.registry.seed({ tags: ['1.0.0'], scan: completeScan([], { status: 'IN_PROGRESS' }) }),
    outcome: 'not-ready',
    verdict: null,
    tags: ['1.0.0'],
    messages: 0,
  },
  {
    name: 'scan failed (FAILED)',
    seed: (g) =>
      g.registry.seed({
        tags: ['1.0.0'],
        scan: completeScan([], { status: 'FAILED', description: 'UnsupportedImageError: layer unreadable' }),
      }),
    outcome: 'decided',
    verdict: 'quarantined',
    tags: ['1.0.0', 'quarantined-1.0.0'],
    messages: 1,
    says: /layer unreadable/,
  },
  {
    name: 'findings lookup error (registry unavailable after the SDK retries)',
    seed: (g) => {
      const ref = g.registry.seed({ tags: ['1.0.0'], scan: completeScan([finding('CVE-2099-1', 'LOW')]) });
      g.registry.before.getScanResult = () => {
        throw new RegistryUnavailableError('DescribeImageScanFindings', 'ServerException', 'HTTP 500');
      };
      return ref;
    },
    outcome: 'throws',
    verdict: null,
    tags: ['1.0.0'],
    messages: 0,
  },
  {
    name: 'below the threshold (LOW and MEDIUM only)',
    seed: (g) =>
      g.registry.seed({
        tags: ['1.0.0'],
        scan: completeScan([finding('CVE-2099-2', 'LOW'), finding('CVE-2099-3', 'MEDIUM')]),
      }),
    outcome: 'decided',
    verdict: 'approved',
    tags: ['1.0.0', 'approved-1.0.0'],
    messages: 1,
  },
  {
    name: 'at the threshold edge: HIGH without a fix (fixable-only rule)',
    seed: (g) =>
      g.registry.seed({
        tags: ['1.0.0'],
        scan: completeScan([finding('CVE-2099-4', 'HIGH', { fixAvailable: 'NO', fixedIn: null })]),
      }),
    outcome: 'decided',
    verdict: 'approved',
    tags: ['1.0.0', 'approved-1.0.0'],
    messages: 1,
  },
  {
    name: 'above the threshold (one CRITICAL)',
    seed: (g) =>
      g.registry.seed({ tags: ['1.0.0'], scan: completeScan([finding('CVE-2099-5', 'CRITICAL')]) }),
    outcome: 'decided',
    verdict: 'quarantined',
    tags: ['1.0.0', 'quarantined-1.0.0'],
    messages: 1,
    says: /CVE-2099-5/,
  },
  {
    name: 'above the threshold but waived by an exception',
    seed: (g) =>
      g.registry.seed({ tags: ['1.0.0'], scan: completeScan([finding('CVE-2099-0001', 'CRITICAL')]) }),
    outcome: 'decided',
    verdict: 'approved',
    tags: ['1.0.0', 'approved-1.0.0'],
    messages: 1,
    says: /openssl-accepted/,
  },
  {
    name: 'the same exception does not reach another repository',
    seed: (g) =>
      g.registry.seed({
        repository: 'other',
        tags: ['1.0.0'],
        scan: completeScan([finding('CVE-2099-0001', 'CRITICAL')]),
      }),
    outcome: 'decided',
    verdict: 'quarantined',
    tags: ['1.0.0', 'quarantined-1.0.0'],
    messages: 1,
  },
  {
    name: 'image index: clean children → the index is approved, children untagged',
    seed: (g) => seedIndex(g, [[finding('CVE-2099-6', 'LOW')], []]),
    outcome: 'decided',
    verdict: 'approved',
    tags: ['2.0.0', 'approved-2.0.0'],
    messages: 1,
  },
  {
    name: 'image index: one child above the threshold → the whole index is quarantined',
    seed: (g) => seedIndex(g, [[], [finding('CVE-2099-7', 'CRITICAL')]]),
    outcome: 'decided',
    verdict: 'quarantined',
    tags: ['2.0.0', 'quarantined-2.0.0'],
    messages: 1,
    says: /CVE-2099-7/,
  },
  {
    name: 'image index: one child not scanned yet → no verdict for the index',
    seed: (g) => seedIndex(g, [[], null]),
    outcome: 'not-ready',
    verdict: null,
    tags: ['2.0.0'],
    messages: 0,
  },
];

function seedIndex(gate: TestGate, children: readonly (ReturnType<typeof finding>[] | null)[]): ImageRef {
  const refs = children.map((findings, i) =>
    gate.registry.seed({
      tags: [],
      manifest: imageManifest(`child-${i}`),
      scan: findings === null ? null : completeScan(findings),
    }),
  );
  return gate.registry.seed({
    tags: ['2.0.0'],
    manifest: indexManifest(refs.map((r) => r.digest)),
    mediaType: 'application/vnd.oci.image.index.v1+json',
    scan: null,
  });
}

describe('decision matrix (Harbor style): situation → outcome, tags, alert', () => {
  it.each(rows)('$name', async (row) => {
    // Prepare
    const gate = await testGate();
    const ref = row.seed(gate);
    const imagesBefore = gate.registry.images.size;

    // Act
    const run = decideImage(gate.deps, ref, scanTrigger());

    // Assess
    if (row.outcome === 'throws') {
      await expect(run).rejects.toBeInstanceOf(RegistryUnavailableError);
    } else {
      const outcome = await run;
      expect(outcome.outcome).toBe(row.outcome);
      expect(outcome.verdict).toBe(row.verdict);
    }
    expect(gate.registry.tagsOf(ref)).toEqual(row.tags);
    expect(gate.notifier.messages).toHaveLength(row.messages);
    if (row.says) expect(gate.notifier.messages[0]?.bodies.email).toMatch(row.says);
    // Never an approved tag without an approved verdict; never both kinds; no image (wrapper index) created.
    const tags = gate.registry.tagsOf(ref);
    const approved = tags.some((t) => t.startsWith('approved-'));
    const quarantined = tags.some((t) => t.startsWith('quarantined-'));
    expect(approved && quarantined).toBe(false);
    expect(approved).toBe(row.verdict === 'approved');
    expect(quarantined).toBe(row.verdict === 'quarantined');
    expect(gate.registry.images.size).toBe(imagesBefore);
    if (row.outcome !== 'decided') expect(gate.registry.writes()).toBe(0);
  });
});
