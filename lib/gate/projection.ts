/**
 * Tag projection: the decision tags on a digest show the latest decision in its ledger record. Fencing after a
 * write, the tag-holder records (which digest holds each decision tag), and the read-only check the sweep uses.
 * Tags are written through lib/gate/apply.ts only.
 */
import { type ImageRef, imageKey } from '../events/image-ref.ts';
import type { LedgerRecord } from '../ledger/ledger.ts';
import type { Logger } from '../log/logger.ts';
import { applyTagChanges } from './apply.ts';
import type { GateDependencies } from './context.ts';
import { GateContentionError } from './errors.ts';
import { planProjection } from './plan.ts';
import type { TagScheme } from './tags.ts';

/**
 * Fencing. Re-reads the record after this invocation's tag writes; while a newer decision than the one last
 * projected is recorded, makes the digest show it. Returns the record read last and the tags it left.
 * @throws GateContentionError when decisions keep changing (a retry converges)
 */
export async function reconcileToLatest(
  deps: GateDependencies,
  ref: ImageRef,
  projected: number,
  log: Logger,
): Promise<{ record: LedgerRecord | null; tagsAfter: readonly string[] | null }> {
  let seq = projected;
  let tagsAfter: readonly string[] | null = null;
  for (let round = 1; round <= deps.settings.contentionAttempts; round++) {
    const latest = await deps.ledger.get(ref);
    if (!latest || latest.decisionSeq <= seq || latest.state !== 'decided')
      return { record: latest, tagsAfter };
    log.warn('a newer decision was recorded while tags were written: reconciling the digest to it', {
      projected: seq,
      latest: latest.decisionSeq,
      verdict: latest.decision?.verdict ?? null,
    });
    const tags = await projectRecord(deps, ref, latest);
    if (tags === 'gone') return { record: latest, tagsAfter };
    tagsAfter = tags;
    seq = latest.decisionSeq;
  }
  throw new GateContentionError(`${imageKey(ref)}: decisions kept changing while tags were written`);
}

/**
 * Records `ref.digest` as the holder of each tag about to be written, and returns the other digests that held one
 * (they lose it when it is written here).
 */
export async function claimTagHolders(
  deps: GateDependencies,
  ref: ImageRef,
  tags: readonly string[],
): Promise<{ displaced: string[]; claimed: string[] }> {
  const displaced: string[] = [];
  for (const tag of tags) {
    const previous = await deps.ledger.getTagHolder(ref, tag);
    if (previous && previous !== ref.digest && !displaced.includes(previous)) displaced.push(previous);
    if (previous !== ref.digest) await deps.ledger.putTagHolder(ref, tag);
  }
  return { displaced, claimed: [...tags] };
}

/**
 * Whether the ledger stands behind the decision tags `tags` seen on the digest (reads only, for the sweep):
 * `undecided` when no decision is recorded — every decision tag is then a spoof, also when it is the image's
 * only tag —, `drift` when the tags do not show the recorded decision (a tag of the other verdict, a decision
 * tag the gatekeeper did not write, or none of the desired tags), `consistent` otherwise.
 * @example await checkDecisionTags(deps, ref, ['approved-1.0']) // 'undecided' when the ledger has no decision
 */
export async function checkDecisionTags(
  deps: GateDependencies,
  ref: ImageRef,
  tags: readonly string[],
): Promise<'consistent' | 'drift' | 'undecided'> {
  return tagCheck(deps.scheme, await deps.ledger.get(ref), tags);
}

/**
 * {@link checkDecisionTags} for many images with one ledger read per 100 (the sweep batches across
 * repositories); the answers in the order of `items`.
 */
export async function checkDecisionTagsMany(
  deps: GateDependencies,
  items: readonly { readonly ref: ImageRef; readonly tags: readonly string[] }[],
): Promise<readonly ('consistent' | 'drift' | 'undecided')[]> {
  const records = await deps.ledger.getMany(items.map((item) => item.ref));
  return items.map((item, i) => tagCheck(deps.scheme, records[i] ?? null, item.tags));
}

function tagCheck(
  scheme: TagScheme,
  record: LedgerRecord | null,
  tags: readonly string[],
): 'consistent' | 'drift' | 'undecided' {
  if (record?.state !== 'decided' || !record.decision) return 'undecided';
  const plan = planProjection(scheme, record, tags);
  if (!plan) return 'undecided';
  return plan.putTags.length === 0 && plan.removeTags.length === 0 ? 'consistent' : 'drift';
}

/**
 * Writes and removes tags so that the digest shows the decision recorded in `record`; the tags after, or
 * 'gone'. Exported for the hygiene sweep's drift repair and the push flow.
 */
export async function projectRecord(
  deps: GateDependencies,
  ref: ImageRef,
  record: LedgerRecord,
): Promise<readonly string[] | 'gone'> {
  const summary = await deps.registry.describeImage(ref);
  if (!summary) return 'gone';
  const plan = planProjection(deps.scheme, record, summary.tags);
  if (!plan || (plan.putTags.length === 0 && plan.removeTags.length === 0)) return summary.tags;
  const manifest =
    plan.putTags.length > 0 && summary.storageClass !== 'ARCHIVE'
      ? await deps.registry.getManifest(ref)
      : null;
  if (plan.putTags.length > 0 && summary.storageClass !== 'ARCHIVE' && !manifest) return 'gone';
  await claimTagHolders(deps, ref, plan.putTags);
  const applied = await applyTagChanges(
    deps.registry,
    ref,
    manifest,
    { put: plan.putTags, remove: plan.removeTags },
    summary.tags,
    [deps.scheme.approvedPrefix, deps.scheme.quarantinedPrefix],
  );
  return applied.gone ? 'gone' : applied.tagsAfter;
}
