/** ECR Image Action (PUSH, SUCCESS) → record pending, ensure a scan, catch spoofed decision tags. Wiring only: the flow lives in lib/gate. */
import { handleGateEvent } from '../lib/gate/handle-event.ts';
import { gateHandler } from '../lib/wiring/gate-dependencies.ts';

export const handler = gateHandler((deps, event) =>
  handleGateEvent(deps, 'image-pushed', ['image-pushed'], event),
);
