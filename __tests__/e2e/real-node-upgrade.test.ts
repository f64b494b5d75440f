// An upgrade that really rolls the StatefulSet on the real node: revision 2's
// pod is a new pod of the new controller revision, its container runs the
// changed spec, the old pod is gone, and the new one indexes into Postgres.
// Helm 3 and Helm 4, side by side, each in its own namespace, schema and release.
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
  type RealNodeInfo,
  waitFor,
  writeSnapshot,
} from '../../test/support/real-node.js';

// This file's own database and role: the other real-node files run beside it.
const DATABASE = 'upgrade';
const ROLE = 'lily_upgrade';
const PASSWORD = 'roll p@ss/2';
const SNAPSHOT = 'upgrade.car';

interface RunningPod {
  metadata: { uid: string; labels: Record<string, string> };
  status: { containerStatuses?: { name: string; state?: { running?: { startedAt: string } } }[] };
}

describe('an upgrade on the real node', { skip, concurrency: true }, () => {
  const env = useE2E({ realNode: true });
  let info: RealNodeInfo;

  before(async () => {
    if (typeof node === 'string') return;
    info = node;
    await createDatabase(node, DATABASE, ROLE, PASSWORD);
    writeSnapshot(node, SNAPSHOT);
  });

  for (const major of [3, 4] as const) {
    it(`rolls the StatefulSet to revision 2, whose new pod runs the new spec and indexes (helm ${major})`, async () => {
      const release = `roll-h${major}`;
      const namespace = uniqueName(`rn-upgrade-h${major}`);
      const schema = `upgrade_h${major}`;
      const url = `postgres://${ROLE}:${encodeURIComponent(PASSWORD)}@${info.ip}:5432/${DATABASE}?sslmode=require`;
      await migrateLatest(info, url, schema);
      const inputs = (logLevel: string) => ({
        release,
        namespace,
        'create-namespace': 'true',
        'values-files': `${HEALTHY_VALUES_FILES}\n${REAL_NODE_VALUES}`,
        values: `${INDEXING_JOB_VALUES}\nimportSnapshot: {url: "http://${info.ip}:8080/${SNAPSHOT}"}\nlogLevel: ${logLevel}`,
        'database-url': url,
        'database-schema': schema,
        timeout: '3m',
      });
      const pod = `lily-${release}-dev-mainnet-daemon-0`;
      const sts = `lily-${release}-dev-mainnet-daemon`;
      const rows = async (since = 0) =>
        Number(
          await psql(
            info,
            `SELECT count(*) FROM ${schema}.block_headers WHERE timestamp >= ${since}`,
            DATABASE,
          ),
        );

      const first = await deploy(env.e2e, major, inputs('info'));
      assert.equal(first.exitCode, 0, first.log);
      assert.equal(first.outputs.revision, '1');
      const old = await env.kube.json<RunningPod>(['get', 'pod', pod, '-n', namespace]);
      await waitFor('rows of revision 1', async () => ((await rows()) > 0 ? true : undefined));

      const second = await deploy(env.e2e, major, inputs('debug'));
      assert.equal(second.exitCode, 0, second.log);
      assert.equal(second.outputs.revision, '2');
      assert.equal(second.outputs.status, 'deployed');
      assert.match(second.summary, /\| Revision \| 2 \|/);
      assert.ok(second.log.includes(`helm upgrade --install ${release} (revision 2)`), second.log);
      assert.match(
        second.log,
        new RegExp(`Release ${release} in ${namespace}: revision 2, deployed`),
      );

      // A new pod of the StatefulSet's new revision; the old pod is gone.
      const set = await env.kube.json<{
        status: { currentRevision: string; updateRevision: string };
      }>(['get', 'statefulset', sts, '-n', namespace]);
      assert.equal(set.status.currentRevision, set.status.updateRevision);
      const now = await env.kube.json<RunningPod>(['get', 'pod', pod, '-n', namespace]);
      assert.notEqual(now.metadata.uid, old.metadata.uid, 'a new pod');
      assert.notEqual(
        now.metadata.labels['controller-revision-hash'],
        old.metadata.labels['controller-revision-hash'],
      );
      assert.equal(now.metadata.labels['controller-revision-hash'], set.status.updateRevision);
      const pods = await env.kube.json<{ items: { metadata: { uid: string } }[] }>([
        'get',
        'pods',
        '-n',
        namespace,
      ]);
      assert.deepEqual(
        pods.items.map((p) => p.metadata.uid),
        [now.metadata.uid],
      );
      // Its lily process (the container's PID 1) runs with the changed spec.
      const level = await env.kube.run([
        'exec',
        pod,
        '-n',
        namespace,
        '-c',
        'daemon',
        '--',
        'sh',
        '-c',
        "tr '\\0' '\\n' </proc/1/environ | grep '^GOLOG_LOG_LEVEL='",
      ]);
      assert.equal(level.stdout.trim(), 'GOLOG_LOG_LEVEL=debug');

      // Rows still reach Postgres after the roll: heads the new pod indexed.
      const started = now.status.containerStatuses?.find((c) => c.name === 'daemon')?.state?.running
        ?.startedAt;
      assert.ok(started, JSON.stringify(now.status));
      const since = Math.floor(Date.parse(started) / 1000);
      const after = await waitFor('rows written by the new pod', async () => {
        const n = await rows(since);
        return n >= 2 ? n : undefined;
      });
      assert.ok(after >= 2);
    });
  }
});
