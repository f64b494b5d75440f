// The schema check's reduced OpenAPI documents, kept in the tool cache by
// document URL (with its hash) and kinds.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  keepSchemas,
  readKeptSchemas,
  schemaCacheDir,
  schemaCacheKey,
} from '../../src/preflight/schema-cache.js';

const URL_NOW = '/openapi/v3/apis/policy/v1?hash=FFA6426B';
const DOC = { components: { schemas: { 'io.k8s.api.policy.v1.PodDisruptionBudget': {} } } };

describe('the kept schemas', () => {
  it('are named by the URL, its hash included, and the set of kinds', () => {
    const kinds = ['policy/v1/PodDisruptionBudget', 'policy/v1/Eviction'];
    const key = schemaCacheKey(URL_NOW, kinds);
    assert.match(key, /^[0-9a-f]{64}$/);
    assert.equal(schemaCacheKey(URL_NOW, [...kinds].reverse()), key, 'in any order');
    assert.equal(schemaCacheKey(URL_NOW, [...kinds, kinds[0]!]), key, 'each kind once');
    assert.notEqual(schemaCacheKey('/openapi/v3/apis/policy/v1?hash=0BAD', kinds), key);
    assert.notEqual(schemaCacheKey(URL_NOW, kinds.slice(1)), key);
  });

  it('are read back as kept, whole, and nothing is read for an entry absent or unreadable', async () => {
    const dir = schemaCacheDir(await mkdtemp(join(tmpdir(), 'lily-deploy-schemas-')));
    const key = schemaCacheKey(URL_NOW, ['policy/v1/PodDisruptionBudget']);
    assert.equal(await readKeptSchemas(dir, key), undefined, 'no directory yet');
    await keepSchemas(dir, key, DOC);
    assert.deepEqual(await readKeptSchemas(dir, key), DOC);
    assert.deepEqual(await readdir(dir), [`${key}.json`], 'no partial file left');
    await writeFile(join(dir, `${key}.json`), '{"components": {"schemas"');
    assert.equal(await readKeptSchemas(dir, key), undefined, 'cut short');
    await writeFile(join(dir, `${key}.json`), '{"components": []}');
    assert.equal(await readKeptSchemas(dir, key), undefined, 'not a document');
  });
});
