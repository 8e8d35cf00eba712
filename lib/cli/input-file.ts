/**
 * Reading the files a command is given (findings aside, which lib/findings reads with its own size limit):
 * image facts, lifecycle policies, DescribeImages responses, hygiene dumps. Paths are resolved against the
 * command's working directory; every failure is an InvalidInputError naming the file as the user typed it.
 */
import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { InvalidInputError } from '../errors/gatekeeper-error.ts';
import type { CliIo } from './io.ts';

/** Input files are documents people or the AWS CLI write; anything bigger is a mistake, not a policy. */
export const MAX_INPUT_FILE_BYTES = 256 * 1024 * 1024;

/**
 * The file's text (a leading byte-order mark removed).
 * @example const text = await readInputText(io, 'lifecycle-policy.json')
 */
export async function readInputText(io: Pick<CliIo, 'cwd'>, file: string): Promise<string> {
  const path = resolve(io.cwd, file);
  let text: string;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new InvalidInputError(file, null, 'not a regular file');
    if (info.size > MAX_INPUT_FILE_BYTES) {
      throw new InvalidInputError(
        file,
        null,
        `file is ${info.size} bytes; the limit is ${MAX_INPUT_FILE_BYTES}`,
      );
    }
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (error instanceof InvalidInputError) throw error;
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new InvalidInputError(file, null, `cannot read the file (${code})`, { cause: error });
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * The file parsed as JSON; empty files and syntax errors name the file.
 * @example const dump = await readInputJson(io, 'dump.json')
 */
export async function readInputJson(io: Pick<CliIo, 'cwd'>, file: string): Promise<unknown> {
  return parseInputJson(file, await readInputText(io, file));
}

/** JSON text of `file` (already read) → value, or an InvalidInputError naming the file. */
export function parseInputJson(file: string, text: string): unknown {
  if (text.trim() === '') throw new InvalidInputError(file, null, 'the file is empty; expected JSON');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InvalidInputError(file, null, `not valid JSON (${(error as Error).message})`, { cause: error });
  }
}
