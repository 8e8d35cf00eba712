import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_TAG_SCHEME,
  decisionTags,
  digestDecisionTag,
  fitTag,
  fitUnderTagLimit,
  isReservedTag,
  MAX_TAGS_PER_IMAGE,
  makeTagScheme,
  reservedKind,
  sourceTagsOf,
  TAG_PATTERN,
} from '../../../lib/gate/tags.ts';

const DIGEST = 'sha256:888206c77cd2811ec47e752ba291e5b7734e3ef137dfd222daadaca39a9f17bc';
const hash8 = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 8);

describe('decision tags', () => {
  it.each([
    ['approved', ['1.2.3'], ['approved-1.2.3']],
    ['quarantined', ['1.2.3', 'latest'], ['quarantined-1.2.3', 'quarantined-latest']],
    ['approved', [], ['approved-sha256-888206c77cd2']],
    ['quarantined', [], ['quarantined-sha256-888206c77cd2']],
    // decision tags already on the image are not source tags
    ['approved', ['v1', 'quarantined-v1', 'approved-v1'], ['approved-v1']],
    ['approved', ['b', 'a', 'a'], ['approved-a', 'approved-b']],
  ] as const)('%s for %j → %j', (verdict, tags, expected) => {
    expect(decisionTags(DEFAULT_TAG_SCHEME, verdict, tags, DIGEST)).toEqual(expected);
  });

  it('uses configurable prefixes', () => {
    const scheme = makeTagScheme('ok_', 'blocked.');
    expect(decisionTags(scheme, 'approved', ['v1'], DIGEST)).toEqual(['ok_v1']);
    expect(digestDecisionTag(scheme.quarantinedPrefix, DIGEST)).toBe('blocked.sha256-888206c77cd2');
    expect(reservedKind(scheme, 'blocked.v1')).toBe('quarantined');
    expect(reservedKind(scheme, 'approved-v1')).toBeNull();
  });

  it('cuts a tag longer than 128 characters and ends it with the hash of the full tag', () => {
    const source = 'x'.repeat(128);
    const tag = fitTag('approved-', source);
    expect(tag).toHaveLength(128);
    expect(tag).toMatch(TAG_PATTERN);
    expect(tag.endsWith(`-${hash8(`approved-${source}`)}`)).toBe(true);
    // two long tags that share their first 119 characters stay distinct
    expect(fitTag('approved-', `${source}a`)).not.toBe(fitTag('approved-', `${source}b`));
  });

  it('keeps a tag of exactly 128 characters as is', () => {
    const source = 'y'.repeat(128 - 'approved-'.length);
    expect(fitTag('approved-', source)).toBe(`approved-${source}`);
  });

  it.each(['feature/login', 'v1+build.7', 'tag with space', 'ünïcode'])(
    'cleans characters outside the Docker grammar in %j and stays unique',
    (source) => {
      const tag = fitTag('quarantined-', source);
      expect(tag).toMatch(TAG_PATTERN);
      expect(tag.endsWith(`-${hash8(`quarantined-${source}`)}`)).toBe(true);
    },
  );

  it('every generated tag matches the grammar (property over awkward inputs)', () => {
    const inputs = [
      '',
      '.',
      '-',
      '_',
      'a'.repeat(300),
      '.hidden',
      '-dash',
      'UPPER',
      'mixed.Case-1_2',
      '💥'.repeat(70),
    ];
    for (const input of inputs) {
      for (const verdict of ['approved', 'quarantined'] as const) {
        for (const tag of decisionTags(DEFAULT_TAG_SCHEME, verdict, input ? [input] : [], DIGEST)) {
          expect(tag).toMatch(TAG_PATTERN);
        }
      }
    }
  });
});

describe('reserved prefixes', () => {
  it.each([
    ['approved-v1', 'approved'],
    ['quarantined-v1', 'quarantined'],
    ['approvedv1', null],
    ['v1-approved-', null],
    ['latest', null],
  ] as const)('%s → %s', (tag, kind) => {
    expect(reservedKind(DEFAULT_TAG_SCHEME, tag)).toBe(kind);
    expect(isReservedTag(DEFAULT_TAG_SCHEME, tag)).toBe(kind !== null);
  });

  it('source tags exclude reserved ones', () => {
    expect(sourceTagsOf(DEFAULT_TAG_SCHEME, ['v2', 'approved-v2', 'v1', 'quarantined-x'])).toEqual([
      'v1',
      'v2',
    ]);
  });

  it.each([
    ['', 'quarantined-', /must match/],
    ['-bad', 'quarantined-', /must match/],
    ['ok-', 'ok-q-', /overlap/],
    ['same-', 'same-', /overlap/],
  ])('rejects prefixes %j and %j', (a, q, message) => {
    expect(() => makeTagScheme(a, q)).toThrow(message);
  });
});

describe('the 1,000 tags-per-image quota', () => {
  const digestForm = 'approved-sha256-888206c77cd2';
  it('keeps every wanted tag when they fit', () => {
    expect(fitUnderTagLimit(['approved-a', 'approved-b'], digestForm, 998, new Set())).toEqual({
      tags: ['approved-a', 'approved-b'],
      limited: false,
    });
  });
  it('falls back to the single digest tag when per-source tags do not fit', () => {
    const wanted = Array.from({ length: 600 }, (_, i) => `approved-t${i}`);
    expect(fitUnderTagLimit(wanted, digestForm, 600, new Set())).toEqual({
      tags: [digestForm],
      limited: true,
    });
  });
  it('adds nothing when the image already carries 1,000 tags', () => {
    expect(fitUnderTagLimit(['approved-a'], digestForm, MAX_TAGS_PER_IMAGE, new Set())).toEqual({
      tags: [],
      limited: true,
    });
  });
  it('counts tags already present as needing no room', () => {
    expect(fitUnderTagLimit(['approved-a'], digestForm, MAX_TAGS_PER_IMAGE, new Set(['approved-a']))).toEqual(
      {
        tags: ['approved-a'],
        limited: false,
      },
    );
  });
});
