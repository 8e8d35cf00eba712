/** Inspector2 Finding for an ECR image → re-evaluate the image (bursts coalesced). Wiring only: the flow lives in lib/gate. */
import { handleGateEvent } from '../lib/gate/handle-event.ts';
import { gateHandler } from '../lib/wiring/gate-dependencies.ts';

export const handler = gateHandler((deps, event) =>
  handleGateEvent(deps, 'finding-changed', ['finding-changed'], event),
);
