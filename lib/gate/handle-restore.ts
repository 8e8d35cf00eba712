/**
 * The restore flow (ECR Image Action UPDATE_STORAGE_CLASS → STANDARD, SUCCESS; routed to the image-pushed
 * function): an archived image can be pulled again, so the gate decides it afresh through the same gate.
 *
 * 1. Fresh findings by digest. Usable findings decide it at once: approved when an exception or a policy
 *    change now allows it (approved tags written, quarantined tags removed, one notification), quarantined
 *    otherwise. A quarantine by the very decision the image was archived for leaves it restored (it is not
 *    archived again: no archive/restore loop); a new decision (policy version or findings) archives it once.
 * 2. A scan result from before the restore (IMAGE_ARCHIVED, SCAN_ELIGIBILITY_EXPIRED) or no scan at all is
 *    no basis for a verdict: the image is recorded pending (so the sweep's safety net decides it if the scan
 *    event is lost) and a scan is started unless continuous scanning rescans it by itself. If ECR refuses the
 *    scan (one per image per 24 h), an alert says so; the scan's event or the sweep decides the image.
 */
import type { ImagePushedEvent } from '../events/gatekeeper-event.ts';
import { isIndexMediaType } from '../registry/manifest.ts';
import type { GateDependencies, GateOutcome, GateTrigger } from './context.ts';
import { decideImage } from './decide-image.ts';
import { publishAlert } from './deliver.ts';
import { ensureScan } from './ensure-scan.ts';
import { updateLedgerRecord } from './ledger-update.ts';

/** Registry coverage that scans a restored image by itself: only continuous (enhanced) scanning does. */
const RESCANS_RESTORED = (frequency: string): boolean => frequency === 'CONTINUOUS_SCAN';

/**
 * Re-decides an image restored from the archive.
 * @example await handleImageRestored(deps, parseEvent(raw) as ImagePushedEvent) // action 'restore'
 */
export async function handleImageRestored(
  deps: GateDependencies,
  event: ImagePushedEvent,
): Promise<GateOutcome> {
  const ref = event.image;
  const log = deps.logger.child({ repository: ref.repository, digest: ref.digest, eventId: event.eventId });
  const trigger: GateTrigger = { kind: 'restored', id: event.eventId, time: event.time };

  const decided = await decideImage(deps, ref, trigger);
  if (decided.outcome !== 'not-ready') return decided;

  // No verdict yet: pending, so the sweep decides it should the scan event be lost; no longer archived.
  // Until it is decided, statuses from before the restore are "not ready" for every trigger (sweep included).
  await updateLedgerRecord(deps, ref, (record) =>
    record.state === 'pending' && record.restoredAt
      ? null
      : {
          ...record,
          state: 'pending',
          pendingSince: deps.now().toISOString(),
          archivedByGatekeeper: false,
          restoredAt: deps.now().toISOString(),
          expiresAt: null,
        },
  );
  if (isIndexMediaType(event.manifestMediaType ?? '')) {
    // An index is decided from its children, which have restore events of their own.
    return { ...decided, outcome: 'pending' };
  }
  const ensured = await ensureScan(deps, ref, trigger, log, RESCANS_RESTORED);
  if (ensured.outcome !== 'pending') return ensured;
  let notified: string | null = null;
  if (ensured.detail?.startsWith('scan limit reached')) {
    const alert = await publishAlert(deps, {
      kind: 'scan-not-started',
      image: ref,
      tagsBefore: decided.tagsBefore,
      tagsAfter: decided.tagsAfter,
      tags: [],
      detail: `The image was restored from the archive, but its scan result (${decided.detail}) predates the restore and ECR refused a new scan: one scan per image per 24 hours. The image stays pending with its current tags (no approved tag) until a scan completes.`,
      decision: null,
    });
    notified = alert.subject;
  }
  log.info('restored image: no usable scan yet; pending until its new scan', {
    why: decided.detail,
    scan: ensured.detail,
  });
  return {
    ...ensured,
    detail: `${decided.detail}; ${ensured.detail}`,
    tagsBefore: decided.tagsBefore,
    tagsAfter: decided.tagsAfter,
    notified,
  };
}
