/**
 * The GitHub Action's process (action.yml `runs.main`): bundled by the build into action/dist/index.mjs, which is
 * committed so the Action runs from the repository as checked out. The work is done by {@link runAction}.
 */
import { runAction } from './github-action.ts';

process.exitCode = await runAction({
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  // The runner starts actions in the workspace; GITHUB_WORKSPACE says so explicitly.
  cwd: process.env.GITHUB_WORKSPACE || process.cwd(),
});
