/**
 * A policy set compiled once for evaluation: glob matchers and version specs built, exceptions indexed by
 * finding id. Cached per PolicySet object (the set is immutable data), so a warm Lambda or a CLI run that
 * evaluates many images compiles once.
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
import { parseVersionSpec, type VersionSpec } from './version-range.ts';

interface CompiledGlob {
  readonly pattern: string;
  readonly matches: GlobMatcher;
  readonly specificity: GlobSpecificity;
}

export interface CompiledDenied {
  readonly entry: DeniedPackage;
  readonly index: number;
  readonly name: GlobMatcher;
  readonly specs: readonly { readonly text: string; readonly spec: VersionSpec }[] | null;
}

export interface CompiledPolicy {
  readonly definition: PolicyDefinition;
  readonly repositories: readonly CompiledGlob[] | null;
  readonly tags: readonly CompiledGlob[] | null;
  readonly denied: readonly CompiledDenied[];
  readonly tagNaming:
    | readonly { readonly entry: string; readonly matches: (tag: string) => boolean }[]
    | null;
}

export interface CompiledException {
  readonly definition: ExceptionDefinition;
  readonly endsAt: number;
  readonly repositories: readonly GlobMatcher[] | null;
  readonly tags: readonly GlobMatcher[] | null;
  readonly packages: readonly GlobMatcher[] | null;
}

export interface CompiledSet {
  readonly set: PolicySet;
  readonly policies: readonly CompiledPolicy[];
  readonly defaultPolicy: CompiledPolicy;
  readonly exceptions: readonly CompiledException[];
}

const cache = new WeakMap<PolicySet, CompiledSet>();

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

function compilePolicy(definition: PolicyDefinition): CompiledPolicy {
  return {
    definition,
    repositories: definition.match ? definition.match.repositories.map(glob) : null,
    tags: definition.match?.tags ? definition.match.tags.map(glob) : null,
    denied: definition.rules.deniedPackages.map((entry, index) => ({
      entry,
      index,
      name: compileGlob(entry.name),
      specs: entry.versions
        ? entry.versions.map((text) => {
            const spec = parseVersionSpec(text);
            // The set was checked when loaded; a spec that no longer parses is a corrupted set.
            if (typeof spec === 'string') throw new TypeError(`deniedPackages version "${text}": ${spec}`);
            return { text, spec };
          })
        : null,
    })),
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
  const exceptions = set.exceptions.map((definition) => ({
    definition,
    endsAt: exceptionEndsAt(definition.expires),
    repositories: definition.scope.repositories?.map(compileGlob) ?? null,
    tags: definition.scope.tags?.map(compileGlob) ?? null,
    packages: definition.scope.packages?.map(compileGlob) ?? null,
  }));
  const compiled: CompiledSet = { set, policies, defaultPolicy, exceptions };
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
