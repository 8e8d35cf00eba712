/** Inspector2 Finding for an ECR image → re-evaluate the image (bursts coalesced). Wiring only: the flow lives in lib/gate. */
import middy from '@middy/core';
import { getGateDependencies } from '../lib/gate/dependencies.ts';
import { handleGateEvent } from '../lib/gate/handle-event.ts';

export const handler = middy().handler(async (event: unknown) =>
  handleGateEvent(await getGateDependencies(), 'finding-changed', ['finding-changed'], event),
);
