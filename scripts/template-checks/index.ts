/**
 * Template checks: the CloudFormation resource specification plus the project's own rules, over the template
 * `serverless package` writes (.serverless/cloudformation-template-update-stack.json).
 */
import { readFile } from 'node:fs/promises';
import { RULES, type RuleContext } from './rules.ts';
import { checkAgainstSpec, type SpecDatabase } from './spec.ts';
import type { Template, Violation } from './template.ts';

export { RULES, type Rule, type RuleContext } from './rules.ts';
export { checkAgainstSpec, loadSpec, SPEC_RULE } from './spec.ts';
export { cloneTemplate, type Template, type Violation } from './template.ts';

const ALLOWLIST_URL = new URL('./wildcard-allowlist.json', import.meta.url);

/** The rule context of this project: nodejs22.x on arm64, ECR and Inspector events, the allowlist file. */
export async function defaultRuleContext(): Promise<RuleContext> {
  const allowlist = JSON.parse(await readFile(ALLOWLIST_URL, 'utf8')) as Record<string, string>;
  return {
    wildcardAllowlist: allowlist,
    runtime: 'nodejs22.x',
    architecture: 'arm64',
    eventSources: ['aws.ecr', 'aws.inspector2'],
  };
}

export interface CheckOptions {
  readonly context?: RuleContext;
  readonly spec?: SpecDatabase;
  /** Skip the specification check (rule tests that only exercise the project's rules). */
  readonly skipSpec?: boolean;
}

/**
 * Every violation in the template, specification problems first, then each rule's.
 *
 * @example
 * const violations = await checkTemplate(JSON.parse(text)); // [] when the template passes
 */
export async function checkTemplate(template: Template, options: CheckOptions = {}): Promise<Violation[]> {
  if (typeof template !== 'object' || template === null || typeof template.Resources !== 'object') {
    return [
      { rule: 'template', resource: null, path: 'Resources', message: 'not a CloudFormation template' },
    ];
  }
  const context = options.context ?? (await defaultRuleContext());
  const violations = options.skipSpec ? [] : await checkAgainstSpec(template, options.spec);
  for (const rule of RULES) violations.push(...rule.check(template, context));
  return violations;
}

/** One line per violation: `rule  resource  path  message`. */
export function formatViolations(violations: readonly Violation[]): string {
  return violations
    .map((v) => `${v.rule}: ${v.resource ?? '(template)'}${v.path ? ` ${v.path}` : ''}: ${v.message}`)
    .join('\n');
}
