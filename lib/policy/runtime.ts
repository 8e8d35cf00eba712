/**
 * The runtime entry for Lambda handlers: read a bundled `policy-set.json`, select, evaluate. Imports no `yaml`
 * (that lives in load.ts) and no ajv (the validators are generated code that bundles drop when unused, as the
 * Lambda bundles do: they verify the build's sha256 instead, lib/policy/built-set.ts). The CLI uses index.ts.
 */

import { isRecord } from '../findings/json-reader.ts';
import { byFileThen, policySetVersion } from './canonical.ts';
import { checkException, checkPolicy, joinPath } from './check.ts';
import { Checker } from './checker.ts';
import { type PolicyProblem, PolicySetInvalidError } from './errors.ts';
import {
  type ExceptionDefinition,
  POLICY_SET_FORMAT,
  type PolicyDefinition,
  type PolicySet,
} from './policy-set.ts';
import { checkSetLevel } from './set-level.ts';

export { applyDeadlines, type FindingHistory, findingKey, type Timeline } from './deadlines.ts';
export type {
  AtRisk,
  Decision,
  ImageFacts,
  ImageUnderTest,
  PolicyMode,
  TagJudgement,
  Verdict,
  Violation,
  Waived,
  WaiverRef,
} from './decision.ts';
export { type PolicyProblem, PolicySetInvalidError } from './errors.ts';
export { decideWithoutFindings, evaluate, kevDueEndsAt, selectPolicy } from './evaluate.ts';
export { type SkippedImageRule, skippedImageRules } from './image-rules.ts';
export {
  governingPolicy,
  type JudgeInput,
  judgeImage,
  judgingPolicies,
  needsImageFacts,
  type ScanOutcome,
} from './judge.ts';
export type {
  DeadlineFrom,
  DeadlinePolicy,
  ExceptionDefinition,
  KnownExploitedRule,
  PolicyDefinition,
  PolicySet,
} from './policy-set.ts';

/**
 * A definition of policy-set.json as the document its schema describes: null stands for an absent key there
 * (`match: null`, `ticket: null`), so nulls are left out before the schema check.
 */
function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (!isRecord(value)) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== null)
      .map(([k, v]) => [k, withoutNulls(v)]),
  );
}

const RELATIVE_FILE = /^(?!\/)(?!.*(?:^|\/)\.\.(?:\/|$))[A-Za-z0-9._/-]{1,512}$/;

/**
 * Rebuilds a PolicySet from its JSON form (`policy-set.json`), re-checking every definition and the version
 * hash, so a corrupted or hand-edited bundle is refused instead of silently deciding with it.
 * @example policySetFromJson(JSON.parse(readFileSync('policy-set.json', 'utf8')), 'policy-set.json')
 * @throws PolicySetInvalidError listing every problem (path inside the JSON document)
 */
export function policySetFromJson(json: unknown, source: string): PolicySet {
  const problems: PolicyProblem[] = [];
  const c = new Checker(source, problems);
  const doc = c.record(json, '', ['format', 'root', 'version', 'policies', 'exceptions']);
  if (!doc) throw new PolicySetInvalidError(source, problems);
  if (doc.format !== POLICY_SET_FORMAT) c.error('format', `must be ${POLICY_SET_FORMAT}`);
  const root =
    c.string(doc, 'root', '', {
      pattern: /^[A-Za-z0-9._/-]{0,256}$/,
      patternText: 'a relative directory name',
    }) ?? '';
  const version = c.string(doc, 'version', '', { required: true, pattern: /^sha256:[0-9a-f]{64}$/ });
  const policies: PolicyDefinition[] = [];
  const exceptions: ExceptionDefinition[] = [];
  /** Each entry of the list `key` that is a mapping with a valid `file`: its other fields (nulls left out). */
  const eachEntry = (
    key: 'policies' | 'exceptions',
    each: (fields: unknown, path: string, file: string) => void,
  ): void => {
    c.list(doc, key, '', true)?.forEach((entry, i) => {
      const path = joinPath(key, i);
      if (!isRecord(entry)) {
        c.error(path, 'must be a mapping');
        return;
      }
      const file = c.string(entry, 'file', path, {
        required: true,
        pattern: RELATIVE_FILE,
        patternText: 'a relative path',
      });
      if (file === null) return;
      const { file: _file, ...rest } = entry;
      each(withoutNulls(rest), path, file);
    });
  };
  eachEntry('policies', (fields, path, file) => {
    const before = problems.length;
    const definition = checkPolicy(c, fields, file);
    // Paths from checkPolicy are relative to the entry; anchor them in the JSON document.
    for (let k = before; k < problems.length; k += 1) {
      const p = problems[k] as PolicyProblem;
      problems[k] = { ...p, path: p.path ? `${path}.${p.path}` : path };
    }
    if (definition) policies.push(definition);
  });
  eachEntry('exceptions', (fields, path, file) => {
    const definition = checkException(c, fields, path, file);
    if (definition) exceptions.push(definition);
  });
  const errors = () => problems.filter((p) => p.level === 'error');
  if (errors().length === 0) {
    checkSetLevel(
      problems,
      policies,
      exceptions,
      {
        policy: (p) => ({ file: source, path: joinPath('policies', policies.indexOf(p)) }),
        exception: (e) => ({ file: source, path: joinPath('exceptions', exceptions.indexOf(e)) }),
      },
      source,
    );
  }
  if (errors().length === 0 && version !== null) {
    const computed = policySetVersion(policies, exceptions);
    if (computed !== version) {
      c.error(
        'version',
        `does not match the content (computed ${computed}): the file was changed after it was built`,
      );
    }
  }
  if (errors().length > 0 || version === null) {
    throw new PolicySetInvalidError(source, errors());
  }
  return {
    format: POLICY_SET_FORMAT,
    root,
    version,
    policies: policies.sort(byFileThen((p) => p.name)),
    exceptions: exceptions.sort(byFileThen((e) => e.id)),
  };
}
