// `npm run demo`: Lily deployed by the action on a local Kubernetes control
// plane (built from Go modules on first use, then cached), from the fixture
// chart served by a local chart repository, with helm from a local mirror.
// The scenarios themselves are in test/support/demo.ts (also run by
// __tests__/e2e/demo.test.ts); this is the command line around them.
//
//   npm run demo                the README's values file: deployed, outputs, summary, hints
//   npm run demo -- --failure   the chart's defaults: refused by the preflight, explained
//   npm run demo -- --down      remove the demo cluster
//
// Lily runs on the real node (test/cluster/README.md, "The real node") when
// the machine allows one (root, network namespaces): the fake lily in real
// containers, a real Postgres receiving rows; the demo then keeps it all up
// until Ctrl-C (in a terminal; without one it ends there). Elsewhere kwok
// plays the node, the demo says why, and the cluster stays up to look at
// until --down (or the next demo) removes it.
import { join } from 'node:path';
import { deleteCluster, startCluster } from './cluster/cluster.js';
import { prepareRealNode } from './cluster/real-node.js';
import { REPO_ROOT } from './support/cache.js';
import { startChartRepo } from './support/chart-repo.js';
import { type DemoScenario, runDemo } from './support/demo.js';
import { CHART_VERSIONS, FIXTURE_CHART } from './support/e2e.js';
import { startHelmMirror } from './support/helm-mirror.js';

const DEMO_DIR = join(REPO_ROOT, '.demo');
const CLUSTER = 'lily-demo';
const USAGE = 'usage: npm run demo [-- --failure | -- --down]';

const args = process.argv.slice(2);
const unknown = args.filter((a) => !['--down', '--failure'].includes(a));
if (unknown.length > 0 || args.length > 1) {
  console.error(`${unknown.length > 0 ? `unknown argument ${unknown.join(' ')}\n` : ''}${USAGE}`);
  process.exit(2);
}

if (args.includes('--down')) {
  const deleted = await deleteCluster(DEMO_DIR, CLUSTER);
  console.log(deleted ? `Deleted the demo cluster (${DEMO_DIR}).` : 'No demo cluster is running.');
  process.exit(0);
}
const scenario: DemoScenario = args.includes('--failure') ? 'failure' : 'healthy';

await deleteCluster(DEMO_DIR, CLUSTER);
const log = (line: string) => {
  console.log(`[cluster] ${line}`);
};
// A real node is the run's own (its watchdog stops it with this process): it is not kept.
const tools = scenario === 'healthy' ? await prepareRealNode(log) : undefined;
if (tools && !tools.ok) console.log(`[demo] no real node, kwok plays the node: ${tools.reason}`);
const onRealNode = tools?.ok === true;
const cluster = await startCluster({
  name: CLUSTER,
  log,
  ...(onRealNode ? { realNode: true } : { keepIn: DEMO_DIR }),
});
const node = cluster.realNode && !('skipped' in cluster.realNode) ? cluster.realNode : undefined;
console.log(`\nCluster: ${cluster.description}\n`);
const [mirror, repo] = await Promise.all([
  startHelmMirror(),
  startChartRepo({ chartDir: FIXTURE_CHART, versions: CHART_VERSIONS }),
]);
const demo = await runDemo({
  scenario,
  kubeconfigPath: cluster.kubeconfig,
  mirror,
  repo,
  ...(node ? { node } : {}),
});
await Promise.all([mirror.close(), repo.close()]);

console.log(
  scenario === 'healthy'
    ? '\nSee a failure the action explains: npm run demo -- --failure'
    : '\nSee the deploy that works: npm run demo',
);
// The demo succeeds when the action did what the scenario promises (with
// --failure: failed, for the reason promised).
if (!node) {
  console.log(`The cluster is still up; remove it with: npm run demo -- --down`);
  process.exit(demo.ok ? 0 : 1);
}
if (!demo.ok) process.exit(1); // the exit handlers stop the cluster and the node
// Without a terminal (CI, a pipe) nobody can look or press Ctrl-C: done.
if (!process.stdin.isTTY) {
  console.log('Not a terminal: the cluster and the real node are stopped and removed now.');
  process.exit(0);
}
console.log(
  'The cluster and the real node (its pods, Postgres, network namespace) are up while this runs:\n' +
    'press Ctrl-C to stop and remove them.',
);
// Kept alive until the signal: startCluster's handlers stop the cluster and the node then.
setInterval(() => {}, 1 << 30);
