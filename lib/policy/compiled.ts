/**
 * A policy set compiled once for evaluation: glob matchers and version specs built, exceptions indexed by
 * finding id, denied-package verdicts remembered per package name and version. Cached per PolicySet object (the
 * set is immutable data), so a warm Lambda or a CLI run that evaluates many images compiles once, and an
 * evaluation touches only the exceptions that name one of its findings.
 */
import type { ImageUnderTest } from './decision.ts';
import {
  compareSpecificity,
  compileGlob,
  type GlobMatcher,
  type GlobSpecificity,
  globSpecificity,
} from './glob.ts';
import {
  type DeniedPackage,
  type ExceptionDefinition,
  exceptionEndsAt,
  type PolicyDefinition,
  type PolicySet,
} from './policy-set.ts';
import { matchVersionSpec, parseVersion, parseVersionSpec, type VersionSpec } from './version-range.ts';

interface CompiledGlob {
  readonly pattern: string;
  readonly matches: GlobMatcher;
  readonly specificity: GlobSpecificity;
}

/**
 * How a package version stands against a deny entry: `spec` is the version spec that decided (the first that
 * matches, else the first whose comparison is unknown; empty when the entry denies every version).
 */
export interface DeniedVerdict {
  readonly verdict: 'match' | 'unknown' | 'no-match';
  readonly spec: string;
}

export interface CompiledDenied {
  readonly entry: DeniedPackage;
  readonly index: number;
  readonly name: GlobMatcher;
  readonly specs: readonly { readonly text: string; readonly spec: VersionSpec }[] | null;
  /** The verdict for one version (null: unknown), remembered per version. */
  readonly judge: (version: string | null) => DeniedVerdict;
}

export interface CompiledPolicy {
  readonly definition: PolicyDefinition;
  readonly repositories: readonly CompiledGlob[] | null;
  readonly tags: readonly CompiledGlob[] | null;
  readonly denied: readonly CompiledDenied[];
  /** The deny entries whose name glob matches a package name, in policy order; remembered per name. */
  readonly deniedFor: (packageName: string) => readonly CompiledDenied[];
  readonly tagNaming:
    | readonly { readonly entry: string; readonly matches: (tag: string) => boolean }[]
    | null;
}

/**
 * The image part of exception scopes (repositories, tags, digest). Exceptions written with the same image scope
 * share one, so an evaluation checks each distinct scope against its image once, however many exceptions use it.
 */
export interface ImageScope {
  /** Position in {@link CompiledSet.scopes}. */
  readonly index: number;
  readonly repositories: readonly GlobMatcher[] | null;
  readonly tags: readonly GlobMatcher[] | null;
  readonly digest: string | null;
}

export interface CompiledException {
  readonly definition: ExceptionDefinition;
  readonly endsAt: number;
  readonly scope: ImageScope;
  readonly packages: readonly GlobMatcher[] | null;
}

export interface CompiledSet {
  readonly set: PolicySet;
  readonly policies: readonly CompiledPolicy[];
  readonly defaultPolicy: CompiledPolicy;
  readonly exceptions: readonly CompiledException[];
  /** The exceptions that waive each finding id, each list in set order. */
  readonly exceptionsByFinding: ReadonlyMap<string, readonly CompiledException[]>;
  /** The distinct image scopes of the exceptions. */
  readonly scopes: readonly ImageScope[];
}

const cache = new WeakMap<PolicySet, CompiledSet>();

/**
 * Most answers one remembering function keeps; past that it starts afresh, so a warm container that judges
 * many images holds a bounded amount (the answers are cheap to recompute).
 */
const MEMO_LIMIT = 20_000;

/** `compute` remembered per key, bounded by {@link MEMO_LIMIT}. The answers must depend on the key alone. */
function remembered<K, V>(compute: (key: K) => V): (key: K) => V {
  const memo = new Map<K, V>();
  return (key) => {
    let value = memo.get(key);
    if (value === undefined) {
      value = compute(key);
      if (memo.size >= MEMO_LIMIT) memo.clear();
      memo.set(key, value);
    }
    return value;
  };
}

const DENIES_EVERY_VERSION: DeniedVerdict = { verdict: 'match', spec: '' };

function judgeVersion(
  specs: readonly { readonly text: string; readonly spec: VersionSpec }[],
  version: string | null,
): DeniedVerdict {
  const parsed = parseVersion(version);
  let unknown: string | null = null;
  for (const s of specs) {
    const m = matchVersionSpec(s.spec, parsed);
    if (m === 'match') return { verdict: 'match', spec: s.text };
    if (m === 'unknown' && unknown === null) unknown = s.text;
  }
  return unknown === null ? { verdict: 'no-match', spec: '' } : { verdict: 'unknown', spec: unknown };
}

function glob(pattern: string): CompiledGlob {
  return { pattern, matches: compileGlob(pattern), specificity: globSpecificity(pattern) };
}

// Built-in formats (fixed expressions, never from policy input). Docker tags allow no "+", so semver build
// metadata cannot appear; "semver+sha" is a release version followed by a git commit hash.
const SEMVER =
  /^v?(0|[1-9]\d{0,9})\.(0|[1-9]\d{0,9})\.(0|[1-9]\d{0,9})(-[0-9A-Za-z-]{1,64}(\.[0-9A-Za-z-]{1,64}){0,8})?$/;
const SEMVER_SHA = /^v?(0|[1-9]\d{0,9})\.(0|[1-9]\d{0,9})\.(0|[1-9]\d{0,9})[-_.]g?[0-9a-f]{7,40}$/;
const SHA = /^[0-9a-f]{7,40}$/;

function tagFormat(entry: string): (tag: string) => boolean {
  switch (entry) {
    case 'semver':
      return (t) => SEMVER.test(t);
    case 'semver+sha':
      return (t) => SEMVER_SHA.test(t);
    case 'sha':
      return (t) => SHA.test(t);
    default:
      return compileGlob(entry);
  }
}

function compileDenied(entry: DeniedPackage, index: number): CompiledDenied {
  const specs = entry.versions
    ? entry.versions.map((text) => {
        const spec = parseVersionSpec(text);
        // The set was checked when loaded; a spec that no longer parses is a corrupted set.
        if (typeof spec === 'string') throw new TypeError(`deniedPackages version "${text}": ${spec}`);
        return { text, spec };
      })
    : null;
  return {
    entry,
    index,
    name: compileGlob(entry.name),
    specs,
    judge: specs
      ? remembered((version: string | null) => judgeVersion(specs, version))
      : () => DENIES_EVERY_VERSION,
  };
}

function compilePolicy(definition: PolicyDefinition): CompiledPolicy {
  const denied = definition.rules.deniedPackages.map(compileDenied);
  return {
    definition,
    repositories: definition.match ? definition.match.repositories.map(glob) : null,
    tags: definition.match?.tags ? definition.match.tags.map(glob) : null,
    denied,
    deniedFor: remembered((name: string) => denied.filter((d) => d.name(name))),
    tagNaming: definition.rules.image.tagNaming
      ? definition.rules.image.tagNaming.map((entry) => ({ entry, matches: tagFormat(entry) }))
      : null,
  };
}

/** Compiles (or returns the cached compilation of) a checked policy set. */
export function compilePolicySet(set: PolicySet): CompiledSet {
  const cached = cache.get(set);
  if (cached) return cached;
  const policies = set.policies.map(compilePolicy);
  const defaultPolicy = policies.find((p) => p.definition.default);
  if (!defaultPolicy) throw new TypeError('policy set has no default policy');
  const scopes = new Map<string, ImageScope>();
  const exceptions = set.exceptions.map((definition): CompiledException => {
    const { repositories, tags, digest } = definition.scope;
    const key = JSON.stringify([repositories, tags, digest]);
    let scope = scopes.get(key);
    if (scope === undefined) {
      scope = {
        index: scopes.size,
        repositories: repositories?.map(compileGlob) ?? null,
        tags: tags?.map(compileGlob) ?? null,
        digest,
      };
      scopes.set(key, scope);
    }
    return {
      definition,
      endsAt: exceptionEndsAt(definition.expires),
      scope,
      packages: definition.scope.packages?.map(compileGlob) ?? null,
    };
  });
  const exceptionsByFinding = new Map<string, CompiledException[]>();
  for (const e of exceptions) {
    const list = exceptionsByFinding.get(e.definition.finding);
    if (list) list.push(e);
    else exceptionsByFinding.set(e.definition.finding, [e]);
  }
  const compiled: CompiledSet = {
    set,
    policies,
    defaultPolicy,
    exceptions,
    exceptionsByFinding,
    scopes: [...scopes.values()],
  };
  cache.set(set, compiled);
  return compiled;
}

interface Candidate {
  readonly policy: CompiledPolicy;
  readonly repository: GlobSpecificity;
  readonly tag: GlobSpecificity;
}

const ANY_TAG = globSpecificity('*');

function best(globs: readonly CompiledGlob[], subjects: readonly string[]): GlobSpecificity | null {
  let top: GlobSpecificity | null = null;
  for (const g of globs) {
    if (!subjects.some((s) => g.matches(s))) continue;
    if (top === null || compareSpecificity(g.specificity, top) > 0) top = g.specificity;
  }
  return top;
}

function compareCandidates(a: Candidate, b: Candidate): number {
  const byRepository = compareSpecificity(a.repository, b.repository);
  if (byRepository !== 0) return byRepository;
  const byTag = compareSpecificity(a.tag, b.tag);
  if (byTag !== 0) return byTag;
  const da = a.policy.definition;
  const db = b.policy.definition;
  if (da.priority !== db.priority) return da.priority - db.priority;
  // Earlier file, then earlier name, wins: "greater" means preferred, so invert the order.
  if (da.file !== db.file) return da.file < db.file ? 1 : -1;
  return da.name < db.name ? 1 : da.name > db.name ? -1 : 0;
}

/**
 * The policy that governs an image. Among policies whose `match` selects the image (a repository pattern matches
 * the repository and, when `tags` is given, a tag pattern matches one of the image's tags), the most specific
 * wins: repository pattern first, then tag pattern (exact > fewer wildcards > longer literal prefix > more
 * literal characters; no `tags` counts as `*`), then higher `priority`, then the file path and the name in
 * code-point order. No match → the default policy.
 */
export function selectCompiled(
  compiled: CompiledSet,
  image: Pick<ImageUnderTest, 'repository' | 'tags'>,
): CompiledPolicy {
  let top: Candidate | null = null;
  const repository = [image.repository];
  for (const policy of compiled.policies) {
    if (!policy.repositories) continue;
    const r = best(policy.repositories, repository);
    if (r === null) continue;
    let t: GlobSpecificity | null = ANY_TAG;
    if (policy.tags) t = best(policy.tags, image.tags);
    if (t === null) continue;
    const candidate: Candidate = { policy, repository: r, tag: t };
    if (top === null || compareCandidates(candidate, top) > 0) top = candidate;
  }
  return top ? top.policy : compiled.defaultPolicy;
}
