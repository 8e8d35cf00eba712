/**
 * The push flow (ECR Image Action PUSH/SUCCESS; a restore from the archive, `action: 'restore'`, goes to
 * handle-restore.ts instead):
 * 1. a reserved-prefix tag the gatekeeper wrote (or is writing: the ledger records intended tags before the
 *    PutImage) is its own push: ignored, so the gate never loops on itself;
 * 2. a reserved-prefix tag it did not write is a spoof: alerted, then removed by tag;
 * 3. on a digest already decided, a push never downgrades the decision: a tag the decision covered is a
 *    no-op, a new source tag re-decides the digest (fresh reads) so it gets its decision tag;
 * 4. otherwise the image is recorded pending (first-seen time) and a scan is made sure of: StartImageScan only
 *    when the registry's scanning configuration does not cover the repository; LimitExceeded (one scan per
 *    image per 24 h) is final. A multi-arch index links its children and is decided as soon as they are.
 */
import type { ImagePushedEvent } from '../events/gatekeeper-event.ts';
import { type ImageRef, imageKey } from '../events/image-ref.ts';
import { LedgerConflictError } from '../ledger/errors.ts';
import { type LedgerRecord, newLedgerRecord } from '../ledger/ledger.ts';
import type { Logger } from '../log/logger.ts';
import type { SpoofedTagDetail } from '../notify/format.ts';
import { isImageConfigMediaType, isIndexMediaType } from '../registry/manifest.ts';
import type { StoredManifest } from '../registry/registry.ts';
import { applyTagChanges } from './apply.ts';
import type { GateDependencies, GateOutcome, GateTrigger } from './context.ts';
import { decideImage } from './decide-image.ts';
import { publishAlert } from './deliver.ts';
import { ensureScan } from './ensure-scan.ts';
import { GateContentionError } from './errors.ts';
import { handleImageRestored } from './handle-restore.ts';
import { updateLedgerRecord } from './ledger-update.ts';
import { baseOutcome } from './outcome.ts';
import { ownTagsOf } from './plan.ts';
import { digestDecisionTag, reservedKind } from './tags.ts';

const outcome = baseOutcome;

/**
 * Handles one image push.
 * @example await handleImagePushed(deps, parseEvent(raw) as ImagePushedEvent)
 */
export async function handleImagePushed(
  deps: GateDependencies,
  event: ImagePushedEvent,
): Promise<GateOutcome> {
  const ref = event.image;
  const log = deps.logger.child({ repository: ref.repository, digest: ref.digest, eventId: event.eventId });
  const trigger: GateTrigger = { kind: 'push', id: event.eventId, time: event.time, tag: event.tag };

  if (event.artifactMediaType && !isImageConfigMediaType(event.artifactMediaType)) {
    return outcome(ref, 'ignored', `not a container image (artifact ${event.artifactMediaType})`);
  }
  if (event.action === 'restore') return handleImageRestored(deps, event);

  if (event.tag !== null && reservedKind(deps.scheme, event.tag) !== null) {
    const record = await deps.ledger.get(ref);
    if (vouchedFor(deps, record, event.tag)) {
      log.debug('own decision tag pushed by the gatekeeper: not evaluated', { tag: event.tag });
      return outcome(ref, 'ignored', `own tag ${event.tag}`);
    }
    const removed = await removeSpoof(deps, ref, event.tag, log);
    if (removed.outcome === 'gone') return removed;
    // The image itself still needs a decision (it may be new): continue as an untagged push.
    const rest = await recordPending(deps, { ...event, tag: null }, trigger, log);
    return { ...rest, outcome: 'spoof-removed', detail: removed.detail, notified: removed.notified };
  }
  return recordPending(deps, event, trigger, log);
}

async function recordPending(
  deps: GateDependencies,
  event: ImagePushedEvent,
  trigger: GateTrigger,
  log: Logger,
): Promise<GateOutcome> {
  const ref = event.image;
  for (let attempt = 1; ; attempt++) {
    const record = await deps.ledger.get(ref);
    if (record?.state === 'decided' && record.decision && record.archivedByGatekeeper) {
      // ECR restores an archived image that is pushed again: the quarantine's archive must not be undone by a
      // push. Decided again; archived again unless the new decision approves it.
      log.warn('image archived after quarantine was pushed again (ECR restored it): deciding it again');
      return decideImage(deps, ref, trigger, { restoredByPush: true });
    }
    if (record?.state === 'decided' && record.decision) {
      if (event.tag === null || record.decision.sourceTags.includes(event.tag)) {
        log.info('push of a decided image: decision kept (a push never downgrades a decision)', {
          verdict: record.decision.verdict,
        });
        return { ...outcome(ref, 'unchanged', 'already decided'), verdict: record.decision.verdict };
      }
      // A new source tag: decide again (fresh reads) so the tag gets its decision tag; never a downgrade to pending.
      return decideImage(deps, ref, trigger);
    }
    if (record && record.state !== 'gone') break;
    try {
      if (record) {
        // Deleted earlier and pushed again: pending once more, and no longer set to expire.
        await deps.ledger.put(
          { ...record, state: 'pending', pendingSince: deps.now().toISOString(), expiresAt: null },
          record.version,
        );
      } else {
        await deps.ledger.put(newLedgerRecord(imageKey(ref), ref, deps.now()), 0);
      }
      break;
    } catch (error) {
      if (!(error instanceof LedgerConflictError)) throw error;
      if (attempt >= deps.settings.contentionAttempts)
        throw new GateContentionError(`${imageKey(ref)}: push raced`);
    }
  }

  let mediaType = event.manifestMediaType ?? null;
  if (mediaType === null) {
    const manifest = await deps.registry.getManifest(ref);
    if (!manifest) return outcome(ref, 'gone', 'the image was deleted');
    mediaType = manifest.mediaType;
  }
  if (isIndexMediaType(mediaType)) {
    // Children are usually scanned already; decide now if they are (links the children either way).
    const decided = await decideImage(deps, ref, trigger);
    return decided.outcome === 'not-ready' ? { ...decided, outcome: 'pending' } : decided;
  }

  return ensureScan(deps, ref, trigger, log);
}

/** Alerts, then removes a reserved-prefix tag the gatekeeper did not write. Never deletes the image. */
async function removeSpoof(
  deps: GateDependencies,
  ref: ImageRef,
  tag: string,
  log: Logger,
): Promise<GateOutcome> {
  const summary = await deps.registry.describeImage(ref);
  if (!summary) return outcome(ref, 'gone', 'the image was deleted');
  if (!summary.tags.includes(tag))
    return outcome(ref, 'ignored', `tag ${tag} no longer on the digest`, summary.tags);
  const moved = await movedFrom(deps, ref, tag);
  const alert = await publishAlert(deps, {
    kind: 'spoofed-tag',
    image: ref,
    tagsBefore: summary.tags,
    tagsAfter:
      summary.tags.length > 1
        ? summary.tags.filter((t) => t !== tag)
        : [digestDecisionTag(deps.scheme.quarantinedPrefix, ref.digest)],
    tags: [tag],
    detail: `tag ${tag} uses a reserved gatekeeper prefix but was not written by the gatekeeper for this digest; it is removed. ${moved.origin.explanation}`,
    decision: null,
    spoof: moved.origin,
  });
  const prefixes = [deps.scheme.approvedPrefix, deps.scheme.quarantinedPrefix];
  const hold = digestDecisionTag(deps.scheme.quarantinedPrefix, ref.digest);
  // Removing the last tag would delete the image: hold it with a quarantined digest tag first (fail closed).
  const needsHold = summary.tags.every((t) => t === tag);
  const manifest = needsHold ? await deps.registry.getManifest(ref) : null;
  if (needsHold && !manifest) return outcome(ref, 'gone', 'the image was deleted');
  if (needsHold) await recordOwnTag(deps, ref, hold);
  if (moved.restore) {
    // PutImage on the rightful digest moves the tag back (mutable tags); the removal below is then a no-op.
    const back = await applyTagChanges(
      deps.registry,
      moved.restore.ref,
      moved.restore.manifest,
      { put: [tag], remove: [] },
      [],
      prefixes,
    );
    log.warn('spoofed tag put back on the digest the gatekeeper had written it on', {
      tag,
      restoredOn: moved.restore.ref.digest,
      outcome: back.gone ? 'gone' : back.refused.length > 0 ? 'immutable' : 'tagged',
    });
  }
  const applied = await applyTagChanges(
    deps.registry,
    ref,
    manifest,
    { put: needsHold ? [hold] : [], remove: [tag] },
    summary.tags,
    prefixes,
  );
  if (applied.gone) return outcome(ref, 'gone', 'the image was deleted');
  const tagsAfter = applied.tagsAfter;
  log.warn('spoofed reserved-prefix tag removed', { tag });
  return {
    ...outcome(ref, 'spoof-removed', `removed spoofed tag ${tag}`),
    tagsBefore: summary.tags,
    tagsAfter,
    notified: alert.subject,
  };
}

interface MovedFrom {
  /** Where to put the tag back, when the ledger says the gatekeeper wrote it there and it still belongs. */
  readonly restore: { readonly ref: ImageRef; readonly manifest: StoredManifest } | null;
  /** For the alert: where the tag came from, put back or precisely why not. */
  readonly origin: SpoofedTagDetail;
}

/**
 * A push of a decision tag onto another digest moves the tag in a mutable repository: the digest the
 * gatekeeper had written it on loses it. When the ledger names that digest, it is still decided with the
 * tag's verdict and its record lists the tag as its own, the tag goes back there.
 */
async function movedFrom(deps: GateDependencies, ref: ImageRef, tag: string): Promise<MovedFrom> {
  const holder = await deps.ledger.getTagHolder(ref, tag);
  const notBack = (writtenOn: string | null, explanation: string): MovedFrom => ({
    restore: null,
    origin: { writtenOn, putBack: false, explanation },
  });
  if (holder === null || holder === ref.digest) {
    return notBack(null, 'The gatekeeper never wrote this tag in this repository.');
  }
  const original: ImageRef = { ...ref, digest: holder };
  const record = await deps.ledger.get(original);
  const kind = reservedKind(deps.scheme, tag);
  if (record?.state !== 'decided' || record.decision?.verdict !== kind || !ownTagsOf(record).has(tag)) {
    return notBack(
      holder,
      `The gatekeeper had written it on ${holder}, but that image's recorded decision no longer includes it, so it is not put back.`,
    );
  }
  const summary = await deps.registry.describeImage(original);
  const manifest = summary ? await deps.registry.getManifest(original) : null;
  if (!summary || !manifest) {
    return notBack(
      holder,
      `The gatekeeper had written it on ${holder}, which no longer exists (or is archived), so it is not put back.`,
    );
  }
  if (summary.tags.includes(tag)) return notBack(holder, `It is still on ${holder}.`);
  return {
    restore: { ref: original, manifest },
    origin: {
      writtenOn: holder,
      putBack: true,
      explanation: `It was moved off ${holder}, where the gatekeeper had written it; it is put back there.`,
    },
  };
}

/**
 * True when the ledger stands behind decision tag `tag` on this digest, so its push is the gatekeeper's own:
 * an approved tag only while the digest's latest decision approves it and lists the tag as its own; a
 * quarantined tag whenever the gatekeeper wrote it (a quarantined hold tag can precede any decision, and a
 * quarantined tag never loosens anything). Anything else is a spoof, wherever it is found.
 */
function vouchedFor(deps: GateDependencies, record: LedgerRecord | null, tag: string): boolean {
  if (!ownTagsOf(record).has(tag)) return false;
  const kind = reservedKind(deps.scheme, tag);
  if (kind === 'quarantined') return true;
  return record?.state === 'decided' && record.decision?.verdict === 'approved';
}

async function recordOwnTag(deps: GateDependencies, ref: ImageRef, tag: string): Promise<void> {
  await updateLedgerRecord(deps, ref, (record) => ({
    ...record,
    ownTags: [...new Set([...record.ownTags, tag])].sort(),
  }));
}
