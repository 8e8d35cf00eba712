/**
 * `gatekeeper policy impact --base DIR|REF --head DIR|REF --snapshot FILE [--output text|json|markdown]
 * [--now ISO-8601] [--fail-on-flip]`: which images of a registry snapshot would change verdict if the head policy
 * set replaced the base one (docs/cli.md "gatekeeper policy impact").
 *
 * A side that names an existing directory is loaded from it. Anything else is a git revision of the repository
 * in the working directory, `REV` (its `policies/` directory) or `REV:PATH`: the tree is exported with
 * `git archive REV:PATH | tar -x` into a temporary directory, loaded, and the directory removed. Exporting the
 * tree (instead of `git show` file by file) loads exactly what a checkout of REV would, nested folders included.
 *
 * Exit codes: 0 the report was printed (whatever flips it shows); 1 with --fail-on-flip when some image flips;
 * 2 bad usage or input (one line naming the file and field).
 */
import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { GatekeeperError, InvalidInputError } from '../errors/gatekeeper-error.ts';
import { loadPolicySet, type PolicySet, PolicySetInvalidError } from '../policy/index.ts';
import { readSnapshot } from '../snapshot/index.ts';
import { choice, type ParsedArgs, parseArgs, parseNow, single } from './args.ts';
import { EXIT, UsageError } from './errors.ts';
import type { CliIo } from './io.ts';
import { ImpactCollector } from './policy-impact.ts';
import { locatePolicySetError, showingPolicyDir } from './policy-location.ts';
import { renderImpactJson, renderImpactMarkdown, renderImpactText } from './render/impact.ts';

/** The policies directory of a revision when `REV` names no path. */
export const DEFAULT_POLICY_PATH = 'policies';

const SPEC = {
  base: 'single',
  head: 'single',
  snapshot: 'single',
  output: 'single',
  now: 'single',
  'fail-on-flip': 'flag',
} as const;

/**
 * Runs `gatekeeper policy impact …` (args after `impact`) and returns the exit code.
 * @example await runPolicyImpact(['--base', 'main', '--head', 'policies', '--snapshot', 'snapshot.jsonl.gz'], io)
 */
export async function runPolicyImpact(args: string[], io: CliIo): Promise<number> {
  const parsed = parseArgs(args, SPEC);
  if (parsed.positional.length > 0) throw new UsageError(`unexpected argument "${parsed.positional[0]}"`);
  const baseSpec = required(parsed, 'base', 'DIR|REV');
  const headSpec = required(parsed, 'head', 'DIR|REV');
  const snapshotFile = required(parsed, 'snapshot', 'FILE');
  const output = choice(parsed, 'output', ['text', 'json', 'markdown'] as const, 'text');
  const now = parseNow(parsed);
  const failOnFlip = parsed.options.has('fail-on-flip');

  const base = await loadSide('base', baseSpec, io);
  const head = await loadSide('head', headSpec, io);
  const reading = await readSnapshot(resolve(io.cwd, snapshotFile), snapshotFile);
  const collector = new ImpactCollector(base, head, now);
  let seen = 0;
  for await (const image of reading.images) {
    collector.add(image);
    seen += 1;
    if (seen % 10_000 === 0) io.stderr.write(`gatekeeper: ${seen} images judged\n`);
  }
  const impact = collector.finish(
    { source: baseSpec, version: base.version },
    { source: headSpec, version: head.version },
    { file: snapshotFile, header: reading.header },
  );
  const rendered =
    output === 'json'
      ? renderImpactJson(impact)
      : output === 'markdown'
        ? renderImpactMarkdown(impact)
        : renderImpactText(impact);
  io.stdout.write(rendered);
  return failOnFlip && impact.summary.flipped > 0 ? EXIT.failed : EXIT.ok;
}

function required(parsed: ParsedArgs, name: string, meta: string): string {
  const value = single(parsed, name);
  if (value === undefined || value === '') throw new UsageError(`option "--${name} ${meta}" is required`);
  return value;
}

function isDirectory(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}

/** One side's policy set: a directory, else a git revision (see the module comment). */
async function loadSide(side: 'base' | 'head', spec: string, io: CliIo): Promise<PolicySet> {
  const dir = resolve(io.cwd, spec);
  if (isDirectory(dir)) return showingPolicyDir(io.cwd, { dir, shown: spec }, loadPolicySet(dir));
  const colon = spec.indexOf(':');
  const rev = colon >= 0 ? spec.slice(0, colon) : spec;
  const path = (colon >= 0 ? spec.slice(colon + 1) : DEFAULT_POLICY_PATH).replace(/^\/+|\/+$/g, '');
  if (rev === '' || rev.startsWith('-') || path.split('/').includes('..')) {
    throw new UsageError(
      `option "--${side}": "${spec}" is neither a directory nor a git revision (REV or REV:PATH)`,
    );
  }
  const tree = `${rev}:${path}`;
  // `REV:PATH^{tree}` would read `PATH^{tree}` as the path: ask for the object's type instead.
  const check = await execute('git', ['cat-file', '-t', tree], io.cwd);
  if (check.code !== 0 || check.stdout.trim() !== 'tree') {
    throw new UsageError(
      `option "--${side}": "${spec}" is neither a directory nor a git revision with a ${path || '.'} directory` +
        (check.stderr.trim() === '' ? '' : ` (git: ${check.stderr.trim().split('\n')[0]})`),
    );
  }
  const temp = await mkdtemp(join(tmpdir(), 'gatekeeper-impact-'));
  try {
    const root = join(temp, basename(path) || 'policies');
    await mkdir(root);
    await exportTree(tree, root, io.cwd);
    try {
      return await loadPolicySet(root);
    } catch (error) {
      if (error instanceof PolicySetInvalidError) {
        const prefix = `${basename(root)}/`;
        throw locatePolicySetError(error, (file) =>
          file.startsWith(prefix) ? `${tree}/${file.slice(prefix.length)}` : file,
        );
      }
      throw error;
    }
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

interface Executed {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function execute(command: string, args: readonly string[], cwd: string): Promise<Executed> {
  return new Promise((done) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.on('error', (error) => done({ code: 127, stdout, stderr: `${command}: ${error.message}` }));
    child.on('close', (code) => done({ code: code ?? 1, stdout, stderr }));
  });
}

/** `git archive TREE | tar -x -C DIR`, failing with git's or tar's own first line of stderr. */
function exportTree(tree: string, dir: string, cwd: string): Promise<void> {
  return new Promise((done, failed) => {
    const git = spawn('git', ['archive', '--format=tar', tree], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const tar = spawn('tar', ['-x', '-f', '-', '-C', dir], { stdio: ['pipe', 'ignore', 'pipe'] });
    git.stdout.pipe(tar.stdin);
    let errors = '';
    git.stderr.on('data', (c: Buffer) => {
      errors += c.toString('utf8');
    });
    tar.stderr.on('data', (c: Buffer) => {
      errors += c.toString('utf8');
    });
    const codes: { git?: number | null; tar?: number | null } = {};
    const fail = (error: Error) =>
      failed(new GatekeeperError(`cannot export ${tree}: ${error.message}`, { cause: error }));
    git.on('error', fail);
    tar.on('error', fail);
    const settle = () => {
      if (!('git' in codes && 'tar' in codes)) return;
      if (codes.git === 0 && codes.tar === 0) done();
      else {
        const reason = errors.trim().split('\n')[0] || `exit ${codes.git || codes.tar}`;
        failed(new InvalidInputError(tree, null, `cannot export the policies (${reason})`));
      }
    };
    git.on('close', (code) => {
      codes.git = code;
      settle();
    });
    tar.on('close', (code) => {
      codes.tar = code;
      settle();
    });
  });
}
