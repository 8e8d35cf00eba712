/**
 * GitHub workflows: valid YAML with the structure the project relies on (jobs, steps, least permissions,
 * actions pinned to full commit SHAs), plus the policy-summary renderer used on policy pull requests.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
// @ts-expect-error: plain ES module without type declarations (.github/scripts is JavaScript).
import { renderSummary, repositoriesFromTests } from '../../.github/scripts/policy-summary.mjs';
import { ROOT } from './support/packaged.ts';

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  if?: string;
  env?: Record<string, string>;
}
interface Job {
  'runs-on': string;
  permissions?: Record<string, string>;
  strategy?: { matrix?: Record<string, unknown[]> };
  steps: Step[];
  environment?: string;
}
interface Workflow {
  name: string;
  on: Record<string, unknown>;
  permissions: Record<string, string>;
  jobs: Record<string, Job>;
}

function workflow(file: string): Workflow {
  return parse(readFileSync(join(ROOT, '.github', 'workflows', file), 'utf8'), {
    uniqueKeys: true,
  }) as Workflow;
}

const runs = (job: Job) => job.steps.map((s) => s.run ?? '').join('\n');

describe.each(['pull-request.yml', 'deploy.yml'])('%s', (file) => {
  const wf = workflow(file);

  it('defaults to read-only repository access', () => {
    expect(wf.permissions).toEqual({ contents: 'read' });
  });

  it('pins every action to a full commit SHA', () => {
    for (const job of Object.values(wf.jobs)) {
      for (const step of job.steps.filter((s) => s.uses)) {
        expect(step.uses, step.uses).toMatch(/^[\w.-]+\/[\w.-]+(\/[\w.-]+)*@[0-9a-f]{40}$/);
      }
    }
  });

  it('checks out without persisting the token', () => {
    for (const job of Object.values(wf.jobs)) {
      const checkout = job.steps.find((s) => s.uses?.startsWith('actions/checkout@'));
      expect(checkout?.with?.['persist-credentials']).toBe(false);
    }
  });
});

describe('pull request workflow', () => {
  const wf = workflow('pull-request.yml');
  const checks = wf.jobs.checks as Job;

  it('runs on pull requests to main on Node 20 and 22', () => {
    expect(wf.on).toEqual({ pull_request: { branches: ['main'] } });
    expect(checks.strategy?.matrix?.node).toEqual([20, 22]);
  });

  it('installs, lints, typechecks, tests, builds the CLI, validates and tests policies with it, packages and checks the template, in order', () => {
    const commands = checks.steps.map((s) => s.run).filter(Boolean);
    expect(commands).toEqual([
      'npm ci',
      'npm run lint',
      'npm run typecheck',
      'npm test',
      'npm run build:cli',
      'npx gatekeeper policy validate policies',
      'npx gatekeeper policy test policies',
      'npm run package',
      'node scripts/template-checks/run.mjs .serverless/cloudformation-template-update-stack.json',
    ]);
  });

  it('holds no cloud credentials', () => {
    expect(JSON.stringify(wf)).not.toMatch(/configure-aws-credentials|id-token|secrets\./);
  });

  it('comments a policy summary only when policies/ change, with write access to pull requests only', () => {
    const summary = wf.jobs['policy-summary'] as Job;
    expect(summary.permissions).toEqual({ contents: 'read', 'pull-requests': 'write', actions: 'read' });
    expect(runs(summary)).toContain('git diff --quiet "$BASE_SHA" HEAD -- policies/');
    const comment = summary.steps.find((s) => s.uses?.startsWith('actions/github-script@'));
    expect(comment?.if).toBe("steps.changed.outputs.policies == 'true'");
    expect(String(comment?.with?.script)).toContain('gatekeeper-policy-summary');
  });
});

describe('pull request workflow: registry impact of a policy change', () => {
  const summary = workflow('pull-request.yml').jobs['policy-summary'] as Job;
  const step = (name: string) => {
    const found = summary.steps.find((s) => s.name === name);
    if (!found) throw new Error(`no step "${name}"`);
    return found;
  };
  const fetch = step('Fetch the registry snapshot');
  const impact = step('Registry impact of the policy change');
  const comment = step('Comment the registry impact on the pull request');

  it('reads the snapshot location from a repository variable and skips with a notice when it is unset', () => {
    expect(fetch.if).toBe("steps.changed.outputs.policies == 'true'");
    expect(fetch.env?.SNAPSHOT).toBe(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: GitHub Actions expression syntax
      '${{ vars.GATEKEEPER_SNAPSHOT }}',
    );
    expect(fetch.run).toContain('if [ -z "$SNAPSHOT" ]; then');
    expect(fetch.run).toMatch(/::notice title=policy impact::No registry snapshot configured/);
    expect(fetch.run).toContain('echo "file=" >> "$GITHUB_OUTPUT"');
    expect(fetch.run).toContain('actions/artifacts?name=$name');
  });

  it('runs policy impact base revision → head directory and only when a snapshot was found', () => {
    const when = "steps.changed.outputs.policies == 'true' && steps.snapshot.outputs.file != ''";
    expect(impact.if).toBe(when);
    expect(comment.if).toBe(when);
    expect(impact.run).toContain(
      'node bin/gatekeeper.js policy impact --base "$BASE_SHA" --head policies --snapshot "$SNAPSHOT_FILE" --output markdown > policy-impact.md',
    );
    expect(summary.steps.indexOf(fetch)).toBeLessThan(summary.steps.indexOf(impact));
    expect(summary.steps.indexOf(impact)).toBeLessThan(summary.steps.indexOf(comment));
  });

  it('posts the markdown as one comment, updated in place, through a pinned github-script', () => {
    expect(comment.uses).toMatch(/^actions\/github-script@[0-9a-f]{40}$/);
    const script = String(comment.with?.script);
    expect(script).toContain("readFileSync('policy-impact.md'");
    expect(script).toContain('<!-- gatekeeper-policy-impact -->');
    expect(script).toContain('updateComment');
  });
});

describe('deploy workflow', () => {
  const wf = workflow('deploy.yml');
  const deploy = wf.jobs.deploy as Job;

  it('deploys pushes to main through an OIDC role', () => {
    expect(wf.on).toHaveProperty('push', { branches: ['main'] });
    expect(deploy.permissions).toEqual({ contents: 'read', 'id-token': 'write' });
    const credentials = deploy.steps.find((s) =>
      s.uses?.startsWith('aws-actions/configure-aws-credentials@'),
    );
    // biome-ignore lint/suspicious/noTemplateCurlyInString: GitHub Actions expression syntax
    expect(credentials?.with?.['role-to-assume']).toBe('${{ vars.AWS_DEPLOY_ROLE_ARN }}');
    expect(JSON.stringify(credentials?.with)).not.toMatch(/aws-access-key-id|secret/);
  });

  it('validates policies and checks the template before credentials exist, then deploys that package', () => {
    const index = (predicate: (s: Step) => boolean) => deploy.steps.findIndex(predicate);
    const credentials = index((s) => s.uses?.startsWith('aws-actions/configure-aws-credentials@') ?? false);
    const validate = index((s) => s.run?.includes('gatekeeper policy validate policies') ?? false);
    const checks = index((s) => s.run?.includes('scripts/template-checks/run.mjs') ?? false);
    const release = index((s) => s.run?.includes('npx serverless deploy') ?? false);
    expect(validate).toBeGreaterThan(-1);
    expect(validate).toBeLessThan(checks);
    expect(checks).toBeLessThan(credentials);
    expect(credentials).toBe(release - 1);
    expect(deploy.steps[release]?.run).toContain('--stage "$STAGE"');
    expect(deploy.steps[release]?.run).toContain('--package .serverless');
  });
});

describe('policy summary', () => {
  it('finds the repositories of the policy test cases', () => {
    expect(
      repositoriesFromTests(["image: { repository: orders/api, tags: ['1'] }", "repository: 'payments/web'"]),
    ).toEqual(['orders/api', 'payments/web']);
    expect(repositoriesFromTests(['no cases'])).toEqual(['example']);
  });

  it('puts changed verdicts first and marks them', () => {
    const markdown: string = renderSummary({
      changedFiles: [{ status: 'M', file: 'policies/default.yaml' }],
      validate: { code: 0, stdout: 'ok', stderr: '' },
      tests: { code: 1, stdout: '', stderr: '1 case failed' },
      rows: [
        { findings: 'a.json', repository: 'orders/api', base: 'approved', head: 'approved' },
        { findings: 'b.json', repository: 'orders/api', base: 'approved', head: 'quarantined' },
      ],
    });
    expect(markdown).toContain('| M | `policies/default.yaml` |');
    expect(markdown).toContain('**policy test**: ❌ failed (exit 1)');
    expect(markdown).toContain('(1 changed of 2)');
    const rows = markdown.split('\n').filter((l) => l.startsWith('| `'));
    expect(rows[0]).toBe('| `b.json` | `orders/api` | approved | quarantined ⚠️ |');
  });
});
