/**
 * Fuzzing findings normalisation from real reports: every report in test/fixtures/scanners and the AWS
 * findings payloads, mutated at random paths (fields dropped or retyped, huge strings, NaN / Infinity / out
 * of range scores, duplicated findings, deep nesting, prototype keys as own data). Property: the reader
 * either returns findings whose fields keep their invariants, or throws the typed InvalidInputError naming
 * the file; nothing else (no TypeError, no RangeError, no silent nonsense).
 *
 * Fixed seed, shrinking on. FUZZ_RUNS sets the number of cases (default 10,000 in all, split over the file
 * reader and the SDK-shaped ECR page reader); FUZZ_SEED replays another seed.
 */
import { readdirSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  FINDINGS_INPUTS,
  type Finding,
  type FindingsReport,
  findingsFromEcrResponse,
  InvalidInputError,
  parseFindings,
  SEVERITIES,
} from '../../../lib/findings/index.ts';
import {
  BASIC,
  ENHANCED_ACTIVE,
  ENHANCED_CENTOS8,
  fixturePath,
  INSPECTOR_EVENT,
  INSPECTOR_LIST,
  loadFixture,
} from './fixtures.ts';

const RUNS = Number.parseInt(process.env.FUZZ_RUNS ?? '10000', 10);
const SEED = Number.parseInt(process.env.FUZZ_SEED ?? '20261202', 10);
const SOURCE = 'fuzz.json';

type Json = unknown;

const SCANNER_FILES = readdirSync(fixturePath('scanners', '')).filter((n) => n.endsWith('.json'));
/** Keys the readers use: mutations aim at them most of the time, so the cases test validation, not noise. */
const READER_KEYS = new Set([
  ...[
    'id',
    'name',
    'severity',
    'status',
    'type',
    'version',
    'baseScore',
    'score',
    'epss',
    'uri',
    'key',
    'value',
  ],
  ...[
    'VulnerabilityID',
    'PkgName',
    'InstalledVersion',
    'FixedVersion',
    'Status',
    'Severity',
    'SeveritySource',
  ],
  ...['CVSS', 'V2Score', 'V3Score', 'V40Score', 'PrimaryURL', 'References', 'Results', 'Vulnerabilities'],
  ...['SchemaVersion', 'ArtifactName', 'ArtifactType', 'Metadata', 'RepoTags', 'RepoDigests', 'ClusterName'],
  ...['matches', 'vulnerability', 'artifact', 'fix', 'state', 'versions', 'fixedInVersion', 'cvss', 'cvssV2'],
  ...['cvssV3', 'metrics', 'knownExploited', 'dateAdded', 'dueDate', 'relatedVulnerabilities', 'source'],
  ...['target', 'userInput', 'tags', 'repoDigests', 'imageScanFindings', 'findings', 'enhancedFindings'],
  ...['findingSeverityCounts', 'imageScanStatus', 'imageScanCompletedAt', 'nextToken', 'imageId'],
  ...['imageDigest', 'imageTag', 'repositoryName', 'attributes', 'packageVulnerabilityDetails'],
  ...['vulnerabilityId', 'vulnerablePackages', 'fixedInVersion', 'epoch', 'release', 'inspectorScore'],
  ...['inspectorScoreDetails', 'adjustedCvss', 'scoreDetails', 'fixAvailable', 'exploitAvailable'],
  ...['resources', 'details', 'awsEcrContainerImage', 'imageHash', 'imageTags', 'cisaData', 'detail'],
]);

type Path = readonly (string | number)[];

/** Every path (keys and indexes) to every node, the root excluded. */
function allPaths(value: Json, prefix: Path = [], out: Path[] = []): Path[] {
  if (prefix.length > 0) out.push(prefix);
  if (Array.isArray(value)) for (let i = 0; i < value.length; i++) allPaths(value[i], [...prefix, i], out);
  else if (value !== null && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) allPaths(v, [...prefix, k], out);
  return out;
}

interface Seed {
  readonly name: string;
  readonly json: Json;
  readonly paths: readonly Path[];
  /** Paths whose last key a reader uses. */
  readonly focus: readonly Path[];
}

function seedOf(name: string, json: Json): Seed {
  const paths = allPaths(json);
  // A reader's field, or an element of a list a reader walks (matches[3], Vulnerabilities[0] …).
  const focus = paths.filter((p) => {
    const last = p[p.length - 1];
    return (
      READER_KEYS.has(String(last)) || (typeof last === 'number' && READER_KEYS.has(String(p[p.length - 2])))
    );
  });
  return { name, json, paths, focus };
}

const SEEDS: readonly Seed[] = [
  ...[BASIC, ENHANCED_ACTIVE, ENHANCED_CENTOS8, INSPECTOR_LIST, INSPECTOR_EVENT].map((name) =>
    seedOf(name, loadFixture('aws', name)),
  ),
  ...SCANNER_FILES.map((name) => seedOf(name, loadFixture('scanners', name))),
];
const ECR_PAGES = SEEDS.filter((s) => s.name.startsWith('ecr-'));

// ---- mutations ---------------------------------------------------------------------------------------

/** Values that have broken readers: wrong types, edge numbers, huge and blank strings, deep nesting. */
const nastyValue: fc.Arbitrary<Json> = fc.oneof(
  // Strings that look present but say nothing.
  { weight: 3, arbitrary: fc.constantFrom<Json>('', ' ', '\t\n', '\u00a0') },
  {
    weight: 10,
    arbitrary: fc.constantFrom<Json>(
      null,
      true,
      0,
      -0,
      -1,
      10.000001,
      11,
      1e308,
      -1e308,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      Number.MAX_SAFE_INTEGER + 2,
      '',
      ' ',
      '\u0000',
      'NaN',
      'Infinity',
      '0x1f',
      '1e1',
      ' 7.5 ',
      'CRITICAL',
      'critical',
      'Negligible',
      'fixed',
      'ACTIVE',
      'COMPLETE',
      'NotAvailable',
      'sha256:',
      'AWS_LAMBDA_FUNCTION',
      'AWS_ECR_CONTAINER_IMAGE',
      'container_image',
      'image',
      'docker-archive:x.tar',
      '__proto__',
      [],
      {},
      [null],
      [[]],
    ),
  },
  fc.integer(),
  fc.double(),
  fc.string({ maxLength: 20 }),
  fc.constant(described(Object('x'.repeat(200_000)), "'x'.repeat(200000)")).map((boxed) => String(boxed)),
  fc.integer({ min: 50, max: 1000 }).map((depth) => {
    let v: Json = [];
    for (let i = 0; i < depth; i++) v = [v];
    return described(v, `[…${depth} nested arrays…]`);
  }),
  fc.integer({ min: 50, max: 1000 }).map((depth) => {
    let v: Json = {};
    for (let i = 0; i < depth; i++) v = { severity: v };
    return described(v, `{severity: …${depth} nested objects…}`);
  }),
  fc.constant(new Date(Number.NaN)),
  fc.constant(new Date(0)),
);

/** Deep values print short in counterexamples (a symbol key: invisible to the reader and to JSON). */
function described(value: Json, text: string): Json {
  Object.defineProperty(value, fc.toStringMethod, { value: () => text, enumerable: false });
  return value;
}

/** Which node: an index into the seed's focus paths (most of the time) or into all its paths; -1 the root. */
interface Target {
  readonly focus: boolean;
  readonly index: number;
}

type Mutation =
  | { readonly kind: 'set'; readonly path: Target; readonly value: Json }
  | { readonly kind: 'delete'; readonly path: Target }
  | { readonly kind: 'duplicate'; readonly path: Target }
  | { readonly kind: 'wrap'; readonly path: Target }
  | { readonly kind: 'stringify'; readonly path: Target }
  | { readonly kind: 'proto-key'; readonly path: Target; readonly key: string; readonly value: Json };

const path: fc.Arbitrary<Target> = fc.oneof(
  { weight: 12, arbitrary: fc.record({ focus: fc.constant(true), index: fc.nat() }) },
  { weight: 4, arbitrary: fc.record({ focus: fc.constant(false), index: fc.nat() }) },
  { weight: 1, arbitrary: fc.constant({ focus: false, index: -1 }) },
);
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('set' as const), path, value: nastyValue }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('delete' as const), path }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('duplicate' as const), path }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('wrap' as const), path }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('stringify' as const), path }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('proto-key' as const),
      path,
      key: fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf'),
      value: nastyValue,
    }),
  },
);

function isContainer(value: Json): value is Record<string, Json> | Json[] {
  return typeof value === 'object' && value !== null && !(value instanceof Date);
}

/** The container holding the target node and its key there; null for the root or a path a mutation removed. */
function locate(
  root: Json,
  seed: Seed,
  target: Target,
): { parent: Record<string, Json> | Json[]; key: string | number } | null {
  const list = target.focus && seed.focus.length > 0 ? seed.focus : seed.paths;
  if (target.index < 0 || list.length === 0) return null;
  const path = list[target.index % list.length] as Path;
  let node = root;
  for (let i = 0; i < path.length - 1; i++) {
    if (!isContainer(node)) return null;
    node = (node as Record<string | number, Json>)[path[i] as string | number];
  }
  const key = path[path.length - 1] as string | number;
  if (!isContainer(node) || !(key in node)) return null;
  return { parent: node, key };
}

function apply(root: Json, seed: Seed, m: Mutation): Json {
  const at = locate(root, seed, m.path);
  if (at === null) {
    if (m.path.index >= 0) return root;
    // The root itself.
    if (m.kind === 'set') return m.value;
    if (m.kind === 'wrap') return [root];
    return root;
  }
  const { parent, key } = at;
  const record = parent as Record<string | number, Json>;
  const current = record[key];
  switch (m.kind) {
    case 'set':
      record[key] = m.value;
      break;
    case 'delete':
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete record[key];
      break;
    case 'duplicate':
      if (Array.isArray(parent)) parent.push(structuredClone(current));
      else if (Array.isArray(current) && current.length > 0) current.push(structuredClone(current[0]));
      break;
    case 'wrap':
      record[key] = [current];
      break;
    case 'stringify':
      record[key] = typeof current === 'string' ? current : (JSON.stringify(current) ?? 'undefined');
      break;
    case 'proto-key':
      // An own data property, as JSON.parse makes it: never the object's prototype.
      if (isContainer(current) && !Array.isArray(current))
        Object.defineProperty(current, m.key, {
          value: m.value,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      break;
  }
  return root;
}

// ---- invariants ----------------------------------------------------------------------------------------

const FIX = new Set(['YES', 'NO', 'PARTIAL']);
const SOURCES = new Set(['ecr-basic', 'ecr-enhanced', 'inspector', 'trivy', 'grype']);
const DAY = /^\d{4}-\d{2}-\d{2}$/;

function nullableString(value: unknown): boolean {
  return value === null || typeof value === 'string';
}

function checkFinding(f: Finding): void {
  expect(typeof f.id === 'string' && f.id.trim() !== '', `id ${JSON.stringify(f.id)}`).toBe(true);
  expect(SEVERITIES).toContain(f.severity);
  if (f.score !== null)
    expect(Number.isFinite(f.score) && f.score >= 0 && f.score <= 10, `score ${f.score}`).toBe(true);
  if (f.epss !== null)
    expect(Number.isFinite(f.epss) && f.epss >= 0 && f.epss <= 1, `epss ${f.epss}`).toBe(true);
  expect(f.fixAvailable === null || FIX.has(f.fixAvailable), `fixAvailable ${f.fixAvailable}`).toBe(true);
  expect(f.exploitAvailable === null || typeof f.exploitAvailable === 'boolean').toBe(true);
  for (const field of [f.package, f.version, f.fixedIn, f.url, f.title])
    expect(nullableString(field), `field ${String(field)}`).toBe(true);
  expect(SOURCES.has(f.source)).toBe(true);
  if (f.firstObservedAt !== undefined && f.firstObservedAt !== null)
    expect(Number.isNaN(Date.parse(f.firstObservedAt))).toBe(false);
  if (f.kev !== undefined) {
    for (const day of [f.kev.dateAdded, f.kev.dateDue])
      expect(day === null || (DAY.test(day) && !Number.isNaN(Date.parse(day))), `kev date ${day}`).toBe(true);
    expect(f.kev.action === undefined || nullableString(f.kev.action)).toBe(true);
  }
}

function checkReport(report: FindingsReport): void {
  expect(['ecr', 'inspector', 'trivy', 'grype']).toContain(report.input);
  expect(Array.isArray(report.findings)).toBe(true);
  for (const f of report.findings) checkFinding(f);
  expect(nullableString(report.image.repository) && nullableString(report.image.digest)).toBe(true);
  expect(report.image.tags.every((t) => typeof t === 'string')).toBe(true);
  for (const n of Object.values(report.excluded ?? {})) expect(Number.isInteger(n) && n > 0).toBe(true);
  if (report.scan !== null) expect(typeof report.scan.status).toBe('string');
}

/** Runs `read`; anything thrown must be an InvalidInputError naming the source. Returns true when refused. */
function readOrRefuse<T>(read: () => T, check: (value: T) => void): boolean {
  let value: T;
  try {
    value = read();
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error;
    expect(error.message.startsWith(`${SOURCE}: `), error.message).toBe(true);
    expect(error.source).toBe(SOURCE);
    return true;
  }
  check(value);
  return false;
}

// ---- properties ----------------------------------------------------------------------------------------

const FILE_RUNS = Math.max(1, Math.round(RUNS * 0.8));
const SDK_RUNS = Math.max(1, RUNS - FILE_RUNS);

describe('findings normalisation fuzz', () => {
  it(`mutated real reports: valid findings or InvalidInputError naming the file (${FILE_RUNS} cases)`, () => {
    let refused = 0;
    let read = 0;
    fc.assert(
      fc.property(
        fc.constantFrom(...SEEDS),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        fc.constantFrom(...FINDINGS_INPUTS),
        (seed, mutations, input) => {
          let json = structuredClone(seed.json);
          for (const m of mutations) json = apply(json, seed, m);
          if (readOrRefuse(() => parseFindings(json, SOURCE, input), checkReport)) refused++;
          else read++;
        },
      ),
      { numRuns: FILE_RUNS, seed: SEED },
    );
    // Both outcomes are exercised: the mutations reach validation and leave readable reports too.
    expect(refused).toBeGreaterThan(FILE_RUNS / 20);
    expect(read).toBeGreaterThan(FILE_RUNS / 20);
  }, 120_000);

  it(`mutated SDK-shaped ECR pages (NaN, Infinity, Date objects): valid findings or InvalidInputError (${SDK_RUNS} cases)`, () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ECR_PAGES),
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        (seed, mutations) => {
          let json = structuredClone(seed.json);
          for (const m of mutations) json = apply(json, seed, m);
          readOrRefuse(
            () => findingsFromEcrResponse(json, SOURCE),
            (findings) => {
              for (const f of findings) checkFinding(f);
            },
          );
        },
      ),
      { numRuns: SDK_RUNS, seed: SEED + 1 },
    );
  }, 120_000);
});
