/**
 * `gatekeeper replay EVENT.json --findings FILE [--dry-run]`: the handler's path offline. The event is parsed
 * exactly as in Lambda, the image is decided by the same gate code (readiness, fail-closed table, policy
 * evaluation, tag plan, spoof and loop checks, notification), with the findings file standing in for
 * DescribeImageScanFindings and `--tags` for the tags on the digest. Nothing is sent to AWS: the actions the
 * handler would take are printed.
 *
 * Replay is always a dry run, on purpose: in AWS the gate decides only on fresh findings read from ECR by
 * digest, never on a file someone supplied, so applying a replayed decision would break that rule. To have the
 * gatekeeper act on an event again, re-deliver it (EventBridge archive replay, or a DLQ redrive).
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { loadConfig } from '../config/index.ts';
import { InvalidInputError } from '../errors/gatekeeper-error.ts';
import { parseEvent } from '../events/index.ts';
import { readFindingsFile, severityCounts } from '../findings/index.ts';
import type { GateDependencies, GateOutcome } from '../gate/context.ts';
import { DEFAULT_GATE_SETTINGS } from '../gate/context.ts';
import { DryRunRegistry, type RecordedAction } from '../gate/dry-run-registry.ts';
import { routeEvent } from '../gate/handle-event.ts';
import { notifyMessages } from '../gate/messages.ts';
import { makeTagScheme } from '../gate/tags.ts';
import { MemoryLedger } from '../ledger/memory-ledger.ts';
import { createLogger } from '../log/index.ts';
import type { Notifier, OutboundMessage } from '../notify/notifier.ts';
import type { ImageFacts } from '../policy/decision.ts';
import { loadPolicySet } from '../policy/index.ts';
import { SCAN_STATUSES, type ScanStatus } from '../registry/registry.ts';
import { choice, parseArgs, parseNow, single } from './args.ts';
import { EXIT, UsageError } from './errors.ts';
import { parseImageFacts } from './image-facts.ts';
import type { CliIo } from './io.ts';

export { REPLAY_USAGE } from './command-usage.ts';

const SPEC = {
  findings: 'single',
  input: 'single',
  'dry-run': 'flag',
  policies: 'single',
  tags: 'multi',
  'image-facts': 'single',
  now: 'single',
  output: 'single',
} as const;

class CapturingNotifier implements Notifier {
  readonly messages: OutboundMessage[] = [];
  async publish(message: OutboundMessage): Promise<string> {
    this.messages.push(message);
    return `dry-run-${this.messages.length}`;
  }
}

/**
 * Runs `gatekeeper replay`. Exit 0 approved (or no verdict: not ready, ignored, pending), 1 quarantined,
 * 2 bad usage or input.
 * @example await runReplay(['events/ecr-basic-scan-complete.json', '--findings', 'scan.json', '--dry-run'], io)
 */
export async function runReplay(args: string[], io: CliIo): Promise<number> {
  const parsed = parseArgs(args, SPEC);
  const [eventFile, ...extra] = parsed.positional;
  if (eventFile === undefined) throw new UsageError('replay needs an EVENT.json file');
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  const output = choice(parsed, 'output', ['text', 'json'] as const, 'text');
  const input = choice(parsed, 'input', ['auto', 'ecr', 'inspector', 'trivy', 'grype'] as const, 'auto');
  const now = parseNow(parsed);
  if (!parsed.options.has('dry-run')) {
    io.stderr.write(
      'gatekeeper: replay only plans (dry run): the gate acts on fresh ECR reads, never on a file\n',
    );
  }

  const eventPath = resolve(io.cwd, eventFile);
  let text: string;
  try {
    text = await readFile(eventPath, 'utf8');
  } catch (error) {
    throw new InvalidInputError(eventFile, null, `cannot read: ${(error as Error).message}`, {
      cause: error,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InvalidInputError(eventFile, null, `not JSON: ${(error as Error).message}`, { cause: error });
  }
  const event = parseEvent(json);
  if (event.kind === 'ignored') {
    io.stdout.write(
      output === 'json'
        ? `${JSON.stringify({ outcome: 'ignored', reason: event.reason })}\n`
        : `ignored: ${event.reason}\n`,
    );
    return EXIT.ok;
  }

  const findingsFile = single(parsed, 'findings');
  if (findingsFile === undefined && event.kind !== 'image-pushed') {
    throw new UsageError(
      'replay of a scan or finding event needs --findings FILE (what DescribeImageScanFindings would return)',
    );
  }
  const report = findingsFile ? await readFindingsFile(resolve(io.cwd, findingsFile), input) : null;
  const facts = await readFacts(single(parsed, 'image-facts'), io);
  const tagOptions = (parsed.options.get('tags') ?? [])
    .flatMap((t) => t.split(','))
    .map((t) => t.trim())
    .filter(Boolean);
  const eventTags = event.kind === 'image-pushed' ? (event.tag ? [event.tag] : []) : [...event.tags];
  const tags = parsed.options.has('tags') ? tagOptions : eventTags;

  const config = loadConfig(io.env, { requireAws: false });
  const scheme = makeTagScheme(config.approvedPrefix, config.quarantinedPrefix);
  const policySet = await loadPolicySet(resolve(io.cwd, single(parsed, 'policies') ?? 'policies'));
  const status = report?.scan?.status ?? 'COMPLETE';
  const registry = new DryRunRegistry({
    ref: event.image,
    tags,
    scan: report
      ? {
          status: (SCAN_STATUSES as readonly string[]).includes(status) ? (status as ScanStatus) : 'COMPLETE',
          description: report.scan?.description ?? null,
          findings: report.findings,
          severityCounts: report.findings.length > 0 ? severityCounts(report.findings) : null,
          enhanced: report.findings.some((f) => f.source !== 'ecr-basic'),
          completedAt: null,
        }
      : null,
    facts,
    manifestMediaType:
      (event.kind === 'image-pushed' ? event.manifestMediaType : null) ??
      'application/vnd.docker.distribution.manifest.v2+json',
    scanning: { scanType: 'BASIC', frequency: 'SCAN_ON_PUSH' },
    // The file is a finished result: far enough in the past that an empty enhanced result is not "settling".
    pushedAt: new Date(now.getTime() - DEFAULT_GATE_SETTINGS.enhancedSettleMs - 60_000).toISOString(),
  });
  const notifier = new CapturingNotifier();
  const deps: GateDependencies = {
    registry,
    ledger: new MemoryLedger(),
    notifier,
    messages: notifyMessages(scheme, config.consoleUrlRegion, () => now),
    policySet,
    policySetProblem: null,
    scheme,
    repositoryScope: config.repositoryScope,
    logger: createLogger({ level: 'silent' }),
    now: () => now,
    settings: { ...DEFAULT_GATE_SETTINGS, parentWaitMs: 0 },
  };

  const before = [...tags].sort();
  const outcome = await routeEvent(deps, event);

  if (output === 'json') {
    io.stdout.write(
      `${JSON.stringify(
        {
          dryRun: true,
          event: {
            id: event.eventId,
            kind: event.kind,
            repository: event.image.repository,
            digest: event.image.digest,
          },
          outcome: outcome.outcome,
          detail: outcome.detail,
          verdict: outcome.verdict,
          decision: outcome.decision ?? null,
          actions: [
            ...registry.actions,
            ...notifier.messages.map((m) => ({
              action: 'publish',
              subject: m.subject,
              attributes: m.attributes,
            })),
          ],
          tagsBefore: before,
          tagsAfter: registry.tags,
          problems: outcome.problems,
        },
        null,
        2,
      )}\n`,
    );
  } else {
    io.stdout.write(
      renderText(
        event.eventId,
        event.kind,
        `${event.image.repository}@${event.image.digest}`,
        outcome,
        registry.actions,
        notifier.messages,
        before,
        registry.tags,
      ),
    );
  }
  return outcome.verdict === 'quarantined' ? EXIT.failed : EXIT.ok;
}

async function readFacts(file: string | undefined, io: CliIo): Promise<ImageFacts | null> {
  if (file === undefined) return null;
  let json: unknown;
  try {
    json = JSON.parse(await readFile(resolve(io.cwd, file), 'utf8'));
  } catch (error) {
    throw new InvalidInputError(file, null, `cannot read image facts: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return parseImageFacts(json, file);
}

function describeAction(action: RecordedAction): string {
  switch (action.action) {
    case 'put-tag':
      return `PutImage          tag ${action.tag} (BatchGetImage by digest, exact manifest bytes)`;
    case 'remove-tags':
      return `BatchDeleteImage  by tag: ${action.tags.join(', ')}`;
    case 'set-storage-class':
      return `UpdateImageStorageClass → ${action.storageClass}`;
    case 'start-scan':
      return 'StartImageScan';
  }
}

function renderText(
  eventId: string,
  kind: string,
  image: string,
  outcome: GateOutcome,
  actions: readonly RecordedAction[],
  messages: readonly OutboundMessage[],
  before: readonly string[],
  after: readonly string[],
): string {
  const lines = [
    `event     ${eventId} (${kind})`,
    `image     ${image}`,
    `outcome   ${outcome.outcome}${outcome.verdict ? `: ${outcome.verdict}` : ''}`,
  ];
  const d = outcome.decision;
  if (d) {
    lines.push(`policy    ${d.policy.name} (${d.policy.file}, ${d.policy.mode}, ${d.policy.version})`);
    if (d.reason) lines.push(`reason    ${d.reason}`);
    for (const v of d.violations.slice(0, 20))
      lines.push(
        `violation ${v.rule}${v.findingId ? ` ${v.findingId}` : ''}${v.severity ? ` ${v.severity}` : ''}${v.package ? ` ${v.package}` : ''}`,
      );
    if (d.violations.length > 20) lines.push(`          … and ${d.violations.length - 20} more violations`);
    for (const w of d.waived.slice(0, 20))
      lines.push(
        `waived    ${w.findingId} by ${w.exception.file}#${w.exception.id} until ${w.exception.expires}`,
      );
  } else if (outcome.detail) {
    lines.push(`detail    ${outcome.detail}`);
  }
  lines.push('planned actions (dry run, nothing sent):');
  if (actions.length === 0 && messages.length === 0) lines.push('  none');
  for (const a of actions) lines.push(`  ${describeAction(a)}`);
  for (const m of messages) lines.push(`  SNS Publish       "${m.subject}"`);
  for (const p of outcome.problems) lines.push(`problem   ${p}`);
  lines.push(`tags      ${before.join(', ') || '(none)'} → ${after.join(', ') || '(none)'}`);
  return `${lines.join('\n')}\n`;
}
