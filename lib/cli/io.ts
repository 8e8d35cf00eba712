/** The streams and environment a CLI command runs with; tests pass captured streams. */
export interface CliStream {
  write(chunk: string): unknown;
  /** Set on terminals; colour is used only when true. */
  readonly isTTY?: boolean;
  /** Terminal width (Node sets it on TTY streams); tables are cut to it only on a terminal. */
  readonly columns?: number;
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

/** The width to fit tables to: the terminal's on a TTY, none (full lines) when output goes to a file or pipe. */
export function terminalWidth(stream: CliStream): number | null {
  if (stream.isTTY !== true) return null;
  const columns = stream.columns;
  return typeof columns === 'number' && Number.isInteger(columns) && columns > 0 ? columns : null;
}
