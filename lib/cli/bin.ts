/**
 * The `gatekeeper` process: runs {@link main} with this process's streams, environment and working directory.
 * The build bundles this file into dist/cli/gatekeeper.mjs (the package's bin); bin/gatekeeper.js runs it from
 * the TypeScript sources inside a checkout.
 */
import { main } from './main.ts';

// A reader that stops early (`gatekeeper policy test | head`) closes the pipe: stop quietly, as other tools do.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(process.exitCode ?? 0);
  });
}

process.exitCode = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
});
