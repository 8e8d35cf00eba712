/** ECR Image Scan (basic scanning) → decide the image. Wiring only: the flow lives in lib/gate. */
import middy from '@middy/core';
import { handleGateEvent } from '../lib/gate/handle-event.ts';
import { getGateDependencies } from '../lib/wiring/gate-dependencies.ts';

export const handler = middy().handler(async (event: unknown) =>
  handleGateEvent(await getGateDependencies(), 'basic-scan-completed', ['scan-completed'], event),
);
