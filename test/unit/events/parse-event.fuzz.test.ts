/**
 * Fuzzing of event parsing: every real EventBridge event in the fixtures, mutated by fast-check (dropped fields,
 * wrong types, near misses of valid values, other accounts and Regions, unicode, huge strings, nested garbage,
 * prototype keys, JSON text instead of objects). Whatever comes in, parseEvent either returns a value whose every
 * field satisfies its documented invariant, or throws a typed InvalidEventError/InvalidInputError with a bounded
 * message naming the field; and a refused event makes the gate call nothing at all.
 *
 * Fixed seed, shrinking on. FUZZ_RUNS sets the total number of cases (default 10,000; `npm run fuzz` runs
 * 200,000), FUZZ_SEED another seed.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../lib/errors/gatekeeper-error.ts';
import { InvalidEventError } from '../../../lib/events/errors.ts';
import type { GatekeeperEvent } from '../../../lib/events/gatekeeper-event.ts';
import { parseArn } from '../../../lib/events/identity.ts';
import { DIGEST_PATTERN, isImageTag, isRepositoryName } from '../../../lib/events/image-ref.ts';
import { parseEvent } from '../../../lib/events/parse-event.ts';
import { handleGateEvent } from '../../../lib/gate/handle-event.ts';
import { testGate } from '../gate/support.ts';
import { mutatedEvent, summary } from './event-mutations.ts';

const TOTAL_RUNS = positiveInteger('FUZZ_RUNS', 10_000);
const SEED = positiveInteger('FUZZ_SEED', 20_261_202);
/** Time allowed per test: generous, and growing with FUZZ_RUNS. */
const TIMEOUT_MS = Math.max(60_000, TOTAL_RUNS * 5);

function positiveInteger(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1)
    throw new Error(`${name} must be a positive integer (got "${text}")`);
  return value;
}

function settings<T>(share: number): fc.Parameters<T> {
  return { numRuns: Math.max(1, Math.round(TOTAL_RUNS * share)), seed: SEED };
}

// ------------------------------------------------------------------------------------------ invariants
// Written from the documented contract (lib/events/gatekeeper-event.ts, docs/events-and-ecr.md), not from
// the parser's code.

const KINDS = ['image-pushed', 'scan-completed', 'finding-changed', 'ignored'];
const KNOWN_DETAIL_TYPES = [
  'ECR Image Action',
  'ECR Image Scan',
  'Inspector2 Scan',
  'Inspector2 Finding',
  'ECR Replication Action',
  'ECR Artifact Action',
  'ECR Referrer Action',
  'ECR Scan Resource Change',
  'ECR Pull Through Cache Action',
  'Inspector2 Coverage',
  'Inspector2 AutoEnable',
];
const KEYS: Record<string, readonly string[]> = {
  'image-pushed': ['action', 'image', 'tag', 'manifestMediaType', 'artifactMediaType', 'lastActivatedAt'],
  'scan-completed': ['scanner', 'image', 'tags', 'scanStatus', 'severityCountsHint'],
  'finding-changed': [
    'image',
    'tags',
    'findingArn',
    'findingStatus',
    'severity',
    'vulnerabilityId',
    'findingUpdatedAt',
  ],
  ignored: ['reason', 'detailType'],
};
const EVENT_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
/** An upper-case token as AWS writes enums: COMPLETE, INITIAL_SCAN_COMPLETE, ACTIVE, HIGH … */
const TOKEN = /^[A-Z][A-Z0-9_]{0,63}$/;
/** RFC 6838 type/subtype (restricted names). */
const MEDIA_TYPE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/;
/** EventBridge replay name. */
const REPLAY_NAME = /^[.\-_A-Za-z0-9]{1,64}$/;
const FIELD = /^[A-Za-z0-9_.\-[\]]{1,120}$/;
/** C0/C1 controls or an unpaired surrogate: never in a value the gate logs or writes. */
function hasUnsafe(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return true;
    if (code >= 0xd800 && code <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return true;
      i++;
    } else if (code >= 0xdc00 && code <= 0xdfff) return true;
  }
  return false;
}

const printable = (text: unknown, max: number): boolean =>
  typeof text === 'string' && text.length >= 1 && text.length <= max && !/\s/.test(text) && !hasUnsafe(text);
const nullOr = (value: unknown, test: (v: unknown) => boolean): boolean => value === null || test(value);
const absentOr = (value: unknown, test: (v: unknown) => boolean): boolean =>
  value === undefined || test(value);
const matches = (pattern: RegExp) => (v: unknown) => typeof v === 'string' && pattern.test(v);

/** The envelope as the parser saw it (JSON text is parsed the same way). */
function envelopeOf(input: unknown): { account?: unknown; region?: unknown } {
  return (typeof input === 'string' ? JSON.parse(input) : input) as { account?: unknown; region?: unknown };
}

/** Every field of an accepted event satisfies its invariant; names the first one that does not. */
function violation(event: GatekeeperEvent, input: unknown): string | null {
  const value = event as unknown as Record<string, unknown>;
  if (!KINDS.includes(event.kind)) return 'kind';
  const allowed = new Set(['kind', 'eventId', 'time', 'replayName', ...(KEYS[event.kind] ?? [])]);
  const extra = Object.keys(value).find((k) => !allowed.has(k));
  if (extra !== undefined) return `unexpected key ${extra}`;
  if (!printable(event.eventId, 256)) return 'eventId';
  if (!EVENT_TIME.test(event.time) || Number.isNaN(Date.parse(event.time))) return 'time';
  if (!nullOr(event.replayName, matches(REPLAY_NAME))) return 'replayName';
  if (event.kind === 'ignored') {
    if (typeof event.reason !== 'string' || event.reason.length > 1000 || hasUnsafe(event.reason))
      return 'reason';
    if (!absentOr(event.detailType, (t) => KNOWN_DETAIL_TYPES.includes(t as string))) return 'detailType';
    return null;
  }
  const envelope = envelopeOf(input);
  const image = event.image as unknown as Record<string, unknown>;
  if (Object.keys(image).sort().join() !== 'digest,region,registryId,repository') return 'image keys';
  if (!DIGEST_PATTERN.test(event.image.digest)) return 'image.digest';
  if (!isRepositoryName(event.image.repository)) return 'image.repository';
  if (event.image.registryId !== envelope.account)
    return 'image.registryId differs from the envelope account';
  if (event.image.region !== envelope.region) return 'image.region differs from the envelope Region';
  const tagsOk = (tags: readonly string[]) =>
    Array.isArray(tags) &&
    tags.every((t) => isImageTag(t) && !hasUnsafe(t)) &&
    new Set(tags).size === tags.length;
  switch (event.kind) {
    case 'image-pushed':
      if (event.action !== 'push' && event.action !== 'restore') return 'action';
      if (!nullOr(event.tag, (t) => isImageTag(t) && !hasUnsafe(t as string))) return 'tag';
      if (event.action === 'restore' && event.tag !== null) return 'tag of a restore';
      if (!absentOr(event.manifestMediaType, (m) => nullOr(m, matches(MEDIA_TYPE))))
        return 'manifestMediaType';
      if (!absentOr(event.artifactMediaType, (m) => nullOr(m, matches(MEDIA_TYPE))))
        return 'artifactMediaType';
      if (!absentOr(event.lastActivatedAt, (t) => nullOr(t, matches(ISO_UTC)))) return 'lastActivatedAt';
      return null;
    case 'scan-completed': {
      if (event.scanner !== 'basic' && event.scanner !== 'enhanced') return 'scanner';
      if (!tagsOk(event.tags)) return 'tags';
      if (!TOKEN.test(event.scanStatus)) return 'scanStatus';
      const counts = Object.entries(event.severityCountsHint);
      if (Object.getPrototypeOf(event.severityCountsHint) !== Object.prototype)
        return 'severityCountsHint prototype';
      if (!counts.every(([k, v]) => TOKEN.test(k) && Number.isSafeInteger(v) && v >= 0))
        return 'severityCountsHint';
      return null;
    }
    case 'finding-changed': {
      if (!tagsOk(event.tags)) return 'tags';
      const arn = parseArn(event.findingArn);
      if (arn?.service !== 'inspector2' || arn.region !== envelope.region || hasUnsafe(event.findingArn))
        return 'findingArn';
      if (!TOKEN.test(event.findingStatus)) return 'findingStatus';
      if (!TOKEN.test(event.severity)) return 'severity';
      if (!nullOr(event.vulnerabilityId, (v) => printable(v, 256))) return 'vulnerabilityId';
      if (!absentOr(event.findingUpdatedAt, (t) => nullOr(t, matches(ISO_UTC)))) return 'findingUpdatedAt';
      return null;
    }
  }
}

/** A refusal is typed, names a well-formed field, and its message is bounded and safe to log. */
function badRefusal(error: unknown): string | null {
  if (!(error instanceof InvalidEventError) && !(error instanceof InvalidInputError))
    return `untyped ${String((error as Error)?.name)}: ${String((error as Error)?.message).slice(0, 200)}`;
  if (error instanceof InvalidEventError) {
    if (!nullOr(error.field, matches(FIELD))) return `field ${JSON.stringify(error.field).slice(0, 200)}`;
    if (!printable(error.eventId, 256) && error.eventId !== '<no id>') return 'eventId';
  }
  if (error.message.length > 1000 || hasUnsafe(error.message))
    return `message ${error.message.slice(0, 200)}`;
  return null;
}

type Outcome = { accepted: GatekeeperEvent } | { refused: unknown };

function outcomeOf(input: unknown): Outcome {
  try {
    return { accepted: parseEvent(input) };
  } catch (error) {
    return { refused: error };
  }
}

const describeCase = summary;

/** The object with every method call recorded in `calls` as `name.method` (reads included, not only writes). */
function spied<T extends object>(target: T, name: string, calls: string[]): T {
  return new Proxy(target, {
    get(object, key, receiver) {
      const value = Reflect.get(object, key, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.push(`${name}.${String(key)}`);
        return value.apply(object, args);
      };
    },
  });
}

// ------------------------------------------------------------------------------------------ properties

describe('parseEvent under fuzzing (fast-check, real events mutated)', () => {
  it(
    'returns only values whose fields hold their invariants, or refuses with a typed error naming the field',
    () => {
      const seen = { accepted: 0, refused: 0 };
      fc.assert(
        fc.property(mutatedEvent, (c) => {
          const outcome = outcomeOf(c.input);
          if ('accepted' in outcome) {
            seen.accepted += 1;
            const bad = violation(outcome.accepted, c.input);
            if (bad) throw new Error(`accepted with an invalid ${bad}: ${describeCase(c)}`);
          } else {
            seen.refused += 1;
            const bad = badRefusal(outcome.refused);
            if (bad) throw new Error(`bad refusal (${bad}): ${describeCase(c)}`);
          }
        }),
        settings(0.6),
      );
      // Not vacuous: mutations both keep events usable and break them.
      const total = seen.accepted + seen.refused;
      expect(seen.accepted / total).toBeGreaterThan(0.1);
      expect(seen.refused / total).toBeGreaterThan(0.3);
    },
    TIMEOUT_MS,
  );

  it(
    'gives the same outcome for an event and its JSON text, and survives arbitrary JSON',
    () => {
      const anyJson = fc.jsonValue({ maxDepth: 4 }).map((value) => ({ value, text: JSON.stringify(value) }));
      const mutated = mutatedEvent.map((c) => {
        const text = typeof c.input === 'string' ? c.input : JSON.stringify(c.input);
        return { value: JSON.parse(text) as unknown, text };
      });
      fc.assert(
        fc.property(fc.oneof(anyJson, mutated), ({ value, text }) => {
          const fromObject = outcomeOf(value);
          const fromText = outcomeOf(text);
          for (const outcome of [fromObject, fromText]) {
            if ('refused' in outcome) {
              const bad = badRefusal(outcome.refused);
              if (bad) throw new Error(`bad refusal (${bad}) of ${text.slice(0, 300)}`);
            } else if (violation(outcome.accepted, value)) {
              throw new Error(
                `accepted with an invalid ${violation(outcome.accepted, value)}: ${text.slice(0, 300)}`,
              );
            }
          }
          // A string given to the parser is JSON text, so only an object and its text must agree.
          if (typeof value !== 'object' || value === null || Array.isArray(value)) return;
          // An oversized object names the id it claims; oversized text is refused before it is parsed.
          const summary = (o: Outcome) => {
            if ('accepted' in o) return { accepted: o.accepted };
            const error = o.refused as InvalidEventError;
            return { field: error.field, problem: error.message.slice(`event ${error.eventId}: `.length) };
          };
          expect(summary(fromText)).toEqual(summary(fromObject));
        }),
        settings(0.2),
      );
    },
    TIMEOUT_MS,
  );

  it(
    'a refused event makes handleGateEvent call no registry, ledger or notifier method',
    async () => {
      let refused = 0;
      await fc.assert(
        fc.asyncProperty(mutatedEvent, async (c) => {
          if ('accepted' in outcomeOf(c.input)) return;
          refused += 1;
          const gate = await testGate();
          const calls: string[] = [];
          const deps = {
            ...gate.deps,
            registry: spied(gate.deps.registry, 'registry', calls),
            ledger: spied(gate.deps.ledger, 'ledger', calls),
            notifier: spied(gate.deps.notifier, 'notifier', calls),
          };
          const result = await handleGateEvent(
            deps,
            'fuzz',
            ['image-pushed', 'scan-completed', 'finding-changed'],
            c.input,
          );
          expect(result.outcome, describeCase(c)).toBe('rejected');
          expect(calls, describeCase(c)).toEqual([]);
          expect(gate.registry.calls, describeCase(c)).toEqual({});
        }),
        settings(0.2),
      );
      expect(refused).toBeGreaterThan(Math.round(TOTAL_RUNS * 0.2 * 0.3));
      // Control: the same spies do see the calls an accepted event makes.
      const gate = await testGate();
      const calls: string[] = [];
      const ref = gate.registry.seed({ repository: 'demo/web', tags: ['1.4.2'] });
      const event = JSON.parse(readFileSync('events/ecr-basic-scan-complete.json', 'utf8'));
      event.detail['image-digest'] = ref.digest;
      const deps = { ...gate.deps, ledger: spied(gate.deps.ledger, 'ledger', calls) };
      await handleGateEvent(deps, 'fuzz', ['scan-completed'], event);
      expect(calls.length).toBeGreaterThan(0);
    },
    TIMEOUT_MS,
  );
});
