/** ECR Image Scan (basic scanning) → decide the image. Wiring only: the flow lives in lib/gate. */
import middy from '@middy/core';
import { getGateDependencies } from '../lib/gate/dependencies.ts';
import { handleGateEvent } from '../lib/gate/handle-event.ts';

export const handler = middy().handler(async (event: unknown) =>
  handleGateEvent(await getGateDependencies(), 'basic-scan-completed', ['scan-completed'], event),
);
