import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { composeDatabaseUrl, databaseSecretForms } from '../../src/inputs/database-url.js';
import { lilyDatabaseUrlProblems } from '../../src/lily/database-url.js';

const PASSWORDS = [
  'plain',
  'p@ss',
  'a:b',
  'with/slash',
  'q?mark',
  'hash#tag',
  '100%',
  'plus+sign',
  'two words',
  `all @:/?#%+ of them`,
  'ünïcødé',
];

describe('composeDatabaseUrl', () => {
  for (const password of PASSWORDS) {
    it(`keeps the password ${JSON.stringify(password)} intact through a URL parser`, () => {
      const url = composeDatabaseUrl({
        host: 'db',
        port: 5432,
        name: 'chain',
        user: 'u@x',
        password,
        sslmode: 'require',
      });
      const parsed = new URL(url);
      assert.equal(decodeURIComponent(parsed.password), password);
      assert.equal(decodeURIComponent(parsed.username), 'u@x');
      assert.equal(parsed.hostname, 'db');
      assert.equal(parsed.port, '5432');
      assert.equal(parsed.pathname, '/chain');
      assert.equal(parsed.searchParams.get('sslmode'), 'require');
      assert.deepEqual(lilyDatabaseUrlProblems(url), []);
    });
  }

  it('brackets an IPv6 host', () => {
    const url = composeDatabaseUrl({
      host: '::1',
      port: 6432,
      name: 'db',
      user: 'u',
      password: 'p',
      sslmode: 'disable',
    });
    assert.equal(url, 'postgres://u:p@[::1]:6432/db?sslmode=disable');
  });
});

describe('databaseSecretForms', () => {
  it('lists the raw, decoded, encoded and base64 forms', () => {
    const url = 'postgres://u:p%40ss@h/db';
    const forms = databaseSecretForms(url);
    for (const form of [url, Buffer.from(url).toString('base64'), 'p%40ss', 'p@ss'])
      assert.ok(forms.includes(form), form);
  });
});
