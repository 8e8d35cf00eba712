/**
 * Scanning as the hygiene plan sees it. Resolution per repository is the registry module's
 * (`resolveRepositoryScanning`, ECR's documented filter semantics); this file reads the offline dump's
 * GetRegistryScanningConfiguration response and orders frequencies by strength.
 */
import { isRecord } from '../findings/json-reader.ts';
import type { RegistryScanningConfiguration, ScanFrequency } from '../registry/registry.ts';

const STRENGTH: Record<ScanFrequency, number> = { MANUAL: 0, SCAN_ON_PUSH: 1, CONTINUOUS_SCAN: 2 };

/** MANUAL < SCAN_ON_PUSH < CONTINUOUS_SCAN: continuous scanning also satisfies "scan on push". */
export function scanningStrength(frequency: ScanFrequency): number {
  return STRENGTH[frequency];
}

/** Reads a GetRegistryScanningConfiguration response; returns a problem (path: message) instead of throwing. */
export function registryScanningFromJson(json: unknown): {
  config: RegistryScanningConfiguration | null;
  problem: string | null;
} {
  const sc = isRecord(json) ? json.scanningConfiguration : undefined;
  if (!isRecord(sc)) return { config: null, problem: 'scanningConfiguration: expected an object' };
  if (sc.scanType !== 'BASIC' && sc.scanType !== 'ENHANCED') {
    return { config: null, problem: 'scanningConfiguration.scanType: must be BASIC or ENHANCED' };
  }
  const rawRules = sc.rules ?? [];
  if (!Array.isArray(rawRules))
    return { config: null, problem: 'scanningConfiguration.rules: expected a list' };
  const rules: { scanFrequency: ScanFrequency; filters: { filter: string; filterType: 'WILDCARD' }[] }[] = [];
  for (const [i, rule] of rawRules.entries()) {
    const frequency = isRecord(rule) ? rule.scanFrequency : undefined;
    if (frequency !== 'SCAN_ON_PUSH' && frequency !== 'CONTINUOUS_SCAN' && frequency !== 'MANUAL') {
      return {
        config: null,
        problem: `scanningConfiguration.rules[${i}].scanFrequency: must be SCAN_ON_PUSH, CONTINUOUS_SCAN or MANUAL`,
      };
    }
    const filters = isRecord(rule) && Array.isArray(rule.repositoryFilters) ? rule.repositoryFilters : [];
    const out: { filter: string; filterType: 'WILDCARD' }[] = [];
    for (const [j, f] of filters.entries()) {
      if (!isRecord(f) || typeof f.filter !== 'string' || (f.filterType ?? 'WILDCARD') !== 'WILDCARD') {
        return {
          config: null,
          problem: `scanningConfiguration.rules[${i}].repositoryFilters[${j}]: expected { filter: string, filterType: WILDCARD }`,
        };
      }
      out.push({ filter: f.filter, filterType: 'WILDCARD' });
    }
    rules.push({ scanFrequency: frequency, filters: out });
  }
  return { config: { scanType: sc.scanType, rules }, problem: null };
}
