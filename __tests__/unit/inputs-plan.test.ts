import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePlanDigest } from '../../src/inputs/plan.js';
import type { InputReader } from '../../src/inputs/reader.js';
import { formatDigest } from '../../src/plan-digest.js';
import type { Command } from '../../src/settings.js';
import { parseGroup } from './fake-inputs.js';

const digest = {
  chartVersion: '0.1.5-rc1',
  liveRevision: 3,
  values: 'a'.repeat(32),
  manifest: 'b'.repeat(32),
};

function parsePlanOf(given: Record<string, string>, command: Command = 'deploy') {
  return parseGroup((reader: InputReader) => parsePlanDigest(reader, command), given);
}

describe('parsePlanDigest', () => {
  it('is off when not given, and reads a digest the plan wrote', () => {
    assert.equal(parsePlanOf({}).parsed, undefined);
    const { parsed, errors } = parsePlanOf({ 'plan-digest': formatDigest(digest) });
    assert.deepEqual([parsed, errors], [digest, []]);
  });

  it('names the input, what was given and the shape allowed', () => {
    const { errors } = parsePlanOf({ 'plan-digest': 'sha256:abc' });
    assert.equal(errors.length, 1);
    assert.match(
      errors[0] ?? '',
      /^Input 'plan-digest' is 'sha256:abc'; allowed: lily-plan-1:chart=<version>,revision=<number\|none>,values=<hex>,manifest=<hex>, the plan-digest output of command: plan$/,
    );
  });

  it('is refused with any command but deploy', () => {
    for (const command of ['plan', 'uninstall'] as const)
      assert.deepEqual(parsePlanOf({ 'plan-digest': formatDigest(digest) }, command).errors, [
        `Input 'plan-digest' is given, which only command: deploy takes (command is ${command})`,
      ]);
  });
});
