/** The streams and environment a CLI command runs with; tests pass captured streams. */
export interface CliStream {
  write(chunk: string): unknown;
  /** Set on terminals; colour is used only when true. */
  readonly isTTY?: boolean;
}

export interface CliIo {
  readonly stdout: CliStream;
  readonly stderr: CliStream;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
}

/** ANSI colour only on a terminal, and never when NO_COLOR is set (https://no-color.org). */
export function useColour(stream: CliStream, env: NodeJS.ProcessEnv): boolean {
  return stream.isTTY === true && (env.NO_COLOR === undefined || env.NO_COLOR === '');
}
