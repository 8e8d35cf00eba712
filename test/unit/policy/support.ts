/** Builders for policy tests: findings, images and checked policy sets from plain documents. */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Finding } from '../../../lib/findings/finding.ts';
import { byFileThen, policySetVersion } from '../../../lib/policy/canonical.ts';
import { checkException, checkPolicy } from '../../../lib/policy/check.ts';
import { Checker } from '../../../lib/policy/checker.ts';
import type { ImageUnderTest } from '../../../lib/policy/decision.ts';
import { formatProblem, type PolicyProblem } from '../../../lib/policy/errors.ts';
import {
  type ExceptionDefinition,
  POLICY_SET_FORMAT,
  type PolicyDefinition,
  type PolicySet,
} from '../../../lib/policy/policy-set.ts';
import { checkSetLevel } from '../../../lib/policy/set-level.ts';

export const NOW = new Date('2026-11-23T12:00:00Z');

export function finding(overrides: Partial<Finding> = {}): Finding {
  return {
    id: 'CVE-2024-0001',
    severity: 'HIGH',
    score: 7.5,
    epss: null,
    fixAvailable: 'YES',
    exploitAvailable: null,
    package: 'openssl',
    version: '3.0.11',
    fixedIn: '3.0.12',
    url: null,
    title: null,
    source: 'ecr-enhanced',
    ...overrides,
  };
}

export function image(overrides: Partial<ImageUnderTest> = {}): ImageUnderTest {
  return { repository: 'orders/api', tags: ['1.0.0'], digest: null, ...overrides };
}

export const DEFAULT_POLICY = {
  apiVersion: 'gatekeeper/v1',
  kind: 'Policy',
  name: 'default',
  default: true,
  rules: {},
};

/** A checked PolicySet from documents keyed by file; throws with every problem when one is invalid. */
export function policySet(
  policies: Record<string, unknown>,
  exceptions: Record<string, readonly unknown[]> = {},
): PolicySet {
  const problems: PolicyProblem[] = [];
  const defs: PolicyDefinition[] = [];
  const excs: ExceptionDefinition[] = [];
  for (const [file, doc] of Object.entries(policies)) {
    const p = checkPolicy(new Checker(file, problems), doc, file);
    if (p) defs.push(p);
  }
  for (const [file, list] of Object.entries(exceptions)) {
    list.forEach((e, i) => {
      const ex = checkException(new Checker(file, problems), e, `exceptions[${i}]`, file);
      if (ex) excs.push(ex);
    });
  }
  checkSetLevel(
    problems,
    defs,
    excs,
    { policy: (p) => ({ file: p.file, path: '' }), exception: (e) => ({ file: e.file, path: '' }) },
    'set',
  );
  const errors = problems.filter((p) => p.level === 'error');
  if (errors.length > 0) throw new Error(errors.map(formatProblem).join('\n'));
  return {
    format: POLICY_SET_FORMAT,
    root: 'policies',
    version: policySetVersion(defs, excs),
    policies: defs.sort(byFileThen((p) => p.name)),
    exceptions: excs.sort(byFileThen((e) => e.id)),
  };
}

export function exception(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'waive-cve-2024-0001',
    finding: 'CVE-2024-0001',
    reason: 'not reachable',
    owner: 'team-a@example.com',
    expires: '2027-01-31',
    ...overrides,
  };
}

/** Writes files (relative path → text) into a fresh temporary `policies` directory and returns its path. */
export async function policyDir(files: Record<string, string>): Promise<string> {
  const root = join(await mkdtemp(join(tmpdir(), 'gk-policy-')), 'policies');
  await mkdir(root, { recursive: true });
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, rel)), { recursive: true });
    await writeFile(join(root, rel), text);
  }
  return root;
}

export const DEFAULT_YAML = `apiVersion: gatekeeper/v1
kind: Policy
name: default
default: true
rules:
  maxSeverity:
    CRITICAL: 0
`;
