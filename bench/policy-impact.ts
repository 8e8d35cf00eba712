/**
 * Benchmark: `gatekeeper policy impact` over a registry snapshot of 100,000 images (issue 9 target: under 60 s on
 * one core). Generates a deterministic snapshot (gzip JSON Lines, as the sweep writes it to S3): 600 repositories
 * of four teams, tags of the usual patterns (semver, semver+sha, latest, dev-*, untagged), findings per image
 * log-normally distributed (median 25, a long tail to 600) over 4,000 distinct CVEs in 700 packages, with fix,
 * EPSS, exploit and KEV data at realistic rates, 2 % failed scans, image facts for 90 % of the images. Base is
 * the shipped policy set; head makes it stricter (every HIGH denied, the sandbox policy enforced, EPSS ≥ 0.5).
 * Then runs the command in-process (the same path as the CLI: read, judge both sides, render) and times it.
 *
 * Run: npx tsx bench/policy-impact.ts [--quick] [--images N]
 *      (one core: taskset -c 0 npx tsx bench/policy-impact.ts; --quick: 2,000 images, for the bench runner)
 */
import { createWriteStream } from 'node:fs';
import { cp, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { cpus, loadavg, platform, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { createGzip } from 'node:zlib';
import { main } from '../lib/cli/main.ts';
import type { Finding, FixAvailability, Severity } from '../lib/findings/finding.ts';
import { type SnapshotImageInput, writeSnapshot } from '../lib/snapshot/index.ts';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const imagesArg = argv.indexOf('--images');
const IMAGES = imagesArg >= 0 ? Number(argv[imagesArg + 1]) : quick ? 2_000 : 100_000;
if (!Number.isSafeInteger(IMAGES) || IMAGES < 1) throw new Error('--images must be a positive whole number');
const REPOSITORIES = 600;
const CVES = 4_000;
const PACKAGES = 700;
const ROOT = fileURLToPath(new URL('../', import.meta.url));

// Deterministic pseudo-random numbers: the same snapshot on every run.
let seed = 7;
/** The command line timed, in one output format. */
function impactArgs(output: 'json' | 'markdown'): string[] {
  return [
    'policy',
    'impact',
    '--base',
    'base',
    '--head',
    'head',
    '--snapshot',
    'snapshot.jsonl.gz',
    '--now',
    '2026-12-01T12:00:00Z',
    '--output',
    output,
  ];
}

function rand(): number {
  seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
  return seed / 2_147_483_648;
}
function normal(): number {
  return Math.sqrt(-2 * Math.log(rand() || 1e-9)) * Math.cos(2 * Math.PI * rand());
}
const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)] as T;

/** The CVE catalogue: each id has one severity, score, EPSS and exploit/KEV status, as scanners report them. */
const catalogue = Array.from({ length: CVES }, (_, i) => {
  const r = rand();
  const severity: Severity =
    r < 0.03 ? 'CRITICAL' : r < 0.18 ? 'HIGH' : r < 0.55 ? 'MEDIUM' : r < 0.9 ? 'LOW' : 'INFORMATIONAL';
  const base = { CRITICAL: 9, HIGH: 7, MEDIUM: 4, LOW: 1, INFORMATIONAL: 0 }[severity as 'HIGH'];
  const kev = rand() < 0.01;
  return {
    id: `CVE-${2015 + (i % 11)}-${String(10_000 + i).padStart(5, '0')}`,
    severity,
    score: rand() < 0.92 ? Math.min(10, Math.round((base + rand() * 2.9) * 10) / 10) : null,
    epss: rand() < 0.7 ? Math.round(rand() ** 6 * 10_000) / 10_000 : null,
    exploit: kev || rand() < 0.02 ? true : rand() < 0.8 ? false : null,
    kev: kev ? (['2024-03-01', '2024-03-22'] as [string, string]) : null,
    package: `pkg-${Math.floor(rand() * PACKAGES)}`,
  };
});

function findingsFor(): Finding[] {
  const count = Math.min(600, Math.floor(Math.exp(3.2 + 1.1 * normal())));
  const out: Finding[] = [];
  const seen = new Set<number>();
  for (let k = 0; k < count; k += 1) {
    const c = Math.floor(rand() ** 1.6 * CVES); // popular CVEs (old base-image packages) recur across images
    if (seen.has(c)) continue;
    seen.add(c);
    const cve = catalogue[c] as (typeof catalogue)[number];
    const fix: FixAvailability | null = rand() < 0.55 ? 'YES' : rand() < 0.9 ? 'NO' : null;
    out.push({
      id: cve.id,
      severity: cve.severity,
      score: cve.score,
      epss: cve.epss,
      fixAvailable: fix,
      exploitAvailable: cve.exploit,
      package: cve.package,
      version: `${1 + (c % 4)}.${c % 17}.${c % 5}`,
      fixedIn: fix === 'YES' ? `${1 + (c % 4)}.${c % 17}.${(c % 5) + 1}` : null,
      url: null,
      title: null,
      source: 'inspector',
      ...(cve.kev ? { kev: { dateAdded: cve.kev[0], dateDue: cve.kev[1] } } : {}),
    });
  }
  return out;
}

const TEAMS = ['orders', 'payments', 'platform', 'sandbox'];
const repositories = Array.from(
  { length: REPOSITORIES },
  (_, i) => `${TEAMS[i % TEAMS.length]}/service-${String(i).padStart(3, '0')}`,
);

function tagsFor(n: number): string[] {
  const r = rand();
  const v = `${1 + (n % 5)}.${n % 40}.${n % 13}`;
  const sha = (n * 2_654_435_761).toString(16).padStart(8, '0').slice(0, 7);
  if (r < 0.08) return [];
  if (r < 0.5) return [v];
  if (r < 0.75) return [`${v}-${sha}`];
  if (r < 0.85) return [v, 'latest'];
  if (r < 0.95) return [`dev-${sha}`];
  return [v, `${v}-${sha}`, 'stable'];
}

function* images(): Generator<SnapshotImageInput> {
  for (let n = 0; n < IMAGES; n += 1) {
    const failed = rand() < 0.02;
    yield {
      repository: repositories[n % REPOSITORIES] as string,
      digest: `sha256:${n.toString(16).padStart(64, '0')}`,
      tags: tagsFor(n),
      scan: failed
        ? { status: pick(['FAILED', 'UNSUPPORTED_IMAGE']), description: null }
        : { findings: findingsFor() },
      facts:
        rand() < 0.9
          ? {
              sizeBytes: Math.floor(2 ** (24 + rand() * 7)),
              user: rand() < 0.8 ? '10001' : '',
              labels: rand() < 0.7 ? { 'org.opencontainers.image.source': 'https://example.com/x' } : {},
            }
          : null,
      inUse: rand() < 0.6 ? { lastPulledAt: '2026-11-30T00:00:00Z', inUse: rand() < 0.5 } : null,
      recorded: null,
    };
  }
}

const dir = await mkdtemp(join(tmpdir(), 'gk-bench-impact-'));
try {
  const base = join(dir, 'base');
  const head = join(dir, 'head');
  await cp(join(ROOT, 'policies'), base, { recursive: true });
  await cp(join(ROOT, 'policies'), head, { recursive: true });
  const defaultYaml = await readFile(join(head, 'default.yaml'), 'utf8');
  await writeFile(
    join(head, 'default.yaml'),
    defaultYaml
      .replace('HIGH: { max: 0, fixableOnly: true }', 'HIGH: 0')
      .replace('exploitAvailable:', 'epss:\n    atLeast: 0.5\n  exploitAvailable:'),
  );
  const sandbox = await readFile(join(head, 'teams', 'sandbox.yaml'), 'utf8');
  await writeFile(join(head, 'teams', 'sandbox.yaml'), sandbox.replace('mode: audit', 'mode: enforce'));

  const snapshot = join(dir, 'snapshot.jsonl.gz');
  let t = performance.now();
  const gzip = createGzip();
  const file = createWriteStream(snapshot);
  gzip.pipe(file);
  let raw = 0;
  let findings = 0;
  const counting = {
    write(chunk: string) {
      raw += Buffer.byteLength(chunk);
      findings += chunk.length > 200 ? (chunk.match(/\["CVE-/g)?.length ?? 0) : 0;
      return gzip.write(chunk);
    },
  };
  await writeSnapshot(counting, { takenAt: new Date('2026-12-01T03:00:00Z'), source: 'sweep' }, images());
  gzip.end();
  await finished(file);
  const generated = (performance.now() - t) / 1000;
  const size = (await stat(snapshot)).size;

  const cpu = cpus();
  console.log(
    `machine: ${cpu[0]?.model ?? 'unknown CPU'} × ${cpu.length}, ${Math.round(totalmem() / 2 ** 30)} GiB, ${platform()} ${release()}, Node ${process.version}, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  console.log(
    `snapshot: ${IMAGES.toLocaleString('en-US')} images, ${REPOSITORIES} repositories, ${findings.toLocaleString('en-US')} findings (${CVES} distinct CVEs); ${(raw / 2 ** 20).toFixed(1)} MiB JSON Lines, ${(size / 2 ** 20).toFixed(1)} MiB gzip; generated in ${generated.toFixed(1)} s`,
  );

  let out = '';
  let err = '';
  const io = {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
    env: {},
    cwd: dir,
  };
  const memoryBefore = process.memoryUsage().rss;
  const cpuBefore = process.cpuUsage();
  t = performance.now();
  const code = await main(impactArgs('json'), io);
  const seconds = (performance.now() - t) / 1000;
  const cpuUsed = process.cpuUsage(cpuBefore);
  const cpuSeconds = (cpuUsed.user + cpuUsed.system) / 1e6;
  if (code !== 0) throw new Error(`policy impact exited ${code}: ${err}`);
  const report = JSON.parse(out) as { summary: Record<string, number> };
  const s = report.summary;
  console.log(
    `policy impact (json): ${seconds.toFixed(1)} s wall, ${cpuSeconds.toFixed(1)} s CPU, ${((seconds * 1e6) / IMAGES).toFixed(0)} µs wall per image (both sides), rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB (before ${(memoryBefore / 2 ** 20).toFixed(0)} MiB)`,
  );
  console.log(
    `result: ${s.flipped} flipped (${s.toQuarantined} → quarantined, ${s.toApproved} → approved), ${s.violationsChanged} with other violations, ${s.withoutFacts} without facts`,
  );
  t = performance.now();
  const cpuMarkdown = process.cpuUsage();
  await main(impactArgs('markdown'), { ...io, stdout: { write: (chunk: string) => (out = chunk) } });
  const markdownCpu = process.cpuUsage(cpuMarkdown);
  console.log(
    `policy impact (markdown): ${((performance.now() - t) / 1000).toFixed(1)} s wall, ${((markdownCpu.user + markdownCpu.system) / 1e6).toFixed(1)} s CPU, comment ${out.length} characters`,
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
