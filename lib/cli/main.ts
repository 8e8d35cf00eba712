/**
 * The `gatekeeper` command (bin/gatekeeper.js calls {@link main}). Commands owned by other modules
 * (replay, lifecycle, hygiene) are loaded on demand so `evaluate` starts without their dependencies.
 */
import { readFileSync } from 'node:fs';
import { GatekeeperError, InvalidInputError } from '../errors/gatekeeper-error.ts';
import { formatProblem, PolicySetInvalidError } from '../policy/index.ts';
import { HYGIENE_USAGE, LIFECYCLE_USAGE, REPLAY_USAGE } from './command-usage.ts';
import { EXIT, UsageError } from './errors.ts';
import { EVALUATE_USAGE, runEvaluate } from './evaluate-command.ts';
import type { CliIo } from './io.ts';
import { POLICY_USAGE, runPolicy } from './policy-command.ts';

export type { CliIo } from './io.ts';

const NOTES = `--findings accepts an ECR DescribeImageScanFindings response (basic or enhanced; one page or a JSON array
of pages), an Inspector2 ListFindings response, Trivy JSON (trivy image -f json) or Grype JSON (grype -o json).
--repository NAME is optional when the findings file names the repository (ECR repositoryName, Inspector
resource repositoryName, Trivy ArtifactName, Grype source.target; a registry host is dropped); the option wins
over the file, and evaluate exits 2 when neither names one. --tag and --digest default to the file the same way.
--image-facts accepts {"sizeBytes", "user", "labels"}, a Docker/OCI config blob, or {"manifest", "config"};
without it the image rules that need facts (runsAsRoot, requiredLabels, maxSizeBytes) are not checked, and
evaluate says which on stderr and in its text, markdown and SARIF output.

Exit codes: 0 approved / valid / tests pass / no drift; 1 quarantined / tests fail / drift found (hygiene plan);
2 bad usage or bad input (one line on stderr naming the file and field).
`;

const HELP = `gatekeeper — vet container images against policies as code (the same decision the ECR gate makes)

${EVALUATE_USAGE}
${POLICY_USAGE}
${LIFECYCLE_USAGE}
${HYGIENE_USAGE}
${REPLAY_USAGE}
usage: gatekeeper --help | --version

${NOTES}`;

/** `gatekeeper COMMAND --help` prints that command's usage. */
const COMMAND_USAGE: Readonly<Record<string, string>> = {
  evaluate: EVALUATE_USAGE,
  policy: POLICY_USAGE,
  replay: REPLAY_USAGE,
  lifecycle: LIFECYCLE_USAGE,
  hygiene: HYGIENE_USAGE,
};

/** Loads an owner's command module only when it is used; a missing module is a clear exit 2. */
type Runner = (args: string[], io: CliIo) => Promise<number>;
const ON_DEMAND: Readonly<Record<string, () => Promise<Runner>>> = {
  replay: async () => (await import('./replay-command.ts')).runReplay,
  lifecycle: async () => (await import('./lifecycle-command.ts')).runLifecycle,
  hygiene: async () => (await import('./hygiene-command.ts')).runHygiene,
};

/**
 * Runs one `gatekeeper` invocation and returns its exit code (never throws, never calls process.exit).
 * @example process.exitCode = await main(['evaluate', '--findings', 'scan.json', '--output', 'json'], { stdout, stderr, env, cwd })
 */
export async function main(argv: string[], io: CliIo): Promise<number> {
  const [command, ...args] = argv;
  try {
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      (command === undefined ? io.stderr : io.stdout).write(HELP);
      return command === undefined ? EXIT.invalid : EXIT.ok;
    }
    if (command === '--version' || command === '-v') {
      io.stdout.write(`gatekeeper ${toolVersion()}\n`);
      return EXIT.ok;
    }
    if (args.includes('--help') || args.includes('-h')) {
      const usage = Object.hasOwn(COMMAND_USAGE, command) ? COMMAND_USAGE[command] : undefined;
      io.stdout.write(usage === undefined ? HELP : `${usage}\n\n${NOTES}`);
      return EXIT.ok;
    }
    if (command === 'evaluate') return await runEvaluate(args, io, toolVersion());
    if (command === 'policy') return await runPolicy(args, io);
    const load = Object.hasOwn(ON_DEMAND, command) ? ON_DEMAND[command] : undefined;
    if (load === undefined) throw new UsageError(`unknown command "${command}"`);
    let run: Runner;
    try {
      run = await load();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') {
        throw new GatekeeperError(`the "${command}" command is not available in this build`, {
          cause: error,
        });
      }
      throw error;
    }
    return await run(args, io);
  } catch (error) {
    return reportError(error, io);
  }
}

function reportError(error: unknown, io: CliIo): number {
  if (error instanceof UsageError) {
    io.stderr.write(`gatekeeper: ${error.message}\nrun "gatekeeper --help" for usage\n`);
  } else if (error instanceof PolicySetInvalidError) {
    for (const p of error.problems)
      if (p.level === 'error') io.stderr.write(`gatekeeper: ${formatProblem(p)}\n`);
    if (!error.problems.some((p) => p.level === 'error')) io.stderr.write(`gatekeeper: ${error.message}\n`);
  } else if (error instanceof InvalidInputError || error instanceof GatekeeperError) {
    io.stderr.write(`gatekeeper: ${oneLine(error.message)}\n`);
  } else {
    // A bug, not a decision: never exit 0 or 1 on it.
    const detail = io.env.GATEKEEPER_DEBUG && error instanceof Error ? `\n${error.stack}` : '';
    io.stderr.write(
      `gatekeeper: internal error: ${oneLine(String(error instanceof Error ? error.message : error))}${detail}\n`,
    );
  }
  return EXIT.invalid;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ');
}

let cachedVersion: string | undefined;
function toolVersion(): string {
  if (cachedVersion === undefined) {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version?: unknown;
    };
    cachedVersion = typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  }
  return cachedVersion;
}
