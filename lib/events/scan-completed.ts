/** The scan-completed event both scan detail-types (ECR Image Scan, Inspector2 Scan) produce for their image. */
import { InvalidEventError } from './errors.ts';
import { base, type Envelope, isObject, requireToken, TOKEN, tagList } from './event-fields.ts';
import type { ScanCompletedEvent } from './gatekeeper-event.ts';
import type { ImageRef } from './image-ref.ts';
import { quote } from './quote.ts';

export function scanCompleted(
  envelope: Envelope,
  scanner: 'basic' | 'enhanced',
  image: ImageRef,
): ScanCompletedEvent {
  const { id, detail } = envelope;
  return {
    kind: 'scan-completed',
    ...base(envelope),
    scanner,
    image,
    tags: tagList(id, detail['image-tags'], 'detail.image-tags'),
    scanStatus: requireToken(id, detail, 'scan-status'),
    severityCountsHint: severityCounts(id, detail['finding-severity-counts']),
  };
}

/** Counts are a hint: absent → {}, zero or missing severities fine, TOTAL may exceed the listed sum. */
function severityCounts(id: string, value: unknown): Readonly<Record<string, number>> {
  const field = 'detail.finding-severity-counts';
  if (value === undefined || value === null) return {};
  if (!isObject(value)) throw new InvalidEventError(id, field, 'must be an object of severity → count');
  const counts: Record<string, number> = {};
  for (const [severity, count] of Object.entries(value)) {
    if (!TOKEN.test(severity))
      throw new InvalidEventError(
        id,
        field,
        `has a key that is not a severity name (got ${quote(severity)})`,
      );
    if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0) {
      throw new InvalidEventError(
        id,
        `${field}.${severity}`,
        `must be a non-negative integer (got ${quote(count)})`,
      );
    }
    counts[severity] = count;
  }
  return counts;
}
