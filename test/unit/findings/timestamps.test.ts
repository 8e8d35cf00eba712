import { describe, expect, it } from 'vitest';
import { epochMillis, toIsoTimestamp } from '../../../lib/findings/timestamps.ts';

describe('toIsoTimestamp', () => {
  it.each<[unknown, string | null]>([
    [1579839105.0, '2020-01-24T04:11:45.000Z'],
    [1579839105123, '2020-01-24T04:11:45.123Z'],
    ['1579839105.0', '2020-01-24T04:11:45.000Z'],
    [new Date('2025-06-09T07:08:40.144Z'), '2025-06-09T07:08:40.144Z'],
    ['2025-06-09T07:08:40.144000+00:00', '2025-06-09T07:08:40.144Z'],
    ['2023-04-17T17:40:39.940000-05:00', '2023-04-17T22:40:39.940Z'],
    ['2021-07-21T12:04:20', '2021-07-21T12:04:20.000Z'],
    ['2021-07-21', '2021-07-21T00:00:00.000Z'],
    // Forms the AWS CLI and placebo recordings of DescribeImages print (read by the lifecycle engine too).
    ['2023-04-17T17:22:33-05:00', '2023-04-17T22:22:33.000Z'],
    ['2023-04-17T17:22:33.966000-0500', '2023-04-17T22:22:33.966Z'],
    ['2023-04-17T17:22:33+05', '2023-04-17T12:22:33.000Z'],
    ['2023-04-17 17:22:33,5Z', '2023-04-17T17:22:33.500Z'],
    ['2023-02-29T00:00:00Z', null],
    ['2023-04-17T24:00:00Z', null],
    ['2023-04-17T17:22:33+25:00', null],
    ['Dec 3, 2021, 6:02:30 PM', '2021-12-03T18:02:30.000Z'],
    ['Dec 3, 2021, 12:02:30 AM', '2021-12-03T00:02:30.000Z'],
    ['Oct 16, 2019, 12:00:00 AM', '2019-10-16T00:00:00.000Z'],
    ['Wed Sep 04 16:55:38.411 UTC 2024', '2024-09-04T16:55:38.411Z'],
    ['Feb 30, 2021, 1:00:00 PM', null],
    ['Dec 3, 2021, 13:02:30 PM', null],
    ['yesterday', null],
    ['', null],
    [null, null],
    [{}, null],
    [-5, null],
    [Number.NaN, null],
    [new Date('nope'), null],
  ])('%j → %s', (input, expected) => {
    expect(toIsoTimestamp(input)).toBe(expected);
  });
});

describe('epochMillis', () => {
  it.each<[unknown, number | null]>([
    [1565128275.0, 1565128275000],
    ['1565128275.5', 1565128275500],
    [new Date('2024-06-30T12:00:00Z'), Date.UTC(2024, 5, 30, 12)],
    ['2024-06-30T12:00:00.0004Z', Date.UTC(2024, 5, 30, 12)],
    ['2021-07-21T12:04:20', Date.UTC(2021, 6, 21, 12, 4, 20)],
    ['Dec 3, 2021, 6:02:30 PM', Date.UTC(2021, 11, 3, 18, 2, 30)],
    ['2023-02-29', null],
    ['soon', null],
    [undefined, null],
  ])('%j → %s', (input, expected) => {
    expect(epochMillis(input)).toBe(expected);
  });

  it('agrees with toIsoTimestamp on every readable value', () => {
    for (const value of [
      '2023-04-17T17:22:33.966000-05:00',
      1579839105,
      'Wed Sep 04 16:55:38.411 UTC 2024',
    ]) {
      expect(new Date(epochMillis(value) as number).toISOString()).toBe(toIsoTimestamp(value));
    }
  });
});
