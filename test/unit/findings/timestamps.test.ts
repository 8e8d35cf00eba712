import { describe, expect, it } from 'vitest';
import { toIsoTimestamp } from '../../../lib/findings/timestamps.ts';

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
