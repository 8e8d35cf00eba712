/** Nightly registry snapshot for `gatekeeper policy impact`. Wiring only: the flow lives in lib/registry-snapshot. */
import { takeRegistrySnapshot } from '../lib/registry-snapshot/index.ts';
// AWS wiring, deliberately not in the module entry (it builds the ECR, DynamoDB, S3 and Inspector clients).
import { snapshotHandler } from '../lib/wiring/snapshot-dependencies.ts';

export const handler = snapshotHandler((deps) => takeRegistrySnapshot(deps));
