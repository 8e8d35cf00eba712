import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LifecyclePolicyInvalidError } from '../../../lib/hygiene/errors.ts';
import {
  checkLifecyclePolicy,
  parseLifecyclePolicyText,
  serializeLifecyclePolicy,
} from '../../../lib/hygiene/lifecycle-policy.ts';
import { compileWildcard, countWildcards, matchWildcard } from '../../../lib/hygiene/wildcard.ts';

// biome-ignore lint/suspicious/noExplicitAny: JSON documents are edited freely to build negative cases.
type JsonEdit = any;

const FIXTURES = new URL('../../fixtures/aws/', import.meta.url);
const exampleA = JSON.parse(
  readFileSync(new URL('ecr-lifecycle-policy-multiple-rules-example-a.json', FIXTURES), 'utf8'),
);

type Mutate = (p: { rules: Record<string, JsonEdit>[] }) => void;

function broken(mutate: Mutate): string[] {
  const policy = structuredClone(exampleA);
  mutate(policy);
  return checkLifecyclePolicy(policy, 'policy.json').problems.map((p) => `${p.path}: ${p.message}`);
}

describe('lifecycle policy validation (ECR limits and documented rules)', () => {
  it('accepts the documented example A unchanged', () => {
    expect(checkLifecyclePolicy(exampleA, 'a.json').problems).toEqual([]);
  });

  it.each<[string, Mutate, string]>([
    [
      'more than 50 rules',
      (p) => {
        p.rules = Array.from({ length: 51 }, (_, i) => ({
          rulePriority: i + 1,
          selection: {
            tagStatus: 'tagged',
            tagPrefixList: [`p${i}`],
            countType: 'imageCountMoreThan',
            countNumber: 1,
          },
          action: { type: 'expire' },
        }));
      },
      'rules: has 51 rules; ECR allows at most 50',
    ],
    [
      'text over 30,720 characters',
      (p) => {
        p.rules[0]!.description = 'x'.repeat(31_000);
      },
      ': policy text is',
    ],
    [
      'no rules',
      (p) => {
        p.rules = [];
      },
      'rules: must be a non-empty list',
    ],
    [
      'duplicate priorities',
      (p) => {
        p.rules[1]!.rulePriority = 1;
      },
      'rules[1] (rulePriority 1).rulePriority: duplicates the priority of rules[0] (rulePriority 1)',
    ],
    [
      'priority missing',
      (p) => {
        delete p.rules[0]!.rulePriority;
      },
      'rules[0].rulePriority: is required',
    ],
    [
      'priority zero',
      (p) => {
        p.rules[0]!.rulePriority = 0;
      },
      'rules[0] (rulePriority 0).rulePriority: must be a positive integer',
    ],
    [
      'priority fractional',
      (p) => {
        p.rules[0]!.rulePriority = 1.5;
      },
      'must be a positive integer',
    ],
    [
      'tagStatus missing',
      (p) => {
        delete p.rules[0]!.selection.tagStatus;
      },
      'rules[0] (rulePriority 1).selection.tagStatus: is required',
    ],
    [
      'tagStatus unknown',
      (p) => {
        p.rules[0]!.selection.tagStatus = 'TAGGED';
      },
      'selection.tagStatus: must be tagged, untagged or any (got "TAGGED")',
    ],
    [
      'tagged without prefix or pattern',
      (p) => {
        delete p.rules[0]!.selection.tagPrefixList;
      },
      'rules[0] (rulePriority 1).selection: tagStatus tagged needs a tagPrefixList or a tagPatternList',
    ],
    [
      'both prefix and pattern',
      (p) => {
        p.rules[0]!.selection.tagPatternList = ['prod*'];
      },
      'use either tagPrefixList or tagPatternList, not both',
    ],
    [
      'prefix list with untagged',
      (p) => {
        p.rules[0]!.selection.tagStatus = 'untagged';
      },
      'selection.tagPrefixList: is only allowed with tagStatus tagged (this rule is untagged)',
    ],
    [
      'pattern list with any',
      (p) => {
        p.rules[1]!.selection.tagStatus = 'any';
        p.rules[1]!.selection.tagPatternList = ['x*'];
        delete p.rules[1]!.selection.tagPrefixList;
      },
      'rules[1] (rulePriority 2).selection.tagPatternList: is only allowed with tagStatus tagged (this rule is any)',
    ],
    [
      'five wildcards in a pattern',
      (p) => {
        delete p.rules[0]!.selection.tagPrefixList;
        p.rules[0]!.selection.tagPatternList = ['ok*', 'test*1*2*3*4*'];
      },
      'selection.tagPatternList[1]: "test*1*2*3*4*" has 5 wildcards; ECR allows at most 4 per pattern',
    ],
    [
      'empty prefix list',
      (p) => {
        p.rules[0]!.selection.tagPrefixList = [];
      },
      'selection.tagPrefixList: must be a non-empty list of strings',
    ],
    [
      'empty prefix string',
      (p) => {
        p.rules[0]!.selection.tagPrefixList = [''];
      },
      'selection.tagPrefixList[0]: must be a non-empty string',
    ],
    [
      'countType missing',
      (p) => {
        delete p.rules[0]!.selection.countType;
      },
      'selection.countType: is required',
    ],
    [
      'countType unknown',
      (p) => {
        p.rules[0]!.selection.countType = 'imageCountLessThan';
      },
      'selection.countType: must be one of',
    ],
    [
      'countNumber missing',
      (p) => {
        delete p.rules[0]!.selection.countNumber;
      },
      'selection.countNumber: is required',
    ],
    [
      'countNumber zero',
      (p) => {
        p.rules[0]!.selection.countNumber = 0;
      },
      'selection.countNumber: must be a positive integer (0 is not accepted)',
    ],
    [
      'countUnit with imageCountMoreThan',
      (p) => {
        p.rules[0]!.selection.countUnit = 'days';
      },
      'selection.countUnit: is only used with the age count types (this rule is imageCountMoreThan)',
    ],
    [
      'countUnit missing with sinceImagePushed',
      (p) => {
        p.rules[0]!.selection.countType = 'sinceImagePushed';
      },
      'selection.countUnit: is required with sinceImagePushed',
    ],
    [
      'countUnit not days',
      (p) => {
        p.rules[0]!.selection.countType = 'sinceImagePushed';
        p.rules[0]!.selection.countUnit = 'hours';
      },
      'selection.countUnit: must be "days" (got "hours")',
    ],
    [
      'any not last',
      (p) => {
        p.rules[0]!.selection.tagStatus = 'any';
        delete p.rules[0]!.selection.tagPrefixList;
      },
      'rules[0] (rulePriority 1).rulePriority: a tagStatus "any" rule must have the highest rulePriority of the standard rules (highest is 2)',
    ],
    [
      'two untagged rules',
      (p) => {
        for (const r of p.rules) {
          r.selection.tagStatus = 'untagged';
          delete r.selection.tagPrefixList;
        }
      },
      'rules[1] (rulePriority 2).selection: selects the same images as rules[0] (rulePriority 1): only one rule may select untagged images',
    ],
    [
      'same prefix set twice',
      (p) => {
        p.rules[1]!.selection.tagPrefixList = ['prod'];
      },
      'the rules must have a unique set of tag prefixes',
    ],
    [
      'action missing',
      (p) => {
        delete p.rules[0]!.action;
      },
      'rules[0] (rulePriority 1).action: is required and must be an object',
    ],
    [
      'action type missing',
      (p) => {
        p.rules[0]!.action = {};
      },
      'action.type: is required',
    ],
    [
      'action type unknown',
      (p) => {
        p.rules[0]!.action = { type: 'delete' };
      },
      'action.type: must be expire or transition (got "delete")',
    ],
    [
      'transition without target',
      (p) => {
        p.rules[0]!.action = { type: 'transition' };
      },
      'action.targetStorageClass: transition needs targetStorageClass "archive"',
    ],
    [
      'target with expire',
      (p) => {
        p.rules[0]!.action = { type: 'expire', targetStorageClass: 'archive' };
      },
      'action.targetStorageClass: is only used with action type transition',
    ],
    [
      'sinceImageTransitioned on standard',
      (p) => {
        p.rules[0]!.selection.countType = 'sinceImageTransitioned';
        p.rules[0]!.selection.countUnit = 'days';
        p.rules[0]!.selection.countNumber = 120;
      },
      'storageClass must be archive',
    ],
    [
      'archive with imageCountMoreThan',
      (p) => {
        p.rules[0]!.selection.storageClass = 'archive';
      },
      'archive can only be used with sinceImageTransitioned',
    ],
    [
      'archived expired before 90 days',
      (p) => {
        Object.assign(p.rules[0]!.selection, {
          storageClass: 'archive',
          countType: 'sinceImageTransitioned',
          countUnit: 'days',
          countNumber: 30,
        });
      },
      '90-day minimum storage duration',
    ],
    [
      'unknown rule property',
      (p) => {
        p.rules[0]!.priority = 3;
      },
      'rules[0] (rulePriority 1).priority: unknown property',
    ],
    [
      'unknown selection property',
      (p) => {
        p.rules[0]!.selection.tagSuffixList = ['x'];
      },
      'selection.tagSuffixList: unknown property',
    ],
    [
      'unknown top-level property',
      (p) => {
        (p as Record<string, unknown>).version = 1;
      },
      'version: unknown property',
    ],
  ])('%s', (_name, mutate, message) => {
    const problems = broken(mutate);
    expect(
      problems.some((p) => p.includes(message)),
      problems.join('\n'),
    ).toBe(true);
  });

  it('reports every problem, not only the first', () => {
    const problems = broken((p) => {
      p.rules[0]!.selection.countNumber = 0;
      p.rules[1]!.action = { type: 'nope' };
    });
    expect(problems).toHaveLength(2);
  });

  it('text input: invalid JSON names the file; the error carries all problems', () => {
    expect(() => parseLifecyclePolicyText('{"rules": [', 'p.json')).toThrow(/^p\.json: not valid JSON/);
    try {
      parseLifecyclePolicyText('{"rules":[{"rulePriority":1}]}', 'p.json');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(LifecyclePolicyInvalidError);
      expect((error as LifecyclePolicyInvalidError).problems[0]?.file).toBe('p.json');
    }
  });

  it('serialises canonically: sorted by priority, round-trips, within the limit', () => {
    const text = readFileSync(
      new URL('ecr-lifecycle-policy-multiple-rules-example-a.json', FIXTURES),
      'utf8',
    );
    const policy = parseLifecyclePolicyText(text, 'a.json');
    const reversed = { rules: [...policy.rules].reverse() };
    const canonical = serializeLifecyclePolicy(reversed);
    expect(canonical).toBe(serializeLifecyclePolicy(policy));
    expect(parseLifecyclePolicyText(canonical, 'x')).toEqual(policy);
  });
});

describe('wildcard matching', () => {
  it.each([
    ['prod*', 'prod', true],
    ['prod*', 'prod-1', true],
    ['prod*', 'xprod', false],
    ['*prod', 'my-prod', true],
    ['*-rc*', 'v1-rc2', true],
    ['a*a', 'a', false],
    ['ab*ba', 'aba', false],
    ['*test*1*2*3', 'xtest-1-2-3', true],
    ['test*1*2*3*', 'test123', true],
    ['exact', 'exact', true],
    ['exact', 'Exact', false],
    ['*', '', true],
    ['**', 'anything', true],
  ])('%s vs %s → %s', (pattern, text, want) => {
    expect(matchWildcard(pattern, text)).toBe(want);
  });

  it('counts wildcards', () => {
    expect(countWildcards('*test*1*2*3')).toBe(4);
    expect(countWildcards('plain')).toBe(0);
  });

  it('ReDoS-style input runs in linear time', () => {
    const m = compileWildcard('*a*a*a*b');
    const text = 'a'.repeat(100_000);
    const start = performance.now();
    expect(m.test(text)).toBe(false);
    expect(performance.now() - start).toBeLessThan(200);
  });
});
