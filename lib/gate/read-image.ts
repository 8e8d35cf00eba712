/**
 * Reading an image for a decision: its scan result (readiness), its facts (size, user, labels) and, for a
 * multi-arch index, the same of every child it lists. Reads only: nothing here writes to ECR or the ledger.
 */
import type { ImageRef } from '../events/image-ref.ts';
import type { Finding } from '../findings/finding.ts';
import type { ImageFacts } from '../policy/decision.ts';
import { ImageFactsUnavailableError } from '../registry/errors.ts';
import { childManifests, isIndexMediaType, parseManifest } from '../registry/manifest.ts';
import type { ImageSummary, StoredManifest } from '../registry/registry.ts';
import type { GateDependencies, GateTrigger } from './context.ts';
import { classifyScan, type Readiness } from './readiness.ts';
import { repositoryScanning } from './scanning-cache.ts';

/** How deep indexes may nest (an index listing an index …) before the gate refuses to judge them. */
const MAX_INDEX_DEPTH = 4;

/** The readiness of one image's scan result (see lib/gate/readiness.ts). */
export async function readScan(
  deps: GateDependencies,
  ref: ImageRef,
  summary: ImageSummary,
  trigger: GateTrigger,
  now: Date,
): Promise<Readiness> {
  const result = await deps.registry.getScanResult(ref);
  let enhanced =
    result?.enhanced === true || (trigger.kind === 'scan-completed' && trigger.scanner === 'enhanced');
  const empty =
    result !== null &&
    (result.status === 'COMPLETE' || result.status === 'ACTIVE') &&
    result.findings.length === 0 &&
    !Object.values(result.severityCounts ?? {}).some((n) => n > 0);
  if (empty && !enhanced) {
    // Only an empty result needs to know the scan type: ask the registry configuration.
    // A cached ENHANCED only delays (not ready); a BASIC answer approves an empty result, so it is read fresh.
    const scanning = await repositoryScanning(deps, ref.repository, (s) => s.scanType === 'ENHANCED');
    enhanced = scanning.scanType === 'ENHANCED';
  }
  const completedAt = Date.parse(result?.completedAt ?? summary.pushedAt);
  const hint =
    trigger.kind === 'scan-completed' && trigger.scanner === 'enhanced' ? trigger.severityCountsHint : null;
  const hintSaysClean =
    hint !== null && Object.keys(hint).length > 0 && Object.values(hint).every((n) => n === 0);
  return classifyScan(result, {
    enhanced,
    sinceScanMs: Number.isFinite(completedAt) ? now.getTime() - completedAt : 0,
    enhancedSettleMs: deps.settings.enhancedSettleMs,
    hintSaysClean,
  });
}

/** The image's facts, or why they could not be read (a fail-closed problem, not an error). */
export async function readFacts(
  deps: GateDependencies,
  ref: ImageRef,
  manifest: StoredManifest,
): Promise<{ facts: ImageFacts | null; problem: string | null }> {
  try {
    return { facts: await deps.registry.getImageFacts(ref, manifest), problem: null };
  } catch (error) {
    if (error instanceof ImageFactsUnavailableError) return { facts: null, problem: error.message };
    throw error;
  }
}

/**
 * A multi-arch index is decided from its children: every child must be ready; a child whose scan failed
 * decides the index through the fail-closed table; otherwise the union of the children's findings is
 * evaluated. Facts combine conservatively (largest size, root if any child runs as root, labels all share).
 * A child that is itself an index is judged the same way (nested, up to MAX_INDEX_DEPTH).
 *
 * Which children count: every child, except one that no runtime could run AND that really is an attestation —
 * platform `unknown/unknown` and a manifest whose layers are all in-toto statements. A runnable child with an
 * attestation annotation is judged like any other, so an annotation cannot hide an image from the gate.
 */
export async function readIndex(
  deps: GateDependencies,
  index: ImageRef,
  manifest: StoredManifest,
  trigger: GateTrigger,
  now: Date,
  depth: number,
): Promise<{
  readiness: Readiness;
  facts: ImageFacts | null;
  factsProblem: string | null;
  children: string[];
}> {
  const unusable = (status: string, description: string) => ({
    readiness: { kind: 'no-findings', status, description } as Readiness,
    facts: null,
    factsProblem: null,
    children: [] as string[],
  });
  if (depth > MAX_INDEX_DEPTH) {
    return unusable('UNSUPPORTED_IMAGE', `indexes nested deeper than ${MAX_INDEX_DEPTH} levels`);
  }
  const listed = childManifests(manifest);
  const children: string[] = [];
  const findings: Finding[] = [];
  const childFacts: ImageFacts[] = [];
  let factsProblem: string | null = null;
  let failure: Readiness | null = null;
  for (const entry of listed) {
    const child: ImageRef = { ...index, digest: entry.digest };
    const summary = await deps.registry.describeImage(child);
    const childManifest = summary ? await deps.registry.getManifest(child) : null;
    if (!summary || !childManifest) {
      if (entry.attestation && unknownPlatform(entry.platform)) continue; // nothing runnable is missing
      children.push(entry.digest);
      failure ??= {
        kind: 'no-findings',
        status: 'FINDINGS_UNAVAILABLE',
        description: `child image ${entry.digest} does not exist`,
      };
      continue;
    }
    if (unknownPlatform(entry.platform) && isAttestationManifest(childManifest)) continue;
    children.push(entry.digest);
    if (isIndexMediaType(childManifest.mediaType)) {
      const nested = await readIndex(deps, child, childManifest, trigger, now, depth + 1);
      if (nested.readiness.kind === 'not-ready') {
        return { ...nested, children };
      }
      if (nested.readiness.kind === 'no-findings') {
        failure ??= {
          ...nested.readiness,
          description: `child index ${entry.digest}: ${nested.readiness.description ?? nested.readiness.status}`,
        };
        continue;
      }
      findings.push(...nested.readiness.findings);
      if (nested.facts) childFacts.push(nested.facts);
      if (nested.factsProblem) factsProblem ??= `child index ${entry.digest}: ${nested.factsProblem}`;
      continue;
    }
    const readiness = await readScan(deps, child, summary, trigger, now);
    if (readiness.kind === 'not-ready') {
      return {
        readiness: { kind: 'not-ready', why: `child ${entry.digest}: ${readiness.why}` },
        facts: null,
        factsProblem,
        children,
      };
    }
    if (readiness.kind === 'no-findings') {
      failure ??= {
        kind: 'no-findings',
        status: readiness.status,
        description: `child ${entry.digest}${readiness.description ? `: ${readiness.description}` : ''}`,
      };
      continue;
    }
    findings.push(...readiness.findings);
    const got = await readFacts(deps, child, childManifest);
    if (got.facts) childFacts.push(got.facts);
    else factsProblem ??= `child ${entry.digest}: ${got.problem}`;
  }
  if (children.length === 0) {
    return unusable('UNSUPPORTED_IMAGE', 'the index lists no runnable image');
  }
  if (failure) return { readiness: failure, facts: null, factsProblem, children };
  return {
    readiness: { kind: 'findings', status: 'COMPLETE', findings },
    facts: combineFacts(childFacts),
    factsProblem,
    children,
  };
}

function unknownPlatform(platform: { os: string; architecture: string } | null): boolean {
  return platform !== null && platform.os === 'unknown' && platform.architecture === 'unknown';
}

/** An image manifest whose every layer is an in-toto statement (SBOM, provenance): nothing to run. */
function isAttestationManifest(manifest: StoredManifest): boolean {
  const parsed = parseManifest(manifest.manifest, manifest.mediaType);
  return (
    parsed.kind === 'image' &&
    parsed.layers.length > 0 &&
    parsed.layers.every((l) => (l.mediaType ?? '').startsWith('application/vnd.in-toto'))
  );
}

function combineFacts(all: readonly ImageFacts[]): ImageFacts | null {
  if (all.length === 0) return null;
  const sizes = all.map((f) => f.sizeBytes).filter((n): n is number => typeof n === 'number');
  const root = all.find((f) => f.user === undefined || f.user === '' || f.user === 'root' || f.user === '0');
  const [first, ...rest] = all;
  const labels: Record<string, string> = {};
  for (const [name, value] of Object.entries(first?.labels ?? {})) {
    if (rest.every((f) => f.labels?.[name] !== undefined)) labels[name] = value;
  }
  const combined: { sizeBytes?: number; user?: string; labels?: Record<string, string> } = { labels };
  if (sizes.length > 0) combined.sizeBytes = Math.max(...sizes);
  combined.user = root ? (root.user ?? '') : (first?.user ?? '');
  return combined;
}
