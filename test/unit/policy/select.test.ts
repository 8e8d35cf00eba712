import { describe, expect, it } from 'vitest';
import { selectPolicy } from '../../../lib/policy/evaluate.ts';
import { DEFAULT_POLICY, image, policySet } from './support.ts';

function policy(name: string, match: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return { apiVersion: 'gatekeeper/v1', kind: 'Policy', name, match, rules: {}, ...extra };
}

const set = policySet({
  'default.yaml': DEFAULT_POLICY,
  'teams/payments.yaml': policy('payments', { repositories: ['payments/*'] }),
  'teams/payments-api.yaml': policy('payments-api', { repositories: ['payments/api'] }),
  'teams/payments-release.yaml': policy('payments-release', {
    repositories: ['payments/*'],
    tags: ['release-*'],
  }),
  'teams/any-release.yaml': policy('any-release', { repositories: ['*'], tags: ['release-*'] }),
  'teams/pay-prefix.yaml': policy('pay-prefix', { repositories: ['pay*'] }),
  'teams/b-tie.yaml': policy('b-tie', { repositories: ['tie/*'] }),
  'teams/a-tie.yaml': policy('a-tie', { repositories: ['tie/*'] }),
  'teams/z-priority.yaml': policy('z-priority', { repositories: ['prio/*'] }, { priority: 5 }),
  'teams/a-priority.yaml': policy('a-priority', { repositories: ['prio/*'] }),
});

describe('selectPolicy precedence', () => {
  it.each([
    {
      repository: 'payments/api',
      tags: ['1.0.0'],
      expected: 'payments-api',
      why: 'exact repository beats a wildcard',
    },
    {
      repository: 'payments/api',
      tags: ['release-1'],
      expected: 'payments-api',
      why: 'repository specificity before tags',
    },
    {
      repository: 'payments/ledger',
      tags: ['release-1'],
      expected: 'payments-release',
      why: 'same repository pattern: a tag pattern beats none',
    },
    {
      repository: 'payments/ledger',
      tags: ['1.0.0'],
      expected: 'payments',
      why: 'tag pattern does not match',
    },
    {
      repository: 'payments/ledger',
      tags: [],
      expected: 'payments',
      why: 'untagged never matches a tag pattern',
    },
    {
      repository: 'paymentsx',
      tags: ['1.0.0'],
      expected: 'pay-prefix',
      why: 'payments/* does not match paymentsx',
    },
    { repository: 'orders/api', tags: ['release-2'], expected: 'any-release', why: 'only match' },
    { repository: 'orders/api', tags: ['2.0.0'], expected: 'default', why: 'nothing matches' },
    { repository: 'tie/x', tags: [], expected: 'a-tie', why: 'equal specificity and priority: earlier file' },
    { repository: 'prio/x', tags: [], expected: 'z-priority', why: 'higher priority beats the file order' },
  ])('$repository $tags → $expected ($why)', ({ repository, tags, expected }) => {
    expect(selectPolicy(set, image({ repository, tags })).name).toBe(expected);
  });

  it('does not depend on the order policies are listed in', () => {
    const reversed = { ...set, policies: [...set.policies].reverse() };
    for (const repository of ['payments/api', 'payments/ledger', 'tie/x', 'prio/x', 'orders/api']) {
      const i = image({ repository, tags: ['release-1'] });
      expect(selectPolicy(reversed, i).name).toBe(selectPolicy(set, i).name);
    }
  });
});
