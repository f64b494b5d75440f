import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCleanup } from '../../src/inputs/cleanup.js';
import { parseGroup } from './fake-inputs.js';

describe('parseCleanup', () => {
  it('deletes the PVCs and the namespace by default', () => {
    const { parsed } = parseGroup(parseCleanup, {});
    assert.deepEqual(parsed, { deletePvcs: true, deleteNamespace: true });
  });

  it('keeps what it is told to keep', () => {
    const { parsed, errors } = parseGroup(parseCleanup, {
      'delete-pvcs': 'false',
      'delete-namespace': 'False',
    });
    assert.deepEqual(parsed, { deletePvcs: false, deleteNamespace: false });
    assert.deepEqual(errors, []);
  });

  it('refuses a boolean it does not know', () => {
    const { errors } = parseGroup(parseCleanup, { 'delete-pvcs': 'yes', 'delete-namespace': '1' });
    assert.deepEqual(errors, [
      "Input 'delete-pvcs' is 'yes'; allowed: true, false",
      "Input 'delete-namespace' is '1'; allowed: true, false",
    ]);
  });
});
