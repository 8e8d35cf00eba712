import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DAY_MS, previewLifecycle } from '../../../lib/hygiene/lifecycle-engine.ts';
import { imagesFromDescribeImages } from '../../../lib/hygiene/lifecycle-images.ts';
import {
  type LifecyclePolicy,
  parseLifecyclePolicy,
  parseLifecyclePolicyText,
} from '../../../lib/hygiene/lifecycle-policy.ts';

const NOW = Date.parse('2024-06-30T12:00:00.000Z');
const FIXTURES = new URL('../../fixtures/aws/', import.meta.url);

/** Image in DescribeImages shape; `daysAgo` may be fractional; digests derive from the name. */
function image(name: string, tags: string[], daysAgo: number, extra: Record<string, unknown> = {}) {
  return {
    imageDigest: `sha256:${name.toLowerCase().padEnd(64, '0')}`,
    imageTags: tags,
    imagePushedAt: (NOW - daysAgo * DAY_MS) / 1000,
    ...extra,
  };
}

function expired(policy: LifecyclePolicy, details: unknown[], now = NOW): string[] {
  const images = imagesFromDescribeImages({ imageDetails: details }, 'images.json');
  return previewLifecycle(policy, images, now)
    .previewResults.map((r) => r.imageDigest.slice(7, 8).toUpperCase())
    .sort();
}

const rule = (
  rulePriority: number,
  selection: Record<string, unknown>,
  action: Record<string, unknown> = { type: 'expire' },
) => ({
  rulePriority,
  description: `Rule ${rulePriority}`,
  selection,
  action,
});
const policy = (...rules: unknown[]) => parseLifecyclePolicy({ rules }, 'policy.json');

// Repository of the documented "Filtering on multiple rules" examples.
const MULTI = [
  image('a', ['beta-1', 'prod-1'], 10),
  image('b', ['beta-2', 'prod-2'], 9),
  image('c', ['beta-3'], 8),
];

describe('documented examples (Amazon ECR User Guide, "Examples of lifecycle policies")', () => {
  it('multiple rules, Example A (fixture): only Image A expires', () => {
    const text = readFileSync(
      new URL('ecr-lifecycle-policy-multiple-rules-example-a.json', FIXTURES),
      'utf8',
    );
    const p = parseLifecyclePolicyText(text, 'ecr-lifecycle-policy-multiple-rules-example-a.json');
    const images = imagesFromDescribeImages({ imageDetails: MULTI }, 'images.json');
    const preview = previewLifecycle(p, images, NOW);
    expect(preview.previewResults).toEqual([
      {
        imageDigest: MULTI[0]?.imageDigest,
        imageTags: ['beta-1', 'prod-1'],
        imagePushedAt: new Date(NOW - 10 * DAY_MS).toISOString(),
        action: { type: 'EXPIRE' },
        appliedRulePriority: 1,
        storageClass: 'STANDARD',
      },
    ]);
    expect(preview.summary).toEqual({ expiringImageTotalCount: 1 });
  });

  it('multiple rules, Example B (priorities swapped): Images A and B expire, by Rule 1', () => {
    const p = policy(
      rule(1, {
        tagStatus: 'tagged',
        tagPrefixList: ['beta'],
        countType: 'imageCountMoreThan',
        countNumber: 1,
      }),
      rule(2, {
        tagStatus: 'tagged',
        tagPrefixList: ['prod'],
        countType: 'imageCountMoreThan',
        countNumber: 1,
      }),
    );
    const preview = previewLifecycle(p, imagesFromDescribeImages({ imageDetails: MULTI }, 'i'), NOW);
    expect(preview.previewResults.map((r) => [r.imageTags[0], r.appliedRulePriority])).toEqual([
      ['beta-1', 1],
      ['beta-2', 1],
    ]);
  });

  it('the current docs express Example A with tagPatternList prod*/beta*: same outcome', () => {
    const p = policy(
      rule(1, {
        tagStatus: 'tagged',
        tagPatternList: ['prod*'],
        countType: 'imageCountMoreThan',
        countNumber: 1,
      }),
      rule(2, {
        tagStatus: 'tagged',
        tagPatternList: ['beta*'],
        countType: 'imageCountMoreThan',
        countNumber: 1,
      }),
    );
    expect(expired(p, MULTI)).toEqual(['A']);
  });

  it('multiple tags in a single rule, Example A: images must carry all prefixes; only C (older than 5 days) expires', () => {
    const p = policy(
      rule(1, {
        tagStatus: 'tagged',
        tagPrefixList: ['alpha', 'beta'],
        countType: 'sinceImagePushed',
        countNumber: 5,
        countUnit: 'days',
      }),
    );
    const details = [
      image('a', ['alpha-1'], 12),
      image('b', ['beta-1'], 11),
      image('c', ['alpha-2', 'beta-2'], 10),
      image('d', ['alpha-3'], 4),
      image('e', ['beta-3'], 3),
      image('f', ['alpha-4', 'beta-4'], 2),
    ];
    expect(expired(p, details)).toEqual(['C']);
  });

  it('multiple tags in a single rule, Example B: tags are not exclusive; A and B expire', () => {
    const p = policy(
      rule(1, {
        tagStatus: 'tagged',
        tagPrefixList: ['alpha', 'beta'],
        countType: 'imageCountMoreThan',
        countNumber: 1,
      }),
    );
    const details = [
      image('a', ['alpha-1', 'beta-1', 'gamma-1'], 10),
      image('b', ['alpha-2', 'beta-2'], 9),
      image('c', ['alpha-3', 'beta-3', 'gamma-2'], 8),
    ];
    expect(expired(p, details)).toEqual(['A', 'B']);
  });

  it('filtering on all images, Example A: any keeps one; A, B, C expire', () => {
    const p = policy(rule(1, { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 1 }));
    const details = [
      image('a', ['alpha-1'], 4),
      image('b', ['beta-1'], 3),
      image('c', [], 2),
      image('d', ['alpha-2'], 1),
    ];
    expect(expired(p, details)).toEqual(['A', 'B', 'C']);
  });

  it('filtering on all images, Example B (all rule types): A, B and D expire; E (pushed 1 day ago) survives', () => {
    const p = policy(
      rule(1, {
        tagStatus: 'tagged',
        tagPrefixList: ['alpha'],
        countType: 'imageCountMoreThan',
        countNumber: 1,
      }),
      rule(2, { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 1 }),
      rule(3, { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 1 }),
    );
    // D and E were both pushed "1 day ago"; the documented result (Rule 3 keeps E, marks D) needs E the newer one.
    const details = [
      image('a', ['alpha-1', 'beta-1'], 4),
      image('b', [], 3),
      image('c', ['alpha-2'], 2),
      image('d', ['git hash'], 1 + 1 / 1440),
      image('e', [], 1),
    ];
    const images = imagesFromDescribeImages({ imageDetails: details }, 'i');
    const preview = previewLifecycle(p, images, NOW);
    expect(preview.previewResults.map((r) => [r.imageDigest.slice(7, 8), r.appliedRulePriority])).toEqual([
      ['a', 1],
      ['b', 2],
      ['d', 3],
    ]);
    expect(preview.summary.expiringImageTotalCount).toBe(3);
  });

  it.each([
    [
      'image age: untagged older than 14 days',
      { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 14 },
      ['B'],
    ],
    [
      'image age: prod* older than 14 days',
      {
        tagStatus: 'tagged',
        tagPatternList: ['prod*'],
        countType: 'sinceImagePushed',
        countUnit: 'days',
        countNumber: 14,
      },
      ['C'],
    ],
    [
      'image count: keep only one untagged image',
      { tagStatus: 'untagged', countType: 'imageCountMoreThan', countNumber: 1 },
      ['B'],
    ],
  ])('single-rule example, %s', (_name, selection, want) => {
    const details = [
      image('a', [], 3),
      image('b', [], 20),
      image('c', ['prod-1'], 20),
      image('d', ['prod-2'], 3),
      image('e', ['dev-1'], 30),
    ];
    expect(expired(policy(rule(1, selection)), details)).toEqual(want);
  });
});

describe('edge cases', () => {
  it('exact day boundary: pushed exactly N days ago is kept, one millisecond more expires (strictly "older than")', () => {
    const p = policy(
      rule(1, { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 7 }),
    );
    const exact = {
      imageDigest: `sha256:${'a'.repeat(64)}`,
      imagePushedAt: new Date(NOW - 7 * DAY_MS).toISOString(),
    };
    const older = {
      imageDigest: `sha256:${'b'.repeat(64)}`,
      imagePushedAt: new Date(NOW - 7 * DAY_MS - 1).toISOString(),
    };
    const images = imagesFromDescribeImages({ imageDetails: [exact, older] }, 'i');
    expect(previewLifecycle(p, images, NOW).previewResults.map((r) => r.imageDigest)).toEqual([
      older.imageDigest,
    ]);
  });

  it('ties in push time: the digest sorting first counts as younger, whatever the input order', () => {
    const p = policy(rule(1, { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 2 }));
    const same = (NOW - DAY_MS) / 1000;
    const digests = ['c', 'a', 'b', 'd'].map((d) => ({
      imageDigest: `sha256:${d.repeat(64)}`,
      imagePushedAt: same,
    }));
    for (const order of [digests, [...digests].reverse()]) {
      const preview = previewLifecycle(p, imagesFromDescribeImages({ imageDetails: order }, 'i'), NOW);
      expect(preview.previewResults.map((r) => r.imageDigest[7])).toEqual(['c', 'd']);
    }
  });

  it('untagged vs any: an untagged rule never sees tagged images, an any rule sees both', () => {
    const details = [image('a', [], 30), image('b', ['v1'], 30), image('c', [], 1)];
    const untagged = policy(
      rule(1, { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 7 }),
    );
    const any = policy(
      rule(1, { tagStatus: 'any', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 7 }),
    );
    expect(expired(untagged, details)).toEqual(['A']);
    expect(expired(any, details)).toEqual(['A', 'B']);
  });

  it('an untagged rule protects untagged images it saw from a later any rule', () => {
    const p = policy(
      rule(1, { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 60 }),
      rule(2, { tagStatus: 'any', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 7 }),
    );
    expect(expired(p, [image('a', [], 30), image('b', ['v1'], 30)])).toEqual(['B']);
  });

  it('several prefixes: every prefix must match some tag (one tag may satisfy several prefixes)', () => {
    const p = policy(
      rule(1, {
        tagStatus: 'tagged',
        tagPrefixList: ['rel', 'release-'],
        countType: 'sinceImagePushed',
        countUnit: 'days',
        countNumber: 1,
      }),
    );
    const details = [
      image('a', ['release-1'], 5),
      image('b', ['rel-1'], 5),
      image('c', ['rel-2', 'release-2'], 5),
    ];
    expect(expired(p, details)).toEqual(['A', 'C']);
  });

  it('patterns: wildcards at start, middle and end, exact text without wildcard, case-sensitive', () => {
    const p = policy(
      rule(1, {
        tagStatus: 'tagged',
        tagPatternList: ['*-rc*', 'v*'],
        countType: 'sinceImagePushed',
        countUnit: 'days',
        countNumber: 1,
      }),
      rule(2, {
        tagStatus: 'tagged',
        tagPatternList: ['latest'],
        countType: 'sinceImagePushed',
        countUnit: 'days',
        countNumber: 1,
      }),
    );
    const details = [
      image('a', ['v1.0-rc1'], 5), // matches both patterns with one tag
      image('b', ['v1.0'], 5), // no -rc
      image('c', ['build-rc2', 'v2'], 5),
      image('d', ['latest'], 5),
      image('e', ['latest-1', 'V1-rc1'], 5), // not exact "latest"; V is upper-case
    ];
    expect(expired(p, details)).toEqual(['A', 'C', 'D']);
  });

  it('hostile patterns stay linear: 4 wildcards against 10,000 long tags finishes quickly', () => {
    const p = policy(
      rule(1, {
        tagStatus: 'tagged',
        tagPatternList: ['*a*a*a*b'],
        countType: 'imageCountMoreThan',
        countNumber: 1,
      }),
    );
    const details = Array.from({ length: 10_000 }, (_, i) => ({
      imageDigest: `sha256:${i.toString(16).padStart(64, '0')}`,
      imageTags: ['a'.repeat(120)],
      imagePushedAt: NOW / 1000 - i,
    }));
    const start = performance.now();
    expect(expired(p, details)).toEqual([]);
    expect(performance.now() - start).toBeLessThan(2000);
  });

  it('a tagged rule never selects untagged images even with pattern "*"', () => {
    const p = policy(
      rule(1, {
        tagStatus: 'tagged',
        tagPatternList: ['*'],
        countType: 'imageCountMoreThan',
        countNumber: 1,
      }),
    );
    expect(expired(p, [image('a', [], 9), image('b', ['x'], 8), image('c', ['y'], 7)])).toEqual(['B']);
  });

  it('a keep rule with a huge count protects approved images from a later keep-last-N rule', () => {
    const p = policy(
      rule(1, {
        tagStatus: 'tagged',
        tagPatternList: ['approved-*'],
        countType: 'imageCountMoreThan',
        countNumber: 100000,
      }),
      rule(2, {
        tagStatus: 'tagged',
        tagPatternList: ['*'],
        countType: 'imageCountMoreThan',
        countNumber: 1,
      }),
    );
    const details = [image('a', ['v1', 'approved-v1'], 30), image('b', ['v2'], 20), image('c', ['v3'], 10)];
    expect(expired(p, details)).toEqual(['B']);
  });

  it('sinceImagePulled counts from the last pull, or from the push when never pulled', () => {
    const p = policy(
      rule(1, { tagStatus: 'any', countType: 'sinceImagePulled', countUnit: 'days', countNumber: 30 }),
    );
    const details = [
      image('a', ['x'], 100, { lastRecordedPullTime: (NOW - 2 * DAY_MS) / 1000 }),
      image('b', ['y'], 100, { lastRecordedPullTime: (NOW - 40 * DAY_MS) / 1000 }),
      image('c', ['z'], 100),
      image('d', ['w'], 10),
    ];
    expect(expired(p, details)).toEqual(['B', 'C']);
  });

  it('archive: transition from standard, expire archived images after days in archive; summary counts both', () => {
    const p = policy(
      rule(
        1,
        { tagStatus: 'any', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 30 },
        { type: 'transition', targetStorageClass: 'archive' },
      ),
      rule(2, {
        tagStatus: 'any',
        storageClass: 'archive',
        countType: 'sinceImageTransitioned',
        countUnit: 'days',
        countNumber: 90,
      }),
    );
    const details = [
      image('a', ['x'], 40),
      image('b', ['y'], 200, { imageStatus: 'ARCHIVED', lastArchivedAt: (NOW - 100 * DAY_MS) / 1000 }),
      image('c', ['z'], 200, { imageStatus: 'ARCHIVED', lastArchivedAt: (NOW - 10 * DAY_MS) / 1000 }),
      image('d', ['w'], 200, { imageStatus: 'ARCHIVED' }),
      image('e', ['v'], 5),
    ];
    const preview = previewLifecycle(p, imagesFromDescribeImages({ imageDetails: details }, 'i'), NOW);
    expect(preview.previewResults.map((r) => [r.imageDigest[7], r.action, r.storageClass])).toEqual([
      ['a', { type: 'TRANSITION', targetStorageClass: 'ARCHIVE' }, 'STANDARD'],
      ['b', { type: 'EXPIRE' }, 'ARCHIVE'],
    ]);
    expect(preview.summary).toEqual({
      expiringImageTotalCount: 1,
      transitioningImageTotalCounts: [{ targetStorageClass: 'ARCHIVE', imageTotalCount: 1 }],
    });
  });
});

describe('DescribeImages input (real fixtures)', () => {
  it.each([
    ['ecr-describe-images-cluster-autoscaler.json', 1],
    ['ecr-describe-images-media-types-last-pull.json', 1],
    ['ecr-describe-images-basic-scan-summaries.json', 21],
  ])('%s is read with its timestamp format', (file, count) => {
    const json = JSON.parse(readFileSync(new URL(file, FIXTURES), 'utf8'));
    const images = imagesFromDescribeImages(json, file);
    expect(images).toHaveLength(count);
    for (const img of images) expect(Number.isFinite(img.pushedAt)).toBe(true);
  });

  it('epoch seconds, offset ISO with 6 fractional digits and offset-less ISO (read as UTC) agree', () => {
    const json = JSON.parse(
      readFileSync(new URL('ecr-describe-images-media-types-last-pull.json', FIXTURES), 'utf8'),
    );
    const [img] = imagesFromDescribeImages(json, 'f');
    expect(img?.pushedAt).toBe(Date.parse('2023-04-17T22:22:33Z'));
    expect(img?.lastPulledAt).toBe(Date.parse('2023-04-17T22:22:33.966Z'));
    const basic = JSON.parse(
      readFileSync(new URL('ecr-describe-images-basic-scan-summaries.json', FIXTURES), 'utf8'),
    );
    expect(imagesFromDescribeImages(basic, 'f')[0]?.pushedAt).toBe(Date.parse('2021-05-13T08:53:16Z'));
  });

  it.each([
    ['no imageDetails', {}, 'imageDetails'],
    [
      'bad digest',
      { imageDetails: [{ imageDigest: 'nope', imagePushedAt: 1 }] },
      'imageDetails[0].imageDigest',
    ],
    [
      'bad push time',
      { imageDetails: [{ imageDigest: `sha256:${'a'.repeat(64)}`, imagePushedAt: 'yesterday' }] },
      'imageDetails[0].imagePushedAt',
    ],
    [
      'impossible date',
      { imageDetails: [{ imageDigest: `sha256:${'a'.repeat(64)}`, imagePushedAt: '2023-02-29T02:36:48Z' }] },
      'imageDetails[0].imagePushedAt',
    ],
    [
      'tags not strings',
      { imageDetails: [{ imageDigest: `sha256:${'a'.repeat(64)}`, imagePushedAt: 1, imageTags: [1] }] },
      'imageDetails[0].imageTags',
    ],
  ])('%s → error naming the file and field', (_name, json, path) => {
    expect(() => imagesFromDescribeImages(json, 'images.json')).toThrow(`images.json: ${path}:`);
  });

  it('a cloned real fixture with a missing push time names the field', () => {
    const json = JSON.parse(
      readFileSync(new URL('ecr-describe-images-cluster-autoscaler.json', FIXTURES), 'utf8'),
    );
    const broken = structuredClone(json);
    delete broken.imageDetails[0].imagePushedAt;
    expect(() => imagesFromDescribeImages(broken, 'dump.json')).toThrow(
      'dump.json: imageDetails[0].imagePushedAt:',
    );
  });
});
