import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
    env: {
      // The AWS SDK warns once per process, on Node.js 20, that its releases from 2027 need Node.js 22; with a
      // process per test file that is dozens of identical warnings. This is the SDK's documented switch
      // (@aws-sdk/core emitWarningIfUnsupportedVersion); Node.js 20 stays supported by this project.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
    // In CI a JSON report is written too, so .ci/run can print a plain "N passed, N failed" line.
    reporters: process.env.CI ? ['default', ['json', { outputFile: '.vitest-results.json' }]] : ['default'],
  },
});
