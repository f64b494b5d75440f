// `npm run demo`: Lily deployed by the action on a local Kubernetes control
// plane (built from Go modules on first use, then cached), from the fixture
// chart served by a local chart repository, with helm from a local mirror.
// The cluster stays up to look at; `npm run demo -- --down` removes it.
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { deleteCluster, startCluster } from './cluster/cluster.js';
import { REPO_ROOT } from './support/cache.js';
import { startChartRepo } from './support/chart-repo.js';
import { CHART_VERSIONS, FIXTURE_CHART, README_VALUES } from './support/e2e.js';
import { startHelmMirror } from './support/helm-mirror.js';
import { pathWith, runAction } from './support/runner.js';
import { helmTool } from './support/tools.js';

const DEMO_DIR = join(REPO_ROOT, '.demo');
const CLUSTER = 'lily-demo';

if (process.argv.includes('--down')) {
  const deleted = await deleteCluster(DEMO_DIR, CLUSTER);
  console.log(deleted ? `Deleted the demo cluster (${DEMO_DIR}).` : 'No demo cluster is running.');
  process.exit(0);
}

await deleteCluster(DEMO_DIR, CLUSTER);
const cluster = await startCluster({
  name: CLUSTER,
  keepIn: DEMO_DIR,
  log: (line) => {
    console.log(`[cluster] ${line}`);
  },
});
const [mirror, repo, tool] = await Promise.all([
  startHelmMirror(),
  startChartRepo({ chartDir: FIXTURE_CHART, versions: CHART_VERSIONS }),
  helmTool(4),
]);
console.log(
  `\nRunning the action (dist/index.js) as the runner would, against ${cluster.description}\n`,
);
const result = await runAction({
  inputs: {
    release: 'lily',
    namespace: 'lily-demo',
    'create-namespace': 'true',
    'chart-version': '0.1.4',
    'repo-url': repo.repoUrl,
    'helm-download-base-url': mirror.url,
    kubeconfig: await readFile(cluster.kubeconfig, 'utf8'),
    'database-host': 'postgres.lily-demo.svc',
    'database-name': 'chain',
    'database-user': 'lily',
    'database-password': 'demo p@ssword',
    // The README's values file, with the datastore kept on a PVC.
    'values-files': README_VALUES,
    values: 'daemon:\n  volumes:\n    datastore:\n      enabled: true\n',
    timeout: '2m',
  },
  env: { PATH: pathWith(dirname(tool.kubectl)) },
  onLog: (line) => {
    console.log(`  | ${line}`);
  },
});
await Promise.all([mirror.close(), repo.close()]);

console.log(`\nExit code: ${result.exitCode}\nOutputs:`);
for (const [name, value] of Object.entries(result.outputs)) console.log(`  ${name} = ${value}`);
console.log(`\nJob summary:\n${result.summary}`);
console.log(`The cluster is still up. To look at it:

  export KUBECONFIG=${cluster.kubeconfig}
  ${tool.kubectl} get pods,pvc,secrets -n lily-demo
  ${tool.kubectl} logs -n lily-demo lily-lily-dev-mainnet-daemon-0 -c daemon

Remove it with: npm run demo -- --down`);
process.exit(result.exitCode ?? 1);
