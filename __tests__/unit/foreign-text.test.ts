import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { commandsStopped, stopToken } from '../../src/foreign-text.js';

describe('text the action did not write', () => {
  const log = ['::add-mask::x', '::error title=forged::not ours', '::stop-commands::guessed'].join(
    '\n',
  );

  it('is printed between a stop-commands line and the line that resumes with its token', () => {
    const lines = commandsStopped(log, 'lily-deploy-abc123').split('\n');
    assert.deepEqual(lines, [
      '::stop-commands::lily-deploy-abc123',
      '::add-mask::x',
      '::error title=forged::not ours',
      '::stop-commands::guessed',
      '::lily-deploy-abc123::',
    ]);
  });

  it('gets a fresh token every time, one the runner accepts and masks, that the text does not hold', () => {
    const tokens = new Set(Array.from({ length: 50 }, () => stopToken(log)));
    assert.equal(tokens.size, 50);
    for (const token of tokens) {
      // Longer than 6 characters (the runner then masks it), and no command's name.
      assert.match(token, /^lily-deploy-[0-9a-f]{32}$/);
      assert.equal(log.includes(token), false);
    }
  });
});
