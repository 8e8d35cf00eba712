import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../../lib/cli/main.ts';

function run(args: string[]) {
  let stdout = '';
  let stderr = '';
  const io = {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: {},
    cwd: process.cwd(),
  };
  return main(['replay', ...args], io).then((code) => ({ code, stdout, stderr }));
}

const SCAN = 'events/ecr-basic-scan-complete.json';
const BASIC = 'test/fixtures/aws/ecr-describe-image-scan-findings-basic.json';
const FACTS = 'scripts/demo-image-facts.json';

describe('gatekeeper replay', () => {
  it('prints the planned actions of an approval and exits 0', async () => {
    const { code, stdout } = await run([SCAN, '--findings', BASIC, '--image-facts', FACTS, '--dry-run']);
    expect(code).toBe(0);
    expect(stdout).toContain('outcome   decided: approved');
    expect(stdout).toContain('PutImage          tag approved-1.4.2');
    expect(stdout).toMatch(/SNS Publish {7}"\[gatekeeper\] APPROVED/);
  });

  it('fails closed without image facts when the policy has image rules (exit 1)', async () => {
    const { code, stdout } = await run([SCAN, '--findings', BASIC, '--dry-run']);
    expect(code).toBe(1);
    expect(stdout).toContain('violation image.facts');
  });

  it('plans the removal of the opposite decision tag, as JSON', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'replay-'));
    const page = JSON.parse(readFileSync(BASIC, 'utf8')) as {
      imageScanFindings: { findings: { severity: string }[] };
    };
    for (const f of page.imageScanFindings.findings) f.severity = 'CRITICAL';
    writeFileSync(join(dir, 'critical.json'), JSON.stringify(page));
    const { code, stdout } = await run([
      SCAN,
      '--findings',
      join(dir, 'critical.json'),
      '--image-facts',
      FACTS,
      '--tags',
      '1.4.2',
      '--output',
      'json',
      '--dry-run',
    ]);
    expect(code).toBe(1);
    const out = JSON.parse(stdout) as {
      verdict: string;
      actions: { action: string; tag?: string }[];
      tagsAfter: string[];
    };
    expect(out.verdict).toBe('quarantined');
    expect(out.actions[0]).toEqual({ action: 'put-tag', tag: 'quarantined-1.4.2' });
    expect(out.tagsAfter).toEqual(['1.4.2', 'quarantined-1.4.2']);
  });

  it('shows a spoofed reserved tag being removed on a push event', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'replay-'));
    const event = JSON.parse(readFileSync('events/ecr-image-push.json', 'utf8')) as {
      detail: Record<string, unknown>;
    };
    event.detail['image-tag'] = 'approved-1.4.2';
    writeFileSync(join(dir, 'push.json'), JSON.stringify(event));
    const { code, stdout } = await run([
      join(dir, 'push.json'),
      '--tags',
      '1.4.2,approved-1.4.2',
      '--dry-run',
    ]);
    expect(code).toBe(0);
    expect(stdout).toContain('outcome   spoof-removed');
    expect(stdout).toContain('BatchDeleteImage  by tag: approved-1.4.2');
  });

  it.each([
    [[SCAN, '--dry-run'], /needs --findings/],
    [['missing.json', '--findings', BASIC], /missing\.json: cannot read/],
    [[], /needs an EVENT\.json/],
  ])('bad input %j → exit 2 with a one-line reason', async (args, message) => {
    const { code, stderr } = await run(args);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
  });

  it('rejects a malformed event naming the field', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'replay-'));
    const event = JSON.parse(readFileSync(SCAN, 'utf8')) as { detail: Record<string, unknown> };
    event.detail['image-digest'] = 'sha256:nothex';
    writeFileSync(join(dir, 'bad.json'), JSON.stringify(event));
    const { code, stderr } = await run([join(dir, 'bad.json'), '--findings', BASIC, '--dry-run']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/image-digest/);
  });
});
