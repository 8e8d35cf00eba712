/** `gatekeeper evaluate` and `policy test` judge a digest by the strictest of its tags, as the gate does. */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AWS, NOW, run } from './support.ts';

/** The basic-scan fixture (one MEDIUM finding, CVE-2019-5188 in e2fsprogs) as ECR returns it for orders/api. */
function basicFindings(): string {
  const json = JSON.parse(readFileSync(`${AWS}/ecr-describe-image-scan-findings-basic.json`, 'utf8'));
  json.repositoryName = 'orders/api';
  const file = join(mkdtempSync(join(tmpdir(), 'gk-findings-')), 'basic.json');
  writeFileSync(file, JSON.stringify(json));
  return file;
}

/** default quarantines any MEDIUM; `legacy-*` tags waive it; `dev-*` tags select an audit policy. */
function policies(): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'gk-tags-')), 'policies');
  mkdirSync(join(dir, 'tests'), { recursive: true });
  const file = (rel: string, text: string) => writeFileSync(join(dir, rel), text);
  file(
    'default.yaml',
    `apiVersion: gatekeeper/v1
kind: Policy
name: default
default: true
rules:
  maxSeverity: { MEDIUM: 0 }
  image: { runsAsRoot: deny }
`,
  );
  file(
    'dev.yaml',
    `apiVersion: gatekeeper/v1
kind: Policy
name: dev
mode: audit
match: { repositories: ['*'], tags: ['dev-*'] }
rules:
  image: { requiredLabels: [team] }
`,
  );
  file(
    'exceptions.yaml',
    `apiVersion: gatekeeper/v1
kind: Exceptions
exceptions:
  - id: legacy-e2fsprogs
    finding: CVE-2019-5188
    reason: legacy images are being retired
    owner: platform@example.com
    expires: 2027-01-31
    scope: { tags: ['legacy-*'] }
`,
  );
  copyFileSync(basicFindings(), join(dir, 'tests', 'basic.json'));
  file(
    'tests/tags.yaml',
    `apiVersion: gatekeeper/v1
kind: PolicyTest
cases:
  - name: a legacy tag alone is waived
    now: ${NOW}
    findings: basic.json
    image: { repository: orders/api, tags: [legacy-zzz] }
    expect: { verdict: approved, policy: default, waived: [CVE-2019-5188] }
  - name: a legacy tag added to a release digest does not waive it
    now: ${NOW}
    findings: basic.json
    image: { repository: orders/api, tags: ['1.4.0', legacy-zzz] }
    expect: { verdict: quarantined, policy: default, violations: [maxSeverity.MEDIUM], waived: [] }
  - name: a dev tag added to a release digest does not select the audit policy for it
    now: ${NOW}
    findings: basic.json
    image: { repository: orders/api, tags: [dev-1, '1.4.0'] }
    expect: { verdict: quarantined, policy: default, mode: enforce }
`,
  );
  return dir;
}

describe('tags never loosen a verdict, in the CLI', () => {
  it('evaluate: a legacy tag added to a release digest leaves it quarantined, and says which tag governed', async () => {
    const dir = policies();
    const evaluate = (...tags: string[]) =>
      run([
        'evaluate',
        '--findings',
        basicFindings(),
        '--repository',
        'orders/api',
        ...tags.flatMap((t) => ['--tag', t]),
        '--policies',
        dir,
        '--now',
        NOW,
        '--output',
        'json',
      ]);
    const alone = await evaluate('legacy-zzz');
    expect([alone.code, JSON.parse(alone.stdout).verdict]).toEqual([0, 'approved']);

    const added = await evaluate('1.4.0', 'legacy-zzz');
    const decision = JSON.parse(added.stdout);
    expect(added.code).toBe(1);
    expect(decision.verdict).toBe('quarantined');
    expect(decision.image.tags).toEqual(['1.4.0', 'legacy-zzz']);
    expect(decision.waived).toEqual([]);
    expect(decision.governingTags).toEqual(['1.4.0']);
    expect(decision.perTag.map((j: { tags: string[]; verdict: string }) => [j.tags, j.verdict])).toEqual([
      [['1.4.0'], 'quarantined'],
      [['legacy-zzz'], 'approved'],
    ]);
  });

  it('evaluate: image rules left unchecked are named for every policy that judged a tag', async () => {
    const out = await run([
      'evaluate',
      '--findings',
      basicFindings(),
      '--repository',
      'orders/api',
      '--tag',
      '1.4.0',
      '--tag',
      'dev-1',
      '--policies',
      policies(),
      '--now',
      NOW,
      '--output',
      'json',
    ]);
    expect([out.code, JSON.parse(out.stdout).policy.name]).toEqual([1, 'default']);
    expect(out.stderr).toBe(
      'gatekeeper: warning: image rules not checked (no --image-facts given): image.runsAsRoot, image.requiredLabels\n',
    );
  });

  it('policy test runs its cases through the same judgement', async () => {
    const out = await run(['policy', 'test', policies()]);
    expect(out.stdout).toContain('3 passed, 0 failed');
    expect(out.code).toBe(0);
  });
});
