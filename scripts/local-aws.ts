/**
 * `npm run local-aws`: the local ECR, SNS, DynamoDB, Inspector and SQS endpoints of test/support as a standalone
 * process, prepared for the `local` stage of serverless.yml, so that
 *
 *   npm run build
 *   npm run local-aws            # in one terminal; copy the export lines it prints into another
 *   npx serverless invoke local --stage local -f basicScanCompleted -p events/ecr-basic-scan-complete.json
 *
 * runs the built function against them. It creates the ledger table and the alert topic the `local` stage names,
 * and (unless --no-seed) the repositories, images and scan results the samples in events/ refer to. It prints every
 * SNS publish as it happens and runs until Ctrl-C.
 *
 * Options: --no-seed   start empty (table and topic only)
 *          --write-env F also write the export lines to F (`source F` in another shell)
 *          --quiet      do not print publishes
 */
import { writeFileSync } from 'node:fs';
import { createLedgerTable } from '../lib/ledger/table.ts';
import { type DemoImageSeed, fixtureManifest, seedDemoImage } from '../test/support/demo-images.ts';
import {
  basicFindings,
  enhancedFindings,
  fixtureText,
  type LocalAws,
  startLocalAws,
} from '../test/support/local-aws.ts';

/** The names the `local` stage of serverless.yml gives the functions (params.local). */
export const LOCAL_STAGE = {
  ledgerTable: 'ecr-scan-gatekeeper-local-ledger',
  topicName: 'ecr-scan-gatekeeper-local-alerts',
  region: 'us-east-1',
  accountId: '123456789012',
} as const;

export const LOCAL_TOPIC_ARN = `arn:aws:sns:${LOCAL_STAGE.region}:${LOCAL_STAGE.accountId}:${LOCAL_STAGE.topicName}`;

/** What the seeded registry holds: one entry per sample event in events/. */
export interface SeededImage {
  readonly repository: string;
  readonly digest: string;
  readonly tags: readonly string[];
  readonly scan: string;
  readonly events: readonly string[];
}

/**
 * Seeds the images the samples in events/ name (same repositories, digests and tags), with scan results that
 * give each sample a decision. Manifests are the byte-exact fixtures, so the digests match the events.
 */
export function seedSampleImages(aws: LocalAws): SeededImage[] {
  const pushedAt = new Date(Date.now() - 10 * 60_000);
  const sample = (
    repository: string,
    tag: string,
    seed: Omit<DemoImageSeed, 'tags' | 'pushedAt'>,
    scan: string,
    events: readonly string[],
  ): SeededImage => {
    const { digest } = seedDemoImage(aws, repository, { ...seed, tags: [tag], pushedAt });
    return { repository, digest, tags: [tag], scan, events };
  };
  return [
    sample(
      'demo/web',
      '1.4.2',
      {
        image: { manifest: fixtureText('manifest-docker-v2s2-dockerhub-real.json') },
        expectDigest: 'sha256:888206c77cd2811ec47e752ba291e5b7734e3ef137dfd222daadaca39a9f17bc',
        // The counts of events/ecr-basic-scan-complete.json: HIGH 2, MEDIUM 9, LOW 3.
        scan: {
          status: 'COMPLETE',
          findings: [...basicFindings(2, 'HIGH'), ...basicFindings(9, 'MEDIUM'), ...basicFindings(3, 'LOW')],
        },
      },
      'basic, COMPLETE: 2 HIGH, 9 MEDIUM, 3 LOW',
      ['ecr-image-push.json', 'ecr-basic-scan-complete.json'],
    ),
    sample(
      'demo/legacy-batch',
      '2016.09',
      {
        image: { manifest: fixtureManifest('ecr-batch-get-image-amazonlinux.json') },
        expectDigest: 'sha256:f1d4ae3f7261a72e98c6ebefe9985cf10a0ea5bd762585a43e0700ed99863807',
        scan: {
          status: 'FAILED',
          description:
            'UnsupportedImageError: The operating system and/or package manager are not supported.',
        },
      },
      'basic, FAILED (UnsupportedImageError)',
      ['ecr-basic-scan-failed.json'],
    ),
    sample(
      'demo/cluster-autoscaler',
      'v1.13.6',
      {
        image: { manifest: fixtureManifest('ecr-batch-get-image-cluster-autoscaler.json') },
        expectDigest: 'sha256:4a1c6567c38904384ebc64e35b7eeddd8451110c299e3368d2210066487d97e5',
        enhancedFindings: [
          ...enhancedFindings(1, 'CRITICAL'),
          ...enhancedFindings(4, 'HIGH'),
          ...enhancedFindings(6, 'MEDIUM'),
        ],
      },
      'enhanced, ACTIVE: 1 CRITICAL, 4 HIGH, 6 MEDIUM',
      ['inspector2-enhanced-scan-complete.json', 'inspector2-finding-ecr-image.json'],
    ),
  ];
}

/** Starts the endpoints and prepares the `local` stage's table and topic (and the sample images). */
export async function startLocalStage(options: { seed?: boolean } = {}): Promise<{
  aws: LocalAws;
  seeded: SeededImage[];
}> {
  const aws = await startLocalAws({
    region: LOCAL_STAGE.region,
    accountId: LOCAL_STAGE.accountId,
    snsTopics: [LOCAL_STAGE.topicName],
  });
  try {
    const dynamodb = aws.clients.dynamodb();
    await createLedgerTable(dynamodb, LOCAL_STAGE.ledgerTable);
    const seeded = options.seed === false ? [] : seedSampleImages(aws);
    return { aws, seeded };
  } catch (error) {
    await aws.stop();
    throw error;
  }
}

/** `export NAME=value` lines for a POSIX shell (values quoted when needed). */
export function exportLines(env: Readonly<Record<string, string>>): string[] {
  const quote = (value: string) =>
    /^[A-Za-z0-9_./:@-]*$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
  return Object.entries(env)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, value]) => `export ${name}=${quote(value)}`);
}

async function main(argv: readonly string[]): Promise<number> {
  const known = new Set(['--no-seed', '--quiet', '--write-env']);
  const envFileAt = argv.indexOf('--write-env');
  const envFile = envFileAt >= 0 ? argv[envFileAt + 1] : undefined;
  const unknown = argv.filter((a, i) => a.startsWith('-') && !known.has(a) && i !== envFileAt + 1);
  if (unknown.length > 0 || (envFileAt >= 0 && (!envFile || envFile.startsWith('-')))) {
    process.stderr.write('usage: npm run local-aws -- [--no-seed] [--quiet] [--write-env FILE]\n');
    return 2;
  }
  const { aws, seeded } = await startLocalStage({ seed: !argv.includes('--no-seed') });
  const lines = exportLines(aws.env);
  if (envFile) writeFileSync(envFile, `${lines.join('\n')}\n`);

  const out = process.stdout;
  out.write('Local AWS endpoints for `serverless invoke local --stage local` are running.\n\n');
  out.write(`  ECR        ${aws.endpoints.ecr}\n  SNS        ${aws.endpoints.sns}\n`);
  out.write(`  DynamoDB   ${aws.endpoints.dynamodb ?? '(off)'}\n  Inspector  ${aws.endpoints.inspector}\n`);
  out.write(`  table      ${LOCAL_STAGE.ledgerTable}\n  topic      ${LOCAL_TOPIC_ARN}\n`);
  for (const image of seeded) {
    out.write(
      `  image      ${image.repository}:${image.tags.join(',')} @ ${image.digest.slice(0, 19)}… (${image.scan}) ← events/${image.events.join(', events/')}\n`,
    );
  }
  out.write(`\nIn another shell${envFile ? ` (or: source ${envFile})` : ''}:\n\n${lines.join('\n')}\n\n`);
  out.write(
    'npx serverless invoke local --stage local -f basicScanCompleted -p events/ecr-basic-scan-complete.json\n\nCtrl-C stops.\n',
  );

  let reported = 0;
  const timer = argv.includes('--quiet')
    ? null
    : setInterval(() => {
        const publishes = aws.sns.publishes();
        for (const p of publishes.slice(reported)) {
          out.write(`[sns] ${p.topicArn.split(':').pop()}: ${p.subject ?? '(no subject)'}\n`);
        }
        reported = publishes.length;
      }, 250);

  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  if (timer) clearInterval(timer);
  await aws.stop();
  out.write('stopped\n');
  return 0;
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`local-aws failed: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
