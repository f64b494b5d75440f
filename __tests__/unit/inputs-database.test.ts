import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { InputReader } from '../../src/inputs/reader.js';
import { parseDatabase } from '../../src/inputs/database.js';
import { parseGroup } from './fake-inputs.js';

const PARTS = {
  'database-host': 'db.example.com',
  'database-name': 'chain',
  'database-user': 'lily',
  'database-password': 'p@ss word',
};

/** The database inputs of the release lily-a. */
function parseDatabaseOf(given: Record<string, string>) {
  return parseGroup((reader: InputReader) => parseDatabase(reader, 'lily-a'), given);
}

describe('parseDatabase', () => {
  it('is off, masking nothing, when no database is given', () => {
    assert.deepEqual(parseDatabaseOf({}), { parsed: undefined, errors: [], secrets: [] });
  });

  it('composes the URL from its parts and masks every form of it and the password', () => {
    const { parsed, errors, secrets } = parseDatabaseOf({ ...PARTS, 'database-port': '6543' });
    const url = 'postgres://lily:p%40ss%20word@db.example.com:6543/chain?sslmode=require';
    assert.deepEqual(errors, []);
    assert.equal(parsed?.url, url);
    assert.equal(parsed.secretName, 'lily-a-lily-db', 'named after the release');
    for (const form of ['p@ss word', 'p%40ss%20word', url, Buffer.from(url).toString('base64')]) {
      assert.ok(secrets.includes(form), `secrets include ${form}`);
    }
  });

  it('takes a whole URL or its parts, never both, and checks port and sslmode anyway', () => {
    const { errors, secrets } = parseDatabaseOf({
      'database-url': 'postgres://u:long-secret-pw@h/db',
      'database-host': 'h',
      'database-port': '65536',
      'database-sslmode': 'on',
    });
    assert.deepEqual(errors, [
      "Input 'database-port' is '65536'; allowed: a port number from 1 to 65535",
      "Input 'database-sslmode' is 'on'; allowed: disable, allow, prefer, require, verify-ca, verify-full",
      "Input 'database-url' cannot be combined with database-host; give either the URL or its parts",
    ]);
    assert.ok(secrets.includes('long-secret-pw'));
  });

  it('names every missing part, and what was given', () => {
    const { parsed, errors, secrets } = parseDatabaseOf({ 'database-password': 'pw' });
    assert.equal(parsed, undefined);
    assert.deepEqual(errors, [
      "Input 'database-host' is required with database-password (or give database-url instead)",
      "Input 'database-name' is required with database-password (or give database-url instead)",
      "Input 'database-user' is required with database-password (or give database-url instead)",
    ]);
    assert.deepEqual(secrets, ['pw', 'pw']);
  });

  it("refuses, before anything is downloaded, a URL Lily's parser would refuse, never quoting it", () => {
    const whole = parseDatabaseOf({ 'database-url': 'postgres://u:top-secret@h/db?search_path=x' });
    assert.equal(whole.errors.length, 1);
    assert.match(whole.errors[0] ?? '', /^Input 'database-url' has parameter 'search_path'/);
    assert.ok(!whole.errors[0]?.includes('top-secret'));
    const parts = parseDatabaseOf({ ...PARTS, 'database-sslmode': 'verify-full' });
    assert.match(
      parts.errors.join('\n'),
      /^Input 'database-sslmode' has sslmode 'verify-full'.*ServerName/,
    );
    const skipped = parseDatabaseOf({
      ...PARTS,
      'database-sslmode': 'verify-full',
      'lily-preflight': 'false',
    });
    assert.deepEqual(skipped.errors, [], 'lily-preflight: false leaves it to Lily');
  });

  it('passes the Secret and storage entry names through', () => {
    const { parsed, errors } = parseDatabaseOf({
      'database-url': 'postgres://u:pw@h/db',
      'database-secret-name': 'lily.db',
      'database-secret-key': 'dsn',
      'database-storage-name': 'chain_db',
      'database-schema': 'lily_v2',
      'database-application-name': 'lily indexer',
      'database-values-path': 'daemon.storage.postgresql',
    });
    assert.deepEqual(errors, []);
    assert.deepEqual(parsed, {
      url: 'postgres://u:pw@h/db',
      secretName: 'lily.db',
      secretKey: 'dsn',
      storageName: 'chain_db',
      schema: 'lily_v2',
      applicationName: 'lily indexer',
      valuesPath: 'daemon.storage.postgresql',
    });
  });

  it('checks the Secret and storage entry names', () => {
    const { errors } = parseDatabaseOf({
      ...PARTS,
      'database-secret-name': 'Lily_DB',
      'database-secret-key': 'the url',
      'database-storage-name': 'my-db',
      'database-schema': 'lily-schema',
      'database-values-path': 'daemon storage',
    });
    assert.deepEqual(errors, [
      "Input 'database-secret-name' is 'Lily_DB'; allowed: a Kubernetes object name: lower-case letters, digits, '-' and '.'",
      "Input 'database-secret-key' is 'the url'; allowed: letters, digits, '-', '_' and '.'",
      "Input 'database-storage-name' is 'my-db'; allowed: letters, digits and '_' only (Lily turns it into an environment variable name; '-' breaks the pod)",
      "Input 'database-schema' is 'lily-schema'; allowed: a Postgres identifier: letters, digits and '_'",
      "Input 'database-values-path' is 'daemon storage'; allowed: 'auto' or a dotted path such as daemon.storage.postgresql",
    ]);
  });
});
