import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mapWithLimit } from '../../src/background.js';

describe('mapWithLimit', () => {
  it('runs at most `limit` at a time and keeps the items’ order', async () => {
    let running = 0;
    let most = 0;
    const results = await mapWithLimit([5, 1, 4, 2, 3, 0, 6], 3, async (n) => {
      running += 1;
      most = Math.max(most, running);
      // Later items finish first: the order of the results must not follow.
      await new Promise((resolve) => setImmediate(resolve));
      for (let i = 0; i < n; i++) await Promise.resolve();
      running -= 1;
      return n * 10;
    });
    assert.deepEqual(results, [50, 10, 40, 20, 30, 0, 60]);
    assert.equal(most, 3);
  });

  it('does nothing for no items', async () => {
    assert.deepEqual(await mapWithLimit([], 4, () => Promise.reject(new Error('never'))), []);
  });
});
