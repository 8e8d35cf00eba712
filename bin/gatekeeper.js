#!/usr/bin/env node
// Development entry inside a checkout: runs the TypeScript sources through tsx (a dev dependency), so the command
// works right after `npm ci` with no build. The published package's bin is the prebuilt bundle
// dist/cli/gatekeeper.mjs (`npm run build`), which needs neither tsx nor TypeScript.
import { register } from 'tsx/esm/api';

register();
await import('../lib/cli/bin.ts');
