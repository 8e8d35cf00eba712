/**
 * IAM completeness and least privilege per function: the AWS API actions a function's bundle can call,
 * derived from the bundle itself, against the actions its role grants in the generated template.
 *
 * Which actions a bundle can call:
 * 1. esbuild's metafile names every input that contributes bytes to the bundle. Each AWS SDK v3 operation is
 *    one module, `@aws-sdk/client-<service>/dist-es/commands/<Operation>Command.js`; a command module that
 *    survived tree-shaking is a candidate action `<iam prefix>:<Operation>`.
 * 2. An adapter class keeps every method in the bundle (class methods are never tree-shaken), so the gate
 *    functions carry the hygiene-only commands of lib/registry's EcrRegistry too. Our bundled sources are
 *    read to find where each command is constructed (`new XCommand(`): in a class method (directly or through
 *    private `#helpers`), or in a plain function. A command issued only by class methods counts when one of
 *    those methods is referenced in the minified bundle other than by its own definition (property names
 *    survive minification); a command in a plain function counts whenever its module is bundled (esbuild
 *    already drops unreferenced functions).
 * 3. A bundled command that none of our sources constructs (the SDK's own, e.g. DynamoDB endpoint discovery)
 *    counts too, unless the allowlist names it with a reason.
 *
 * The analysis errs towards "reachable": a method name that also appears elsewhere (a log text, another
 * object's property) keeps the action required. It cannot see a method called through a computed name
 * (`registry[name]()`); the code base does not do that.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Metafile } from 'esbuild';
import { intrinsicName, isObject, type Json, type JsonObject, type Template } from './template.ts';

/** The IAM service prefix of each AWS SDK v3 client package the functions bundle. */
export const IAM_PREFIX_BY_CLIENT: Readonly<Record<string, string>> = {
  'client-ecr': 'ecr',
  'client-sns': 'sns',
  'client-dynamodb': 'dynamodb',
  'client-inspector2': 'inspector2',
  'client-sqs': 'sqs',
  'client-s3': 's3',
};

/**
 * Operations IAM authorises under another action's name: SQS's batch operations have no action of their own
 * (Amazon SQS API permissions reference: SendMessageBatch needs sqs:SendMessage).
 */
export const IAM_ACTION_OF_OPERATION: Readonly<Record<string, string>> = {
  'sqs:SendMessageBatch': 'sqs:SendMessage',
  'sqs:DeleteMessageBatch': 'sqs:DeleteMessage',
  'sqs:ChangeMessageVisibilityBatch': 'sqs:ChangeMessageVisibility',
};

/** scripts/template-checks/iam-allowlist.json: every exception to "granted = reachable", with its reason. */
export interface IamAllowlist {
  /** Actions the Lambda service or another AWS service performs with the function's role, not our code. */
  readonly grantedWithoutCommand: Readonly<Record<string, string>>;
  /** Action → actions AWS authorises in addition when that action is called (documented companions). */
  readonly impliedBy: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** SDK commands bundled by the SDK itself that never run with our configuration. */
  readonly sdkInternalCommands: Readonly<Record<string, string>>;
  /**
   * Function → action → why that function cannot call it although its bundle holds the code (a runtime guard
   * the bundle analysis cannot see). `proof` is a regular expression that must match handlers/<function>.ts:
   * when the wiring changes, the exception stops applying and the check fails.
   */
  readonly notCalledBy: Readonly<
    Record<string, Readonly<Record<string, { readonly reason: string; readonly proof: string }>>>
  >;
}

export const IAM_ALLOWLIST_URL = new URL('./iam-allowlist.json', import.meta.url);

export function loadIamAllowlist(): IamAllowlist {
  return JSON.parse(readFileSync(IAM_ALLOWLIST_URL, 'utf8')) as IamAllowlist;
}

/** Where a command is constructed in our sources. */
export interface CommandSite {
  readonly file: string;
  /** The public class method that issues it (directly or through private helpers), or null: a plain function. */
  readonly method: string | null;
}

export interface ReachableAction {
  readonly action: string;
  /** Why it counts: the sites that make it reachable, or `sdk` (bundled, constructed by none of our files). */
  readonly via: readonly string[];
}

const COMMAND_MODULE =
  /node_modules[\\/]@aws-sdk[\\/](client-[a-z0-9-]+)[\\/]dist-(?:es|cjs)[\\/]commands[\\/]([A-Za-z0-9]+)Command\.js$/;

/** The inputs that contribute bytes to the bundle (tree-shaken ones are listed with 0 bytes or not at all). */
export function bundledInputs(metafile: Metafile): string[] {
  const inputs = new Set<string>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [path, { bytesInOutput }] of Object.entries(output.inputs)) {
      if (bytesInOutput > 0) inputs.add(path);
    }
  }
  return [...inputs].sort();
}

/** `ecr:PutImage` … for every SDK command module in the bundle, keyed by the command class name. */
export function bundledCommands(inputs: readonly string[]): Map<string, string> {
  const commands = new Map<string, string>();
  for (const input of inputs) {
    const match = COMMAND_MODULE.exec(input);
    if (!match) continue;
    const [, client, operation] = match as unknown as [string, string, string];
    const prefix = IAM_PREFIX_BY_CLIENT[client];
    if (prefix === undefined) {
      throw new Error(
        `${input}: no IAM prefix known for @aws-sdk/${client} (add it to IAM_PREFIX_BY_CLIENT in scripts/template-checks/iam-actions.ts)`,
      );
    }
    const action = `${prefix}:${operation}`;
    commands.set(`${operation}Command`, IAM_ACTION_OF_OPERATION[action] ?? action);
  }
  return commands;
}

interface Member {
  readonly name: string;
  readonly className: string | null;
  readonly body: string[];
}

const CLASS_START = /^(?:export\s+)?(?:default\s+)?(?:abstract\s+)?class\s+([A-Za-z_$][\w$]*)/;
// Class members sit at two spaces (Biome formats every file); getters/setters and fields are not methods.
const METHOD_START =
  /^ {2}(?:(?:public|protected|private|static|override|readonly)\s+)*(?:async\s+)?(?:\*\s*)?(#?[A-Za-z_$][\w$]*)\s*[(<]/;
const FUNCTION_START =
  /^(?:export\s+)?(?:(?:async\s+)?function\s*\*?\s*([A-Za-z_$][\w$]*)|(?:const|let)\s+([A-Za-z_$][\w$]*)\s*=)/;

/** Splits a TypeScript source into class methods and top-level declarations (by Biome's indentation). */
function members(source: string): Member[] {
  const result: Member[] = [];
  let className: string | null = null;
  let current: { name: string; className: string | null; body: string[] } | null = null;
  for (const raw of source.split('\n')) {
    // Comments (TSDoc examples name commands too) are not code.
    const line = /^\s*(?:\/\/|\/\*|\*)/.test(raw) ? '' : raw;
    const classStart = CLASS_START.exec(line);
    if (classStart) {
      className = classStart[1] ?? null;
      current = null;
      continue;
    }
    if (className !== null && line.startsWith('}')) {
      className = null;
      current = null;
      continue;
    }
    if (className !== null) {
      const method = METHOD_START.exec(line);
      if (method && !/^ {2}(?:get|set)\s/.test(line)) {
        current = { name: method[1] as string, className, body: [] };
        result.push(current);
      }
    } else {
      const fn = FUNCTION_START.exec(line);
      if (fn) {
        current = { name: (fn[1] ?? fn[2]) as string, className: null, body: [] };
        result.push(current);
      } else if (/^\S/.test(line) && !line.startsWith('}') && !line.startsWith(')')) {
        current = { name: '(top level)', className: null, body: [] };
        result.push(current);
      }
    }
    current?.body.push(line);
  }
  return result;
}

/**
 * Every `new XCommand(` in one source file, with the public method (or plain function) that issues it.
 * A private helper's commands are attributed to each public method of its class that calls it, transitively.
 */
export function commandSitesInSource(file: string, source: string): Map<string, CommandSite[]> {
  const all = members(source);
  const sites = new Map<string, CommandSite[]>();
  const add = (command: string, site: CommandSite) => {
    const list = sites.get(command) ?? [];
    if (!list.some((s) => s.file === site.file && s.method === site.method)) list.push(site);
    sites.set(command, list);
  };
  const commandsIn = (member: Member) =>
    [...member.body.join('\n').matchAll(/\bnew\s+([A-Z][A-Za-z0-9]*Command)\s*\(/g)].map(
      (m) => m[1] as string,
    );
  const byClass = new Map<string, Map<string, Member>>();
  for (const member of all) {
    if (member.className === null) continue;
    const methods = byClass.get(member.className) ?? new Map<string, Member>();
    methods.set(member.name, member);
    byClass.set(member.className, methods);
  }
  for (const member of all) {
    if (member.className === null) {
      for (const command of commandsIn(member)) add(command, { file, method: null });
      continue;
    }
    if (member.name.startsWith('#')) continue;
    // Commands of this public method plus those of the private helpers it reaches.
    const methods = byClass.get(member.className) as Map<string, Member>;
    const seen = new Set<string>([member.name]);
    const queue: Member[] = [member];
    while (queue.length > 0) {
      const next = queue.shift() as Member;
      for (const command of commandsIn(next)) add(command, { file, method: member.name });
      for (const call of next.body.join('\n').matchAll(/\bthis\.(#[A-Za-z_$][\w$]*)/g)) {
        const helper = methods.get(call[1] as string);
        if (helper && !seen.has(helper.name)) {
          seen.add(helper.name);
          queue.push(helper);
        }
      }
    }
  }
  return sites;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Whether a method name occurs in the minified bundle other than as a method definition. */
export function isReferenced(code: string, method: string): boolean {
  const name = escapeRegExp(method);
  const all = code.match(new RegExp(`(?<![\\w$#])${name}(?![\\w$])`, 'g'))?.length ?? 0;
  const definitions =
    code.match(new RegExp(`(?:^|[{};])\\s*(?:static\\s+)?(?:async\\s*)?(?:\\*\\s*)?${name}\\s*\\(`, 'g'))
      ?.length ?? 0;
  return all > definitions;
}

/**
 * The IAM actions one bundle can call.
 *
 * @example
 * const { code, metafile } = await bundleHandlerWithMetafile(root, 'image-pushed');
 * reachableActions({ root, inputs: bundledInputs(metafile), code, allowlist: loadIamAllowlist() });
 */
export function reachableActions(options: {
  readonly root: string;
  readonly inputs: readonly string[];
  readonly code: string;
  readonly allowlist: IamAllowlist;
  /** Source text by path relative to root (default: read from disk). */
  readonly readSource?: (path: string) => string | null;
}): ReachableAction[] {
  const read =
    options.readSource ??
    ((path: string) => {
      const file = join(options.root, path);
      return existsSync(file) ? readFileSync(file, 'utf8') : null;
    });
  const commands = bundledCommands(options.inputs);
  const sites = new Map<string, CommandSite[]>();
  for (const input of options.inputs) {
    if (input.includes('node_modules') || !/\.[cm]?[jt]s$/.test(input)) continue;
    const source = read(input);
    if (source === null) continue;
    for (const [command, found] of commandSitesInSource(input, source))
      sites.set(command, [...(sites.get(command) ?? []), ...found]);
  }
  const reachable: ReachableAction[] = [];
  for (const [command, action] of commands) {
    const constructed = sites.get(command) ?? [];
    if (constructed.length === 0) {
      if (action in options.allowlist.sdkInternalCommands) continue;
      reachable.push({ action, via: ['sdk'] });
      continue;
    }
    const live = constructed.filter((s) => s.method === null || isReferenced(options.code, s.method));
    if (live.length > 0)
      reachable.push({ action, via: live.map((s) => (s.method ? `${s.file}#${s.method}` : s.file)) });
  }
  return reachable.sort((a, b) => a.action.localeCompare(b.action));
}

/**
 * Reachable actions minus the function's proven exceptions (allowlist `notCalledBy`), plus the companions AWS
 * authorises with them (allowlist `impliedBy`).
 */
export function requiredActions(
  fn: string,
  reachable: readonly ReachableAction[],
  allowlist: IamAllowlist,
): Set<string> {
  const excepted = allowlist.notCalledBy[fn] ?? {};
  const required = new Set(reachable.map((r) => r.action).filter((action) => !(action in excepted)));
  for (const action of [...required]) {
    for (const companion of Object.keys(allowlist.impliedBy[action] ?? {})) required.add(companion);
  }
  return required;
}

/**
 * Problems with a function's `notCalledBy` exceptions: a proof that no longer matches its handler, or an
 * exception for an action the bundle cannot reach anyway (stale).
 */
export function checkExceptions(
  fn: string,
  handlerSource: string,
  reachable: readonly ReachableAction[],
  allowlist: IamAllowlist,
): string[] {
  const problems: string[] = [];
  const actions = new Set(reachable.map((r) => r.action));
  for (const [action, { reason, proof }] of Object.entries(allowlist.notCalledBy[fn] ?? {})) {
    if (!new RegExp(proof).test(handlerSource)) {
      problems.push(
        `${fn}: the exception for ${action} ("${reason}") no longer holds: handlers/${fn}.ts does not match ${proof}`,
      );
    }
    if (!actions.has(action)) {
      problems.push(`${fn}: the exception for ${action} is stale: the bundle cannot reach it anyway`);
    }
  }
  return problems;
}

/** Every action an IAM role is granted in the template: its inline policies and AWS::IAM::Policy resources naming it. */
export function grantedActions(template: Template, roleId: string): Set<string> {
  const role = template.Resources[roleId];
  if (role?.Type !== 'AWS::IAM::Role') throw new Error(`no AWS::IAM::Role ${roleId} in the template`);
  const documents: Json[] = ((role.Properties?.Policies as JsonObject[] | undefined) ?? []).map(
    (p) => p.PolicyDocument ?? null,
  );
  for (const resource of Object.values(template.Resources)) {
    if (resource.Type !== 'AWS::IAM::Policy' && resource.Type !== 'AWS::IAM::ManagedPolicy') continue;
    const roles = (resource.Properties?.Roles as Json[] | undefined) ?? [];
    if (roles.some((r) => isObject(r) && intrinsicName(r) === 'Ref' && r.Ref === roleId))
      documents.push(resource.Properties?.PolicyDocument ?? null);
  }
  const managed = role.Properties?.ManagedPolicyArns;
  if (Array.isArray(managed) && managed.length > 0)
    throw new Error(`${roleId}: managed policies cannot be checked action by action`);
  const actions = new Set<string>();
  for (const document of documents) {
    const statements = isObject(document) ? [document.Statement].flat() : [];
    for (const statement of statements) {
      if (!isObject(statement) || statement.Effect !== 'Allow') continue;
      if (statement.NotAction !== undefined) throw new Error(`${roleId}: NotAction cannot be checked`);
      for (const action of [statement.Action].flat()) if (typeof action === 'string') actions.add(action);
    }
  }
  return actions;
}

export interface GrantProblem {
  readonly kind: 'missing' | 'unused' | 'wildcard';
  readonly action: string;
  readonly message: string;
}

/**
 * Compares what a function can call with what its role grants. `missing`: the code can call it, the role
 * does not allow it (a runtime AccessDenied). `unused`: granted, not reachable, and not allowlisted.
 */
export function compareGrants(
  fn: string,
  reachable: readonly ReachableAction[],
  granted: ReadonlySet<string>,
  allowlist: IamAllowlist,
): GrantProblem[] {
  const problems: GrantProblem[] = [];
  const required = requiredActions(fn, reachable, allowlist);
  const via = new Map(reachable.map((r) => [r.action, r.via.join(', ')]));
  for (const action of [...required].sort()) {
    if (granted.has(action)) continue;
    const why =
      via.get(action) ??
      `implied by ${Object.entries(allowlist.impliedBy)
        .filter(([, companions]) => action in companions)
        .map(([by]) => by)
        .join(', ')}`;
    problems.push({
      kind: 'missing',
      action,
      message: `${fn}: role lacks ${action}, which its bundle can call (${why})`,
    });
  }
  for (const action of [...granted].sort()) {
    if (action.includes('*')) {
      problems.push({
        kind: 'wildcard',
        action,
        message: `${fn}: role grants the wildcard action ${action}`,
      });
      continue;
    }
    if (required.has(action) || action in allowlist.grantedWithoutCommand) continue;
    problems.push({
      kind: 'unused',
      action,
      message: `${fn}: role grants ${action}, which its bundle never calls (remove it, or list it with a reason in scripts/template-checks/iam-allowlist.json)`,
    });
  }
  return problems;
}
