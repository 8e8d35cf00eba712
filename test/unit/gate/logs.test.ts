/**
 * What the gate writes to its logs while handling events: every line carries the event id and the digest it is
 * about (so one CloudWatch Logs Insights query finds the whole story of one image or one delivery), every line
 * stays within the logger's bound even for 10,000 findings, and no line carries secret material that reached
 * the gate inside an error (e.g. a signed request's Authorization header).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { GateDependencies } from '../../../lib/gate/context.ts';
import { handleGateEvent } from '../../../lib/gate/handle-event.ts';
import { createLogger, DEFAULT_MAX_LINE_BYTES } from '../../../lib/log/index.ts';
import { RegistryRejectedError } from '../../../lib/registry/errors.ts';
import { completeScan, finding, NOW, type TestGate, testGate } from './support.ts';

type Raw = Record<string, unknown> & { detail: Record<string, unknown> };
const sample = (file: string): Raw => JSON.parse(readFileSync(`events/${file}`, 'utf8')) as Raw;
const SECRET = 'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261123/us-east-1/ecr/aws4_request';

let seq = 0;
function scanEvent(digest: string, time = NOW.toISOString()): Raw {
  const event = structuredClone(sample('ecr-basic-scan-complete.json'));
  Object.assign(event, { id: `scan-${++seq}`, time });
  Object.assign(event.detail, { 'repository-name': 'app', 'image-digest': digest });
  return event;
}
function pushEvent(digest: string, tag: string): Raw {
  const event = structuredClone(sample('ecr-image-push.json'));
  Object.assign(event, { id: `push-${++seq}`, time: NOW.toISOString() });
  Object.assign(event.detail, { 'repository-name': 'app', 'image-digest': digest, 'image-tag': tag });
  return event;
}

/** The gate with a logger whose raw lines are kept (the test double's logger parses them). */
async function loggedGate(): Promise<{ gate: TestGate; deps: GateDependencies; lines: string[] }> {
  const gate = await testGate();
  const lines: string[] = [];
  const logger = createLogger({ level: 'debug', sink: (line) => lines.push(line) });
  return { gate, deps: { ...gate.deps, logger }, lines };
}

const handle = (deps: GateDependencies, name: string, event: Raw) =>
  handleGateEvent(deps, name, name === 'image-pushed' ? ['image-pushed'] : ['scan-completed'], event).catch(
    (error: unknown) => error,
  );

describe('gate log lines', () => {
  it('every line of every flow carries the event id and the digest', async () => {
    const { gate, deps, lines } = await loggedGate();
    const clean = gate.registry.seed({ tags: ['1.0.0'], scan: completeScan([]) });
    const bad = gate.registry.seed({
      tags: ['2.0.0'],
      scan: completeScan([finding('CVE-2099-1', 'CRITICAL')]),
    });
    const running = gate.registry.seed({
      tags: ['3.0.0'],
      scan: completeScan([], { status: 'IN_PROGRESS' }),
    });
    const gone = gate.registry.seed({ tags: ['4.0.0'] });
    gate.registry.deleteImage(gone);
    const fresh = gate.registry.seed({ tags: ['5.0.0'], scan: null });

    const flows: [string, Raw][] = [
      ['basic-scan-completed', scanEvent(clean.digest)], // approved, notified
      ['basic-scan-completed', scanEvent(clean.digest)], // duplicate: unchanged
      ['basic-scan-completed', scanEvent(bad.digest)], // quarantined
      ['image-pushed', pushEvent(clean.digest, 'approved-1.0.0')], // own tag: ignored
      ['image-pushed', pushEvent(bad.digest, '2.0.0')], // push after the decision
      ['basic-scan-completed', scanEvent(running.digest)], // not ready (thrown for a retry)
      ['basic-scan-completed', scanEvent(running.digest, new Date(NOW.getTime() - 3_600_000).toISOString())],
      ['basic-scan-completed', scanEvent(gone.digest)], // deleted image
      ['image-pushed', pushEvent(fresh.digest, '5.0.0')], // first push: pending, scan ensured
    ];
    gate.registry.repoTags('app').set('approved-5.0.0', fresh.digest);
    flows.push(['image-pushed', pushEvent(fresh.digest, 'approved-5.0.0')]); // spoof: alerted and removed
    const failing = gate.registry.seed({ tags: ['6.0.0'], scan: completeScan([]) });
    flows.push(['basic-scan-completed', scanEvent(failing.digest)]); // final registry error: alerted

    for (const [name, event] of flows) {
      if (event.detail['image-digest'] === failing.digest) {
        gate.registry.before.getScanResult = () => {
          throw new RegistryRejectedError('DescribeImageScanFindings', 'RepositoryNotFoundException', 'gone');
        };
      }
      const before = lines.length;
      await handle(deps, name, event);
      expect(lines.length, `${name} ${String(event.id)} wrote no line`).toBeGreaterThan(before);
      for (const text of lines.slice(before)) {
        const line = JSON.parse(text) as Record<string, unknown>;
        expect(line.eventId, text).toBe(event.id);
        expect(line.digest, text).toBe(event.detail['image-digest']);
      }
    }
  });

  it('a rejected event is logged with the id and digest it claims', async () => {
    const { deps, lines } = await loggedGate();
    const event = scanEvent(`sha256:${'a'.repeat(64)}`);
    event.detail['repository-name'] = 'Not A Repository!';

    await handle(deps, 'basic-scan-completed', event);

    // Every line, the error and its metrics line, names the claimed delivery.
    const parsed = lines.map((text) => JSON.parse(text) as Record<string, unknown>);
    expect(parsed.find((line) => line.level === 'error')).toMatchObject({
      eventId: event.id,
      digest: event.detail['image-digest'],
    });
    for (const line of parsed) expect(line).toMatchObject({ eventId: event.id });
  });

  it('10,000 findings: every line stays within the bound', async () => {
    const { gate, deps, lines } = await loggedGate();
    const findings = Array.from({ length: 10_000 }, (_, i) =>
      finding(`CVE-2099-${String(i).padStart(5, '0')}`, i % 2 ? 'HIGH' : 'CRITICAL', {
        title: `a long title ${'x'.repeat(200)}`,
      }),
    );
    const tags = Array.from({ length: 300 }, (_, i) => `build-${i}`);
    const ref = gate.registry.seed({ tags, scan: completeScan(findings) });

    const result = await handle(deps, 'basic-scan-completed', scanEvent(ref.digest));

    expect(result).toMatchObject({ verdict: 'quarantined' });
    for (const text of lines)
      expect(Buffer.byteLength(text, 'utf8')).toBeLessThanOrEqual(DEFAULT_MAX_LINE_BYTES);
  });

  it('no line carries secret material that came with an error', async () => {
    const { gate, deps, lines } = await loggedGate();
    const ref = gate.registry.seed({ tags: ['1.0.0'], scan: completeScan([]) });
    gate.registry.before.getScanResult = () => {
      const sdkError = Object.assign(new Error('The security token included in the request is invalid'), {
        name: 'UnrecognizedClientException',
        $metadata: { httpStatusCode: 403 },
        $response: { headers: { authorization: SECRET, 'x-amz-security-token': 'FwoGZXIvYXdzEXAMPLETOKEN' } },
        request: { headers: { Authorization: SECRET } },
      });
      throw new RegistryRejectedError('DescribeImageScanFindings', 'UnrecognizedClientException', 'denied', {
        cause: sdkError,
      });
    };

    await handle(deps, 'basic-scan-completed', scanEvent(ref.digest));

    const text = lines.join('\n');
    expect(text).toContain('UnrecognizedClientException');
    expect(text).not.toContain('AKIAIOSFODNN7EXAMPLE');
    expect(text).not.toContain('FwoGZXIvYXdzEXAMPLETOKEN');
  });
});
