import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  matchesScanFilter,
  needsRepositoryScanOnPush,
  type RegistryScanningConfiguration,
  resolveRepositoryScanning,
} from '../../../lib/registry/scanning.ts';

describe('matchesScanFilter (ECR User Guide filter table)', () => {
  const names = ['prod', 'repo-prod', 'prod-repo', 'repo-prod-repo', 'prodrepo'];
  it.each<[string, boolean[]]>([
    ['prod', [true, true, true, true, true]],
    ['*prod', [true, true, false, false, false]],
    ['prod*', [true, false, true, false, true]],
    ['*prod*', [true, true, true, true, true]],
    ['prod*repo', [false, false, true, false, true]],
  ])('filter %s', (filter, expected) => {
    expect(names.map((name) => matchesScanFilter(filter, name))).toEqual(expected);
  });

  it.each<[string, string, boolean]>([
    ['*', 'anything/at/all', true],
    ['a*a', 'a', false],
    ['a*a', 'aa', true],
    ['team/*/api', 'team/x/y/api', true],
    ['team/*/api', 'team/api', false],
    ['**', 'x', true],
  ])('%s vs %s → %s', (filter, name, expected) => {
    expect(matchesScanFilter(filter, name)).toBe(expected);
  });

  it('is linear on hostile filters', () => {
    const started = performance.now();
    expect(matchesScanFilter(`${'*a'.repeat(100)}b`, 'a'.repeat(200))).toBe(false);
    expect(performance.now() - started).toBeLessThan(50);
  });
});

describe('resolveRepositoryScanning', () => {
  const fixture = JSON.parse(
    readFileSync(
      join(import.meta.dirname, '../../fixtures/aws/ecr-get-registry-scanning-configuration-enhanced.json'),
      'utf8',
    ),
  );
  const enhanced: RegistryScanningConfiguration = {
    scanType: fixture.scanningConfiguration.scanType,
    rules: fixture.scanningConfiguration.rules.map(
      (r: { scanFrequency: string; repositoryFilters: unknown[] }) => ({
        scanFrequency: r.scanFrequency,
        filters: r.repositoryFilters,
      }),
    ),
  };

  it.each([
    ['team/prod-api', 'CONTINUOUS_SCAN'],
    ['prod', 'CONTINUOUS_SCAN'],
    ['team/dev-api', 'SCAN_ON_PUSH'],
  ])('enhanced fixture: %s → %s (continuous wins over scan on push)', (repository, frequency) => {
    expect(resolveRepositoryScanning(enhanced, repository, null)).toEqual({
      scanType: 'ENHANCED',
      frequency,
    });
  });

  it('enhanced with no matching filter is not scanned (MANUAL)', () => {
    const config: RegistryScanningConfiguration = {
      scanType: 'ENHANCED',
      rules: [{ scanFrequency: 'SCAN_ON_PUSH', filters: [{ filter: 'team-a/*', filterType: 'WILDCARD' }] }],
    };
    expect(resolveRepositoryScanning(config, 'team-b/api', true)).toEqual({
      scanType: 'ENHANCED',
      frequency: 'MANUAL',
    });
    expect(needsRepositoryScanOnPush(config, 'team-b/api')).toBe(false);
  });

  it.each<[string, RegistryScanningConfiguration['rules'], boolean | null, string, boolean]>([
    [
      'a matching rule',
      [{ scanFrequency: 'SCAN_ON_PUSH', filters: [{ filter: '*', filterType: 'WILDCARD' }] }],
      false,
      'SCAN_ON_PUSH',
      false,
    ],
    ['no rule, repository scanOnPush', [], true, 'SCAN_ON_PUSH', true],
    ['no rule, no repository scanOnPush', [], false, 'MANUAL', true],
    [
      'a rule for other repositories',
      [{ scanFrequency: 'SCAN_ON_PUSH', filters: [{ filter: 'other', filterType: 'WILDCARD' }] }],
      null,
      'MANUAL',
      true,
    ],
  ])('basic with %s', (_name, rules, scanOnPush, frequency, needsLookup) => {
    const config: RegistryScanningConfiguration = { scanType: 'BASIC', rules };
    expect(resolveRepositoryScanning(config, 'demo/web', scanOnPush)).toEqual({
      scanType: 'BASIC',
      frequency,
    });
    expect(needsRepositoryScanOnPush(config, 'demo/web')).toBe(needsLookup);
  });
});
