/** Public entry of lib/registry: the ports, the ECR adapter, its client factory, manifests and errors. */
export { createEcrClient, ECR_CLIENT_DEFAULTS, type EcrClientOptions } from './ecr-client.ts';
export { EcrRegistry, type EcrRegistryOptions, type RegistryLogger } from './ecr-registry.ts';
export {
  classifyRegistryError,
  errorCode,
  ImageFactsUnavailableError,
  ManifestDigestMismatchError,
  RegistryError,
  type RegistryErrorKind,
  RegistryRejectedError,
  RegistryUnavailableError,
  toRegistryError,
} from './errors.ts';
export {
  ACCEPTED_MANIFEST_MEDIA_TYPES,
  type ChildManifest,
  childManifests,
  imageManifestSize,
  isIndexMediaType,
  MEDIA_TYPES,
  manifestDigest,
  type ParsedManifest,
  type Platform,
  parseManifest,
  verifyManifestDigest,
} from './manifest.ts';
export type {
  ImageSummary,
  PutTagOutcome,
  Registry,
  RegistryAdmin,
  RepositoryScanning,
  RepositorySummary,
  ScanResult,
  ScanStatus,
  StartScanOutcome,
  StoredManifest,
} from './registry.ts';
export { SCAN_STATUSES } from './registry.ts';
export {
  matchesScanFilter,
  type RegistryScanningConfiguration,
  resolveRepositoryScanning,
  type ScanFrequency,
  type ScanningRule,
} from './scanning.ts';
