// Lily's database failures on a real kubelet (test/cluster/README.md, "The
// real node"): the fixture chart's init-database runs the fake lily's
// `lily migrate --schema` against the node's real TLS Postgres, which answers
// with its own words; the action names each failure after Lily's line
// (lily-database, lily-schema), or, while Lily retries silently, after
// database-timeout. Each test has its own namespace and release, and the file
// its own role and database, so it runs beside the other real-node files.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { useE2E } from '../../test/support/e2e.js';
import {
  assertNamedFailure,
  createDatabase,
  deployFailingOnRealNode,
  REAL_NODE as node,
  SKIP as skip,
  type RealNodeFailure,
  writeSnapshot,
  waitFor,
} from '../../test/support/real-node.js';

// Every character a URL must escape, and a space (as real-node.test.ts).
const PASSWORD = 'db p@ss:w/rd?#%+';
const DATABASE = 'lily_reasons';
const ROLE = 'lily_reasons';
// A port of the node's address where nothing listens.
const CLOSED_PORT = '5439';

/** The fake's clock of test/fixtures/values/real-node.yaml, with go-pg's back-off as given. */
function fakeEnvWithRetry(retryMax: string): string {
  return [
    'daemon:',
    '  env:',
    '    - {name: LILY_FAKE_SYNC_TIME, value: 2s}',
    '    - {name: LILY_FAKE_BLOCK_TIME, value: 1s}',
    `    - {name: LILY_FAKE_DB_RETRY_MAX, value: ${retryMax}}`,
  ].join('\n');
}

describe('Lily database failures on the real node', { skip, concurrency: 2 }, () => {
  const env = useE2E({ realNode: true });
  let nodeInfo: Exclude<typeof node, string>;
  let snapshotUrl: string;

  before(async () => {
    if (typeof node === 'string') return;
    nodeInfo = node;
    await createDatabase(node, DATABASE, ROLE, PASSWORD);
    // A snapshot of its own: another file rewriting one a pod is downloading would cut it.
    snapshotUrl = writeSnapshot(node, 'reasons-snapshot.car');
  });

  for (const major of [3, 4] as const) {
    // The majors side by side, each one's tests one after the other.
    describe(`helm ${major}`, { concurrency: 1 }, () => {
      /** A deploy of release lily-<name> against the file's database, expected to fail. */
      function deployFailing(
        name: string,
        inputs: Record<string, string> = {},
      ): Promise<RealNodeFailure> {
        return deployFailingOnRealNode(env.e2e, major, name, {
          'database-host': nodeInfo.ip,
          'database-name': DATABASE,
          'database-user': ROLE,
          'database-password': PASSWORD,
          'database-schema': `lily_h${major}`,
          ...inputs,
          values: `importSnapshot: {url: '${snapshotUrl}'}\n${inputs.values ?? ''}`,
        });
      }

      it("a wrong password: lily-database, quoting Postgres's #28P01 through Lily's retry", async () => {
        const result = await deployFailing('pw', { 'database-password': `${PASSWORD}-wrong` });
        assertNamedFailure(result, result.release, {
          reason: 'lily-database',
          quoted: `Postgres refused the password of user "${ROLE}": "get schema versions: connect: ping database retry attempt: ping database: FATAL #28P01 password authentication failed for user "${ROLE}""`,
          remedy:
            /Remedy: The password in the database Secret is not the password of role "lily_reasons": fix database-password/,
        });
        // The failed run's log is still shown whole, under its container, and is the kubelet's.
        assert.ok(result.log.includes('--- logs of init-database'), result.log);
        // While the init container restarts, the kubelet prunes the dead instance
        // the pod's status still names ("unable to retrieve container logs"), and
        // the next one to die takes its place: ask again until one answers.
        const line = '#28P01 password authentication failed';
        let previous = '';
        await waitFor('the log of a previous init-database', async () => {
          const logs = await env.kube.run([
            'logs',
            'lily-lily-pw-dev-mainnet-daemon-0',
            '-n',
            result.namespace,
            '-c',
            'init-database',
            '--previous',
          ]);
          previous = logs.stdout + logs.stderr;
          return previous.includes(line) ? true : undefined;
        }).catch(() => undefined);
        assert.ok(previous.includes(line), previous);
      });

      it("TLS turned off against a server that takes only TLS: lily-database, with Postgres's pg_hba words", async () => {
        const result = await deployFailing('tls', { 'database-sslmode': 'disable' });
        assertNamedFailure(result, result.release, {
          reason: 'lily-database',
          quoted: `Postgres requires TLS and the URL turned it off: "get schema versions: connect: ping database retry attempt: ping database: FATAL #28000 no pg_hba.conf entry for host "`,
          remedy:
            /Remedy: The server takes only TLS connections from the pods and the URL says sslmode=disable: set database-sslmode: require/,
        });
        assert.match(
          result.log,
          new RegExp(`user "${ROLE}", database "${DATABASE}", no encryption`),
        );
      });

      it("nothing listening: lily-database, with Lily's words once its retry gives up", async () => {
        const result = await deployFailing('down', { 'database-port': CLOSED_PORT });
        assertNamedFailure(result, result.release, {
          reason: 'lily-database',
          quoted: `Nothing listens at ${nodeInfo.ip}:${CLOSED_PORT}: "get schema versions: connect: ping database retry attempt: ping database: dial tcp ${nodeInfo.ip}:${CLOSED_PORT}: connect: connection refused"`,
          remedy: /Remedy: The database is down, or the host or port is wrong/,
        });
      });

      it('a database that does not answer while Lily retries silently: lily-database after database-timeout', async () => {
        const started = Date.now();
        const result = await deployFailing('silent', {
          'database-port': CLOSED_PORT,
          'database-timeout': '15s',
          // Lily's own 15 minutes: it says nothing in the deploy's time.
          values: fakeEnvWithRetry('15m'),
        });
        assertNamedFailure(result, result.release, {
          reason: 'lily-database',
          quoted: 'The database has not answered Lily for ',
          remedy:
            /Remedy: The usual causes, the most likely first: 1\. the password in the Secret is wrong[^\n]*2\. the host or port is wrong/,
        });
        assert.match(
          result.log,
          /\(database-timeout 15s\): container init-database of pod lily-lily-silent-dev-mainnet-daemon-0 is still in `lily migrate --schema`, and Lily \(v0\.17\.3 and later\) retries a database connection silently for up to 15 minutes/,
        );
        // Lily's own words never came: its retry outlasts the deploy.
        assert.ok(!result.log.includes('connection refused'), result.log);
        // Named at the bound, not at helm's 3m timeout.
        assert.ok(Date.now() - started < 150_000, `took ${Date.now() - started} ms`);
      });

      it('a schema that was never installed: lily-schema, with the whole migration procedure', async () => {
        const result = await deployFailing('schema', { 'database-schema': `absent_h${major}` });
        assertNamedFailure(result, result.release, {
          reason: 'lily-schema',
          quoted: `The database has no Lily schema of that name (it was never migrated): "verify schema: schema not installed in database"`,
          remedy:
            /Remedy: Migrate the schema with every Lily on that database stopped \(the migration needs an exclusive advisory lock, database-wide[^\n]*scale every Lily StatefulSet that uses this database to 0[^\n]*LILY_DB=<the storage's URL, as in LILY_STORAGE_POSTGRESQL_DB_URL> lily migrate --latest --schema <schema>/,
        });
      });
    });
  }
});
