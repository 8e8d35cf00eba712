#!/usr/bin/env node
// `npm run build`: bundles every Lambda function into .build/ and zips it (see scripts/build-functions.ts).
// `node scripts/build.mjs --analyze [function…]`: prints what each bundle is made of, writes nothing.
// tsx is registered so the build can load the TypeScript policy engine to validate policies/.
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

register();
const { runBuild } = await import('./build-functions.ts');
process.exitCode = await runBuild({
  root: resolve(dirname(fileURLToPath(import.meta.url)), '..'),
  argv: process.argv.slice(2),
  stdout: process.stdout,
  stderr: process.stderr,
});
