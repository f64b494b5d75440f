import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDuration, formatSpan, parseGoDuration } from '../../src/inputs/duration.js';

describe('parseGoDuration', () => {
  const cases: [string, number | undefined][] = [
    ['10m', 600_000],
    ['90s', 90_000],
    ['1h30m', 5_400_000],
    ['1.5h', 5_400_000],
    ['300ms', 300],
    ['1500us', 1.5],
    ['1500µs', 1.5], // micro sign, as Go accepts
    ['1500μs', 1.5], // Greek mu, as Go accepts
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

describe('formatSpan', () => {
  it('says a span of seconds to days in its two largest units, rounded down', () => {
    assert.equal(formatSpan(999), '0s');
    assert.equal(formatSpan(45_000), '45s');
    assert.equal(formatSpan(750_500), '12m30s');
    assert.equal(formatSpan((5 * 3600 + 12 * 60 + 59) * 1000), '5h12m');
    assert.equal(formatSpan((3 * 86_400 + 4 * 3600 + 5) * 1000), '3d4h');
    assert.equal(formatSpan(3 * 86_400_000 - 1), '2d23h', 'never more than it was');
    assert.equal(formatSpan(3600_000), '1h');
    assert.equal(formatSpan(-5000), '0s', 'a clock running behind is no negative span');
  });
});
