// The deploy on a real kubelet (test/cluster/README.md, "The real node"): the
// fixture chart's pods run the published chart's init containers and postStart
// hook around the fake lily, which talks to a real Postgres with TLS through
// the URL the action wrote into the Secret. Helm 3 and Helm 4.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import {
  deploy,
  HEALTHY_VALUES_FILES,
  REAL_NODE_VALUES,
  uniqueName,
  useE2E,
} from '../../test/support/e2e.js';
import {
  createDatabase,
  INDEXING_JOB_VALUES,
  migrateLatest,
  psql,
  REAL_NODE as node,
  SKIP as skip,
  waitFor,
  writeSnapshot,
} from '../../test/support/real-node.js';
import type { ActionResult } from '../../test/support/runner.js';

// Every character a URL must escape, and a space: the action percent-encodes
// them into the Secret's URL, go-pg's ParseURL decodes them, Postgres checks.
const PASSWORD = 'node p@ss:w/rd?#%+';
const DATABASE = 'chain';
const ROLE = 'lily';
const CHART_VERSION = '0.1.5-rc1'; // the first with init-database

// The Helm 3 and Helm 4 groups at once: each has its release, namespaces and
// schema. Inside a group one test after another (the first makes the schema
// the others use).
describe('the real node', { skip, concurrency: 2 }, () => {
  const env = useE2E({ realNode: true });
  let nodeInfo: Exclude<typeof node, string>;

  before(async () => {
    if (typeof node === 'string') return;
    nodeInfo = node;
    await createDatabase(node, DATABASE, ROLE, PASSWORD);
    writeSnapshot(node);
  });

  for (const major of [3, 4] as const) {
    describe(`helm ${major}`, { concurrency: 1 }, () => {
      const schema = `lily_h${major}`;
      const inputs = (namespace: string) => ({
        release: `lily-h${major}`,
        namespace,
        'create-namespace': 'true',
        'chart-version': CHART_VERSION,
        'values-files': `${HEALTHY_VALUES_FILES}\n${REAL_NODE_VALUES}`,
        'database-host': nodeInfo.ip,
        'database-name': DATABASE,
        'database-user': ROLE,
        'database-password': PASSWORD,
        'database-schema': schema,
        timeout: '3m',
      });

      it('a daemon-mode deploy runs every init container and the hook, and indexes into Postgres', async () => {
        const url = `postgres://${ROLE}:${encodeURIComponent(PASSWORD)}@${nodeInfo.ip}:5432/${DATABASE}?sslmode=require`;
        await psql(nodeInfo, `DROP SCHEMA IF EXISTS ${schema} CASCADE`, DATABASE);
        await migrateLatest(nodeInfo, url, schema);
        const namespace = uniqueName(`real-h${major}`);
        const result = await deploy(env.e2e, major, {
          ...inputs(namespace),
          values: INDEXING_JOB_VALUES,
        });
        assert.equal(result.exitCode, 0, result.log);
        assert.equal(result.outputs.status, 'deployed');

        const pod = `lily-lily-h${major}-dev-mainnet-daemon-0`;
        const logs = async (container: string) =>
          (await env.kube.run(['logs', pod, '-n', namespace, '-c', container])).stdout;
        assert.match(await logs('init-datastore'), /\*\*\* Importing snapshot\.\.\./);
        assert.match(await logs('init-datastore'), /accepting \[bafy2bzace\w+\] as new head/);
        const sync = await logs('init-sync');
        assert.match(
          sync,
          /Waiting for network sync to complete\.\.\.[\s\S]*State: complete[\s\S]*Done!/,
        );
        assert.match(
          await logs('init-database'),
          /Checking for database readiness for db\.\.\.[\s\S]*"msg":"database schema is supported by this version of visor"/,
        );

        // Rows written through the Secret's URL: a real TLS login with that password.
        const rows = await waitFor('block_headers rows', async () => {
          const n = Number(
            await psql(nodeInfo, `SELECT count(*) FROM ${schema}.block_headers`, DATABASE),
          );
          return n >= 3 ? n : undefined;
        });
        assert.ok(rows >= 3);
        const ssl = await psql(
          nodeInfo,
          `SELECT DISTINCT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.usename = '${ROLE}'`,
          DATABASE,
        );
        assert.equal(ssl, 't');

        const daemon = await logs('daemon');
        assert.match(daemon, /"logger":"lily\/schedule".*"msg":"new job received"/);
        assert.match(daemon, /"msg":"model data persisted".*"task":"block_header"/);
        const jobs = JSON.parse(
          (
            await env.kube.run([
              'exec',
              pod,
              '-n',
              namespace,
              '-c',
              'daemon',
              '--',
              'lily',
              'job',
              'list',
            ])
          ).stdout,
        ) as { Name: string; Running: boolean; Error: string; Params: { storage: string } }[];
        assert.equal(jobs.length, 1);
        assert.match(
          jobs[0]?.Name ?? '',
          new RegExp(`^lily-lily-h${major}-dev-mainnet/blocks-[a-z0-9]{6}$`),
        );
        assert.deepEqual(
          { running: jobs[0]?.Running, error: jobs[0]?.Error, storage: jobs[0]?.Params.storage },
          { running: true, error: '', storage: 'db' },
        );
      });

      // The published chart has no probes: a daemon that dies seconds after
      // start is Running (and Ready) for an instant, so helm's wait passes;
      // the verify window after it sees the crash.
      /**
       * A deploy whose daemon dies `fatalAfter` after each start, with
       * `variables` of the fake's; a window that sees it.
       */
      const deployDying = (
        namespace: string,
        {
          variables = [],
          fatalAfter = '4s',
          onLog,
        }: { variables?: string[]; fatalAfter?: string; onLog?: (line: string) => void } = {},
      ) =>
        deploy(
          env.e2e,
          major,
          {
            ...inputs(namespace),
            verify: 'true',
            'verify-window': '30s',
            values: [
              'debug: {disableNetworkSync: true}',
              'daemon:',
              '  env:',
              '    - {name: LILY_FAKE_BLOCK_TIME, value: 1s}',
              '    - {name: LILY_FAKE_FATAL, value: "chain store: loading head: blockstore: file does not exist"}',
              `    - {name: LILY_FAKE_FATAL_AFTER, value: ${fatalAfter}}`,
              ...variables.map((variable) => `    - ${variable}`),
            ].join('\n'),
          },
          onLog ? { onLog } : {},
        );
      let crashLoop: Promise<{ result: ActionResult; namespace: string }> | undefined;
      const deployCrashLoop = () =>
        (crashLoop ??= (async () => {
          const namespace = uniqueName(`real-crash-h${major}`);
          return { result: await deployDying(namespace), namespace };
        })());

      it('a crash loop without probes: the kubelet restarts the daemon, whose fatal line is in its log', async () => {
        const { namespace } = await deployCrashLoop();
        const pod = `lily-lily-h${major}-dev-mainnet-daemon-0`;
        await waitFor('a restart of the daemon', async () => {
          const status = await env.kube.json<{
            status: { containerStatuses?: { restartCount: number }[] };
          }>(['get', 'pod', pod, '-n', namespace]);
          return (status.status.containerStatuses?.[0]?.restartCount ?? 0) >= 1 ? true : undefined;
        });
        const log = await waitFor('the fatal line', async () => {
          const r = await env.kube.run(['logs', pod, '-n', namespace, '-c', 'daemon']);
          return r.stdout.includes('"level":"fatal"') ? r.stdout : undefined;
        });
        assert.match(log, /"msg":"chain store: loading head: blockstore: file does not exist"/);
      });

      it("a crash loop without probes fails the deploy as crash-loop (verify window), with the crashed run's last lines", async () => {
        const { result } = await deployCrashLoop();
        assert.notEqual(result.exitCode, 0, result.log);
        assert.equal(result.outputs['failure-reason'], 'crash-loop', result.log);
        assert.ok(
          result.log.includes('chain store: loading head: blockstore: file does not exist'),
          result.log,
        );
      });

      // A crashed run whose log holds no line, as one the kubelet removed before
      // it was read (LILY_FAKE_QUIET_RUNS: its first run writes nothing): the
      // window waits for the next run to end and shows that run's lines. A run
      // dies when the test creates a file in its repo (LILY_FAKE_FATAL_ON): the
      // quiet first one as the window starts, the next once it is Ready again
      // (its hook ended) while the window waits for it, however long the hook,
      // helm's wait and a loaded kubelet take.
      it("a crashed run whose log is gone: the verify window shows the next run's last lines", async () => {
        const namespace = uniqueName(`real-quiet-h${major}`);
        const pod = `lily-lily-h${major}-dev-mainnet-daemon-0`;
        const crash = () =>
          env.kube.run([
            ...['exec', pod, '-n', namespace, '-c', 'daemon', '--'],
            ...['touch', '/var/lib/lily/.fake-fatal'],
          ]);
        const readyAgain = () =>
          waitFor('the next run Ready', async () => {
            const { status } = await env.kube.json<{
              status: { containerStatuses?: { ready: boolean; restartCount: number }[] };
            }>(['get', 'pod', pod, '-n', namespace]);
            const daemon = status.containerStatuses?.[0];
            return daemon?.ready && daemon.restartCount >= 1 ? true : undefined;
          });
        const crashes: Promise<unknown>[] = [];
        const result = await deployDying(namespace, {
          variables: [
            '{name: LILY_FAKE_QUIET_RUNS, value: "daemon:1"}',
            '{name: LILY_FAKE_FATAL_ON, value: .fake-fatal}',
          ],
          fatalAfter: '0s',
          onLog: (line) => {
            if (/^Verifying for \S+ that Lily's pods stay up/.test(line)) crashes.push(crash());
            else if (line.startsWith('verify-window: no line of the crashed run'))
              crashes.push(readyAgain().then(crash));
          },
        });
        await Promise.all(crashes);
        assert.notEqual(result.exitCode, 0, result.log);
        assert.equal(result.outputs['failure-reason'], 'crash-loop', result.log);
        assert.ok(
          result.log.includes(
            `verify-window: no line of the crashed run of container daemon of pod ${pod} could be read`,
          ),
          result.log,
        );
        assert.match(
          result.log,
          new RegExp(
            `The next run of container daemon of pod ${pod} ended too; last exit code 1 \\(Error\\); its last \\d+ log line\\(s\\):`,
          ),
        );
        assert.ok(
          result.log.includes('chain store: loading head: blockstore: file does not exist'),
          result.log,
        );
      });
    });
  }
});
