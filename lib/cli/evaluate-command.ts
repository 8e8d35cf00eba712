/**
 * `gatekeeper evaluate --findings FILE [--input auto|ecr|inspector|trivy|grype] [--repository NAME] [--tag TAG]...
 *  [--digest sha256:…] [--policies DIR] [--now ISO-8601] [--image-facts FILE] [--output text|json|sarif|markdown]`
 *
 * The same decision the Lambda makes, offline. Exit 0 approved, 1 quarantined, 2 bad usage or bad input.
 */
import { resolve } from 'node:path';
import { InvalidInputError } from '../errors/gatekeeper-error.ts';
import {
  FINDINGS_INPUTS,
  type FindingsInput,
  type FindingsReport,
  readFindingsFile,
} from '../findings/index.ts';
import type { Decision, ImageFacts, ImageUnderTest } from '../policy/decision.ts';
import {
  judgeImage,
  judgingPolicies,
  loadPolicySet,
  type PolicyDefinition,
  type ScanOutcome,
  type SkippedImageRule,
  skippedImageRules,
} from '../policy/index.ts';
import { choice, parseArgs, parseNow, single } from './args.ts';
import { EXIT, UsageError } from './errors.ts';
import { parseImageFacts } from './image-facts.ts';
import { readInputJson } from './input-file.ts';
import { type CliIo, terminalWidth, useColour } from './io.ts';
import { choosePolicyDir, showingPolicyDir } from './policy-location.ts';
import { type RenderContext, skippedRulesNote } from './render/context.ts';
import { renderJson } from './render/json.ts';
import { renderMarkdown } from './render/markdown.ts';
import { renderSarif } from './render/sarif.ts';
import { renderText } from './render/text.ts';

export const OUTPUTS = ['text', 'json', 'sarif', 'markdown'] as const;
const DIGEST = /^sha256:[0-9a-f]{64}$/;
/** ECR's repository-name pattern (length checked first, so the match stays linear). */
const REPOSITORY_NAME = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
/** An image tag as ECR and Docker accept it (ECR allows up to 300 characters). */
const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,299}$/;
/** Scans that have not finished: no verdict can be given yet (DESIGN.md fail-closed table). */
const NOT_READY = new Set(['IN_PROGRESS', 'PENDING']);
/** Scan statuses that carry findings to judge. */
const FINISHED = new Set(['COMPLETE', 'ACTIVE']);

/** The output formats of `evaluate`. */
export type EvaluateOutput = (typeof OUTPUTS)[number];

/** One evaluation, ready to render in any format. */
export interface Evaluation {
  readonly output: EvaluateOutput;
  readonly context: RenderContext;
}

/**
 * Runs `gatekeeper evaluate …` (args after `evaluate`) and returns the exit code (0 approved, 1 quarantined).
 * @example await runEvaluate(['--findings', 'scan.json', '--repository', 'demo', '--output', 'json'], io, '0.1.0')
 */
export async function runEvaluate(args: string[], io: CliIo, toolVersion: string): Promise<number> {
  const evaluation = await evaluateArgs(args, io, toolVersion);
  io.stdout.write(renderEvaluation(evaluation.context, evaluation.output, io));
  return exitCodeOf(evaluation.context.decision);
}

/** 0 approved, 1 quarantined. */
export function exitCodeOf(decision: Decision): number {
  return decision.verdict === 'approved' ? EXIT.ok : EXIT.failed;
}

/**
 * The decision for `evaluate`'s arguments, without printing it (warnings go to stderr). Throws UsageError or
 * InvalidInputError (exit 2) on bad usage or input.
 * @example const { context } = await evaluateArgs(['--findings', 'trivy.json', '--repository', 'x'], io, '0.1.0')
 */
export async function evaluateArgs(
  args: readonly string[],
  io: CliIo,
  toolVersion: string,
): Promise<Evaluation> {
  const parsed = parseArgs(args, {
    findings: 'single',
    input: 'single',
    repository: 'single',
    tag: 'multi',
    digest: 'single',
    policies: 'single',
    now: 'single',
    output: 'single',
    'image-facts': 'single',
  });
  if (parsed.positional.length > 0) throw new UsageError(`unexpected argument "${parsed.positional[0]}"`);
  const findingsFile = single(parsed, 'findings');
  if (findingsFile === undefined) throw new UsageError('option "--findings FILE" is required');
  const input = choice<FindingsInput>(parsed, 'input', FINDINGS_INPUTS, 'auto');
  const output = choice(parsed, 'output', OUTPUTS, 'text');
  const now = parseNow(parsed);
  const digestOption = single(parsed, 'digest');
  if (digestOption !== undefined && !DIGEST.test(digestOption)) {
    throw new UsageError(
      `option "--digest" must be sha256: followed by 64 lowercase hex characters, got "${digestOption}"`,
    );
  }

  const repositoryOption = single(parsed, 'repository');
  if (
    repositoryOption !== undefined &&
    (repositoryOption.length < 2 || repositoryOption.length > 256 || !REPOSITORY_NAME.test(repositoryOption))
  ) {
    // A name ECR cannot have would silently fall through to the default policy: refuse it.
    throw new UsageError(
      `option "--repository" must be an ECR repository name (lower-case letters, digits, ".", "_", "-" between them, "/" between parts; 2 to 256 characters), got "${repositoryOption}"`,
    );
  }
  for (const tag of parsed.options.get('tag') ?? []) {
    if (!IMAGE_TAG.test(tag)) {
      throw new UsageError(
        `option "--tag" must be an image tag (letters, digits, "_", "." and "-", not starting with "." or "-", 1 to 300 characters), got "${tag}"`,
      );
    }
  }

  // Findings about another image than the one named are refused (exit 2), never judged as this one's.
  const report = await readFindingsFile(resolve(io.cwd, findingsFile), input, findingsFile, {
    repository: repositoryOption,
    digest: digestOption,
  });
  const image = imageUnderTest(
    parsed.options.get('tag') ?? [],
    repositoryOption,
    digestOption,
    report,
    findingsFile,
    io,
  );
  const factsFile = single(parsed, 'image-facts');
  const facts = factsFile === undefined ? null : await readImageFacts(io, factsFile);
  const policies = choosePolicyDir(single(parsed, 'policies'), io);
  const policySet = await showingPolicyDir(io.cwd, policies, loadPolicySet(policies.dir));

  const decision = decide(report, image, facts, policySet, now, findingsFile);
  // Rules that could not run are said out loud (stderr, text, markdown, SARIF); the JSON contract stays as is.
  const skippedRules: readonly SkippedImageRule[] =
    decision.reason === undefined ? skippedRulesOf(judgingPolicies(policySet, decision), facts) : [];
  const note = skippedRulesNote(skippedRules);
  if (note !== null) io.stderr.write(`gatekeeper: warning: ${note}\n`);
  const context: RenderContext = {
    decision,
    findings: report.findings,
    findingsFile,
    excluded: report.excluded ?? {},
    toolVersion,
    skippedRules,
  };
  return { output, context };
}

/**
 * The evaluation in one output format (text is coloured and fitted only when `io.stdout` is a terminal).
 * @example io.stdout.write(renderEvaluation(context, 'markdown', io))
 */
export function renderEvaluation(
  context: RenderContext,
  output: EvaluateOutput,
  io: Pick<CliIo, 'stdout' | 'env'>,
): string {
  switch (output) {
    case 'json':
      return renderJson(context.decision);
    case 'sarif':
      return renderSarif(context);
    case 'markdown':
      return renderMarkdown(context);
    default:
      return renderText(context, { colour: useColour(io.stdout, io.env), width: terminalWidth(io.stdout) });
  }
}

function decide(
  report: FindingsReport,
  image: ImageUnderTest,
  facts: ImageFacts | null,
  policySet: Awaited<ReturnType<typeof loadPolicySet>>,
  now: Date,
  findingsFile: string,
): Decision {
  const status = report.scan?.status;
  // No factsProblem: without --image-facts the rules that need facts are skipped and said so, not failed.
  const judge = (scan: ScanOutcome) => judgeImage({ image, policySet, now, scan, facts, factsProblem: null });
  if (status === undefined || FINISHED.has(status))
    return judge({ kind: 'findings', findings: report.findings });
  if (NOT_READY.has(status)) {
    throw new InvalidInputError(
      findingsFile,
      'imageScanStatus.status',
      `the scan is ${status}; no verdict until it completes (fetch the findings again later)`,
    );
  }
  return judge({ kind: 'no-findings', status, description: report.scan?.description ?? null });
}

/** Image rules skipped for want of facts, over every policy that judged a tag (governing first), each once. */
function skippedRulesOf(
  policies: readonly PolicyDefinition[],
  facts: ImageFacts | null,
): readonly SkippedImageRule[] {
  const seen = new Map<string, SkippedImageRule>();
  for (const policy of policies) {
    for (const rule of skippedImageRules(policy, facts)) if (!seen.has(rule.rule)) seen.set(rule.rule, rule);
  }
  return [...seen.values()];
}

/** Options win; otherwise what the findings file says; the repository must come from one of them. */
function imageUnderTest(
  tags: readonly string[],
  repository: string | undefined,
  digest: string | undefined,
  report: FindingsReport,
  findingsFile: string,
  io: CliIo,
): ImageUnderTest {
  const repo = repository ?? report.image.repository;
  if (repo === null || repo === undefined || repo === '') {
    throw new UsageError(
      `option "--repository NAME" is required: ${findingsFile} does not name the repository`,
    );
  }
  let fileDigest = report.image.digest;
  if (digest === undefined && fileDigest !== null && !DIGEST.test(fileDigest)) {
    io.stderr.write(
      `gatekeeper: ${findingsFile}: ignoring image digest "${fileDigest}": not a sha256 digest\n`,
    );
    fileDigest = null;
  }
  return {
    repository: repo,
    tags: tags.length > 0 ? [...tags] : [...report.image.tags],
    digest: digest ?? fileDigest,
  };
}

async function readImageFacts(io: CliIo, file: string): Promise<ImageFacts> {
  return parseImageFacts(await readInputJson(io, file), file);
}
