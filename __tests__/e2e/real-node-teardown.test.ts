// Uninstall and preview teardown with real volumes: the host-path
// provisioner of the real node's lane (StorageClass real-node-hostpath) makes
// a directory on the node per PVC; removing a release removes its PVCs, their
// PVs and those directories, and nothing of another release. Helm 3 and
// Helm 4, side by side, each in namespaces and releases of its own.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { REAL_NODE_STORAGE_CLASS } from '../../test/cluster/real-node.js';
import {
  deploy,
  HEALTHY_VALUES_FILES,
  REAL_NODE_VALUES,
  uniqueName,
  useE2E,
} from '../../test/support/e2e.js';
import { GithubApi } from '../../test/support/github-api.js';
import {
  inside,
  REAL_NODE as node,
  SKIP as skip,
  type RealNodeInfo,
  waitFor,
} from '../../test/support/real-node.js';

/** The datastore on a PVC of the node's host-path class; a daemon up in a second or two. */
const VALUES = [
  'importSnapshot: {enabled: false}',
  'debug: {disableNetworkSync: true}',
  'daemon:',
  '  volumes:',
  `    datastore: {enabled: true, size: 1Gi, storageClassName: ${REAL_NODE_STORAGE_CLASS}}`,
].join('\n');

interface Claim {
  metadata: { name: string };
  spec: { volumeName?: string };
  status: { phase: string };
}
interface Volume {
  metadata: { name: string };
  spec: { hostPath?: { path: string } };
}

describe('teardown on the real node', { skip, concurrency: true }, () => {
  const env = useE2E({ realNode: true });
  let info: RealNodeInfo;
  let api: GithubApi;

  before(async () => {
    if (typeof node === 'string') return;
    info = node;
    api = await GithubApi.start();
  });
  after(() => (typeof node === 'string' ? undefined : api.close()));

  const exists = async (args: string[]) => (await env.kube.find(args)) !== undefined;
  /** The node's directory of the claim's volume, with a file in it (the release's data). */
  const volumeOf = async (claim: string, namespace: string) => {
    const pvc = await env.kube.json<Claim>(['get', 'pvc', claim, '-n', namespace]);
    assert.equal(pvc.status.phase, 'Bound');
    const pv = await env.kube.json<Volume>(['get', 'pv', pvc.spec.volumeName ?? '']);
    const dir = pv.spec.hostPath?.path ?? '';
    assert.match(dir, /^\/tmp\/hostpath_pv\/./);
    await inside(info, ['touch', `${dir}/chain.db`]);
    return { pv: pv.metadata.name, dir };
  };
  const onNode = async (dir: string) =>
    (await inside(info, ['test', '-e', dir], { allowFailure: true })).exitCode === 0;
  /** The PV and its directory, gone (the provisioner's deleter follows the PVC's deletion). */
  const gone = (volume: { pv: string; dir: string }) =>
    waitFor(`${volume.pv} and ${volume.dir} to go`, async () =>
      !(await exists(['get', 'pv', volume.pv])) && !(await onNode(volume.dir)) ? true : undefined,
    );

  for (const major of [3, 4] as const) {
    it(`command: uninstall removes the release's PVCs, PVs and directories, and nothing of the release beside it (helm ${major})`, async () => {
      // A namespace of the user's: the release beside shares it.
      const namespace = uniqueName(`rn-teardown-h${major}`);
      await env.kube.run(['create', 'namespace', namespace]);
      const common = {
        namespace,
        'values-files': `${HEALTHY_VALUES_FILES}\n${REAL_NODE_VALUES}`,
        values: VALUES,
        timeout: '3m',
      };
      const [gone1, beside] = await Promise.all(
        ['goes', 'stays'].map((release) => deploy(env.e2e, major, { ...common, release })),
      );
      assert.equal(gone1?.exitCode, 0, gone1?.log);
      assert.equal(beside?.exitCode, 0, beside?.log);
      const claim = (release: string) => `datastore-volume-lily-${release}-dev-mainnet-daemon-0`;
      const goes = await volumeOf(claim('goes'), namespace);
      const stays = await volumeOf(claim('stays'), namespace);
      assert.equal(await onNode(goes.dir), true);

      const result = await deploy(env.e2e, major, {
        ...common,
        command: 'uninstall',
        release: 'goes',
      });
      assert.equal(result.exitCode, 0, result.log);
      const deleted = JSON.parse(result.outputs.deleted ?? '[]') as {
        kind: string;
        name: string;
      }[];
      assert.deepEqual(
        deleted.filter((o) => o.kind === 'PersistentVolumeClaim').map((o) => o.name),
        [claim('goes')],
      );
      assert.equal(await exists(['get', 'pvc', claim('goes'), '-n', namespace]), false);
      await gone(goes);

      // The release beside: its claim, volume, directory and pod as they were.
      const pvc = await env.kube.json<Claim>(['get', 'pvc', claim('stays'), '-n', namespace]);
      assert.equal(pvc.status.phase, 'Bound');
      assert.equal(pvc.spec.volumeName, stays.pv);
      assert.equal(await onNode(`${stays.dir}/chain.db`), true);
      const sts = await env.kube.daemonStatefulSet('stays', namespace);
      assert.equal(sts.status.readyReplicas, 1);
      assert.equal(await exists(['get', 'namespace', namespace]), true);
    });

    it(`a closed pull request's preview goes with its PVCs, PVs and directories (helm ${major})`, async () => {
      const number = 2200 + major;
      const release = `rnlily-pr-${number}`;
      const preview = {
        release: 'rnlily',
        preview: 'true',
        'values-files': `${HEALTHY_VALUES_FILES}\n${REAL_NODE_VALUES}`,
        values: VALUES,
        timeout: '3m',
      };
      const opened = await deploy(env.e2e, major, preview, {
        env: await api.pullRequestRun(number, 'opened'),
      });
      assert.equal(opened.exitCode, 0, opened.log);
      assert.equal(opened.outputs['preview-namespace'], release);
      const claim = `datastore-volume-lily-${release}-dev-mainnet-daemon-0`;
      const volume = await volumeOf(claim, release);

      const closed = await deploy(env.e2e, major, preview, {
        env: await api.pullRequestRun(number, 'closed'),
      });
      assert.equal(closed.exitCode, 0, closed.log);
      const deleted = JSON.parse(closed.outputs.deleted ?? '[]') as {
        kind: string;
        name: string;
      }[];
      assert.deepEqual(deleted.map((o) => `${o.kind}/${o.name}`).sort(), [
        `HelmRelease/${release}`,
        `Namespace/${release}`,
        `PersistentVolumeClaim/${claim}`,
      ]);
      assert.equal(await exists(['get', 'namespace', release]), false);
      await gone(volume);
    });
  }
});
