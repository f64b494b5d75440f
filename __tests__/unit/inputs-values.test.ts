import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseValues, valuesFileList } from '../../src/inputs/values.js';
import { parseGroup } from './fake-inputs.js';

describe('valuesFileList', () => {
  it('takes one path per line, trimmed, skipping blank lines', () => {
    assert.deepEqual(valuesFileList(' base.yaml \n\n  \nprod.yaml\n'), ['base.yaml', 'prod.yaml']);
    assert.deepEqual(valuesFileList(''), []);
  });
});

describe('parseValues', () => {
  it('parses the inline values as a mapping beside the file list', () => {
    const given = { 'values-files': 'a.yaml\nb.yaml', values: 'daemon:\n  replicas: 2' };
    assert.deepEqual(parseGroup(parseValues, given), {
      parsed: {
        valuesFiles: ['a.yaml', 'b.yaml'],
        values: { daemon: { replicas: 2 } },
        lilyPreflight: true,
      },
      errors: [],
      secrets: [],
    });
  });

  it('has no inline values for an empty or comment-only input', () => {
    assert.equal(parseGroup(parseValues, {}).parsed.values, undefined);
    assert.equal(parseGroup(parseValues, { values: '# none yet' }).parsed.values, undefined);
  });

  it('refuses inline values that are not a YAML mapping, saying what they are', () => {
    const list = parseGroup(parseValues, { values: '- a\n- b' });
    assert.equal(list.parsed.values, undefined);
    assert.deepEqual(list.errors, [
      "Input 'values' is YAML of type list; allowed: a mapping (key: value)",
    ]);

    const { errors } = parseGroup(parseValues, { values: 'a: [1,' });
    assert.equal(errors.length, 1);
    assert.match(errors[0] ?? '', /^Input 'values' is not valid YAML: .*line/);
  });
});
