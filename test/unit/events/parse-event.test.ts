import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../lib/errors/gatekeeper-error.ts';
import { InvalidEventError } from '../../../lib/events/errors.ts';
import type { GatekeeperEvent } from '../../../lib/events/gatekeeper-event.ts';
import { MAX_EVENT_BYTES, parseEvent } from '../../../lib/events/parse-event.ts';

const FIXTURES = join(import.meta.dirname, '../../fixtures/aws');
const SAMPLES = join(import.meta.dirname, '../../../events');

// biome-ignore lint/suspicious/noExplicitAny: test fixtures are edited freely
type Json = Record<string, any>;

function fixtureText(name: string): string {
  return readFileSync(join(FIXTURES, name), 'utf8');
}
function fixture(name: string): Json {
  return JSON.parse(fixtureText(name));
}
function sample(name: string): Json {
  return JSON.parse(readFileSync(join(SAMPLES, name), 'utf8'));
}

/** AWS documentation samples with digests that are not sha256 + 64 hex (too short, or ending in "EXAMPLE"). */
const DOC_DIGESTS = {
  push: 'sha256:7f5b2640fe6fb4f46592dfd3410c4a79dac4f89e4782432e0378abcd1234',
  enhanced: 'sha256:36c7b282abd0186e01419f2e58743e1bf635808231049bbc9d77e5EXAMPLE',
  findingId: 'sha256:36c7b282abd0186e01419f2e58743e1bf635808231049bbc9d77EXAMPLE',
  findingHash: 'sha256:36c7b282abd0186e01419f2e58743e1bf635808231049bbc9d77e5EXAMPLE',
};
const VALID = 'sha256:888206c77cd2811ec47e752ba291e5b7734e3ef137dfd222daadaca39a9f17bc';

/** A copy of a documentation sample with its placeholder digest(s) replaced, everything else byte-identical. */
function withValidDigests(text: string): string {
  let out = text;
  for (const digest of Object.values(DOC_DIGESTS)) out = out.split(digest).join(VALID);
  return out;
}

function expectInvalid(
  raw: unknown,
  eventId: string,
  field: string | null,
  message: RegExp,
): InvalidEventError {
  let caught: unknown;
  try {
    parseEvent(raw);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(InvalidEventError);
  expect(caught).toBeInstanceOf(InvalidInputError);
  const error = caught as InvalidEventError;
  expect(error.eventId).toBe(eventId);
  expect(error.field).toBe(field);
  expect(error.message).toMatch(message);
  expect(error.message.startsWith(`event ${eventId}`)).toBe(true);
  return error;
}

describe('parseEvent: real AWS payloads (test/fixtures/aws)', () => {
  it('reads an ECR push (doc sample with a valid digest) as image-pushed with registry and Region from the envelope', () => {
    // Prepare
    const raw = withValidDigests(fixtureText('ecr-image-action-push-success.json'));
    // Act
    const event = parseEvent(JSON.parse(raw));
    // Assess
    expect(event).toEqual({
      kind: 'image-pushed',
      action: 'push',
      eventId: '13cde686-328b-6117-af20-0e5566167482',
      time: '2019-11-16T01:54:34Z',
      replayName: null,
      image: {
        registryId: '123456789012',
        region: 'us-west-2',
        repository: 'my-repository-name',
        digest: VALID,
      },
      tag: 'latest',
      manifestMediaType: null,
      artifactMediaType: null,
    });
  });

  it.each([
    ['ecr-image-action-delete-success.json', /DELETE needs no decision/],
    ['ecr-image-action-archive.json', /UPDATE_STORAGE_CLASS to ARCHIVE needs no decision/],
    ['ecr-replication-action-success.json', /"ECR Replication Action" is not handled/],
    ['ecr-scan-resource-change-scan-frequency.json', /"ECR Scan Resource Change" is not handled/],
  ])('ignores %s with a reason', (name, reason) => {
    const event = parseEvent(fixture(name));
    expect(event.kind).toBe('ignored');
    expect(event.kind === 'ignored' && event.reason).toMatch(reason);
  });

  it('reads a restore from the archive (UPDATE_STORAGE_CLASS to STANDARD, SUCCESS) as image-pushed with action restore', () => {
    const raw = fixture('ecr-image-action-restore.json');
    const event = parseEvent(raw);
    expect(event).toEqual({
      kind: 'image-pushed',
      action: 'restore',
      eventId: '7b8fc5e6-5ef5-8bbe-b157-EXAMPLE',
      time: '2019-08-06T01:15:22Z',
      replayName: null,
      image: {
        registryId: '123456789012',
        region: 'us-east-1',
        repository: 'ubuntu',
        digest: 'sha256:f98d67af8e53a536502bfc600de3266556b06ed635a32d60aa7a5fe6d7e609d7',
      },
      tag: null,
      manifestMediaType: 'application/vnd.oci.image.manifest.v1+json',
      artifactMediaType: 'application/vnd.oci.image.config.v1+json',
      lastActivatedAt: '2025-10-10T19:13:02.740Z',
    });
  });

  it.each([
    ['a failed restore', { result: 'FAILURE' }, /STANDARD with result FAILURE: nothing was restored/],
    ['a transition to another class', { 'target-storage-class': 'GLACIER' }, /to GLACIER needs no decision/],
  ])('ignores %s', (_name, change, reason) => {
    const raw = fixture('ecr-image-action-restore.json');
    Object.assign(raw.detail, change);
    const event = parseEvent(raw);
    expect(event.kind).toBe('ignored');
    expect(event.kind === 'ignored' && event.reason).toMatch(reason);
  });

  it.each([
    ['target-storage-class', undefined, 'detail.target-storage-class', /is missing/],
    ['image-digest', 'sha256:f98d67afEXAMPLE', 'detail.image-digest', /64 lowercase hex/],
    ['repository-name', 'Ubuntu', 'detail.repository-name', /ECR repository name/],
    ['manifest-media-type', 7, 'detail.manifest-media-type', /must be a media type/],
    ['manifest-media-type', 'application/json; x', 'detail.manifest-media-type', /must be a media type/],
  ])('rejects a restore whose %s is %j', (key, value, field, message) => {
    const raw = fixture('ecr-image-action-restore.json');
    if (value === undefined) delete raw.detail[key];
    else raw.detail[key] = value;
    expectInvalid(raw, raw.id, field, message);
  });

  it('a restore with an unreadable last-activated-at is still a restore (the time is informational)', () => {
    const raw = fixture('ecr-image-action-restore.json');
    raw.detail['last-activated-at'] = 'yesterday-ish';
    const event = parseEvent(raw);
    expect(event.kind === 'image-pushed' && event.action).toBe('restore');
    expect(event.kind === 'image-pushed' && event.lastActivatedAt).toBeNull();
  });

  it('rejects the pull-through-cache doc sample: its time 2023-02-29 is not a real date', () => {
    expectInvalid(
      fixture('ecr-pull-through-cache-action-success.json'),
      fixture('ecr-pull-through-cache-action-success.json').id,
      'time',
      /real date/,
    );
  });

  it.each([
    ['ecr-image-scan-complete-all-severities.json', 'tribble-image-scan-test', ['1572471135'], 6],
    ['ecr-image-scan-complete-real-event.json', 'checkmarx', ['latest'], 3],
    ['ecr-image-scan-complete-two-tags.json', 'sampleapp', ['3862', 'latest'], 4],
  ])('reads basic scan %s', (name, repository, tags, countKeys) => {
    const raw = fixture(name);
    const event = parseEvent(raw);
    expect(event.kind).toBe('scan-completed');
    if (event.kind !== 'scan-completed') return;
    expect(event.scanner).toBe('basic');
    expect(event.scanStatus).toBe('COMPLETE');
    expect(event.image).toEqual({
      registryId: raw.account,
      region: raw.region,
      repository,
      digest: raw.detail['image-digest'],
    });
    expect(event.tags).toEqual(tags);
    expect(Object.keys(event.severityCountsHint)).toHaveLength(countKeys);
  });

  it('accepts image-tags [], partial counts and tab whitespace (basic partial-counts sample, valid digest)', () => {
    const text = withValidDigests(fixtureText('ecr-image-scan-complete-basic-partial-counts.json'));
    expect(text).toContain('\t');
    const event = parseEvent(text);
    expect(event).toMatchObject({
      kind: 'scan-completed',
      tags: [],
      severityCountsHint: { CRITICAL: 10, MEDIUM: 9 },
      image: { repository: 'my-repository-name', digest: VALID },
    });
  });

  it('reads an Inspector2 Scan whose repository-name is an ARN (zero counts, extra detail.version)', () => {
    const event = parseEvent(fixture('inspector2-scan-initial-scan-complete-ecr-zero-counts.json'));
    expect(event).toMatchObject({
      kind: 'scan-completed',
      scanner: 'enhanced',
      scanStatus: 'INITIAL_SCAN_COMPLETE',
      tags: ['ubuntu22'],
      image: {
        registryId: '111122223333',
        region: 'us-east-1',
        repository: 'inspector2',
        digest: 'sha256:965fbcae990b0467ed5657caceaec165018ef44a4d2d46c7cdea80a9dff0d1ea',
      },
      severityCountsHint: { CRITICAL: 0, HIGH: 0, MEDIUM: 0, TOTAL: 0 },
    });
  });

  it('keeps TOTAL larger than the listed counts and a repository name with "/" (Inspector2 Scan, valid digest)', () => {
    const event = parseEvent(
      JSON.parse(withValidDigests(fixtureText('inspector2-scan-initial-scan-complete-ecr.json'))),
    );
    expect(event).toMatchObject({
      kind: 'scan-completed',
      scanner: 'enhanced',
      image: { registryId: '123456789012', region: 'us-east-2', repository: 'amazon/amazon-ecs-sample' },
      severityCountsHint: { CRITICAL: 7, HIGH: 61, MEDIUM: 62, TOTAL: 158 },
    });
  });

  it('reads an Inspector2 Finding: resource id split on the last /sha256:, free-form dates, tags', () => {
    const event = parseEvent(
      JSON.parse(withValidDigests(fixtureText('inspector2-finding-ecr-package-vulnerability.json'))),
    );
    expect(event).toEqual({
      kind: 'finding-changed',
      eventId: '42dbea55-45ad-b2b4-87a8-afaEXAMPLE',
      time: '2021-12-03T18:02:30Z',
      replayName: null,
      image: {
        registryId: '123456789012',
        region: 'us-east-2',
        repository: 'amazon/amazon-ecs-sample',
        digest: VALID,
      },
      tags: ['latest'],
      findingArn: 'arn:aws:inspector2:us-east-2:123456789012:finding/be674aaddd0f75ac632055EXAMPLE',
      findingStatus: 'ACTIVE',
      severity: 'MEDIUM',
      vulnerabilityId: 'CVE-2019-17498',
      findingUpdatedAt: '2021-12-03T18:02:30.000Z',
    });
  });

  it.each([
    ['ecr-image-action-push-success.json', 'detail.image-digest', /sha256:7f5b2640.*1234/],
    ['ecr-image-scan-complete-basic-partial-counts.json', 'detail.image-digest', /64 lowercase hex/],
    ['inspector2-scan-initial-scan-complete-ecr.json', 'detail.image-digest', /EXAMPLE/],
    ['inspector2-finding-ecr-package-vulnerability.json', 'detail.resources[0].id', /EXAMPLE/],
  ])(
    'rejects the raw doc sample %s: its digest is not sha256 + 64 hex, so the gate never writes with it',
    (name, field, message) => {
      const raw = fixture(name);
      expectInvalid(raw, raw.id, field, message);
    },
  );
});

describe('parseEvent: sample events in events/', () => {
  it.each([
    ['ecr-image-push.json', 'image-pushed'],
    ['ecr-basic-scan-complete.json', 'scan-completed'],
    ['ecr-basic-scan-failed.json', 'scan-completed'],
    ['inspector2-enhanced-scan-complete.json', 'scan-completed'],
    ['inspector2-finding-ecr-image.json', 'finding-changed'],
  ])('%s parses as %s', (name, kind) => {
    const event = parseEvent(sample(name));
    expect(event.kind).toBe(kind);
    if (event.kind !== 'ignored') expect(event.image.digest).toMatch(/^sha256:[a-f0-9]{64}$/);
  });

  it('the failed basic scan sample carries FAILED and no counts', () => {
    expect(parseEvent(sample('ecr-basic-scan-failed.json'))).toMatchObject({
      scanStatus: 'FAILED',
      severityCountsHint: {},
      image: { repository: 'demo/legacy-batch' },
    });
  });
});

describe('parseEvent: envelope', () => {
  const push = () => sample('ecr-image-push.json');

  it('carries replay-name from an EventBridge archive replay', () => {
    const raw = push();
    raw['replay-name'] = 'gatekeeper-replay-2025-03';
    expect(parseEvent(raw).replayName).toBe('gatekeeper-replay-2025-03');
  });

  it('accepts JSON text as well as an object, and ignores unknown extra fields', () => {
    const raw = push();
    raw.detail['some-future-field'] = { nested: true };
    raw['another-top-level'] = 1;
    expect(parseEvent(JSON.stringify(raw))).toEqual(parseEvent(push()));
  });

  const ID = '6f1c2a7e-3b1d-4c55-9a0e-2d8e5b7c9f10';
  it.each<[string, (e: Json) => void, string, string | null, RegExp]>([
    ['missing id', (e) => delete e.id, '<no id>', 'id', /is missing/],
    ['numeric id', (e) => (e.id = 42), '<no id>', 'id', /non-empty string/],
    ['id with a newline', (e) => (e.id = 'a\nb'), '<no id>', 'id', /printable/],
    ['missing detail-type', (e) => delete e['detail-type'], ID, 'detail-type', /is missing/],
    [
      'unknown detail-type',
      (e) => (e['detail-type'] = 'ECR Image Teleport'),
      ID,
      'detail-type',
      /unknown detail-type/,
    ],
    [
      'source not matching the detail-type',
      (e) => (e.source = 'aws.inspector2'),
      ID,
      'source',
      /must be "aws.ecr"/,
    ],
    ['custom source', (e) => (e.source = 'my.app'), ID, 'source', /must be "aws.ecr"/],
    ['account not 12 digits', (e) => (e.account = '12345'), ID, 'account', /12-digit/],
    [
      'account as a number',
      (e) => (e.account = 123456789012),
      ID,
      'account',
      /must be a string \(got number\)/,
    ],
    ['region not a Region', (e) => (e.region = 'moon-base'), ID, 'region', /Region/],
    ['time not ISO', (e) => (e.time = 'yesterday'), ID, 'time', /ISO-8601/],
    ['time not a real date', (e) => (e.time = '2025-02-30T00:00:00Z'), ID, 'time', /real date/],
    ['resources not an array', (e) => (e.resources = 'arn'), ID, 'resources', /array/],
    ['resources with a number', (e) => (e.resources = [1]), ID, 'resources[0]', /string/],
    ['missing detail', (e) => delete e.detail, ID, 'detail', /is missing/],
    ['detail an array', (e) => (e.detail = []), ID, 'detail', /object/],
    ['empty replay-name', (e) => (e['replay-name'] = ''), ID, 'replay-name', /replay name/],
    ['replay-name with a newline', (e) => (e['replay-name'] = 'a\nb'), ID, 'replay-name', /replay name/],
    ['version a number', (e) => (e.version = 0), ID, 'version', /string/],
  ])('rejects %s', (_name, edit, eventId, field, message) => {
    const raw = structuredClone(push());
    edit(raw);
    expectInvalid(raw, eventId, field, message);
  });

  it.each([
    ['null', null],
    ['an array', [1, 2]],
    ['a number', 7],
  ])('rejects %s as not an event object', (_name, raw) => {
    expectInvalid(raw, '<no id>', null, /JSON object/);
  });

  it('rejects text that is not JSON', () => {
    expectInvalid('{"id": ', '<no id>', null, /not valid JSON/);
  });

  it('rejects an object payload over 256 KiB, naming its id', () => {
    const raw = push();
    raw.detail.padding = 'x'.repeat(MAX_EVENT_BYTES);
    expectInvalid(raw, ID, null, /over EventBridge's 262144-byte limit/);
  });

  it('rejects JSON text over 256 KiB before parsing it', () => {
    const text = JSON.stringify({ ...push(), padding: 'é'.repeat(MAX_EVENT_BYTES / 2) });
    expectInvalid(text, '<no id>', null, /bytes, over/);
  });

  it('accepts a payload just under 256 KiB', () => {
    const raw = push();
    const size = Buffer.byteLength(JSON.stringify(raw));
    raw.detail.padding = 'x'.repeat(MAX_EVENT_BYTES - size - '"padding":"",'.length);
    expect(Buffer.byteLength(JSON.stringify(raw))).toBe(MAX_EVENT_BYTES);
    expect(parseEvent(raw).kind).toBe('image-pushed');
  });
});

describe('parseEvent: ECR Image Action', () => {
  const push = () => sample('ecr-image-push.json');
  const ID = push().id;

  it('reads the media types ECR sends with newer push events', () => {
    expect(parseEvent(push())).toMatchObject({
      manifestMediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      artifactMediaType: 'application/vnd.docker.container.image.v1+json',
    });
  });

  it('a push by digest (no image-tag) has tag null', () => {
    const raw = push();
    delete raw.detail['image-tag'];
    expect(parseEvent(raw)).toMatchObject({ kind: 'image-pushed', tag: null });
  });

  it.each<[string, (d: Json) => void, RegExp]>([
    ['PUSH with result FAILED', (d) => (d.result = 'FAILED'), /result FAILED/],
    ['an action type added later', (d) => (d['action-type'] = 'REPLICATE'), /REPLICATE needs no decision/],
  ])('ignores %s', (_name, edit, reason) => {
    const raw = push();
    edit(raw.detail);
    const event = parseEvent(raw) as GatekeeperEvent;
    expect(event).toMatchObject({ kind: 'ignored', detailType: 'ECR Image Action' });
    expect(event.kind === 'ignored' && event.reason).toMatch(reason);
  });

  it.each<[string, (d: Json) => void, string, RegExp]>([
    ['missing action-type', (d) => delete d['action-type'], 'detail.action-type', /is missing/],
    ['missing result', (d) => delete d.result, 'detail.result', /is missing/],
    ['missing repository-name', (d) => delete d['repository-name'], 'detail.repository-name', /is missing/],
    ['repository-name a number', (d) => (d['repository-name'] = 5), 'detail.repository-name', /got number/],
    [
      'upper-case repository name',
      (d) => (d['repository-name'] = 'Demo/Web'),
      'detail.repository-name',
      /ECR repository name/,
    ],
    ['one-character repository name', (d) => (d['repository-name'] = 'a'), 'detail.repository-name', /2–256/],
    [
      '257-character repository name',
      (d) => (d['repository-name'] = 'a'.repeat(257)),
      'detail.repository-name',
      /2–256/,
    ],
    [
      'repository name with a leading slash',
      (d) => (d['repository-name'] = '/web'),
      'detail.repository-name',
      /ECR repository name/,
    ],
    [
      'repository name with "//"',
      (d) => (d['repository-name'] = 'demo//web'),
      'detail.repository-name',
      /ECR repository name/,
    ],
    [
      'repository name ending in "-"',
      (d) => (d['repository-name'] = 'web-'),
      'detail.repository-name',
      /ECR repository name/,
    ],
    [
      'a repository ARN in an ECR event',
      (d) => (d['repository-name'] = 'arn:aws:ecr:us-east-1:123456789012:repository/web'),
      'detail.repository-name',
      /ECR repository name/,
    ],
    ['missing image-digest', (d) => delete d['image-digest'], 'detail.image-digest', /is missing/],
    [
      'upper-case hex digest',
      (d) => (d['image-digest'] = VALID.toUpperCase().replace('SHA256', 'sha256')),
      'detail.image-digest',
      /lowercase hex/,
    ],
    [
      'sha512 digest',
      (d) => (d['image-digest'] = `sha512:${'a'.repeat(128)}`),
      'detail.image-digest',
      /sha256/,
    ],
    [
      'digest with a trailing newline',
      (d) => (d['image-digest'] = `${VALID}\n`),
      'detail.image-digest',
      /64 lowercase hex/,
    ],
    ['digest an object', (d) => (d['image-digest'] = { value: VALID }), 'detail.image-digest', /got object/],
    ['image-tag a number', (d) => (d['image-tag'] = 3), 'detail.image-tag', /ECR image tag/],
    ['image-tag with a space', (d) => (d['image-tag'] = 'v 1'), 'detail.image-tag', /ECR image tag/],
    ['image-tag of 301 characters', (d) => (d['image-tag'] = 'a'.repeat(301)), 'detail.image-tag', /1–300/],
    [
      'manifest-media-type a number',
      (d) => (d['manifest-media-type'] = 2),
      'detail.manifest-media-type',
      /media type/,
    ],
  ])('rejects %s', (_name, edit, field, message) => {
    const raw = structuredClone(push());
    edit(raw.detail);
    expectInvalid(raw, ID, field, message);
  });

  it.each([
    'a1',
    'my-repository-name',
    'team_a/svc.api',
    'a__b/c---d/e.f',
    `${'a'.repeat(128)}/${'b'.repeat(127)}`,
  ])('accepts the valid repository name %s', (name) => {
    const raw = push();
    raw.detail['repository-name'] = name;
    expect(parseEvent(raw)).toMatchObject({ image: { repository: name } });
  });
});

describe('parseEvent: scan events', () => {
  const basic = () => sample('ecr-basic-scan-complete.json');
  const enhanced = () => sample('inspector2-enhanced-scan-complete.json');

  it('treats absent finding-severity-counts and absent image-tags as empty hints', () => {
    const raw = basic();
    delete raw.detail['finding-severity-counts'];
    delete raw.detail['image-tags'];
    expect(parseEvent(raw)).toMatchObject({ tags: [], severityCountsHint: {} });
  });

  it('removes duplicate tags', () => {
    const raw = basic();
    raw.detail['image-tags'] = ['a', 'a', 'b'];
    expect(parseEvent(raw)).toMatchObject({ tags: ['a', 'b'] });
  });

  it.each<[string, () => Json, (d: Json) => void, string, RegExp]>([
    ['basic: missing scan-status', basic, (d) => delete d['scan-status'], 'detail.scan-status', /is missing/],
    ['basic: empty scan-status', basic, (d) => (d['scan-status'] = ''), 'detail.scan-status', /empty/],
    ['basic: image-tags a string', basic, (d) => (d['image-tags'] = 'latest'), 'detail.image-tags', /array/],
    [
      'basic: a null tag',
      basic,
      (d) => (d['image-tags'] = ['ok', null]),
      'detail.image-tags[1]',
      /ECR image tag/,
    ],
    [
      'basic: counts an array',
      basic,
      (d) => (d['finding-severity-counts'] = [1]),
      'detail.finding-severity-counts',
      /object/,
    ],
    [
      'basic: negative count',
      basic,
      (d) => (d['finding-severity-counts'] = { HIGH: -1 }),
      'detail.finding-severity-counts.HIGH',
      /non-negative integer/,
    ],
    [
      'basic: count as text',
      basic,
      (d) => (d['finding-severity-counts'] = { HIGH: '2' }),
      'detail.finding-severity-counts.HIGH',
      /non-negative integer/,
    ],
    [
      'basic: fractional count',
      basic,
      (d) => (d['finding-severity-counts'] = { LOW: 1.5 }),
      'detail.finding-severity-counts.LOW',
      /integer/,
    ],
    [
      'enhanced: malformed repository ARN',
      enhanced,
      (d) => (d['repository-name'] = 'arn:aws:ecr:us-east-1:123456789012:repo/x'),
      'detail.repository-name',
      /ARN or name/,
    ],
    [
      'enhanced: ARN with an invalid name',
      enhanced,
      (d) => (d['repository-name'] = 'arn:aws:ecr:us-east-1:123456789012:repository/UP'),
      'detail.repository-name',
      /ARN or name/,
    ],
    [
      'enhanced: repository-name a number',
      enhanced,
      (d) => (d['repository-name'] = 1),
      'detail.repository-name',
      /got number/,
    ],
    [
      'enhanced: missing digest',
      enhanced,
      (d) => delete d['image-digest'],
      'detail.image-digest',
      /is missing/,
    ],
  ])('rejects %s', (_name, make, edit, field, message) => {
    const raw = structuredClone(make());
    edit(raw.detail);
    expectInvalid(raw, raw.id, field, message);
  });

  it('rejects an Inspector2 Scan whose resources[] names another repository', () => {
    const raw = enhanced();
    raw.resources = ['arn:aws:ecr:us-east-1:123456789012:repository/other'];
    expectInvalid(raw, raw.id, 'resources[0]', /another repository/);
  });

  it('takes registry and Region from the repository ARN, which must name the envelope account and Region', () => {
    const raw = enhanced();
    expect(parseEvent(raw)).toMatchObject({
      image: { registryId: '123456789012', region: 'us-east-1', repository: 'demo/cluster-autoscaler' },
    });
  });

  it('accepts a plain repository name in an Inspector2 Scan, using the envelope account and Region', () => {
    const raw = enhanced();
    raw.detail['repository-name'] = 'demo/cluster-autoscaler';
    expect(parseEvent(raw)).toMatchObject({ image: { registryId: '123456789012', region: 'us-east-1' } });
  });

  it('ignores an Inspector2 Scan of an EC2 instance', () => {
    const raw = enhanced();
    raw.detail = { 'scan-status': 'INITIAL_SCAN_COMPLETE', 'instance-id': 'i-0123456789abcdef0' };
    raw.resources = ['arn:aws:ec2:us-east-1:123456789012:instance/i-0123456789abcdef0'];
    expect(parseEvent(raw)).toMatchObject({
      kind: 'ignored',
      reason: expect.stringMatching(/not an ECR image/),
    });
  });
});

describe('parseEvent: Inspector2 Finding', () => {
  const finding = () => sample('inspector2-finding-ecr-image.json');

  it('ignores findings about other resource types', () => {
    const raw = finding();
    raw.detail.resources = [{ id: 'i-0123456789abcdef0', type: 'AWS_EC2_INSTANCE' }];
    expect(parseEvent(raw)).toMatchObject({
      kind: 'ignored',
      reason: expect.stringMatching(/AWS_EC2_INSTANCE, not an ECR container image/),
    });
  });

  it('finds the ECR image resource wherever it is in resources[]', () => {
    const raw = finding();
    raw.detail.resources.unshift({
      id: 'arn:aws:lambda:us-east-1:123456789012:function:f',
      type: 'AWS_LAMBDA_FUNCTION',
    });
    expect(parseEvent(raw)).toMatchObject({
      kind: 'finding-changed',
      image: { repository: 'demo/cluster-autoscaler' },
    });
  });

  it('falls back to the envelope resources[0] when the resource has no id', () => {
    const raw = finding();
    delete raw.detail.resources[0].id;
    expect(parseEvent(raw)).toMatchObject({
      kind: 'finding-changed',
      image: { repository: 'demo/cluster-autoscaler' },
    });
  });

  it('splits a repository name that itself contains "/sha256:"-free slashes on the last /sha256:', () => {
    const raw = finding();
    const id = `arn:aws:ecr:us-east-1:123456789012:repository/a/b/c/${VALID}`;
    raw.detail.resources[0].id = id;
    delete raw.detail.resources[0].details;
    expect(parseEvent(raw)).toMatchObject({
      image: { registryId: '123456789012', region: 'us-east-1', repository: 'a/b/c', digest: VALID },
      tags: [],
    });
  });

  it('reads a free-form date in another Inspector format, and keeps null for an unreadable one', () => {
    const raw = finding();
    raw.detail.updatedAt = 'Wed Sep 04 16:55:38.411 UTC 2024';
    expect(parseEvent(raw)).toMatchObject({ findingUpdatedAt: '2024-09-04T16:55:38.411Z' });
    raw.detail.updatedAt = 'sometime';
    expect(parseEvent(raw)).toMatchObject({ findingUpdatedAt: null });
  });

  it.each<[string, (d: Json) => void, string, RegExp]>([
    ['missing resources', (d) => delete d.resources, 'detail.resources', /is missing/],
    ['resources an object', (d) => (d.resources = {}), 'detail.resources', /array/],
    [
      'resource id not an image ARN',
      (d) => (d.resources[0].id = 'arn:aws:ecr:us-east-1:123456789012:repository/demo'),
      'detail.resources[0].id',
      /sha256:<digest>/,
    ],
    [
      'resource id with a short digest',
      (d) => (d.resources[0].id = 'arn:aws:ecr:us-east-1:123456789012:repository/demo/sha256:abc'),
      'detail.resources[0].id',
      /64 lowercase hex/,
    ],
    [
      'imageHash disagreeing with the id',
      (d) => (d.resources[0].details.awsEcrContainerImage.imageHash = VALID),
      'detail.resources[0].details.awsEcrContainerImage.imageHash',
      /disagrees/,
    ],
    [
      'repositoryName disagreeing with the id',
      (d) => (d.resources[0].details.awsEcrContainerImage.repositoryName = 'demo/other'),
      'detail.resources[0].details.awsEcrContainerImage.repositoryName',
      /disagrees/,
    ],
    [
      'registry disagreeing with the id',
      (d) => (d.resources[0].details.awsEcrContainerImage.registry = '000000000000'),
      'detail.resources[0].details.awsEcrContainerImage.registry',
      /disagrees/,
    ],
    [
      'imageTags a string',
      (d) => (d.resources[0].details.awsEcrContainerImage.imageTags = 'latest'),
      'detail.resources[0].details.awsEcrContainerImage.imageTags',
      /array/,
    ],
    ['missing findingArn', (d) => delete d.findingArn, 'detail.findingArn', /is missing/],
    ['missing status', (d) => delete d.status, 'detail.status', /is missing/],
    ['severity a number', (d) => (d.severity = 5), 'detail.severity', /got number/],
  ])('rejects %s', (_name, edit, field, message) => {
    const raw = structuredClone(finding());
    edit(raw.detail);
    expectInvalid(raw, raw.id, field, message);
  });
});

describe('parseEvent: every value carried on is validated, not only typed (classes found by fuzzing)', () => {
  const push = () => sample('ecr-image-push.json');
  const basic = () => sample('ecr-basic-scan-complete.json');
  const finding = () => sample('inspector2-finding-ecr-image.json');

  it.each<[string, () => Json, (e: Json) => void, string, RegExp]>([
    [
      'an action-type that is not an AWS value',
      push,
      (e) => (e.detail['action-type'] = 'push'),
      'detail.action-type',
      /upper-case AWS value/,
    ],
    [
      'a result of 100,000 characters',
      push,
      (e) => (e.detail.result = 'S'.repeat(100_000)),
      'detail.result',
      /upper-case AWS value/,
    ],
    [
      'a scan-status with a line break',
      basic,
      (e) => (e.detail['scan-status'] = 'COMPLETE\nFORGED'),
      'detail.scan-status',
      /upper-case AWS value/,
    ],
    [
      'a finding status in lower case',
      finding,
      (e) => (e.detail.status = 'active'),
      'detail.status',
      /upper-case AWS value/,
    ],
    [
      'a severity with a space',
      finding,
      (e) => (e.detail.severity = 'HIGH '),
      'detail.severity',
      /upper-case AWS value/,
    ],
    [
      'a severity count keyed "__proto__" (an own key, as JSON.parse makes it)',
      basic,
      (e) => (e.detail['finding-severity-counts'] = JSON.parse('{"HIGH":1,"__proto__":5}')),
      'detail.finding-severity-counts',
      /not a severity name \(got "__proto__"\)/,
    ],
    [
      'a tag with a zero-width space',
      push,
      (e) => (e.detail['image-tag'] = 'approved\u200b-1.0'),
      'detail.image-tag',
      /ECR image tag/,
    ],
    [
      'a tag with a bidi override',
      push,
      (e) => (e.detail['image-tag'] = '1.0\u202e'),
      'detail.image-tag',
      /ECR image tag/,
    ],
    [
      'a tag with an unpaired surrogate',
      push,
      (e) => (e.detail['image-tag'] = 'v\ud800'),
      'detail.image-tag',
      /ECR image tag/,
    ],
    [
      'a scan tag with a C1 control',
      basic,
      (e) => (e.detail['image-tags'] = ['ok', 'a\u0085b']),
      'detail.image-tags[1]',
      /ECR image tag/,
    ],
    [
      'a vulnerability id with a space',
      finding,
      (e) => (e.detail.packageVulnerabilityDetails.vulnerabilityId = 'CVE-2019-17498 x'),
      'detail.packageVulnerabilityDetails.vulnerabilityId',
      /vulnerability id/,
    ],
    [
      'an empty vulnerability id',
      finding,
      (e) => (e.detail.packageVulnerabilityDetails.vulnerabilityId = ''),
      'detail.packageVulnerabilityDetails.vulnerabilityId',
      /vulnerability id/,
    ],
    [
      'a vulnerability id that is a number',
      finding,
      (e) => (e.detail.packageVulnerabilityDetails.vulnerabilityId = 17498),
      'detail.packageVulnerabilityDetails.vulnerabilityId',
      /vulnerability id/,
    ],
    [
      'package vulnerability details that are JSON text',
      finding,
      (e) => (e.detail.packageVulnerabilityDetails = JSON.stringify(e.detail.packageVulnerabilityDetails)),
      'detail.packageVulnerabilityDetails',
      /must be an object \(got string\)/,
    ],
    [
      'a resource Region that is not a Region',
      finding,
      (e) => (e.detail.resources[0].region = 'x'.repeat(1000)),
      'detail.resources[0].region',
      /AWS Region name or "N\/A"/,
    ],
    [
      'a resource that is an ARN with a space',
      basic,
      (e) => (e.resources = [`${e.resources[0]} `]),
      'resources[0]',
      /must be an ARN/,
    ],
  ])('refuses %s', (_name, make, edit, field, message) => {
    const raw = make();
    edit(raw);
    const error = expectInvalid(raw, raw.id, field, message);
    expect(error.message.length).toBeLessThan(400);
  });

  it('quotes values in messages as printable ASCII, cut short: no control, bidi or invisible character reaches a log', () => {
    const raw = push();
    raw.detail['repository-name'] = `demo\u0085\u202e\u200b${'x'.repeat(500)}`;
    const error = expectInvalid(raw, raw.id, 'detail.repository-name', /ECR repository name/);
    expect(error.message).toContain('demo\\u0085\\u202e\\u200b');
    expect(error.message.slice(error.message.indexOf('(got '))).toMatch(/^[\x20-\x7e]+$/);
    expect(error.message.length).toBeLessThan(400);
  });

  it('reads an object exactly as its JSON text: own "__proto__" keys stay data, non-JSON values are refused', () => {
    const withProtoKey = JSON.parse(JSON.stringify(push()).replace('{', '{"__proto__":{"polluted":true},'));
    expect(parseEvent(withProtoKey)).toEqual(parseEvent(push()));
    expect(({} as Json).polluted).toBeUndefined();
    const withUndefined = { ...push(), 'replay-name': undefined };
    expect(parseEvent(withUndefined)).toEqual(parseEvent(push()));
    expectInvalid({ ...push(), extra: 1n }, '<no id>', null, /cannot be serialised as JSON/);
  });

  it('accepts every media type ECR reports for images and artifacts', () => {
    for (const mediaType of [
      'application/vnd.docker.distribution.manifest.v2+json',
      'application/vnd.oci.image.index.v1+json',
      'application/vnd.cncf.notary.signature',
      'application/vnd.dev.sigstore.bundle.v0.3+json',
      'application/spdx+json',
    ]) {
      const raw = push();
      raw.detail['manifest-media-type'] = mediaType;
      raw.detail['artifact-media-type'] = mediaType;
      expect(parseEvent(raw)).toMatchObject({ manifestMediaType: mediaType, artifactMediaType: mediaType });
    }
  });
});
