import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  baselineFromJson,
  compileLifecycle,
  loadBaseline,
  MANAGED_RULE_MARKER,
  settingsFor,
} from '../../../lib/hygiene/baseline.ts';
import { BaselineInvalidError } from '../../../lib/hygiene/errors.ts';
import { checkLifecyclePolicy, serializeLifecyclePolicy } from '../../../lib/hygiene/lifecycle-policy.ts';

// biome-ignore lint/suspicious/noExplicitAny: JSON documents are edited freely to build negative cases.
type JsonEdit = any;

const SHIPPED = new URL('../../../policies/hygiene.yaml', import.meta.url).pathname;

function problemsOf(mutate: (doc: Record<string, JsonEdit>) => void): string[] {
  const doc = structuredClone(BASE);
  mutate(doc);
  try {
    baselineFromJson(doc, 'hygiene.yaml');
    return [];
  } catch (error) {
    expect(error).toBeInstanceOf(BaselineInvalidError);
    return (error as BaselineInvalidError).problems.map((p) => `${p.path}: ${p.message}`);
  }
}

const BASE = {
  apiVersion: 'gatekeeper/v1',
  kind: 'HygieneBaseline',
  defaults: {
    lifecycle: { untagged: { expireAfterDays: 7 }, tagged: { keepLast: 10 } },
    tagMutability: { expect: 'IMMUTABLE_WITH_EXCLUSION', exclusions: ['approved-*', 'quarantined-*'] },
  },
  repositories: [{ match: ['legacy/*'], reason: 'vendor images', optOut: ['all'] }],
};

describe('the shipped baseline (policies/hygiene.yaml)', () => {
  it('loads, and its defaults compile to rules ECR accepts: approved, quarantined, untagged 7 days, last 10 tagged', async () => {
    const baseline = await loadBaseline(SHIPPED);
    const rules = compileLifecycle(settingsFor(baseline, 'team-a/api').lifecycle);
    expect(
      rules.map((r) => [
        r.rulePriority,
        r.selection.tagStatus,
        r.selection.tagPatternList?.[0] ?? null,
        r.selection.countType,
        r.selection.countNumber,
      ]),
    ).toEqual([
      [1, 'tagged', 'approved-*', 'imageCountMoreThan', 100000],
      [2, 'tagged', 'quarantined-*', 'sinceImagePushed', 30],
      [3, 'untagged', null, 'sinceImagePushed', 7],
      [4, 'tagged', '*', 'imageCountMoreThan', 10],
    ]);
    for (const r of rules) expect(r.description?.startsWith(MANAGED_RULE_MARKER)).toBe(true);
    const text = serializeLifecyclePolicy({ rules });
    expect(checkLifecyclePolicy(JSON.parse(text), 'compiled', text.length).problems).toEqual([]);
  });

  it('first matching entry wins, merged over defaults; opt-outs carry their reason', async () => {
    const baseline = await loadBaseline(SHIPPED);
    const release = settingsFor(baseline, 'payments/release');
    expect(release.lifecycle.tagged).toEqual({ keepLast: 50 });
    expect(release.lifecycle.untagged).toEqual({ expireAfterDays: 7 });
    expect(release.source).toBe('repositories[1]');
    const cache = settingsFor(baseline, 'docker-hub/library/nginx');
    expect([...cache.optOut].sort()).toEqual(['lifecycle', 'tagMutability']);
    expect(cache.optOutReason).toMatch(/pull-through cache/i);
    expect(settingsFor(baseline, 'team-a/api').source).toBe('defaults');
  });

  it('the YAML carries the schema comment and the agreed header', async () => {
    const { readFile } = await import('node:fs/promises');
    const text = await readFile(SHIPPED, 'utf8');
    expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=./schema/hygiene.schema.json');
    expect(parse(text)).toMatchObject({ apiVersion: 'gatekeeper/v1', kind: 'HygieneBaseline' });
  });
});

describe('baseline validation (schema, then semantics), every problem with its path', () => {
  it.each<[string, (d: Record<string, JsonEdit>) => void, string]>([
    [
      'wrong apiVersion',
      (d) => {
        d.apiVersion = 'v2';
      },
      'apiVersion: must be gatekeeper/v1, not "v2"',
    ],
    [
      'wrong kind',
      (d) => {
        d.kind = 'Policy';
      },
      'kind: must be HygieneBaseline, not "Policy"',
    ],
    [
      'unknown key',
      (d) => {
        d.defaults.lifecycel = {};
      },
      'defaults.lifecycel: unknown key (expected one of lifecycle, scanning, tagMutability, inUse)',
    ],
    [
      'zero days',
      (d) => {
        d.defaults.lifecycle.untagged.expireAfterDays = 0;
      },
      'defaults.lifecycle.untagged.expireAfterDays: must be >= 1',
    ],
    [
      'keepLast not an integer',
      (d) => {
        d.defaults.lifecycle.tagged.keepLast = 'ten';
      },
      'defaults.lifecycle.tagged.keepLast: must be a whole number, not "ten"',
    ],
    [
      'optOut without reason',
      (d) => {
        delete d.repositories[0].reason;
      },
      'repositories[0].reason: is required with optOut',
    ],
    [
      'unknown opt-out',
      (d) => {
        d.repositories[0].optOut = ['everything'];
      },
      'repositories[0].optOut[0]: must be one of',
    ],
    [
      'bad glob',
      (d) => {
        d.repositories[0].match = ['Team A/*'];
      },
      'repositories[0].match[0]: must be a repository name glob (lower-case letters, digits, ".", "_", "-", "/" and "*" for any characters), not "Team A/*"',
    ],
    [
      'duplicate glob',
      (d) => {
        d.repositories[0].match = ['a/*', 'a/*'];
      },
      'repositories[0].match[1]: "a/*" is listed twice',
    ],
    [
      'exclusion mode without exclusions',
      (d) => {
        d.defaults.tagMutability.exclusions = [];
      },
      'defaults.tagMutability.exclusions: IMMUTABLE_WITH_EXCLUSION needs at least one exclusion filter',
    ],
    [
      'exclusions miss the gatekeeper prefix',
      (d) => {
        d.defaults.tagMutability.exclusions = ['approved-*'];
      },
      'defaults.tagMutability.exclusions: no exclusion covers the gatekeeper prefix quarantined-',
    ],
    [
      'plain IMMUTABLE',
      (d) => {
        d.defaults.tagMutability = { expect: 'IMMUTABLE' };
      },
      'defaults.tagMutability.expect: IMMUTABLE stops the gatekeeper',
    ],
    [
      'exclusions with MUTABLE',
      (d) => {
        d.defaults.tagMutability = { expect: 'MUTABLE', exclusions: ['x*'] };
      },
      'exclusions are only used with',
    ],
    [
      'extra rule with 5 wildcards',
      (d) => {
        d.defaults.lifecycle.rules = [
          {
            rulePriority: 1,
            selection: {
              tagStatus: 'tagged',
              tagPatternList: ['a*b*c*d*e*f'],
              countType: 'imageCountMoreThan',
              countNumber: 3,
            },
            action: { type: 'expire' },
          },
        ];
      },
      'defaults.lifecycle.rules[0] (rulePriority 1).selection.tagPatternList[0]: "a*b*c*d*e*f" has 5 wildcards',
    ],
    [
      'extra untagged rule next to the short form',
      (d) => {
        d.defaults.lifecycle.rules = [
          {
            rulePriority: 1,
            selection: { tagStatus: 'untagged', countType: 'imageCountMoreThan', countNumber: 3 },
            action: { type: 'expire' },
          },
        ];
      },
      'defaults.lifecycle.untagged: rules already has an untagged rule',
    ],
    [
      'extra rule duplicating the keep-last selection',
      (d) => {
        d.defaults.lifecycle.rules = [
          {
            rulePriority: 1,
            selection: {
              tagStatus: 'tagged',
              tagPatternList: ['*'],
              countType: 'sinceImagePushed',
              countUnit: 'days',
              countNumber: 3,
            },
            action: { type: 'expire' },
          },
        ];
      },
      'defaults.lifecycle: the compiled policy would be rejected by ECR',
    ],
    [
      'too many extra rules',
      (d) => {
        d.defaults.lifecycle.rules = Array.from({ length: 46 }, (_, i) => ({
          rulePriority: i + 1,
          selection: {
            tagStatus: 'tagged',
            tagPrefixList: [`p${i}`],
            countType: 'imageCountMoreThan',
            countNumber: 3,
          },
          action: { type: 'expire' },
        }));
      },
      'defaults.lifecycle.rules: has 46 entries; the limit is 45',
    ],
  ])('%s', (_name, mutate, message) => {
    const problems = problemsOf(mutate);
    expect(
      problems.some((p) => p.includes(message)),
      problems.join('\n'),
    ).toBe(true);
  });

  it('accepts the base document', () => {
    expect(problemsOf(() => {})).toEqual([]);
  });

  it('45 extra rules plus the short form stay within 50 rules and 30,720 characters', () => {
    const doc = structuredClone(BASE) as Record<string, JsonEdit>;
    doc.defaults.lifecycle.rules = Array.from({ length: 45 }, (_, i) => ({
      rulePriority: i + 1,
      description: `team rule ${i}`,
      selection: {
        tagStatus: 'tagged',
        tagPrefixList: [`p${i}-`],
        countType: 'imageCountMoreThan',
        countNumber: 3,
      },
      action: { type: 'expire' },
    }));
    const baseline = baselineFromJson(doc, 'h.yaml');
    const rules = compileLifecycle(settingsFor(baseline, 'x').lifecycle);
    expect(rules).toHaveLength(49);
    expect(serializeLifecyclePolicy({ rules }).length).toBeLessThanOrEqual(30_720);
  });

  it('custom gatekeeper prefixes flow into the compiled rules and the exclusion check', () => {
    const doc = structuredClone(BASE) as Record<string, JsonEdit>;
    doc.defaults.tagMutability.exclusions = ['ok-*', 'bad-*'];
    const options = { approvedPrefix: 'ok-', quarantinedPrefix: 'bad-' };
    const baseline = baselineFromJson(doc, 'h.yaml', options);
    const rules = compileLifecycle(settingsFor(baseline, 'x').lifecycle, options);
    expect(rules[0]?.selection.tagPatternList).toEqual(['ok-*']);
    expect(rules[1]?.selection.tagPatternList).toEqual(['bad-*']);
  });

  it('hostile YAML is refused by the safe loader with the file name', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hyg-'));
    const file = join(dir, 'hygiene.yaml');
    writeFileSync(file, 'apiVersion: gatekeeper/v1\nkind: !!js/function "x"\n');
    await expect(loadBaseline(file)).rejects.toThrow(file);
    writeFileSync(file, 'apiVersion: gatekeeper/v1\napiVersion: gatekeeper/v1\n');
    await expect(loadBaseline(file)).rejects.toThrow(/hygiene\.yaml/);
    await expect(loadBaseline(join(dir, 'missing.yaml'))).rejects.toThrow(
      'missing.yaml: cannot read (ENOENT)',
    );
  });
});
