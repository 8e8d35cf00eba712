/** Inspector2 Scan for an ECR image (enhanced scanning) → decide the image. Wiring only: the flow lives in lib/gate. */
import { handleGateEvent } from '../lib/gate/handle-event.ts';
import { gateHandler } from '../lib/wiring/gate-dependencies.ts';

export const handler = gateHandler((deps, event) =>
  handleGateEvent(deps, 'enhanced-scan-completed', ['scan-completed'], event),
);
