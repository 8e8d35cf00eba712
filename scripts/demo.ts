/**
 * `npm run demo`: the whole gate on this machine, no AWS account needed. Starts the local ECR, SNS and
 * DynamoDB endpoints (test/support), creates repositories, pushes five images with their scan results, sends
 * the EventBridge events built from events/*.json through the real Lambda handlers (handlers/*.ts, real AWS
 * SDK clients, the shipped policies/), then prints what happened to each image and exits.
 *
 *   clean image         demo/web:1.4.2            basic scan, low and medium findings      → approved
 *   waived critical     platform/base:1.2.0       enhanced scan, CVE-2022-49043 (waived)   → approved
 *   critical            demo/api:2.0.0            basic scan, critical findings            → quarantined
 *   failed scan         demo/legacy-batch:2016.09 real amazonlinux manifest, scan FAILED   → quarantined
 *   multi-arch          demo/multiarch:3.0.0      index of amd64 + arm64 images            → approved (index tagged)
 */
import { readFileSync } from 'node:fs';
import type { Context } from 'aws-lambda';
import { createLedgerTable } from '../lib/ledger/table.ts';
import { fixtureManifest, seedDemoImage } from '../test/support/demo-images.ts';
import { basicFindings, buildIndex, startLocalAws } from '../test/support/local-aws.ts';

type Raw = Record<string, unknown> & { detail: Record<string, unknown> };
type Handler = (event: unknown, context: Context) => Promise<unknown>;
interface Row {
  image: string;
  verdict: string;
  before: string[];
  after: string[];
  alert: string;
}

const CONTEXT = {
  awsRequestId: 'demo',
  functionName: 'demo',
  getRemainingTimeInMillis: () => 60_000,
} as unknown as Context;
const TOPIC = 'gatekeeper-alerts';
const TABLE = 'gatekeeper-ledger';

function event(file: string, edit: (e: Raw) => void): Raw {
  const raw = JSON.parse(readFileSync(new URL(`../events/${file}`, import.meta.url), 'utf8')) as Raw;
  raw.time = new Date().toISOString();
  edit(raw);
  return raw;
}

function pushedAgo(minutes: number): Date {
  return new Date(Date.now() - minutes * 60_000);
}

async function main(): Promise<number> {
  const started = Date.now();
  const aws = await startLocalAws({ snsTopics: [TOPIC] });
  try {
    Object.assign(process.env, aws.env, {
      GATEKEEPER_TOPIC_ARN: `arn:aws:sns:${aws.region}:${aws.accountId}:${TOPIC}`,
      GATEKEEPER_LEDGER_TABLE: TABLE,
      GATEKEEPER_POLICY_SET: new URL('../policies', import.meta.url).pathname,
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
    });
    await createLedgerTable(aws.clients.dynamodb(), TABLE);
    // Handlers build their dependencies from the environment on first use, like a Lambda cold start.
    const push = (await import('../handlers/image-pushed.ts')).handler as Handler;
    const basic = (await import('../handlers/basic-scan-completed.ts')).handler as Handler;
    const enhanced = (await import('../handlers/enhanced-scan-completed.ts')).handler as Handler;

    const rows: Row[] = [];
    const run = async (label: string, repository: string, digest: string, steps: [Handler, Raw][]) => {
      const before = aws.ecr.tagsOf(repository, digest) ?? [];
      const published = aws.sns.publishes().length;
      let verdict = 'no verdict';
      for (const [handler, raw] of steps) {
        const result = (await handler(raw, CONTEXT)) as { verdict?: string | null; outcome?: string };
        verdict = result.verdict ?? result.outcome ?? verdict;
      }
      const alerts = aws.sns.publishes().slice(published);
      rows.push({
        image: label,
        verdict,
        before: [...before].sort(),
        after: [...(aws.ecr.tagsOf(repository, digest) ?? [])].sort(),
        alert: alerts.map((a) => a.subject ?? '(no subject)').join(' | ') || '—',
      });
    };
    const pushOf = (repository: string, digest: string, tag: string, mediaType?: string) =>
      event('ecr-image-push.json', (e) => {
        Object.assign(e.detail, { 'repository-name': repository, 'image-digest': digest, 'image-tag': tag });
        if (mediaType) e.detail['manifest-media-type'] = mediaType;
      });
    const basicScanOf = (repository: string, digest: string, tags: string[]) =>
      event('ecr-basic-scan-complete.json', (e) =>
        Object.assign(e.detail, {
          'repository-name': repository,
          'image-digest': digest,
          'image-tags': tags,
        }),
      );

    // 1. A clean image.
    const webDigest = seedDemoImage(aws, 'demo/web', {
      image: { build: 'demo-web', user: 'www-data' },
      tags: ['1.4.2'],
      pushedAt: pushedAgo(5),
      scan: { status: 'COMPLETE', findings: [...basicFindings(3, 'LOW'), ...basicFindings(2, 'MEDIUM')] },
    }).digest;
    await run('demo/web:1.4.2 (clean)', 'demo/web', webDigest, [
      [push, pushOf('demo/web', webDigest, '1.4.2')],
      [basic, basicScanOf('demo/web', webDigest, ['1.4.2'])],
    ]);

    // 2. A critical CVE waived by policies/exceptions/platform.yaml.
    const waivedPage = JSON.parse(
      readFileSync(
        new URL('../policies/tests/findings/ecr-enhanced-critical-no-fix.json', import.meta.url),
        'utf8',
      ),
    ) as { imageScanFindings: { enhancedFindings: unknown[] } };
    const baseDigest = seedDemoImage(aws, 'platform/base', {
      image: { build: 'platform-base', user: 'app' },
      tags: ['1.2.0'],
      pushedAt: pushedAgo(5),
      enhancedFindings: waivedPage.imageScanFindings.enhancedFindings,
    }).digest;
    await run('platform/base:1.2.0 (waived CVE)', 'platform/base', baseDigest, [
      [push, pushOf('platform/base', baseDigest, '1.2.0')],
      [
        enhanced,
        event('inspector2-enhanced-scan-complete.json', (e) => {
          e.resources = [`arn:aws:ecr:${aws.region}:${aws.accountId}:repository/platform/base`];
          Object.assign(e.detail, {
            'repository-name': `arn:aws:ecr:${aws.region}:${aws.accountId}:repository/platform/base`,
            'image-digest': baseDigest,
            'image-tags': ['1.2.0'],
            'finding-severity-counts': { CRITICAL: 1, TOTAL: 1 },
          });
        }),
      ],
    ]);

    // 3. A critical CVE.
    const apiDigest = seedDemoImage(aws, 'demo/api', {
      image: { build: 'demo-api', user: 'app' },
      tags: ['2.0.0'],
      pushedAt: pushedAgo(5),
      scan: {
        status: 'COMPLETE',
        findings: [...basicFindings(1, 'CRITICAL'), ...basicFindings(2, 'LOW').slice(1)],
      },
    }).digest;
    await run('demo/api:2.0.0 (critical CVE)', 'demo/api', apiDigest, [
      [push, pushOf('demo/api', apiDigest, '2.0.0')],
      [basic, basicScanOf('demo/api', apiDigest, ['2.0.0'])],
    ]);

    // 4. A failed scan, on the byte-exact amazonlinux manifest of the ECR API reference (events/ecr-basic-scan-failed.json).
    const legacyDigest = seedDemoImage(aws, 'demo/legacy-batch', {
      image: { manifest: fixtureManifest('ecr-batch-get-image-amazonlinux.json') },
      tags: ['2016.09'],
      pushedAt: pushedAgo(5),
      scan: {
        status: 'FAILED',
        description: 'UnsupportedImageError: The operating system and/or package manager are not supported.',
      },
    }).digest;
    await run('demo/legacy-batch:2016.09 (scan failed)', 'demo/legacy-batch', legacyDigest, [
      [push, pushOf('demo/legacy-batch', legacyDigest, '2016.09')],
      [basic, event('ecr-basic-scan-failed.json', () => undefined)],
    ]);

    // 5. A multi-arch image: children pushed and scanned first, then the index; the index digest is tagged.
    const children = ['amd64', 'arm64'].map((arch) => ({
      ...seedDemoImage(aws, 'demo/multiarch', {
        image: { build: `multiarch-${arch}`, user: 'app', architecture: arch },
        pushedAt: pushedAgo(6),
        scan: { status: 'COMPLETE', findings: basicFindings(1, 'LOW') },
      }),
      arch,
    }));
    const index = buildIndex(children);
    const indexDigest = seedDemoImage(aws, 'demo/multiarch', {
      image: { manifest: index.manifest, mediaType: index.mediaType },
      tags: ['3.0.0'],
      pushedAt: pushedAgo(5),
    }).digest;
    await run('demo/multiarch:3.0.0 (index)', 'demo/multiarch', indexDigest, [
      [push, pushOf('demo/multiarch', indexDigest, '3.0.0', index.mediaType)],
      ...children.map((c): [Handler, Raw] => [basic, basicScanOf('demo/multiarch', c.digest, [])]),
    ]);

    printTable(rows);
    const calls = aws.callCounts();
    process.stdout.write(
      `\n${aws.sns.publishes().length} alerts published, ${calls.ecr.PutImage ?? 0} PutImage calls, ` +
        `${calls.dynamodb.PutItem ?? 0} ledger writes; finished in ${((Date.now() - started) / 1000).toFixed(1)} s.\n` +
        'Deployments pull approved-* tags only. Replay one event offline: npm run gatekeeper -- replay events/ecr-basic-scan-complete.json --findings test/fixtures/aws/ecr-describe-image-scan-findings-basic.json --image-facts scripts/demo-image-facts.json --dry-run\n',
    );
    const expected = ['approved', 'approved', 'quarantined', 'quarantined', 'approved'];
    const ok = rows.every((row, i) => row.verdict === expected[i]);
    if (!ok) process.stderr.write('demo: an image did not get its expected verdict (see the table)\n');
    return ok ? 0 : 1;
  } finally {
    await aws.stop();
  }
}

function printTable(rows: readonly Row[]): void {
  const header: Row = { image: 'IMAGE', verdict: 'VERDICT', before: [], after: [], alert: 'ALERT SUBJECT' };
  const tags = (row: Row) =>
    row === header ? 'TAGS BEFORE → AFTER' : `${row.before.join(',') || '(none)'} → ${row.after.join(',')}`;
  const all = [header, ...rows];
  const w = {
    image: Math.max(...all.map((r) => r.image.length)),
    verdict: Math.max(...all.map((r) => r.verdict.length)),
    tags: Math.max(...all.map((r) => tags(r).length)),
  };
  for (const row of all) {
    process.stdout.write(
      `${row.image.padEnd(w.image)}  ${row.verdict.padEnd(w.verdict)}  ${tags(row).padEnd(w.tags)}  ${row.alert}\n`,
    );
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `demo failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
