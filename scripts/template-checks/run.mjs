#!/usr/bin/env node
// Template checks CLI: node scripts/template-checks/run.mjs [.serverless/cloudformation-template-update-stack.json]
// Exit codes: 0 no violation, 1 violations (one per line on stdout), 2 the template cannot be read.
import { readFile } from 'node:fs/promises';
import { register } from 'tsx/esm/api';

register();
const { checkTemplate, formatViolations } = await import('./index.ts');

const path = process.argv[2] ?? '.serverless/cloudformation-template-update-stack.json';
let template;
try {
  template = JSON.parse(await readFile(path, 'utf8'));
} catch (error) {
  process.stderr.write(
    `template-checks: cannot read ${path}: ${error instanceof Error ? error.message : error}\n`,
  );
  process.exit(2);
}
const violations = await checkTemplate(template);
if (violations.length > 0) {
  process.stdout.write(`${formatViolations(violations)}\n`);
  process.stderr.write(`template-checks: ${violations.length} violation(s) in ${path}\n`);
  process.exitCode = 1;
} else {
  const count = Object.keys(template.Resources).length;
  process.stdout.write(`template-checks: ${path}: ${count} resources, no violations\n`);
}
