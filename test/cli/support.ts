import { fileURLToPath } from 'node:url';
import { main } from '../../lib/cli/main.ts';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const NOW = '2026-11-23T12:00:00Z';
export const AWS = 'test/fixtures/aws';
export const SCANNERS = 'test/fixtures/scanners';

export interface Captured {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs main() in-process with captured streams, from the repository root unless `cwd` is given. */
export async function run(
  argv: string[],
  options: { tty?: boolean; columns?: number; env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<Captured> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: {
      write: (s: string) => (stdout += s),
      isTTY: options.tty ?? false,
      ...(options.columns === undefined ? {} : { columns: options.columns }),
    },
    stderr: { write: (s: string) => (stderr += s), isTTY: false },
    env: options.env ?? {},
    cwd: options.cwd ?? ROOT,
  });
  return { code, stdout, stderr };
}
