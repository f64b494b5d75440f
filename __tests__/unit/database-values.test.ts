import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { DatabaseSettings } from '../../src/settings.js';
import {
  databaseValues,
  storageListPath,
  upsertStorageEntry,
} from '../../src/deploy/database-values.js';
import { loadValuesFiles, mergeValues } from '../../src/inputs/values.js';

const DB: DatabaseSettings = {
  url: 'postgres://u:p@h/db',
  secretName: 'lily-a-lily-db',
  secretKey: 'url',
  storageName: 'db',
  schema: 'lily',
  applicationName: 'lily',
  valuesPath: 'auto',
};
const ENTRY = {
  name: 'db',
  secretName: 'lily-a-lily-db',
  secretKey: 'url',
  schema: 'lily',
  applicationName: 'lily',
};

describe('mergeValues', () => {
  it('merges maps deeply and replaces lists and scalars, later layers winning', () => {
    const merged = mergeValues(
      { image: { repo: 'a', tag: '1' }, daemon: { jobs: [{ name: 'x' }] } },
      { image: { tag: '2' }, daemon: { jobs: [{ name: 'y' }] }, deploymentType: 'daemon' },
    );
    assert.deepEqual(merged, {
      image: { repo: 'a', tag: '2' },
      daemon: { jobs: [{ name: 'y' }] },
      deploymentType: 'daemon',
    });
  });
});

describe('upsertStorageEntry', () => {
  it('appends to a list without the name', () => {
    assert.deepEqual(upsertStorageEntry([{ name: 'other' }], ENTRY), [{ name: 'other' }, ENTRY]);
  });
  it('replaces the entry of the same name, keeping its other settings', () => {
    assert.deepEqual(upsertStorageEntry([{ name: 'db', poolSize: 5, secretName: 'old' }], ENTRY), [
      { ...ENTRY, poolSize: 5 },
    ]);
  });
  it('starts a list when there is none', () => {
    assert.deepEqual(upsertStorageEntry(undefined, ENTRY), [ENTRY]);
  });
});

describe('storageListPath', () => {
  it('follows the user deploymentType, then the chart default, then cluster', () => {
    assert.equal(
      storageListPath('auto', { deploymentType: 'daemon' }, { deploymentType: 'cluster' }),
      'daemon.storage.postgresql',
    );
    assert.equal(
      storageListPath('auto', {}, { deploymentType: 'daemon' }),
      'daemon.storage.postgresql',
    );
    assert.equal(storageListPath('auto', {}, {}), 'cluster.storage.postgresql');
    assert.equal(
      storageListPath('storage.postgresql', { deploymentType: 'daemon' }),
      'storage.postgresql',
    );
  });
  it('refuses an unknown deploymentType under auto', () => {
    assert.throws(
      () => storageListPath('auto', { deploymentType: 'both' }),
      /database-values-path/,
    );
  });
});

describe('databaseValues', () => {
  it('puts our entry into the effective list at the daemon path', () => {
    const user = {
      deploymentType: 'daemon',
      daemon: { storage: { postgresql: [{ name: 'archive', secretName: 's' }] } },
    };
    assert.deepEqual(databaseValues(DB, user), {
      daemon: { storage: { postgresql: [{ name: 'archive', secretName: 's' }, ENTRY] } },
    });
  });
  it('starts from the chart defaults when the user did not set the list', () => {
    const defaults = {
      deploymentType: 'cluster',
      cluster: { storage: { postgresql: [{ name: 'db', poolSize: 20 }] } },
    };
    assert.deepEqual(databaseValues(DB, {}, defaults), {
      cluster: { storage: { postgresql: [{ ...ENTRY, poolSize: 20 }] } },
    });
  });
  it('holds the Secret name only, never the URL', () => {
    assert.ok(!JSON.stringify(databaseValues(DB, {}, {})).includes(DB.url));
  });
});

describe('loadValuesFiles', () => {
  it('names a missing file and a bad file with its line', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'values-'));
    const good = join(dir, 'good.yaml');
    const bad = join(dir, 'bad.yaml');
    await writeFile(good, 'image:\n  tag: v1\n');
    await writeFile(bad, 'image:\n  tag: v1\n  repo: [unclosed\n');
    const { values, errors } = await loadValuesFiles([good, bad, join(dir, 'missing.yaml')]);
    assert.deepEqual(values, [{ image: { tag: 'v1' } }]);
    assert.equal(errors.length, 2);
    assert.match(errors[0]!, /^Input 'values-files': .*bad\.yaml is not valid YAML: .*line 4/);
    assert.match(errors[1]!, /^Input 'values-files': .*missing\.yaml does not exist/);
  });
});
