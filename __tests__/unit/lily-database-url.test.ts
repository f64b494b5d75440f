import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lilyDatabaseUrlProblems } from '../../src/lily/database-url.js';

describe('lilyDatabaseUrlProblems (go-pg ParseURL, as Lily reads the URL)', () => {
  it('accepts both schemes and every parameter Lily reads', () => {
    assert.deepEqual(
      lilyDatabaseUrlProblems(
        'postgresql://u:p@h/db?sslmode=require&application_name=lily&connect_timeout=10',
      ),
      [],
    );
    assert.deepEqual(lilyDatabaseUrlProblems('postgres://u:p@h:5432/db'), []);
    for (const mode of ['disable', 'allow', 'prefer', 'require'])
      assert.deepEqual(lilyDatabaseUrlProblems(`postgres://u:p@h/db?sslmode=${mode}`), [], mode);
  });

  it('refuses verify-ca and verify-full, which the driver parses but cannot connect with', () => {
    for (const mode of ['verify-ca', 'verify-full']) {
      const [problem] = lilyDatabaseUrlProblems(`postgres://u:p@h/db?sslmode=${mode}`);
      assert.match(problem ?? '', new RegExp(`sslmode '${mode}'.*ServerName.*sslmode=require`));
    }
  });

  it('refuses any other parameter, naming the three allowed', () => {
    for (const key of ['search_path', 'options', 'sslrootcert', 'target_session_attrs']) {
      const [problem] = lilyDatabaseUrlProblems(`postgres://u:p@h/db?${key}=x`);
      assert.match(
        problem ?? '',
        new RegExp(`parameter '${key}'.*sslmode, application_name, connect_timeout`),
      );
    }
  });

  it('names each problem without quoting the URL', () => {
    const url = 'http://user:topsecret@h/?sslmode=sometimes&connect_timeout=soon&search_path=x';
    const problems = lilyDatabaseUrlProblems(url);
    assert.equal(problems.length, 5, problems.join('\n'));
    assert.ok(problems.every((p) => !p.includes('topsecret')));
  });

  it('refuses what is no URL at all (a key=value DSN)', () => {
    assert.match(lilyDatabaseUrlProblems('host=h user=u').join(), /not a valid URL/);
  });
});
