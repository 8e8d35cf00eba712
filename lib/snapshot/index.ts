/**
 * Registry snapshots: every decided image with what a verdict needs, for `gatekeeper policy impact` (reader) and
 * the nightly sweep (writer). Format: format.ts and registry-snapshot.schema.json; docs/cli.md "Registry snapshots".
 */
export {
  FINDING_FIELDS,
  type FindingTuple,
  SNAPSHOT_FORMAT,
  SNAPSHOT_LIMITS,
  type SnapshotEnd,
  type SnapshotHeader,
  type SnapshotImage,
  type SnapshotInUse,
  type SnapshotRecorded,
  type SnapshotScan,
  type SnapshotSource,
} from './format.ts';
export { findingOf, parseHeaderLine, parseImageLine, readSnapshot, type SnapshotReading } from './read.ts';
export { type SnapshotObject, type SnapshotStore, snapshotKeys } from './store.ts';
export {
  findingTuple,
  type SnapshotImageInput,
  type SnapshotSink,
  snapshotEndLine,
  snapshotHeaderLine,
  snapshotLine,
  writeSnapshot,
} from './write.ts';
