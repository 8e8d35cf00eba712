/** ECR Image Scan (basic scanning) → scan-completed for the image in `repository-name` + `image-digest`. */
import { type Envelope, imageRef } from './event-fields.ts';
import type { ScanCompletedEvent } from './gatekeeper-event.ts';
import { scanCompleted } from './scan-completed.ts';

export function parseBasicScan(envelope: Envelope): ScanCompletedEvent {
  const { detail } = envelope;
  const image = imageRef(
    envelope,
    envelope.account,
    envelope.region,
    detail,
    'repository-name',
    'image-digest',
  );
  return scanCompleted(envelope, 'basic', image);
}
