/**
 * The `gatekeeper` command (lib/cli/bin.ts runs {@link main} in a process). Commands owned by other modules
 * (replay, lifecycle, hygiene) are loaded on demand so `evaluate` starts without their dependencies.
 */
import { GatekeeperError } from '../errors/gatekeeper-error.ts';
import {
  COMMAND_HELP,
  COMMANDS,
  type CommandName,
  HELP,
  isCommand,
  POLICY_IMPACT_HELP,
} from './command-usage.ts';
import { errorLine, toolVersion } from './error-line.ts';
import { EXIT, UsageError } from './errors.ts';
import { runEvaluate } from './evaluate-command.ts';
import type { CliIo } from './io.ts';
import { runPolicy } from './policy-command.ts';
import { nearest } from './suggest.ts';

export { errorLine, toolVersion } from './error-line.ts';
export type { CliIo } from './io.ts';

/** Loads an owner's command module only when it is used; a missing module is a clear exit 2. */
type Runner = (args: string[], io: CliIo) => Promise<number>;
const ON_DEMAND: Readonly<Record<Exclude<CommandName, 'evaluate' | 'policy'>, () => Promise<Runner>>> = {
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
    if (command === undefined || command === '--help' || command === '-h') {
      (command === undefined ? io.stderr : io.stdout).write(HELP);
      return command === undefined ? EXIT.invalid : EXIT.ok;
    }
    if (command === 'help') {
      // `gatekeeper help evaluate` is `gatekeeper evaluate --help`; `help policy impact` that subcommand's help.
      const topic = args[0];
      if (topic === 'policy' && args[1] === 'impact') io.stdout.write(`${POLICY_IMPACT_HELP}\n`);
      else io.stdout.write(topic !== undefined && isCommand(topic) ? `${COMMAND_HELP[topic]}\n` : HELP);
      return EXIT.ok;
    }
    if (command === '--version' || command === '-v') {
      io.stdout.write(`gatekeeper ${toolVersion()}\n`);
      return EXIT.ok;
    }
    if (!isCommand(command)) {
      const near = nearest(command, COMMANDS);
      throw new UsageError(
        `unknown command "${command}"${near === undefined ? '' : ` (did you mean "${near}"?)`}`,
      );
    }
    if (args.includes('--help') || args.includes('-h')) {
      const impact = command === 'policy' && args[0] === 'impact';
      io.stdout.write(`${impact ? POLICY_IMPACT_HELP : COMMAND_HELP[command]}\n`);
      return EXIT.ok;
    }
    if (command === 'evaluate') return await runEvaluate(args, io, toolVersion());
    if (command === 'policy') return await runPolicy(args, io);
    const load = ON_DEMAND[command];
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
    io.stderr.write(`${errorLine(error, io, isCommand(command ?? '') ? (command as CommandName) : null)}\n`);
    return EXIT.invalid;
  }
}
