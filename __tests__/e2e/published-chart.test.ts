// The published Lily chart's traits that bite a deployer, carried by the
// fixture chart (its defaults are upstream's): deployed on Helm 3 and Helm 4,
// and every failure they cause explained before it wastes the timeout.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { deploy, README_VALUES, startDeploy, uniqueName, useE2E } from '../../test/support/e2e.js';
import type { ActionResult } from '../../test/support/runner.js';
import { namespaceAdminKubeconfig } from '../../test/support/service-account.js';

const env = useE2E();

const DATABASE_URL = 'postgres://lily:chart-traits-pw@db.example:5432/lily?sslmode=require';
// The chart's own daemon requests (31 CPU / 254Gi), back over the README's smaller ones.
const CHART_SIZED = `daemon:\n  resources:\n    requests: {cpu: 31000m, memory: 254Gi}\n    limits: {cpu: 31000m, memory: 254Gi}\n`;
const GP2_DATASTORE = `daemon:\n  volumes:\n    datastore:\n      enabled: true\n      storageClassName: gp2\n`;
const PDB_WARNING = 'lily-deploy: applied client-side';
const NODE_GROUP = 'lily-deploy.test/node-group';

function annotations(result: ActionResult, kind: string, title: string): string[] {
  return result.annotations
    .filter((a) => a.kind === kind && a.properties.title === title)
    .map((a) => a.message);
}

/** The outputs a failed run still sets, whatever failed. */
function assertOutputsOnFailure(result: ActionResult, release: string, namespace: string): void {
  assert.equal(result.outputs.release, release);
  assert.equal(result.outputs.namespace, namespace);
  assert.equal(result.outputs['chart-version'], '0.1.4');
  assert.match(result.outputs['helm-version'] ?? '', /^v[34]\.\d+\.\d+$/);
  assert.equal(result.outputs['secret-name'], `${release}-lily-db`);
}

/**
 * A kwok node as a cluster autoscaler would add it for a node group: labelled
 * and tainted for that group, so that only the pods meant for it go there.
 */
async function addNode(name: string, group: string): Promise<void> {
  await env.kube.run(
    ['apply', '-f', '-'],
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name,
        annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
        labels: { 'kubernetes.io/hostname': name, type: 'kwok', [NODE_GROUP]: group },
      },
      spec: { taints: [{ key: NODE_GROUP, value: group, effect: 'NoSchedule' }] },
      status: {
        capacity: { cpu: '64', memory: '512Gi', pods: '110' },
        allocatable: { cpu: '64', memory: '512Gi', pods: '110' },
      },
    }),
  );
}

/** Values that put the daemon pod on one node group only. */
function onNodeGroup(group: string): string {
  return (
    `nodeSelector: {${NODE_GROUP}: ${group}}\n` +
    `tolerations: [{key: ${NODE_GROUP}, value: ${group}, effect: NoSchedule}]\n`
  );
}

/** An event as the cluster autoscaler posts it on a pod it is adding a node for. */
async function postScaleUp(namespace: string, pod: string): Promise<void> {
  const now = new Date().toISOString();
  await env.kube.run(
    ['create', '-f', '-'],
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${pod}.scale-up`, namespace },
      involvedObject: { kind: 'Pod', name: pod, namespace },
      reason: 'TriggeredScaleUp',
      type: 'Normal',
      message: 'pod triggered scale-up: [{big-nodes 0->1 (max: 3)}]',
      source: { component: 'cluster-autoscaler' },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    }),
  );
}

for (const major of [3, 4] as const) {
  describe(`the published chart's traits with helm ${major}`, () => {
    it("deploys with README's values file on the fake 32 CPU / 128Gi node, then upgrades, misplaced PDB selector and all", async () => {
      const namespace = uniqueName(`chart-h${major}`);
      const inputs = {
        release: 'readme',
        namespace,
        'create-namespace': 'true',
        'values-files': README_VALUES,
        'database-url': DATABASE_URL,
      };
      const first = await deploy(env.e2e, major, inputs);
      assert.equal(first.exitCode, 0, first.log);
      assert.equal(first.outputs.status, 'deployed');
      const second = await deploy(env.e2e, major, {
        ...inputs,
        values: 'image:\n  tag: v0.12.1\n',
      });
      assert.equal(second.exitCode, 0, second.log);
      assert.equal(second.outputs.revision, '2');
      const pdb = await env.kube.find([
        'get',
        'pdb',
        'lily-readme-dev-mainnet-daemon-pdb',
        '-n',
        namespace,
      ]);
      assert.ok(pdb, 'the PDB exists');
      const warnings = annotations(first, 'warning', PDB_WARNING);
      if (major === 4) {
        // Helm 4 would refuse it server-side: applied client-side, with the why.
        assert.equal(warnings.length, 1, first.log);
        assert.match(warnings[0]!, /PodDisruptionBudget\/lily-readme-dev-mainnet-daemon-pdb/);
        assert.match(
          warnings[0]!,
          /\.spec\.selector\.app\.kubernetes\.io\/name \(belongs under \.spec\.selector\.matchLabels\)/,
        );
        assert.match(warnings[0]!, /selects every pod in the namespace/);
        assert.match(first.log, /--server-side=false/);
        assert.equal(annotations(second, 'warning', PDB_WARNING).length, 1);
      } else {
        assert.deepEqual(warnings, [], 'Helm 3 applies client-side anyway: nothing to decide');
      }
      // Its 8 CPU / 64Gi pod would leave the other major's no room on the 128Gi node.
      await env.kube.run(['delete', 'namespace', namespace, '--timeout=120s']);
    });

    if (major === 4) {
      it('server-side: true fails with the API server schema error, named', async () => {
        const namespace = uniqueName('chart-ssa');
        const result = await deploy(env.e2e, 4, {
          release: 'ssa',
          namespace,
          'create-namespace': 'true',
          'server-side': 'true',
        });
        assert.equal(result.exitCode, 1);
        assert.equal(result.outputs['failure-reason'], 'helm-error');
        assert.match(result.log, /field not declared in schema/);
        assert.match(result.summary, /helm said:[\s\S]*field not declared in schema/);
        assert.match(result.summary, /Remedy: .*server-side: auto/);
      });
    }

    it('ServiceMonitors without the Prometheus Operator: missing-crd before any change, naming the kind and the value', async () => {
      const namespace = uniqueName(`chart-crd-h${major}`);
      const release = 'monitored';
      const result = await deploy(env.e2e, major, {
        release,
        namespace,
        'create-namespace': 'true',
        'database-url': DATABASE_URL,
        values: 'prometheusOperatorServiceMonitor: true\n',
      });
      assert.equal(result.exitCode, 1);
      assert.equal(result.outputs['failure-reason'], 'missing-crd');
      const [error] = annotations(result, 'error', 'lily-deploy: missing-crd');
      assert.match(error ?? '', /ServiceMonitor \(monitoring\.coreos\.com\/v1\)/);
      assert.match(error ?? '', /prometheusOperatorServiceMonitor: false/);
      assert.match(result.summary, /Found before helm ran/);
      assertOutputsOnFailure(result, release, namespace);
      assert.equal(result.outputs.status ?? '', '', 'no release exists');
      assert.equal(await env.kube.releaseStatus(release, namespace), undefined);
      assert.equal(
        await env.kube.find(['get', 'namespace', namespace]),
        undefined,
        'the namespace (and the Secret in it) this run made is removed',
      );
    });

    it('a gp2 datastore where gp2 does not exist: missing-storage-class in preflight, naming the class, the ones there are and the value', async () => {
      const namespace = uniqueName(`chart-sc-h${major}`);
      const release = 'gp2';
      const result = await deploy(env.e2e, major, {
        release,
        namespace,
        'create-namespace': 'true',
        'database-url': DATABASE_URL,
        values: GP2_DATASTORE,
      });
      assert.equal(result.outputs['failure-reason'], 'missing-storage-class');
      const [error] = annotations(result, 'error', 'lily-deploy: missing-storage-class');
      assert.match(
        error ?? '',
        // The lane of the real node has its host-path class too.
        /StorageClass "gp2", which does not exist in this cluster \(it has: (\S+, )*standard \(default\)(, \S+)*\)/,
      );
      assert.match(error ?? '', /daemon\.volumes\.datastore\.storageClassName/);
      assertOutputsOnFailure(result, release, namespace);
      assert.equal(await env.kube.find(['get', 'namespace', namespace]), undefined);
    });

    it("the chart's 31 CPU / 254Gi: a preflight warning, then fail-fast within the grace, Insufficient memory in the headline", async () => {
      const namespace = uniqueName(`chart-big-h${major}`);
      const result = await deploy(env.e2e, major, {
        release: 'big',
        namespace,
        'create-namespace': 'true',
        values: CHART_SIZED,
        timeout: '10m',
        'unschedulable-grace': '10s',
      });
      assert.equal(result.exitCode, 1);
      const [warning] = annotations(result, 'warning', 'lily-deploy: pod larger than any node');
      assert.match(warning ?? '', /requests 31 CPU \/ 254Gi per pod/);
      assert.match(warning ?? '', /short of memory by 126Gi/);
      assert.match(warning ?? '', /Lower daemon\.resources/);
      assert.equal(result.outputs['failure-reason'], 'unschedulable');
      assert.match(
        result.log,
        /failed \(unschedulable\): pod lily-big-dev-mainnet-daemon-0 cannot be scheduled: 0\/\d+ nodes are available: .*Insufficient memory/,
      );
      assert.match(
        result.summary,
        /Remedy: The pod requests more CPU or memory than any node has free/,
      );
      assert.equal((await env.kube.releaseStatus('big', namespace))?.status, 'failed');
    });

    it('a cluster autoscaler scaling up keeps the deploy waiting past the grace, until its node joins and the deploy succeeds', async () => {
      const namespace = uniqueName(`chart-scale-h${major}`);
      const group = `big-h${major}-${process.pid.toString(36)}`;
      const node = `kwok-${group}`;
      const pod = 'lily-scale-dev-mainnet-daemon-0';
      const run = await startDeploy(env.e2e, major, {
        release: 'scale',
        namespace,
        'create-namespace': 'true',
        values: `${CHART_SIZED}${onNodeGroup(group)}`,
        timeout: '5m',
        'unschedulable-grace': '10s',
      });
      try {
        await run.waitForLog(/Preflight: /, 120_000);
        // As a cluster autoscaler: one TriggeredScaleUp on the pod, then its node joins
        // well after the 10 s grace (nodes take minutes on a real cloud).
        while (!(await env.kube.find(['get', 'pod', pod, '-n', namespace]))) await sleep(500);
        await postScaleUp(namespace, pod);
        await sleep(25_000);
        await addNode(node, group);
        const result = await run.result;
        assert.equal(result.exitCode, 0, result.log);
        assert.equal(result.outputs.status, 'deployed');
      } finally {
        await env.kube.run(['delete', 'node', node, '--ignore-not-found', '--wait=false']);
      }
    });

    it("least-privilege credentials: preflight skips nodes and StorageClasses with a notice, fail-fast still finds gp2 from the PVC's event", async () => {
      const namespace = uniqueName(`chart-sa-h${major}`);
      const { kubeconfig } = await namespaceAdminKubeconfig(env.e2e, env.kube, namespace);
      const common = { namespace, kubeconfig, timeout: '10m', 'unschedulable-grace': '10s' };
      const gp2 = await deploy(env.e2e, major, {
        ...common,
        release: 'sa-gp2',
        values: GP2_DATASTORE,
      });
      const notices = gp2.annotations
        .filter((a) => a.kind === 'notice' && a.properties.title === 'lily-deploy: preflight')
        .map((a) => a.message);
      assert.ok(
        notices.some((n) => /StorageClass check skipped: these credentials may not/.test(n)),
        gp2.log,
      );
      assert.ok(notices.some((n) => /node size check skipped/.test(n)));
      assert.equal(gp2.outputs['failure-reason'], 'missing-storage-class', gp2.log);
      assert.match(
        gp2.log,
        /cannot be provisioned: storageclass\.storage\.k8s\.io "gp2" not found/,
      );
      const big = await deploy(env.e2e, major, {
        ...common,
        release: 'sa-big',
        values: CHART_SIZED,
      });
      assert.equal(big.outputs['failure-reason'], 'unschedulable', big.log);
      assert.match(big.log, /Insufficient memory/);
    });

    it("helm failing by itself while a pod is Pending: helm's error stays the headline, the pod is evidence", async () => {
      const namespace = uniqueName(`chart-helm-h${major}`);
      const release = 'immutable';
      const common = {
        release,
        namespace,
        'create-namespace': 'true',
        'database-url': DATABASE_URL,
      };
      // A first revision whose pod can never be scheduled (not waited for)...
      const first = await deploy(env.e2e, major, { ...common, values: CHART_SIZED, wait: 'false' });
      assert.equal(first.exitCode, 0, first.log);
      // ...then a change to the StatefulSet that the API server forbids.
      const second = await deploy(env.e2e, major, {
        ...common,
        values: `${CHART_SIZED}  volumes:\n    datastore:\n      enabled: true\n`,
      });
      assert.equal(second.exitCode, 1);
      assert.equal(second.outputs['failure-reason'], 'helm-error');
      assert.match(
        second.log,
        /Deploy of immutable failed \(helm-error\): Error: UPGRADE FAILED:[\s\S]*Forbidden: updates to statefulset spec/,
      );
      assert.match(
        second.summary,
        /^### Lily deploy failed: `immutable` in `.*` \(helm-error\)\n\nhelm said:\n\n```text\nError: UPGRADE FAILED/,
      );
      assert.match(second.summary, /Also seen in the pods[\s\S]*\*\*unschedulable\*\*/);
      assert.ok(annotations(second, 'warning', 'lily-deploy: also seen: unschedulable').length > 0);
      assertOutputsOnFailure(second, release, namespace);
    });

    it("a chart version the repository lacks: helm-error with helm's words, outputs set, nothing of ours left", async () => {
      const namespace = uniqueName(`chart-ver-h${major}`);
      const release = 'noversion';
      const result = await deploy(env.e2e, major, {
        release,
        namespace,
        'create-namespace': 'true',
        'database-url': DATABASE_URL,
        'chart-version': '9.9.9',
      });
      assert.equal(result.exitCode, 1);
      assert.equal(result.outputs['failure-reason'], 'helm-error');
      assert.match(result.log, /9\.9\.9/);
      assert.equal(result.outputs['chart-version'], '9.9.9');
      assert.equal(result.outputs.release, release);
      assert.equal(result.outputs.status ?? '', '');
      assert.equal(await env.kube.find(['get', 'namespace', namespace]), undefined);
    });
  });
}
