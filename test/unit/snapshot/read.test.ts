import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../../lib/findings/finding.ts';
import {
  findingOf,
  readSnapshot,
  type SnapshotImage,
  type SnapshotImageInput,
  snapshotEndLine,
  snapshotHeaderLine,
  snapshotLine,
  writeSnapshot,
} from '../../../lib/snapshot/index.ts';

const DIR = mkdtempSync(join(tmpdir(), 'snapshot-read-'));
const DIGEST = `sha256:${'a'.repeat(64)}`;
const DIGEST_B = `sha256:${'b'.repeat(64)}`;
const HEADER = snapshotHeaderLine({
  takenAt: new Date('2026-12-01T03:00:00Z'),
  source: 'sweep',
  registryId: '123456789012',
  region: 'eu-west-1',
});

const FINDING: Finding = {
  id: 'CVE-2024-0001',
  severity: 'HIGH',
  score: 7.5,
  epss: 0.02,
  fixAvailable: 'YES',
  exploitAvailable: false,
  package: 'openssl',
  version: '3.0.1',
  fixedIn: '3.0.2',
  url: 'https://example.com/CVE-2024-0001',
  title: 'a title the snapshot leaves out',
  source: 'inspector',
  kev: { dateAdded: '2024-01-02', dateDue: '2024-01-23' },
};

const IMAGE: SnapshotImageInput = {
  repository: 'orders/api',
  digest: DIGEST,
  tags: ['1.4.2', 'latest'],
  scan: { findings: [FINDING] },
  facts: { sizeBytes: 1024, user: '10001', labels: { team: 'orders' } },
  inUse: { lastPulledAt: '2026-11-30T10:00:00Z', inUse: true },
  recorded: {
    verdict: 'approved',
    policyVersion: `sha256:${'c'.repeat(64)}`,
    decidedAt: '2026-11-01T00:00:00Z',
  },
};

function file(name: string, lines: readonly string[], gzip = false): string {
  const path = join(DIR, name);
  const text = lines.length === 0 ? '' : `${lines.join('\n')}\n`;
  writeFileSync(path, gzip ? gzipSync(text) : text);
  return path;
}

async function readAll(path: string): Promise<SnapshotImage[]> {
  const { images } = await readSnapshot(path, 'snapshot.jsonl');
  const out: SnapshotImage[] = [];
  for await (const image of images) out.push(image);
  return out;
}

/** An image line with one field replaced (a path of keys / indices; undefined deletes). */
function edited(path: (string | number)[], value: unknown): string {
  const line = JSON.parse(snapshotLine(IMAGE));
  let at = line;
  for (const key of path.slice(0, -1)) at = at[key];
  const last = path[path.length - 1] as string | number;
  if (value === undefined) delete at[last];
  else at[last] = value;
  return JSON.stringify(line);
}

describe('registry snapshot: writing and reading', () => {
  it('reads back what writeSnapshot wrote, findings as the engine needs them (no titles, links)', async () => {
    // Prepare
    const chunks: string[] = [];
    const count = await writeSnapshot(
      { write: (c: string) => chunks.push(c) },
      { takenAt: new Date('2026-12-01T03:00:00Z'), source: 'sweep' },
      [IMAGE, { ...IMAGE, digest: DIGEST_B, tags: [], scan: { status: 'FAILED', description: 'no layers' } }],
    );
    const path = join(DIR, 'round-trip.jsonl');
    writeFileSync(path, chunks.join(''));

    // Act
    const reading = await readSnapshot(path);
    const images: SnapshotImage[] = [];
    for await (const image of reading.images) images.push(image);

    // Assess
    expect(count).toBe(2);
    expect(reading.header).toMatchObject({ source: 'sweep', takenAt: '2026-12-01T03:00:00.000Z' });
    expect(images).toHaveLength(2);
    const [first, second] = images as [SnapshotImage, SnapshotImage];
    expect(first.tags).toEqual(['1.4.2', 'latest']);
    expect(first.facts).toEqual(IMAGE.facts);
    expect(first.inUse).toEqual(IMAGE.inUse);
    expect(first.recorded).toEqual(IMAGE.recorded);
    const findings = 'findings' in first.scan ? first.scan.findings.map(findingOf) : [];
    expect(findings).toEqual([{ ...FINDING, url: null, title: null }]);
    expect(second.scan).toEqual({ status: 'FAILED', description: 'no layers' });
  });

  it('reads a gzip-compressed snapshot the same way', async () => {
    const path = file('gzip.jsonl.gz', [HEADER, snapshotLine(IMAGE), snapshotEndLine(1)], true);
    expect((await readAll(path)).map((i) => i.digest)).toEqual([DIGEST]);
  });

  it('refuses to write an image the reader would refuse', () => {
    expect(() => snapshotLine({ ...IMAGE, tags: ['not a tag'] })).toThrow(/tags\[0\]: expected an image tag/);
  });
});

describe('registry snapshot: files refused, naming the line and field', () => {
  const cases: { name: string; lines: string[]; message: string }[] = [
    { name: 'empty file', lines: [], message: 'snapshot.jsonl: the file is empty' },
    {
      name: 'newer format version',
      lines: [HEADER.replace('/v1"', '/v2"'), snapshotEndLine(0)],
      message: 'snapshot.jsonl: line 1: format: version "gatekeeper-registry-snapshot/v2" is not supported',
    },
    {
      name: 'finding fields in another order',
      lines: [HEADER.replace('"id","severity"', '"severity","id"'), snapshotEndLine(0)],
      message: 'snapshot.jsonl: line 1: findingFields: expected ["id", "severity"',
    },
    {
      name: 'not JSON',
      lines: [HEADER, '{"repository": ', snapshotEndLine(0)],
      message: 'snapshot.jsonl: line 2: not valid JSON',
    },
    {
      name: 'unknown field',
      lines: [HEADER, edited(['title'], 'x'), snapshotEndLine(1)],
      message: 'snapshot.jsonl: line 2: title: unknown field',
    },
    {
      name: 'bad severity',
      lines: [HEADER, edited(['scan', 'findings', 0, 1], 'SEVERE'), snapshotEndLine(1)],
      message: 'snapshot.jsonl: line 2: scan.findings[0][1] (severity): expected one of CRITICAL',
    },
    {
      name: 'score out of range',
      lines: [HEADER, edited(['scan', 'findings', 0, 2], 11), snapshotEndLine(1)],
      message: 'line 2: scan.findings[0][2] (score): expected null or a number from 0 to 10, got 11',
    },
    {
      name: 'short finding tuple',
      lines: [HEADER, edited(['scan', 'findings', 0], ['CVE-1', 'HIGH']), snapshotEndLine(1)],
      message: 'line 2: scan.findings[0]: expected an array of 10 fields',
    },
    {
      name: 'KEV date not a date',
      lines: [HEADER, edited(['scan', 'findings', 0, 9], ['yesterday', null]), snapshotEndLine(1)],
      message: 'line 2: scan.findings[0][9] (kev)[0]: expected null or a YYYY-MM-DD date',
    },
    {
      name: 'bad digest',
      lines: [HEADER, edited(['digest'], 'sha256:abc'), snapshotEndLine(1)],
      message: 'line 2: digest: expected sha256: and 64 hex digits, got "sha256:abc"',
    },
    {
      name: 'missing scan',
      lines: [HEADER, edited(['scan'], undefined), snapshotEndLine(1)],
      message: 'line 2: scan: missing',
    },
    {
      name: 'a complete scan without findings',
      lines: [HEADER, edited(['scan'], { status: 'COMPLETE' }), snapshotEndLine(1)],
      message: 'line 2: scan.status: a COMPLETE scan must be written with its findings',
    },
    {
      name: 'recorded verdict unknown',
      lines: [HEADER, edited(['recorded', 'verdict'], 'maybe'), snapshotEndLine(1)],
      message: 'line 2: recorded.verdict: expected one of approved, quarantined',
    },
    {
      name: 'the same image twice',
      lines: [HEADER, snapshotLine(IMAGE), snapshotLine(IMAGE), snapshotEndLine(2)],
      message: 'line 3: digest: orders/api@sha256:aaaa',
    },
    {
      name: 'cut short (no end line)',
      lines: [HEADER, snapshotLine(IMAGE)],
      message: 'snapshot.jsonl: the file ends at line 2 without its end line',
    },
    {
      name: 'end line counting other images',
      lines: [HEADER, snapshotLine(IMAGE), snapshotEndLine(2)],
      message: 'line 3: images: the end line counts 2 images, the file holds 1',
    },
    {
      name: 'a line after the end line',
      lines: [HEADER, snapshotEndLine(0), snapshotLine(IMAGE)],
      message: 'line 3: a line after the end line',
    },
    {
      name: 'blank line',
      lines: [HEADER, '', snapshotEndLine(0)],
      message: 'line 2: empty line',
    },
  ];

  it.each(cases)('$name', async ({ name, lines, message }) => {
    const path = file(`${name.replace(/\W+/g, '-')}.jsonl`, lines);
    await expect(readAll(path)).rejects.toThrow(message);
  });

  it('names a file it cannot read', async () => {
    await expect(readSnapshot(join(DIR, 'missing.jsonl'), 'missing.jsonl')).rejects.toThrow(
      'missing.jsonl: cannot read the file (ENOENT)',
    );
  });
});

describe('registry snapshot: the published schema and the reader agree', () => {
  const schema = JSON.parse(
    readFileSync(new URL('../../../lib/snapshot/registry-snapshot.schema.json', import.meta.url), 'utf8'),
  );
  const validate = new Ajv2020({ strict: true, allowUnionTypes: true }).compile(schema);
  const lines: [string, boolean][] = [
    [HEADER, true],
    [snapshotLine(IMAGE), true],
    [snapshotEndLine(3), true],
    [snapshotLine({ ...IMAGE, tags: [], facts: null, inUse: null, recorded: null }), true],
    [edited(['scan'], { status: 'UNSUPPORTED_IMAGE', description: null }), true],
    [edited(['title'], 'x'), false],
    [edited(['scan', 'findings', 0, 1], 'SEVERE'), false],
    [edited(['scan', 'findings', 0, 3], 1.5), false],
    [edited(['scan', 'findings', 0, 4], 'MAYBE'), false],
    [edited(['scan', 'findings', 0, 9], ['2024-01-01']), false],
    [edited(['digest'], 'sha256:abc'), false],
    [edited(['repository'], 'Orders/API'), false],
    [edited(['tags'], ['a', 'a']), false],
    [edited(['scan'], { status: 'COMPLETE' }), false],
    [edited(['facts', 'sizeBytes'], -1), false],
    [edited(['inUse', 'lastPulledAt'], 'yesterday'), false],
    [edited(['recorded', 'policyVersion'], 'v1'), false],
  ];

  it.each(lines.map(([line, ok], i) => ({ i, line, ok })))('line $i: valid = $ok', ({ line, ok }) => {
    const value = JSON.parse(line);
    expect(validate(value)).toBe(ok);
    const isHeader = 'format' in value;
    const isEnd = 'end' in value;
    if (isHeader || isEnd) return;
    // The reader's verdict on the same line, as an image line between a header and an end line.
    const path = file(`agree-${Math.random().toString(36).slice(2)}.jsonl`, [
      HEADER,
      line,
      snapshotEndLine(1),
    ]);
    return ok
      ? expect(readAll(path)).resolves.toHaveLength(1)
      : expect(readAll(path)).rejects.toThrow(/line 2: /);
  });
});
