/**
 * The gate's promise as a property, checked over random histories with fast-check (shrinking on):
 *
 *   no digest that the deployed policy denies carries an `approved-` tag; every decided digest carries approved
 *   tags xor quarantined tags; each announced state change gets exactly one truthful message.
 *
 * A history is a list of rounds. In each round people act on the registry (push or move a source tag, push a
 * hand-made decision tag, delete a tag, change an image's findings, deploy another policy set, let days pass), and
 * then 1–4 deliveries of the events those actions cause (push, scan complete, finding changed, the sweep, a
 * re-judgement message of the SQS fan-out, the scheduled check of deadlines and waivers) run
 * concurrently: every call they make to the registry, the ledger or SNS is released in an order fast-check's
 * scheduler chooses. A delivery may be lost, may be delivered twice, may run on a container that still has the
 * previous policy set (rolling deploy), and may crash at any call, before or after that call took effect; a
 * crashed delivery is delivered again later, as Lambda and EventBridge do.
 *
 * The graph is multi-arch on purpose: per-arch tags on a child, a child shared by two indexes, a nested index,
 * and an attestation (platform unknown/unknown, in-toto layers) beside the platform images.
 *
 * Three policy sets take turns: the base one, a strict one (denies LOW: a previously approved image flips to
 * quarantined; switching back approves a quarantined one) and one with fix deadlines (CRITICAL: 3 days of grace for
 * images approved before) and a waiver that expires. Days pass (1–4 per jump), so grace periods and the waiver run
 * out during a history; the scheduled check re-judges the images then.
 *
 * After the history (quiescence): crashed deliveries are redelivered and the sweep runs. Then the safety
 * properties must hold whatever events were lost. Then one event per image announces its final findings, the
 * re-judgement reaches decisions made under another policy version, the clock moves past every grace period (the
 * waiver may or may not have expired by then) and the scheduled check runs; the full promise must hold: the tags
 * show the ledger's latest decision, made under the deployed policy set, which approves no image that set denies.
 *
 * `npm test` runs a fixed seed with 2,000 histories; `npm run fuzz` runs 20,000 (INVARIANT_RUNS, FUZZ_SEED to vary).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ImagePushedEvent } from '../../../lib/events/gatekeeper-event.ts';
import type { ImageRef } from '../../../lib/events/image-ref.ts';
import type { Finding } from '../../../lib/findings/finding.ts';
import type { GateDependencies, GateTrigger } from '../../../lib/gate/context.ts';
import { decideImage } from '../../../lib/gate/decide-image.ts';
import { handleImagePushed } from '../../../lib/gate/handle-push.ts';
import { checkDecisionTagsMany } from '../../../lib/gate/projection.ts';
import { reservedKind } from '../../../lib/gate/tags.ts';
import { MemoryLedger } from '../../../lib/ledger/memory-ledger.ts';
import { createLogger } from '../../../lib/log/logger.ts';
import type { Notifier, OutboundMessage } from '../../../lib/notify/notifier.ts';
import { evaluate, selectPolicy } from '../../../lib/policy/evaluate.ts';
import { loadPolicySet } from '../../../lib/policy/index.ts';
import type { PolicySet } from '../../../lib/policy/policy-set.ts';
import type { ScanResult } from '../../../lib/registry/registry.ts';
import {
  DEFAULT_REJUDGE_SETTINGS,
  handleRejudgeBatch,
  MemoryRejudgeQueue,
} from '../../../lib/rejudge/index.ts';
import {
  attestationManifest,
  completeScan,
  type FakeRegistry,
  finding,
  imageManifest,
  NOW,
  REGION,
  REGISTRY_ID,
  testGate,
} from './support.ts';

/** Histories per run: 2,000 in `npm test`; `npm run fuzz` sets INVARIANT_RUNS (default 20,000) and FUZZ_SEED. */
const RUNS = Number(process.env.INVARIANT_RUNS ?? 2000);
const SEED = Number(process.env.FUZZ_SEED ?? 20261202);

const REPO = 'app';
const INDEX_TYPE = 'application/vnd.oci.image.index.v1+json';
const V2_TYPE = 'application/vnd.docker.distribution.manifest.v2+json';
const DAY_MS = 24 * 60 * 60_000;
/** The policy sets a history deploys: base, strict (LOW denied), grace (deadlines and an expiring waiver). */
const POLICY_DIRS = [
  'test/unit/gate/policies',
  'test/unit/gate/policies-strict',
  'test/unit/gate/policies-grace',
] as const;
type PolicyIndex = 0 | 1 | 2;

// ------------------------------------------------------------------------------------------- the world

type Platform = 'a' | 'b' | 'c';
type ImageName = Platform | 'i1' | 'i2' | 'n';
const PLATFORMS: readonly Platform[] = ['a', 'b', 'c'];
const IMAGES: readonly ImageName[] = ['a', 'b', 'c', 'i1', 'i2', 'n'];
type ScanState = 'clean' | 'low' | 'critical' | 'failed';
const SCAN_STATES: readonly ScanState[] = ['clean', 'low', 'critical', 'failed'];

/** Findings carry an ARN and an update time, as ECR enhanced scanning returns them. */
function scanOf(image: Platform, state: ScanState, version: number): ScanResult {
  const at = new Date(NOW.getTime() - 60 * 60_000 + version * 1000).toISOString();
  const arn = (n: number) => `arn:aws:inspector2:${REGION}:${REGISTRY_ID}:finding/${image}${n}`;
  const make = (id: string, severity: Finding['severity'], n: number) =>
    finding(id, severity, { arn: arn(n), updatedAt: at });
  switch (state) {
    case 'clean':
      return completeScan([]);
    case 'low':
      return completeScan([make(`CVE-2099-1${image.charCodeAt(0)}`, 'LOW', 1)]);
    case 'critical':
      return completeScan([make(`CVE-2099-9${image.charCodeAt(0)}`, 'CRITICAL', 2)]);
    case 'failed':
      return completeScan([], { status: 'FAILED', description: 'scan failed (test)' });
  }
}

function indexOf(entries: readonly { digest: string; index?: boolean; attestation?: boolean }[]): string {
  return JSON.stringify({
    schemaVersion: 2,
    mediaType: INDEX_TYPE,
    manifests: entries.map((e, i) =>
      e.attestation
        ? {
            mediaType: 'application/vnd.oci.image.manifest.v1+json',
            digest: e.digest,
            size: 500,
            annotations: { 'vnd.docker.reference.type': 'attestation-manifest' },
            platform: { architecture: 'unknown', os: 'unknown' },
          }
        : {
            mediaType: e.index ? INDEX_TYPE : V2_TYPE,
            digest: e.digest,
            size: 1000 + i,
            ...(e.index ? {} : { platform: { architecture: i % 2 === 0 ? 'amd64' : 'arm64', os: 'linux' } }),
          },
    ),
  });
}

interface World {
  readonly registry: FakeRegistry;
  readonly refs: Record<ImageName, ImageRef>;
  readonly scans: Record<Platform, ScanState>;
  scanVersion: number;
}

/**
 * a, b, c: platform images (a also carries its own per-arch tag); t: an attestation; i1 = [a, b, t];
 * i2 = [b, c] (b is shared); n = [i1, c] (nested).
 */
function buildWorld(registry: FakeRegistry, initial: Record<Platform, ScanState>): World {
  const scans = { ...initial };
  const refs = {} as Record<ImageName, ImageRef>;
  for (const p of PLATFORMS) {
    refs[p] = registry.seed({
      repository: REPO,
      manifest: imageManifest(`world-${p}`),
      tags: p === 'a' ? ['1.0-amd64'] : [],
      scan: scanOf(p, scans[p], 0),
    });
  }
  const t = registry.seed({
    repository: REPO,
    manifest: attestationManifest('world-t'),
    tags: [],
    scan: null,
  });
  refs.i1 = registry.seed({
    repository: REPO,
    manifest: indexOf([
      { digest: refs.a.digest },
      { digest: refs.b.digest },
      { digest: t.digest, attestation: true },
    ]),
    mediaType: INDEX_TYPE,
    tags: ['1.0'],
    scan: null,
  });
  refs.i2 = registry.seed({
    repository: REPO,
    manifest: indexOf([{ digest: refs.b.digest }, { digest: refs.c.digest }]),
    mediaType: INDEX_TYPE,
    tags: ['2.0'],
    scan: null,
  });
  refs.n = registry.seed({
    repository: REPO,
    manifest: indexOf([{ digest: refs.i1.digest, index: true }, { digest: refs.c.digest }]),
    mediaType: INDEX_TYPE,
    tags: ['3.0'],
    scan: null,
  });
  return { registry, refs, scans, scanVersion: 0 };
}

// ------------------------------------------------------------------------------------------- histories

type Delivery =
  | { readonly kind: 'scan'; readonly image: ImageName }
  | { readonly kind: 'finding'; readonly image: Platform }
  | { readonly kind: 'push'; readonly image: ImageName; readonly tag: string }
  /** One `image` message of a re-judgement run (SQS fan-out after a deploy), through the rejudge function. */
  | { readonly kind: 'rejudge'; readonly image: ImageName }
  /** The scheduled check: an image judged again once its grace deadline or a waiver may have passed. */
  | { readonly kind: 'recheck'; readonly image: ImageName }
  | { readonly kind: 'sweep' };

type Action =
  | { readonly kind: 'findings'; readonly image: Platform; readonly state: ScanState }
  | { readonly kind: 'tag'; readonly image: ImageName; readonly tag: string }
  | { readonly kind: 'spoof'; readonly image: ImageName; readonly tag: string }
  | { readonly kind: 'untag'; readonly tag: string }
  | { readonly kind: 'deploy'; readonly to: PolicyIndex; readonly rejudge: readonly ImageName[] }
  | { readonly kind: 'clock'; readonly days: number; readonly recheck: readonly ImageName[] };

interface Run {
  /** What the event of the action does: delivered once, twice, or lost. */
  readonly delivery: 'once' | 'twice' | 'lost';
  /** Runs on a container that still has the policy set from before the last deploy. */
  readonly stale: boolean;
  /** Crash at this port call (1-based), before or after the call took effect; 0: no crash. */
  readonly crashAt: number;
  readonly crashAfter: boolean;
}

interface Round {
  readonly actions: readonly Action[];
  readonly extra: readonly Delivery[];
  readonly runs: readonly Run[];
}

const sourceTag = fc.constantFrom('1.0', '2.0', '3.0', '1.0-amd64', 'latest', 'legacy-1', 'stable');
const anyImage = fc.constantFrom(...IMAGES);
const platform = fc.constantFrom(...PLATFORMS);

const action: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('findings' as const),
      image: platform,
      state: fc.constantFrom(...SCAN_STATES),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('tag' as const), image: anyImage, tag: sourceTag }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('spoof' as const),
      image: anyImage,
      tag: fc.constantFrom(
        'approved-1.0',
        'approved-2.0',
        'approved-x',
        'quarantined-1.0',
        'approved-sha256-0',
      ),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('untag' as const), tag: sourceTag }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('deploy' as const),
      to: fc.constantFrom<PolicyIndex>(0, 1, 2),
      rejudge: fc.subarray([...IMAGES], { maxLength: 3 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('clock' as const),
      days: fc.integer({ min: 1, max: 4 }),
      recheck: fc.subarray([...IMAGES], { minLength: 1, maxLength: 3 }),
    }),
  },
);

const delivery: fc.Arbitrary<Delivery> = fc.oneof(
  fc.record({ kind: fc.constant('scan' as const), image: anyImage }),
  fc.record({ kind: fc.constant('finding' as const), image: platform }),
  fc.record({ kind: fc.constant('rejudge' as const), image: anyImage }),
  fc.constant({ kind: 'sweep' as const }),
);

const run: fc.Arbitrary<Run> = fc.record({
  delivery: fc.constantFrom('once', 'once', 'once', 'twice', 'lost') as fc.Arbitrary<Run['delivery']>,
  stale: fc.boolean(),
  crashAt: fc.oneof(
    { weight: 3, arbitrary: fc.constant(0) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 30 }) },
  ),
  crashAfter: fc.boolean(),
});

const round: fc.Arbitrary<Round> = fc.record({
  actions: fc.array(action, { minLength: 0, maxLength: 2 }),
  extra: fc.array(delivery, { minLength: 0, maxLength: 2 }),
  runs: fc.array(run, { minLength: 4, maxLength: 4 }),
});

const history = fc.record({
  initial: fc.record({
    a: fc.constantFrom(...SCAN_STATES),
    b: fc.constantFrom(...SCAN_STATES),
    c: fc.constantFrom(...SCAN_STATES),
  }),
  /** The policy set deployed when the history starts. */
  policy: fc.constantFrom<PolicyIndex>(0, 1, 2),
  rounds: fc.array(round, { minLength: 1, maxLength: 4 }),
});

// ------------------------------------------------------------------------------------------- running

class Crash extends Error {
  override name = 'Crash';
}

/** Ports whose every call waits for the scheduler, and that crash at the chosen call. */
function scheduledDeps(
  base: GateDependencies,
  policySet: PolicySet,
  s: fc.Scheduler,
  crash: { at: number; after: boolean },
  label: string,
): GateDependencies {
  let calls = 0;
  const wrap = <T extends object>(target: T, name: string): T =>
    new Proxy(target, {
      get(obj, prop, receiver) {
        const value = Reflect.get(obj, prop, receiver) as unknown;
        if (typeof value !== 'function') return value;
        return async (...args: unknown[]) => {
          await s.schedule(Promise.resolve(), `${label}:${name}.${String(prop)}`);
          calls += 1;
          const crashHere = crash.at > 0 && calls === crash.at;
          if (crashHere && !crash.after) throw new Crash(`${label}: crash before ${name}.${String(prop)}`);
          const result = await (value as (...a: unknown[]) => unknown).apply(obj, args);
          if (crashHere) throw new Crash(`${label}: crash after ${name}.${String(prop)}`);
          return result;
        };
      },
    });
  return {
    ...base,
    policySet,
    registry: wrap(base.registry, 'ecr'),
    ledger: wrap(base.ledger, 'ledger'),
    notifier: wrap(base.notifier, 'sns'),
  };
}

function pushEvent(ref: ImageRef, tag: string, id: string): ImagePushedEvent {
  return {
    kind: 'image-pushed',
    eventId: id,
    time: NOW.toISOString(),
    image: ref,
    tag,
    action: 'push',
  } as ImagePushedEvent;
}

async function deliver(deps: GateDependencies, world: World, d: Delivery, id: string): Promise<void> {
  if (d.kind === 'sweep') {
    await sweep(deps, world);
    return;
  }
  const ref = world.refs[d.image];
  if (d.kind === 'push') {
    await handleImagePushed(deps, pushEvent(ref, d.tag, id));
    return;
  }
  if (d.kind === 'rejudge') {
    // The rejudge function's worker, as SQS delivers one message: a failed record is delivered again.
    const { batchItemFailures } = await handleRejudgeBatch(
      {
        gate: deps,
        queue: new MemoryRejudgeQueue(),
        settings: DEFAULT_REJUDGE_SETTINGS,
        sleep: async () => {},
      },
      [{ messageId: id, body: JSON.stringify({ kind: 'image', run: 'rejudge-run-1', image: ref }) }],
      () => 60_000,
    );
    if (batchItemFailures.length > 0) throw new Error(`${id}: re-judgement message failed`);
    return;
  }
  if (d.kind === 'recheck') {
    await decideImage(deps, ref, { kind: 'sweep', id, reason: 'exception-expired' });
    return;
  }
  const trigger: GateTrigger =
    d.kind === 'scan'
      ? {
          kind: 'scan-completed',
          id,
          time: NOW.toISOString(),
          scanner: 'enhanced',
          scanStatus: 'COMPLETE',
          severityCountsHint: {},
        }
      : {
          kind: 'finding-changed',
          id,
          time: NOW.toISOString(),
          findingArn: `arn:aws:inspector2:${REGION}:${REGISTRY_ID}:finding/${d.image}${world.scans[d.image] === 'critical' ? 2 : 1}`,
          findingStatus: world.scans[d.image] === 'clean' ? 'CLOSED' : 'ACTIVE',
          findingUpdatedAt: new Date(NOW.getTime() - 60 * 60_000 + world.scanVersion * 1000).toISOString(),
        };
  await decideImage(deps, ref, trigger);
}

/**
 * The sweep's safety net: images without a decision, and decision tags the ledger does not stand behind. As in
 * production, the decision tags of every image are checked in one batched ledger read first, then the images
 * found undecided or drifted go through the gate.
 */
async function sweep(deps: GateDependencies, world: World): Promise<void> {
  const listed: { name: string; ref: ImageRef; tags: readonly string[]; tagged: boolean }[] = [];
  for (const name of IMAGES) {
    const ref = world.refs[name];
    const summary = await deps.registry.describeImage(ref);
    if (!summary) continue;
    const tagged = summary.tags.some((t) => reservedKind(deps.scheme, t) !== null);
    listed.push({ name, ref, tags: summary.tags, tagged });
  }
  const checked = listed.filter((item) => item.tagged);
  const checks = await checkDecisionTagsMany(deps, checked);
  for (const item of listed) {
    const check = item.tagged ? (checks[checked.indexOf(item)] ?? 'undecided') : 'undecided';
    if (check === 'consistent') continue;
    // Untagged children are judged through their indexes, as in production (the sweep lists them too).
    await decideImage(deps, item.ref, { kind: 'sweep', id: `sweep-${item.name}`, reason: check });
  }
}

function applyAction(
  world: World,
  a: Action,
  deploy: (to: PolicyIndex) => boolean,
  clock: { now: Date },
): Delivery[] {
  const { registry, refs } = world;
  const tags = registry.repoTags(REPO);
  switch (a.kind) {
    case 'findings': {
      world.scans[a.image] = a.state;
      world.scanVersion += 1;
      registry.setScan(refs[a.image], scanOf(a.image, a.state, world.scanVersion));
      return [{ kind: 'finding', image: a.image }];
    }
    case 'tag':
    case 'spoof': {
      if (!registry.image(refs[a.image])) return [];
      tags.set(a.tag, refs[a.image].digest); // a push moves a mutable tag
      return [{ kind: 'push', image: a.image, tag: a.tag }];
    }
    case 'untag': {
      const digest = tags.get(a.tag);
      if (!digest) return [];
      const ref = { ...refs.a, digest };
      // A person may delete a tag; ECR deletes an image whose last tag goes. Keep the world's images alive.
      if (registry.tagsOf(ref).length > 1) tags.delete(a.tag);
      return [];
    }
    case 'deploy':
      // The deploy starts a run: one re-judgement message per image decided under another version (some here;
      // the rest are re-judged after the history).
      return deploy(a.to) ? a.rejudge.map((image) => ({ kind: 'rejudge' as const, image })) : [];
    case 'clock': {
      // Days pass: the scheduled check judges again the images whose deadline or waiver may have run out.
      clock.now = new Date(clock.now.getTime() + a.days * DAY_MS);
      return a.recheck.map((image) => ({ kind: 'recheck' as const, image }));
    }
  }
}

interface Harness {
  readonly world: World;
  readonly base: GateDependencies;
  readonly notifier: RecordingAll;
  readonly policies: readonly [PolicySet, PolicySet, PolicySet];
  readonly clock: { now: Date };
  deployed: PolicyIndex;
  previous: PolicyIndex;
}

/** Records every publish (SNS accepts it before anything else can fail). */
class RecordingAll implements Notifier {
  readonly messages: OutboundMessage[] = [];
  async publish(message: OutboundMessage): Promise<string> {
    this.messages.push(message);
    return `msg-${this.messages.length}`;
  }
}

async function runHistory(
  h: Harness,
  rounds: readonly Round[],
  s: fc.Scheduler,
): Promise<{ pending: { d: Delivery; id: string }[] }> {
  const pending: { d: Delivery; id: string }[] = [];
  let ids = 0;
  for (const [r, rnd] of rounds.entries()) {
    const caused: Delivery[] = [...rnd.extra];
    for (const a of rnd.actions) {
      caused.push(
        ...applyAction(
          h.world,
          a,
          (to) => {
            if (to === h.deployed) return false;
            h.previous = h.deployed;
            h.deployed = to;
            return true;
          },
          h.clock,
        ),
      );
    }
    const batch: Promise<void>[] = [];
    caused.slice(0, 4).forEach((d, i) => {
      const plan = rnd.runs[i] as Run;
      if (plan.delivery === 'lost') return;
      const copies = plan.delivery === 'twice' ? 2 : 1;
      for (let c = 0; c < copies; c++) {
        const id = `r${r}-e${i}-${ids++}`;
        const policy = h.policies[plan.stale ? h.previous : h.deployed];
        const deps = scheduledDeps(
          h.base,
          policy,
          s,
          c === 0 ? { at: plan.crashAt, after: plan.crashAfter } : { at: 0, after: false },
          id,
        );
        batch.push(
          deliver(deps, h.world, d, id).catch(() => {
            // Crashed or failed retryably: Lambda / EventBridge deliver it again later.
            pending.push({ d, id });
          }),
        );
      }
    });
    await s.waitFor(Promise.all(batch));
  }
  return { pending };
}

/** Quiescence: every failed delivery is delivered again (notification leases expire), then the sweep runs. */
async function settle(h: Harness, pending: readonly { d: Delivery; id: string }[], clock: { now: Date }) {
  const deps = { ...h.base, policySet: h.policies[h.deployed] };
  clock.now = new Date(clock.now.getTime() + 10 * 60_000);
  for (const { d, id } of pending) {
    await deliverRetrying(deps, h.world, d, `${id}-redelivered`);
  }
  await deliverRetrying(deps, h.world, { kind: 'sweep' }, 'sweep-final');
}

async function deliverRetrying(deps: GateDependencies, world: World, d: Delivery, id: string) {
  let last: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await deliver(deps, world, d, `${id}-${attempt}`);
      return;
    } catch (error) {
      last = error;
    }
  }
  throw last;
}

// ------------------------------------------------------------------------------------------- properties

interface DecisionMessage {
  readonly kind: string;
  readonly digest: string;
  readonly verdict: string;
  readonly change: string;
  readonly dedupeKey: string;
  readonly bytes: string;
}

function decisionMessages(messages: readonly OutboundMessage[]): DecisionMessage[] {
  const out: DecisionMessage[] = [];
  for (const m of messages) {
    const body = JSON.parse(m.bodies.default) as { kind?: string; image?: { digest?: string } };
    const verdict = m.attributes.verdict;
    const change = m.attributes.change;
    if (typeof verdict !== 'string' || typeof change !== 'string' || !body.image?.digest) continue;
    if (body.kind === 'spoofed-tag') continue;
    out.push({
      kind: body.kind ?? '',
      digest: body.image.digest,
      verdict,
      change,
      dedupeKey: m.dedupeKey,
      bytes: JSON.stringify([m.subject, m.bodies, m.attributes]),
    });
  }
  return out;
}

async function checkSafety(h: Harness, phase: string) {
  const { registry } = h.world;
  const ledger = h.base.ledger;
  for (const name of IMAGES) {
    const ref = h.world.refs[name];
    const tags = registry.tagsOf(ref);
    const approved = tags.filter((t) => reservedKind(h.base.scheme, t) === 'approved');
    const quarantined = tags.filter((t) => reservedKind(h.base.scheme, t) === 'quarantined');
    const record = await ledger.get(ref);
    const where = `${phase}: ${name} tags=${tags.join(',')} ledger=${record?.state}/${record?.decision?.verdict} desired=${record?.decision?.desiredTags} own=${record?.ownTags} all=${JSON.stringify([...registry.repoTags(REPO)].map(([t, d]) => `${t}@${d.slice(7, 11)}`))} ${IMAGES.map((n) => `${n}=${h.world.refs[n].digest.slice(7, 11)}`).join(' ')}`;
    // approved xor quarantined on every decided digest
    expect(approved.length > 0 && quarantined.length > 0, where).toBe(false);
    if (record?.state === 'decided' && registry.image(ref)) {
      expect(approved.length + quarantined.length > 0, where).toBe(true);
      expect(approved.length > 0 ? 'approved' : 'quarantined', where).toBe(record.decision?.verdict);
    }
    // an approved tag always has an approving decision of the ledger behind it
    if (approved.length > 0) expect(record?.decision?.verdict, where).toBe('approved');
  }
  checkMessages(h, phase);
}

function checkMessages(h: Harness, phase: string) {
  const byDigest = new Map<string, DecisionMessage[]>();
  for (const m of decisionMessages(h.notifier.messages)) {
    const list = byDigest.get(m.digest) ?? [];
    list.push(m);
    byDigest.set(m.digest, list);
  }
  for (const [digest, list] of byDigest) {
    // Copies share a dedupe key and are byte-identical; distinct messages announce distinct states.
    const distinct: DecisionMessage[] = [];
    for (const m of list) {
      const same = distinct.find((x) => x.dedupeKey === m.dedupeKey);
      if (same) expect(m.bytes, `${phase}: copy of ${m.dedupeKey} differs`).toBe(same.bytes);
      else distinct.push(m);
    }
    // Each message's `change` is measured against the message before it: subscribers read the changes in order.
    let previous: string | null = null;
    for (const m of distinct) {
      const expected: string[] =
        previous === null
          ? [m.verdict]
          : previous === m.verdict
            ? ['unchanged']
            : m.verdict === 'quarantined'
              ? ['re-quarantined']
              : ['approved-after-exception', 'approved-after-fix', 'approved'];
      // A fail-closed quarantine (scan failed …) is an error notice: its `change` names the problem.
      if (m.kind === 'error' && m.verdict === 'quarantined') expected.push(m.change);
      expect(
        expected,
        `${phase}: ${digest} message ${m.dedupeKey} says ${m.change} after ${previous}`,
      ).toContain(m.change);
      previous = m.verdict;
    }
  }
}

async function checkTruth(h: Harness, phase: string) {
  const policySet = h.policies[h.deployed];
  const { registry } = h.world;
  const messages = decisionMessages(h.notifier.messages);
  for (const name of IMAGES) {
    const ref = h.world.refs[name];
    if (!registry.image(ref)) continue;
    const tags = registry.tagsOf(ref);
    const approved = tags.some((t) => reservedKind(h.base.scheme, t) === 'approved');
    const record = await h.base.ledger.get(ref);
    const where = `${phase}: ${name} tags=${tags.join(',')} scans=${JSON.stringify(h.world.scans)}`;
    if (approved) expect(denied(h, name, policySet), where).toBe(false);
    if (record?.state === 'decided' && record.decision) {
      // the latest decision was made under the deployed policy set
      expect(record.decision.policyVersion, `${where}: policy version`).toBe(policySet.version);
      // the last message about the digest tells its current verdict
      const last = messages.filter((m) => m.digest === ref.digest).at(-1);
      expect(
        last?.verdict,
        `${where}: last message; ledger notification ${JSON.stringify({ ...record.notification, payload: undefined })} announced ${JSON.stringify(record.announced)}`,
      ).toBe(record.decision.verdict);
    }
  }
}

/** What the deployed policy says about an image now, from its current findings (the oracle). */
function denied(h: Harness, name: ImageName, policySet: PolicySet): boolean {
  const platformsOf: Record<ImageName, Platform[]> = {
    a: ['a'],
    b: ['b'],
    c: ['c'],
    i1: ['a', 'b'],
    i2: ['b', 'c'],
    n: ['a', 'b', 'c'],
  };
  const platforms = platformsOf[name];
  if (platforms.some((p) => h.world.scans[p] === 'failed')) return true;
  const findings = platforms.flatMap((p) => scanOf(p, h.world.scans[p], h.world.scanVersion).findings);
  const tags = h.world.registry
    .tagsOf(h.world.refs[name])
    .filter((t) => reservedKind(h.base.scheme, t) === null);
  const image = { repository: REPO, tags, digest: h.world.refs[name].digest };
  selectPolicy(policySet, image);
  return (
    evaluate(findings, image, { sizeBytes: 1234, user: 'app', labels: { team: 'a' } }, policySet, h.clock.now)
      .verdict === 'quarantined'
  );
}

/**
 * Convergence: every image's final findings are announced once (the event that is eventually delivered), the
 * re-judgement run reaches every decision made under another policy version, then days pass beyond every grace
 * period started so far and the scheduled check judges again every decision at risk or resting on a waiver.
 */
async function announceFinalState(h: Harness) {
  const deps = { ...h.base, policySet: h.policies[h.deployed] };
  for (const p of PLATFORMS) await deliverRetrying(deps, h.world, { kind: 'scan', image: p }, `final-${p}`);
  for (const name of IMAGES) {
    const record = await deps.ledger.get(h.world.refs[name]);
    if (record?.decision && record.decision.policyVersion !== deps.policySet?.version) {
      await deliverRetrying(deps, h.world, { kind: 'rejudge', image: name }, `rejudge-${name}`);
    }
  }
  h.clock.now = new Date(h.clock.now.getTime() + 4 * DAY_MS);
  for (const name of IMAGES) {
    // The check reads the ledger's dates: a decision at risk, or resting on a waiver, is judged again (from the
    // registry's current findings), and may no longer approve what the policy now denies.
    const d = (await deps.ledger.get(h.world.refs[name]))?.decision;
    if (!d?.atRisk && (d?.waived.length ?? 0) === 0) continue;
    await deliverRetrying(deps, h.world, { kind: 'recheck', image: name }, `final-check-${name}`);
    const record = await deps.ledger.get(h.world.refs[name]);
    if (record?.decision?.verdict === 'approved') {
      expect(denied(h, name, h.policies[h.deployed]), `${name}: approved after its deadline or waiver`).toBe(
        false,
      );
    }
  }
  await deliverRetrying(deps, h.world, { kind: 'sweep' }, 'sweep-after-final');
}

describe('the gate promise over random histories (races, crashes, lost and repeated events, multi-arch, policy switches)', () => {
  it(
    `holds for ${RUNS} histories`,
    async () => {
      const policies = [
        await loadPolicySet(POLICY_DIRS[0]),
        await loadPolicySet(POLICY_DIRS[1]),
        await loadPolicySet(POLICY_DIRS[2]),
      ] as const;
      await fc.assert(
        fc.asyncProperty(history, fc.scheduler(), async ({ initial, policy, rounds }, s) => {
          const gate = await testGate({ parentWaitMs: 0 });
          const clock = { now: NOW };
          const notifier = new RecordingAll();
          const ledger = new MemoryLedger();
          const base: GateDependencies = {
            ...gate.deps,
            ledger,
            notifier,
            now: () => clock.now,
            // Thousands of histories: keep the log quiet (errors only, nowhere).
            logger: createLogger({ level: 'error', sink: () => {} }),
          };
          const h: Harness = {
            world: buildWorld(gate.registry, initial),
            base,
            notifier,
            policies,
            clock,
            deployed: policy,
            previous: policy,
          };
          const { pending } = await runHistory(h, rounds, s);
          await settle(h, pending, clock);
          await checkSafety(h, 'after quiescence');
          await announceFinalState(h);
          await checkSafety(h, 'after the final state was announced');
          await checkTruth(h, 'after the final state was announced');
        }),
        {
          numRuns: RUNS,
          seed: SEED,
          endOnFailure: Boolean(process.env.FUZZ_PATH),
          ...(process.env.FUZZ_PATH ? { path: process.env.FUZZ_PATH } : {}),
        },
      );
    },
    Math.max(600_000, RUNS * 100),
  );
});
