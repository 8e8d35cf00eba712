/**
 * The real bin, spawned (`node bin/gatekeeper.js …`): each findings response among the AWS fixtures gives the
 * contract object with exit 0 (approved) or 1 (quarantined); bad input gives exit 2 naming the file.
 * Spawns run in parallel and are kept few (each costs about half a second).
 */
import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { AWS, NOW, ROOT } from './support.ts';

interface Spawned {
  code: number;
  stdout: string;
  stderr: string;
}

function gatekeeper(args: string[]): Promise<Spawned> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['bin/gatekeeper.js', ...args],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? '', NO_COLOR: '1' }, timeout: 30_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const evaluateJson = (file: string, extra: string[] = []) =>
  gatekeeper(['evaluate', '--findings', `${AWS}/${file}`, '--output', 'json', '--now', NOW, ...extra]);

describe('gatekeeper bin', () => {
  it('prints the decision contract for every findings response and exits 0 approved / 1 quarantined', async () => {
    const [basic, enhanced, centos, inspector, bad] = await Promise.all([
      evaluateJson('ecr-describe-image-scan-findings-basic.json'),
      evaluateJson('ecr-describe-image-scan-findings-enhanced-active.json', ['--tag', '1.0.0']),
      evaluateJson('ecr-describe-image-scan-findings-enhanced-centos8.json'),
      evaluateJson('inspector2-list-findings-ecr-image.json', ['--tag', '2.0.0']),
      evaluateJson('ecr-image-scan-complete-real-event.json'),
    ]);

    const version = JSON.parse(basic.stdout).policy.version as string;
    expect(version).toMatch(/^sha256:[0-9a-f]{64}$/);
    const policy = { name: 'default', file: 'policies/default.yaml', version, mode: 'enforce' };
    const summary = (counts: Record<string, number>) => ({
      CRITICAL: 0,
      HIGH: 0,
      MEDIUM: 0,
      LOW: 0,
      INFORMATIONAL: 0,
      UNDEFINED: 0,
      ...counts,
    });

    // The default policy's image rules need facts: without --image-facts they are named on stderr, one line.
    expect([basic.code, basic.stderr]).toEqual([
      0,
      'gatekeeper: warning: image rules not checked (no --image-facts given): image.runsAsRoot, image.maxSizeBytes\n',
    ]);
    expect(JSON.parse(basic.stdout)).toEqual({
      verdict: 'approved',
      image: {
        repository: 'sample-repo',
        tags: [],
        digest: 'sha256:74b2c688c700ec95a93e478cdb959737c148df3fbf5ea706abe0318726e885e6',
      },
      policy,
      summary: summary({ MEDIUM: 1 }),
      violations: [],
      waived: [],
    });

    // HIGH without a fix passes the fixable-only gate; the versioned tag passes latestAlone.
    expect([enhanced.code, JSON.parse(enhanced.stdout).verdict, JSON.parse(enhanced.stdout).summary]).toEqual(
      [0, 'approved', summary({ HIGH: 1 })],
    );

    // Tags come from the file when --tag is not given: "latest" alone is refused.
    expect(centos.code).toBe(1);
    expect(JSON.parse(centos.stdout)).toMatchObject({
      verdict: 'quarantined',
      // The repository comes from the finding's resource: an ECR file's repository is never overridden.
      image: {
        repository: 'image-scanning-workload-blueprint-imagescanningrepository754c6116-arh0wk3afnkw',
        tags: ['latest'],
      },
      summary: summary({ MEDIUM: 1 }),
      violations: [{ rule: 'image.latestAlone', findingId: null, severity: null, package: null }],
    });

    // The only Inspector finding is CLOSED: nothing active to hold against the image.
    expect([
      inspector.code,
      JSON.parse(inspector.stdout).verdict,
      JSON.parse(inspector.stdout).summary,
    ]).toEqual([0, 'approved', summary({})]);

    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(
      /^gatekeeper: test\/fixtures\/aws\/ecr-image-scan-complete-real-event\.json: expected an ECR DescribeImageScanFindings response .* got an object with keys "version", "id", "detail-type"/,
    );
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
  });
});
