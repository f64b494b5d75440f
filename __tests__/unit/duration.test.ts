import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDuration, parseGoDuration } from '../../src/inputs/duration.js';

describe('parseGoDuration', () => {
  const cases: [string, number | undefined][] = [
    ['10m', 600_000],
    ['90s', 90_000],
    ['1h30m', 5_400_000],
    ['1.5h', 5_400_000],
    ['300ms', 300],
    ['2m30.5s', 150_500],
    ['0', 0],
    ['', undefined],
    ['10', undefined],
    ['10 m', undefined],
    ['m', undefined],
    ['-5m', undefined],
    ['5d', undefined],
  ];
  for (const [text, ms] of cases) {
    it(`${JSON.stringify(text)} → ${ms}`, () => {
      assert.equal(parseGoDuration(text), ms);
    });
  }
});

describe('formatDuration', () => {
  it('picks a readable unit', () => {
    assert.equal(formatDuration(850), '850ms');
    assert.equal(formatDuration(12_340), '12.3s');
    assert.equal(formatDuration(245_000), '4m05s');
    assert.equal(formatDuration(119_700), '2m00s');
  });
});
