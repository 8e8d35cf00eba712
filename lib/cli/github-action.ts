/**
 * The GitHub Action (action.yml at the repository root): `gatekeeper evaluate` on a findings file, with the
 * markdown report in the job summary, a SARIF file for code scanning, `verdict` and friends as step outputs,
 * and a failed step on quarantine (unless `fail-on-verdict` is false).
 *
 * It speaks the runner's file protocol directly (inputs in `INPUT_<NAME>` variables, outputs appended to the
 * file `GITHUB_OUTPUT` names, the summary to `GITHUB_STEP_SUMMARY`, annotations as `::error::` lines on stdout),
 * so the committed bundle (action/dist/index.mjs) needs nothing installed.
 */
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { choice } from './args.ts';
import { errorLine, toolVersion } from './error-line.ts';
import { UsageError } from './errors.ts';
import { type EvaluateOutput, evaluateArgs, OUTPUTS, renderEvaluation } from './evaluate-command.ts';
import type { CliIo, CliStream } from './io.ts';

/** The inputs action.yml declares, as the runner passes them (`INPUT_` + the name in upper case). */
export const ACTION_INPUTS = [
  'findings',
  'repository',
  'tag',
  'digest',
  'policies',
  'input',
  'image-facts',
  'output-format',
  'sarif-file',
  'fail-on-verdict',
  'now',
] as const;
export type ActionInput = (typeof ACTION_INPUTS)[number];

/** The outputs action.yml declares. */
export const ACTION_OUTPUTS = ['verdict', 'sarif-file', 'policy', 'violations'] as const;

/**
 * Runs the Action and returns the process exit code: 0 approved (or quarantined with fail-on-verdict false),
 * 1 quarantined, 2 bad input (an `::error::` annotation says which).
 * @example process.exitCode = await runAction({ stdout, stderr, env: process.env, cwd: process.cwd() })
 */
export async function runAction(io: CliIo): Promise<number> {
  const annotate = (level: 'error' | 'warning' | 'notice', message: string) =>
    io.stdout.write(`::${level} title=gatekeeper::${escapeData(message)}\n`);
  // evaluate's warnings ("gatekeeper: warning: …") become annotations, shown on the run's summary page.
  const stderr: CliStream = {
    write(chunk: string) {
      for (const line of chunk.split('\n')) {
        if (line === '') continue;
        const warning = /^gatekeeper: warning: (.*)$/.exec(line);
        if (warning) annotate('warning', warning[1] as string);
        else io.stderr.write(`${line}\n`);
      }
      return true;
    },
  };
  const cliIo: CliIo = { ...io, stderr };
  try {
    const inputs = readInputs(io.env);
    const evaluation = await evaluateArgs(evaluateArgsOf(inputs), cliIo, toolVersion());
    const { context } = evaluation;
    const decision = context.decision;

    io.stdout.write(renderEvaluation(context, inputs.outputFormat, io));
    const summaryFile = io.env.GITHUB_STEP_SUMMARY;
    if (summaryFile) await appendFile(summaryFile, renderEvaluation(context, 'markdown', io));
    const sarifPath = resolve(io.cwd, inputs.sarifFile);
    await mkdir(dirname(sarifPath), { recursive: true });
    await writeFile(sarifPath, renderEvaluation(context, 'sarif', io));
    await setOutputs(io, {
      verdict: decision.verdict,
      'sarif-file': inputs.sarifFile,
      policy: decision.policy.name,
      violations: String(decision.violations.length),
    });

    if (decision.verdict === 'approved') return 0;
    const headline = `${decision.image.repository}${decision.image.tags.length > 0 ? `:${decision.image.tags.join(', ')}` : ''} is quarantined by policy ${decision.policy.name}: ${decision.violations.length} violation${decision.violations.length === 1 ? '' : 's'}${decision.reason ? ` (${decision.reason})` : ''}`;
    if (!inputs.failOnVerdict) {
      annotate('warning', `${headline}; fail-on-verdict is false, so the step passes`);
      return 0;
    }
    annotate('error', headline);
    return 1;
  } catch (error) {
    annotate('error', errorLine(error, io, 'evaluate').replace(/^gatekeeper: /, ''));
    return 2;
  }
}

interface ActionInputs {
  readonly findings: string;
  readonly repository: string | undefined;
  readonly tags: readonly string[];
  readonly digest: string | undefined;
  readonly policies: string | undefined;
  readonly input: string | undefined;
  readonly imageFacts: string | undefined;
  readonly outputFormat: EvaluateOutput;
  readonly sarifFile: string;
  readonly failOnVerdict: boolean;
  readonly now: string | undefined;
}

/** One input as the runner passes it (`INPUT_FAIL-ON-VERDICT`), trimmed; undefined when empty or absent. */
export function actionInput(env: NodeJS.ProcessEnv, name: ActionInput): string | undefined {
  const value = env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function readInputs(env: NodeJS.ProcessEnv): ActionInputs {
  const findings = actionInput(env, 'findings');
  if (findings === undefined) throw new UsageError('input "findings" is required: the path of a scan report');
  const format = actionInput(env, 'output-format') ?? 'text';
  const outputFormat = choice(
    { options: new Map([['output-format', [format]]]), positional: [] },
    'output-format',
    OUTPUTS,
    'text',
  );
  return {
    findings,
    repository: actionInput(env, 'repository'),
    // Tags: one per line or comma-separated, as workflow authors write lists.
    tags: (actionInput(env, 'tag') ?? '')
      .split(/[\n,]/)
      .map((t) => t.trim())
      .filter(Boolean),
    digest: actionInput(env, 'digest'),
    policies: actionInput(env, 'policies'),
    input: actionInput(env, 'input'),
    imageFacts: actionInput(env, 'image-facts'),
    outputFormat,
    sarifFile: actionInput(env, 'sarif-file') ?? 'gatekeeper.sarif',
    failOnVerdict: booleanInput(env, 'fail-on-verdict', true),
    now: actionInput(env, 'now'),
  };
}

/** YAML 1.2 core booleans, as GitHub's own toolkit accepts them; anything else is refused, naming the input. */
function booleanInput(env: NodeJS.ProcessEnv, name: ActionInput, fallback: boolean): boolean {
  const value = actionInput(env, name);
  if (value === undefined) return fallback;
  if (['true', 'True', 'TRUE'].includes(value)) return true;
  if (['false', 'False', 'FALSE'].includes(value)) return false;
  throw new UsageError(`input "${name}" must be true or false, got "${value}"`);
}

function evaluateArgsOf(inputs: ActionInputs): string[] {
  const args = ['--findings', inputs.findings];
  const add = (option: string, value: string | undefined) => {
    if (value !== undefined) args.push(`--${option}`, value);
  };
  add('repository', inputs.repository);
  for (const tag of inputs.tags) add('tag', tag);
  add('digest', inputs.digest);
  add('policies', inputs.policies);
  add('input', inputs.input);
  add('image-facts', inputs.imageFacts);
  add('now', inputs.now);
  return args;
}

/**
 * Appends `name=value` lines to the file GITHUB_OUTPUT names (the runner's step-output protocol). Values are
 * single lines; outside a runner (no GITHUB_OUTPUT) they are printed instead.
 */
async function setOutputs(io: CliIo, outputs: Readonly<Record<string, string>>): Promise<void> {
  const lines = Object.entries(outputs).map(([name, value]) => `${name}=${value.replace(/[\r\n]+/g, ' ')}\n`);
  const file = io.env.GITHUB_OUTPUT;
  if (file) await appendFile(file, lines.join(''));
  else io.stderr.write(lines.map((l) => `output ${l}`).join(''));
}

/** Workflow-command data escaping (`%`, CR and LF), so a message stays one annotation. */
function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}
