/**
 * The scheduled registry snapshot: every image in scope with what a verdict needs, written nightly to the
 * stack's S3 bucket for `gatekeeper policy impact` (docs/cli.md "Registry snapshots"). The flow works on ports
 * (registry, ledger, snapshot store); the S3 adapter and its client factory are here too, called by lib/wiring.
 */
// The store port is declared with the format (lib/snapshot); re-exported for the wiring.
export type { SnapshotObject, SnapshotStore } from '../snapshot/index.ts';
export { SnapshotStoreError } from './errors.ts';
export { createS3Client, S3_CLIENT_DEFAULTS, S3SnapshotStore } from './s3-snapshot-store.ts';
export {
  type RegistrySnapshotDependencies,
  type RegistrySnapshotResult,
  type RegistrySnapshotSettings,
  type SnapshotUsageSource,
  takeRegistrySnapshot,
} from './take-snapshot.ts';
