/** ECR Image Action (PUSH, SUCCESS) → record pending, ensure a scan, catch spoofed decision tags. Wiring only: the flow lives in lib/gate. */
import middy from '@middy/core';
import { handleGateEvent } from '../lib/gate/handle-event.ts';
import { getGateDependencies } from '../lib/wiring/gate-dependencies.ts';

export const handler = middy().handler(async (event: unknown) =>
  handleGateEvent(await getGateDependencies(), 'image-pushed', ['image-pushed'], event),
);
