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
import { resolve } from 'node:path';
import { loadConfig } from '../config/index.ts';
import { InvalidInputError } from '../errors/gatekeeper-error.ts';
import { type GatekeeperEvent, InvalidEventError, parseEvent } from '../events/index.ts';
import { type FindingsReport, readFindingsFile, severityCounts } from '../findings/index.ts';
import type { GateDependencies, GateOutcome } from '../gate/context.ts';
import { DEFAULT_GATE_SETTINGS } from '../gate/context.ts';
import { DryRunRegistry, type RecordedAction } from '../gate/dry-run-registry.ts';
import { routeEvent } from '../gate/handle-event.ts';
import { notifyMessages } from '../gate/messages.ts';
import { makeTagScheme } from '../gate/tags.ts';
import { MemoryLedger } from '../ledger/memory-ledger.ts';
import { createLogger } from '../log/index.ts';
import type { Notifier, OutboundMessage } from '../notify/notifier.ts';
import { loadPolicySet } from '../policy/index.ts';
import { SCAN_STATUSES, type ScanStatus } from '../registry/registry.ts';
import { choice, parseArgs, parseNow, single } from './args.ts';
import { EXIT, UsageError } from './errors.ts';
import { parseImageFacts } from './image-facts.ts';
import { readInputJson } from './input-file.ts';
import type { CliIo } from './io.ts';
import { choosePolicyDir, showingPolicyDir } from './policy-location.ts';

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

  const event = parseEventFile(eventFile, await readInputJson(io, eventFile));
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
  const report = findingsFile
    ? await readFindingsFile(resolve(io.cwd, findingsFile), input, findingsFile)
    : null;
  if (report !== null && findingsFile !== undefined) {
    const other = otherImage(report, event.image);
    if (other !== null) {
      io.stderr.write(
        `gatekeeper: warning: ${findingsFile} is about ${other}, the event about ${event.image.repository}@${event.image.digest}; the plan judges the event's image by this file's findings\n`,
      );
    }
  }
  const factsFile = single(parsed, 'image-facts');
  const facts =
    factsFile === undefined ? null : parseImageFacts(await readInputJson(io, factsFile), factsFile);
  const tagOptions = (parsed.options.get('tags') ?? [])
    .flatMap((t) => t.split(','))
    .map((t) => t.trim())
    .filter(Boolean);
  const eventTags = event.kind === 'image-pushed' ? (event.tag ? [event.tag] : []) : [...event.tags];
  const tags = parsed.options.has('tags') ? tagOptions : eventTags;

  const config = loadConfig(io.env, { requireAws: false });
  const scheme = makeTagScheme(config.approvedPrefix, config.quarantinedPrefix);
  const policies = choosePolicyDir(single(parsed, 'policies'), io);
  const policySet = await showingPolicyDir(io.cwd, policies, loadPolicySet(policies.dir));
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

/** The event as the handler parses it; a problem names the file and the field (and the event id). */
function parseEventFile(file: string, json: unknown): GatekeeperEvent {
  try {
    return parseEvent(json);
  } catch (error) {
    if (!(error instanceof InvalidEventError)) throw error;
    // InvalidEventError names the event (`event ID: field: problem`); on the command line the file comes first.
    const prefix = `event ${error.eventId}: ${error.field === null ? '' : `${error.field}: `}`;
    const problem = error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
    throw new InvalidInputError(file, error.field, `${problem} (event ${error.eventId})`, { cause: error });
  }
}

/**
 * `repository@digest` (or the part the file names) when the findings file names another image than the event,
 * else null. A file that names neither cannot be checked and is taken as the event's.
 */
function otherImage(report: FindingsReport, image: { repository: string; digest: string }): string | null {
  const repository = report.image.repository;
  const digest = report.image.digest;
  const otherRepository = repository !== null && repository !== '' && repository !== image.repository;
  const otherDigest = digest !== null && digest !== '' && digest !== image.digest;
  if (!otherRepository && !otherDigest) return null;
  return `${repository || image.repository}${digest ? `@${digest}` : ''}`;
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
