/**
 * fast-check arbitraries for the event fuzz tests: a real EventBridge event (test/unit/events/support.ts) with
 * a few mutations applied: a field dropped, a value replaced by one of the wrong type or by a near miss of a
 * valid one (digests, repository names, ARNs of other accounts and Regions, unicode, huge strings), nested
 * garbage, prototype keys (`__proto__`, `constructor`) and sub-objects replaced by their JSON text.
 * Mutations address fields by an index into the event's current paths, so they shrink well.
 */
import fc from 'fast-check';
import { eventFixtures, type Json, VALID_DIGEST } from './support.ts';

type Path = readonly (string | number)[];

export type Mutation =
  | { readonly kind: 'delete'; readonly at: number }
  | { readonly kind: 'set'; readonly at: number; readonly value: unknown }
  | { readonly kind: 'add-key'; readonly at: number; readonly key: string; readonly value: unknown }
  | { readonly kind: 'as-json-text'; readonly at: number }
  | { readonly kind: 'near-miss'; readonly at: number; readonly how: NearMiss; readonly extra: string }
  | { readonly kind: 'envelope'; readonly field: 'account' | 'region'; readonly value: string };

type NearMiss = 'upper' | 'pad' | 'truncate' | 'append' | 'double';

export interface MutatedEvent {
  readonly seed: string;
  readonly mutations: readonly Mutation[];
  /** Sent as JSON text rather than as an object. */
  readonly asText: boolean;
  /** What is given to the parser. */
  readonly input: unknown;
}

const FIXTURES = eventFixtures();
/** The published payloads (some with AWS's placeholder digests) and their usable forms. */
const SEEDS: readonly (readonly [string, Json])[] = FIXTURES.flatMap((f) => [
  [`${f.name} (usable)`, f.usable] as const,
  [`${f.name} (as published)`, f.raw] as const,
]);

const ACCOUNTS = ['123456789012', '111122223333', '012345678912', '999999999999'] as const;
const REGIONS = [
  'us-east-1',
  'us-east-2',
  'us-west-2',
  'eu-west-1',
  'eu-north-1',
  'eu-central-1',
  'cn-north-1',
];

const account = fc.oneof(fc.constantFrom(...ACCOUNTS), fc.constantFrom('', '12345', '1234567890123', 'aws'));
const region = fc.oneof(fc.constantFrom(...REGIONS), fc.constantFrom('N/A', '', 'moon-base', 'US-EAST-1'));

export const digestish = fc.oneof(
  fc.stringMatching(/^sha256:[a-f0-9]{64}$/),
  fc.stringMatching(/^sha256:[a-fA-F0-9]{60,66}$/),
  fc.constantFrom(
    'sha256:',
    VALID_DIGEST.toUpperCase(),
    `${VALID_DIGEST}\n`,
    ` ${VALID_DIGEST}`,
    VALID_DIGEST.replace('sha256', 'sha512'),
    `sha512:${'ab'.repeat(64)}`,
    VALID_DIGEST.slice(7),
  ),
);

export const repositoryish = fc.oneof(
  fc.stringMatching(/^[a-z0-9][a-z0-9._/-]{0,20}$/),
  fc.constantFrom('a', 'Demo/Web', 'demo//web', 'demo/web/', '../etc', 'x'.repeat(257), 'demo/web/sha256:x'),
);

export const arnish = fc
  .tuple(
    fc.constantFrom('aws', 'aws-cn', 'aws-us-gov', 'gcp', ''),
    fc.constantFrom('ecr', 'inspector2', 'events', 's3', ''),
    region,
    account,
    fc.oneof(
      repositoryish.map((r) => `repository/${r}`),
      fc.tuple(repositoryish, digestish).map(([r, d]) => `repository/${r}/${d}`),
      fc.constantFrom('finding/0d3e7c4b9a1f', 'rule/nightly'),
      fc.string(),
    ),
  )
  .map(([partition, service, r, a, resource]) => `arn:${partition}:${service}:${r}:${a}:${resource}`);

const unicode = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc.string({ unit: 'grapheme' }),
  fc.constantFrom('\u0000', '\u200b', '\u202e', '\ud800', 'é', '\n', '\t', ' ', '\u{1f642}', '\u0085'),
);

/** Strings larger than an event may be, and large ones that still fit. */
const huge = fc.constantFrom(300 * 1024, 100 * 1024, 2000).map((n) => 'x'.repeat(n));

const PROTO_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf'];
const REAL_KEYS = [
  'id',
  'account',
  'region',
  'time',
  'resources',
  'detail',
  'detail-type',
  'source',
  'replay-name',
  'repository-name',
  'image-digest',
  'image-tag',
  'image-tags',
  'action-type',
  'result',
  'target-storage-class',
  'scan-status',
  'finding-severity-counts',
  'manifest-media-type',
  'artifact-media-type',
  'awsAccountId',
  'findingArn',
  'severity',
  'status',
  'type',
  'partition',
];

/** A JSON object with an own `__proto__` key (as JSON.parse makes it), not a prototype change. */
const protoObject = fc
  .constant(null)
  .map(() => JSON.parse('{"__proto__":{"polluted":true},"constructor":{}}'));

export const weirdValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.oneof(fc.constant(null), fc.boolean(), fc.integer(), fc.double(), fc.string()) },
  { weight: 2, arbitrary: digestish },
  { weight: 2, arbitrary: repositoryish },
  { weight: 2, arbitrary: arnish },
  { weight: 2, arbitrary: unicode },
  { weight: 1, arbitrary: huge },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.constantFrom([], {}, [[]], [null], [''], { '': '' }) },
  { weight: 1, arbitrary: protoObject },
  { weight: 1, arbitrary: fc.constantFrom(...PROTO_KEYS) },
  { weight: 1, arbitrary: fc.array(fc.oneof(arnish, digestish, fc.string()), { maxLength: 3 }) },
);

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: weirdValue }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('add-key' as const),
      at: fc.nat(),
      key: fc.oneof(fc.constantFrom(...PROTO_KEYS), fc.constantFrom(...REAL_KEYS), fc.string()),
      value: weirdValue,
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('as-json-text' as const), at: fc.nat() }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('near-miss' as const),
      at: fc.nat(),
      how: fc.constantFrom<NearMiss>('upper', 'pad', 'truncate', 'append', 'double'),
      extra: unicode,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.oneof(
      fc.record({
        kind: fc.constant('envelope' as const),
        field: fc.constant('account' as const),
        value: account,
      }),
      fc.record({
        kind: fc.constant('envelope' as const),
        field: fc.constant('region' as const),
        value: region,
      }),
    ),
  },
);

/** A real event, mutated 1–4 times, as an object or as JSON text. */
export const mutatedEvent: fc.Arbitrary<MutatedEvent> = fc
  .record({
    seed: fc.nat({ max: SEEDS.length - 1 }),
    mutations: fc.array(mutation, { minLength: 1, maxLength: 4 }),
    asText: fc.boolean(),
  })
  .map(({ seed, mutations, asText }) => {
    const [name, json] = SEEDS[seed] as readonly [string, Json];
    const event = structuredClone(json);
    for (const m of mutations) apply(event, m);
    const mutated: MutatedEvent = {
      seed: name,
      mutations,
      asText,
      input: asText ? JSON.stringify(event) : event,
    };
    // Counterexamples are printed short: huge strings would bury the mutation that matters.
    Object.defineProperty(mutated, fc.toStringMethod, { value: () => summary(mutated), enumerable: false });
    return mutated;
  });

/** The seed, the form and the mutations of a case, every string cut to 80 characters. */
export function summary(c: MutatedEvent): string {
  const short = JSON.stringify(c.mutations, (_key, value: unknown) =>
    typeof value === 'string' && value.length > 80 ? `${value.slice(0, 80)}…(${value.length} chars)` : value,
  );
  return `${c.seed} ${c.asText ? 'as JSON text' : 'as an object'}, mutations ${short}`;
}

function apply(root: Json, m: Mutation): void {
  if (m.kind === 'envelope') {
    root[m.field] = m.value;
    return;
  }
  const all = paths(root);
  if (m.kind === 'add-key') {
    const objects = all.filter((p) => isObject(get(root, p)));
    const target = get(root, pick(objects, m.at) ?? []) as Json;
    // An own property even for "__proto__", as JSON.parse creates it.
    Object.defineProperty(target, m.key, {
      value: fresh(m.value),
      enumerable: true,
      writable: true,
      configurable: true,
    });
    return;
  }
  const candidates =
    m.kind === 'near-miss'
      ? all.filter((p) => typeof get(root, p) === 'string')
      : all.filter((p) => p.length > 0);
  const path = pick(candidates, m.at);
  if (!path) return;
  const parent = get(root, path.slice(0, -1)) as Json | unknown[];
  const key = path[path.length - 1] as string | number;
  const current = (parent as Json)[key];
  switch (m.kind) {
    case 'delete':
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete (parent as Json)[key];
      return;
    case 'set':
      (parent as Json)[key] = fresh(m.value);
      return;
    case 'as-json-text':
      (parent as Json)[key] = JSON.stringify(current) ?? null;
      return;
    case 'near-miss':
      (parent as Json)[key] = nearMiss(current as string, m.how, m.extra);
      return;
  }
}

/**
 * A copy of a generated value: generated objects (constants above all) are shared between runs, and an event
 * must never come to contain itself.
 */
function fresh(value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

function nearMiss(text: string, how: NearMiss, extra: string): string {
  switch (how) {
    case 'upper':
      return text.toUpperCase();
    case 'pad':
      return ` ${text}${extra}`;
    case 'truncate':
      return text.slice(0, Math.max(0, text.length - 1 - (extra.length % 8)));
    case 'append':
      return `${text}${extra}`;
    case 'double':
      return `${text}${text}`;
  }
}

function paths(value: unknown, prefix: Path = []): Path[] {
  const out: Path[] = [prefix];
  const children: [string | number, unknown][] = Array.isArray(value)
    ? value.map((v, i) => [i, v])
    : isObject(value)
      ? Object.entries(value)
      : [];
  for (const [key, child] of children) out.push(...paths(child, [...prefix, key]));
  return out;
}

function get(root: unknown, path: Path): unknown {
  let value = root;
  for (const key of path) value = (value as Json)[key as string];
  return value;
}

function pick<T>(list: readonly T[], at: number): T | undefined {
  return list.length === 0 ? undefined : list[at % list.length];
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
