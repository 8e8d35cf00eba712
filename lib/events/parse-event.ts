/**
 * EventBridge payload → typed {@link GatekeeperEvent}. Every field the gate relies on is checked, so the rest of
 * the code works on validated values: a digest is always `sha256:` + 64 lowercase hex, a repository always a
 * plain ECR name, the registry id and Region always well-formed. Anything else is an {@link InvalidEventError}
 * naming the event id and the field, and nothing is written to AWS.
 *
 * This file is the dispatch: the envelope is checked in envelope.ts, then each detail-type has its own parser
 * (ecr-image-action.ts, ecr-image-scan.ts, inspector2-scan.ts, inspector2-finding.ts) built on the shared field
 * readers of event-fields.ts.
 *
 * Real shapes accepted (test/fixtures/aws): `image-tags: []`, absent or partial `finding-severity-counts`,
 * `TOTAL` larger than the listed counts, an ARN as `repository-name` (Inspector2 Scan), repository names
 * containing `/` (split on the LAST `/sha256:`), free-form Inspector dates, unknown extra fields.
 */
import { parseImageAction } from './ecr-image-action.ts';
import { parseBasicScan } from './ecr-image-scan.ts';
import { parseEnvelope } from './envelope.ts';
import { type Envelope, ignored } from './event-fields.ts';
import type { GatekeeperEvent } from './gatekeeper-event.ts';
import { parseInspectorFinding } from './inspector2-finding.ts';
import { parseEnhancedScan } from './inspector2-scan.ts';

export { MAX_EVENT_BYTES } from './envelope.ts';

interface DetailType {
  /** The only EventBridge `source` allowed to send it. */
  readonly source: string;
  /** Its parser; absent for documented AWS detail-types that are well-formed but not for the gate (`ignored`). */
  readonly parse?: (envelope: Envelope) => GatekeeperEvent;
}

/** Every detail-type the gatekeeper knows; any other is an invalid event. */
const DETAIL_TYPES: ReadonlyMap<string, DetailType> = new Map<string, DetailType>([
  ['ECR Image Action', { source: 'aws.ecr', parse: parseImageAction }],
  ['ECR Image Scan', { source: 'aws.ecr', parse: parseBasicScan }],
  ['Inspector2 Scan', { source: 'aws.inspector2', parse: parseEnhancedScan }],
  ['Inspector2 Finding', { source: 'aws.inspector2', parse: parseInspectorFinding }],
  ['ECR Replication Action', { source: 'aws.ecr' }],
  ['ECR Artifact Action', { source: 'aws.ecr' }],
  ['ECR Referrer Action', { source: 'aws.ecr' }],
  ['ECR Scan Resource Change', { source: 'aws.ecr' }],
  ['ECR Pull Through Cache Action', { source: 'aws.ecr' }],
  ['Inspector2 Coverage', { source: 'aws.inspector2' }],
  ['Inspector2 AutoEnable', { source: 'aws.inspector2' }],
]);

/**
 * Parses and validates one EventBridge event (an object, or its JSON text).
 *
 * @throws InvalidEventError naming the event id and the field when the event cannot be used.
 * @example
 *   const event = parseEvent(JSON.parse(readFileSync('events/ecr-image-push.json', 'utf8')));
 *   if (event.kind === 'image-pushed') console.log(imageKey(event.image), event.tag);
 */
export function parseEvent(raw: unknown): GatekeeperEvent {
  const envelope = parseEnvelope(raw, (detailType) => DETAIL_TYPES.get(detailType)?.source);
  const parse = DETAIL_TYPES.get(envelope.detailType)?.parse;
  return parse
    ? parse(envelope)
    : ignored(envelope, `detail-type "${envelope.detailType}" is not handled by the gatekeeper`);
}
