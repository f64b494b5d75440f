// The scenarios of `npm run demo` (test/demo.ts is its command line): the
// action run as the runner would against a cluster it is given, what it
// printed, and hints that name objects read back from the release. The e2e
// test __tests__/e2e/demo.test.ts runs the same code on the suite's cluster.
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import * as yaml from 'js-yaml';
import { removeAtExit, REPO_ROOT } from './cache.js';
import { exec } from './exec.js';
import { KWOK_SMALL_VALUES, README_VALUES, REAL_NODE_VALUES } from './e2e.js';
import {
  createDatabase,
  INDEXING_JOB_VALUES,
  migrateLatest,
  psql,
  type RealNodeInfo,
  waitFor,
  writeSnapshot,
} from './real-node.js';
import { type ActionResult, pathWith, runAction } from './runner.js';
import { helmTool, type HelmTool, removeHelmHome, runHelm, tempHelmHome } from './tools.js';

const DATASTORE_ON_A_PVC = 'daemon:\n  volumes:\n    datastore:\n      enabled: true\n';
/** The demo's database on the real node's Postgres (TLS); the password shows the URL's escaping. */
/** Carriage returns and ANSI escape sequences (CSI). */
const TERMINAL_CONTROL = new RegExp(`\r|${String.fromCharCode(27)}\\[[0-9;]*[A-Za-z]`, 'g');
const DEMO_DATABASE = {
  name: 'demo',
  user: 'lily_demo',
  password: 'demo p@ssword',
  schema: 'lily',
};

/** `healthy`: the README's values file, deployed. `failure`: the chart's defaults, refused. */
export type DemoScenario = 'healthy' | 'failure';

/** The failure the `failure` scenario promises: the chart's default snapshot URL, refused by the Lily preflight. */
export const DEMO_FAILURE_REASON = 'lily-config';

export interface DemoOptions {
  scenario: DemoScenario;
  /** Path of a kubeconfig whose current context is the cluster to deploy to. */
  kubeconfigPath: string;
  /** The get.helm.sh look-alike (test/support/helm-mirror.ts). */
  mirror: { url: string };
  /** The chart repository serving the fixture chart (test/support/chart-repo.ts). */
  repo: { repoUrl: string };
  /** Default `lily-demo`. */
  namespace?: string;
  /** Default `lily`. */
  release?: string;
  /** Where each printed line goes. Default console.log. */
  print?: (line: string) => void;
  /**
   * The real node to run Lily on (the fake lily, a real kubelet, a TLS
   * Postgres that receives rows); without it kwok plays the node.
   */
  node?: RealNodeInfo;
}

/** A command the demo suggests; every one names objects that exist. */
export interface DemoHint {
  /** kubectl's arguments (names are plain words: no quoting needed). */
  kubectl: string[];
  /** What it shows. */
  what: string;
}

export interface DemoObject {
  kind: string;
  name: string;
  namespace: string;
  /** A pod's containers. */
  containers?: string[];
}

export interface DemoResult {
  scenario: DemoScenario;
  release: string;
  namespace: string;
  result: ActionResult;
  /** The action did what the scenario promises (deployed; or failed with DEMO_FAILURE_REASON). */
  ok: boolean;
  /** Why not ok. */
  problem?: string;
  /** The release's objects as its manifest lists them (healthy), with the pods its workloads select. */
  objects: DemoObject[];
  hints: DemoHint[];
  /** Every line printed, in order. */
  printed: string[];
  /** On the real node: the rows Lily wrote into Postgres, counted after the deploy. */
  rows?: number;
}

/** Runs one scenario of the demo against the cluster and prints it as `npm run demo` does. */
export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const namespace = options.namespace ?? 'lily-demo';
  const release = options.release ?? 'lily';
  const printed: string[] = [];
  const print = (text = '') => {
    for (const line of text.split('\n')) {
      printed.push(line);
      (options.print ?? console.log)(line);
    }
  };
  const tool = await helmTool(4);
  const healthy = options.scenario === 'healthy';
  const { node } = options;
  const valuesFiles = [README_VALUES, KWOK_SMALL_VALUES, ...(node ? [REAL_NODE_VALUES] : [])];
  const database = node
    ? await realDatabase(node)
    : {
        'database-host': `postgres.${namespace}.svc`,
        'database-name': 'chain',
        'database-user': 'lily',
        'database-password': DEMO_DATABASE.password,
      };

  print(
    healthy
      ? [
          `Deploying Lily: release ${release} in namespace ${namespace}, chart 0.1.4 (the fixture`,
          `chart, with the published chart's defaults), with the values files`,
          `  ${repoPath(README_VALUES)}   the README's file for the published chart`,
          `  ${repoPath(KWOK_SMALL_VALUES)}   100m / 256Mi requests instead of 8 CPU / 64Gi, as the e2e tests use`,
          ...(node
            ? [
                `  ${repoPath(REAL_NODE_VALUES)}   the fake lily's image, pinned to the real node`,
                `and a watch job indexing block headers. The node is real: a kubelet, containerd and runc run`,
                `the chart's init containers, postStart hook and a fake lily that talks to a real Postgres`,
                `(TLS, at ${node.ip}) through the Secret the action makes from the database-* inputs; the`,
                `pods are verified for 20s.`,
              ]
            : [
                `and the datastore on a PVC (daemon.volumes.datastore.enabled: true); the pods are verified for 20s`,
                `and a database Secret made by the action from the database-* inputs. kwok plays the node:`,
                `no container runs, the pod states and log lines are fixtures.`,
              ]),
        ].join('\n')
      : [
          `Deploying Lily with the chart's own defaults (no values files): release ${release}`,
          `in namespace ${namespace}, chart 0.1.4. The published chart imports a snapshot from a`,
          `service retired in 2024 by default: watch the action refuse it before anything changes.`,
        ].join('\n'),
  );
  print(`\nRunning the action (dist/index.js, main and post steps) as the runner would:\n`);
  const result = await runAction({
    inputs: {
      release,
      namespace,
      'create-namespace': 'true',
      'chart-version': '0.1.4',
      'repo-url': options.repo.repoUrl,
      'helm-download-base-url': options.mirror.url,
      kubeconfig: await readFile(options.kubeconfigPath, 'utf8'),
      ...database,
      'values-files': healthy ? valuesFiles.join('\n') : undefined,
      // The datastore on a PVC, as a Lily operator keeps it (the Lily preflight warns of an
      // emptyDir); on the real node a job that indexes, with its snapshot.
      values: healthy ? (node ? realNodeValues(node) : DATASTORE_ON_A_PVC) : undefined,
      timeout: '2m',
      // kwok's pods have no Lily API to verify (their IPs are fake): the
      // verification is shown on the real node (real-node-verify.test.ts).
      verify: 'false',
    },
    env: { PATH: pathWith(dirname(tool.kubectl)) },
    onLog: (line) => {
      print(`  | ${line}`);
    },
  });

  print(`\nExit code: ${result.exitCode}\nOutputs:`);
  for (const [name, value] of Object.entries(result.outputs)) print(`  ${name} = ${value}`);
  const notable = result.annotations.filter((a) => a.kind !== 'debug');
  if (notable.length > 0) {
    print('\nAnnotations (as the run page shows them):');
    for (const a of notable)
      print(
        `  ${a.kind}${a.properties.title ? `: ${a.properties.title}` : ''}\n${a.message.replace(/^/gm, '    ')}`,
      );
  }
  print(
    `\nJob summary (<details> collapsed, as GitHub shows them):\n${collapseDetails(result.summary)}`,
  );

  const kube = await kubeEnv(options.kubeconfigPath);
  const reason = result.outputs['failure-reason'] ?? '';
  let problem: string | undefined;
  let objects: DemoObject[] = [];
  let rows: number | undefined;
  const hints: DemoHint[] = [];
  if (healthy) {
    if (result.exitCode !== 0 || result.outputs.status !== 'deployed')
      problem = `the deploy failed (${reason || `exit ${result.exitCode}`}); the demo expected it to succeed`;
    else {
      objects = await releaseObjects(tool, kube, release, namespace);
      hints.push(...healthyHints(objects, namespace, result.outputs['secret-name'], !node));
      const pods = objects.filter((o) => o.kind === 'Pod');
      if (pods.length === 0) problem = "no pod selected by the release's workloads";
      print(
        `\nThe release's objects (from \`helm get manifest\`, and the pods their selectors match):`,
      );
      for (const o of objects) print(`  ${o.kind}/${o.name}`);
      if (node && pods[0]) {
        rows = await showLily(node, kube, tool, pods[0], namespace, print);
        if (rows === 0) problem = 'Lily wrote no rows into Postgres';
      }
    }
  } else {
    if (result.exitCode === 0) problem = 'the deploy succeeded; the demo expected it to be refused';
    else if (reason !== DEMO_FAILURE_REASON)
      problem = `the deploy failed with ${reason || 'no failure-reason'}, not ${DEMO_FAILURE_REASON}`;
    else if (await namespaceExists(tool, kube, namespace))
      problem = `namespace ${namespace} is still there; the action should have removed the namespace it made`;
    else {
      print(
        [
          '',
          `That is the failure this demo shows: failure-reason=${DEMO_FAILURE_REASON}. The chart's`,
          'defaults import a snapshot from snapshots.mainnet.filops.net, a service retired in 2024:',
          "Lily's init-datastore would fail its download and the pod would never start. The Lily",
          'preflight read the merged values before anything changed, named the values path and',
          `the fix; no namespace, Secret or release was made. ${repoPath(README_VALUES)}`,
          "sets Forest's snapshot URL, daemon mode, no ServiceMonitors, requests a node can hold,",
          "no gp2, no redis: what the chart gets wrong outside its authors' cluster. `npm run demo`",
          'deploys with it.',
        ].join('\n'),
      );
      hints.push({
        kubectl: ['get', 'namespaces'],
        what: `no ${namespace} among them: the run left nothing behind`,
      });
    }
  }
  if (problem) print(`\nThe demo did not go as promised: ${problem}.`);
  else {
    print(`\nTo look at the cluster:\n\n  export KUBECONFIG=${options.kubeconfigPath}`);
    print(`  export PATH=${dirname(tool.kubectl)}:$PATH`);
    for (const hint of hints) print(`  ${hintCommand(hint)}   # ${hint.what}`);
  }
  return {
    scenario: options.scenario,
    release,
    namespace,
    result,
    ok: problem === undefined,
    ...(problem === undefined ? {} : { problem }),
    objects,
    hints,
    printed,
    ...(rows === undefined ? {} : { rows }),
  };
}

/** The demo's role, database and schema on the node's Postgres, made afresh, as the action's inputs. */
async function realDatabase(node: RealNodeInfo): Promise<Record<string, string>> {
  const db = DEMO_DATABASE;
  await createDatabase(node, db.name, db.user, db.password);
  const url = `postgres://${db.user}:${encodeURIComponent(db.password)}@${node.ip}:5432/${db.name}?sslmode=require`;
  await migrateLatest(node, url, db.schema);
  return {
    'database-host': node.ip,
    'database-name': db.name,
    'database-user': db.user,
    'database-password': db.password,
    'database-schema': db.schema,
  };
}

function realNodeValues(node: RealNodeInfo): string {
  const snapshot = writeSnapshot(node, 'demo.car');
  return `${INDEXING_JOB_VALUES}\nimportSnapshot: {url: "${snapshot}"}`;
}

/** Lily's start-up lines from the real containers, and the rows it wrote, counted in Postgres. */
async function showLily(
  node: RealNodeInfo,
  kube: NodeJS.ProcessEnv,
  tool: HelmTool,
  pod: DemoObject,
  namespace: string,
  print: (text?: string) => void,
): Promise<number> {
  const logs = async (container: string) => {
    const got = await exec(tool.kubectl, ['logs', '-n', namespace, pod.name, '-c', container], {
      env: kube,
      allowFailure: true,
    });
    // `sync wait` redraws its lines with \r and terminal escapes: shown as plain lines.
    const plain = got.stdout.replace(TERMINAL_CONTROL, '').trimEnd();
    return got.exitCode === 0 ? plain.split('\n') : [];
  };
  print(`\nWhat Lily logged on the real node (kubectl logs ${pod.name} -c <container>):`);
  // init-database comes with chart 0.1.5-rc1: the containers the pod has.
  for (const container of ['init-datastore', 'init-sync', 'init-database', 'daemon']) {
    const lines = await logs(container);
    if (lines.length === 0) continue;
    // Its start-up, and where it is now.
    const shown = lines.length <= 20 ? lines : [...lines.slice(0, 12), '…', ...lines.slice(-8)];
    print(`  --- ${container}`);
    for (const line of shown) print(`  ${line}`);
  }
  const table = `${DEMO_DATABASE.schema}.block_headers`;
  const count = () => psql(node, `SELECT count(*) FROM ${table}`, DEMO_DATABASE.name).then(Number);
  const rows = await waitFor('rows in Postgres', async () => {
    const n = await count();
    return n >= 3 ? n : undefined;
  }).catch(count);
  print(
    `\nPostgres (TLS, ${node.ip}:5432, database ${DEMO_DATABASE.name}): SELECT count(*) FROM ${table} -> ${rows} row(s), written by Lily's watch job`,
  );
  return rows;
}

async function namespaceExists(
  tool: HelmTool,
  env: NodeJS.ProcessEnv,
  namespace: string,
): Promise<boolean> {
  const got = await exec(tool.kubectl, ['get', 'namespace', namespace, '-o', 'name'], {
    env,
    allowFailure: true,
  });
  if (got.exitCode === 0) return true;
  if (/NotFound|not found/.test(got.stderr)) return false;
  throw new Error(got.stderr);
}

/** A hint as printed: one command line, or one object per line when it names many. */
export function hintCommand(hint: DemoHint): string {
  const objects = hint.kubectl.filter((a) => a.includes('/'));
  if (objects.length < 3) return `kubectl ${hint.kubectl.join(' ')}`;
  const rest = hint.kubectl.filter((a) => !a.includes('/'));
  return [`kubectl ${rest.join(' ')}`, ...objects].join(' \\\n      ');
}

/** The summary with each <details> block cut to its one-line title. */
function collapseDetails(summary: string): string {
  return summary
    .trimEnd()
    .replace(
      /<details><summary>(.*?)<\/summary>[\s\S]*?<\/details>/g,
      (_, title: string) => `▸ ${title}`,
    );
}

function repoPath(path: string): string {
  return relative(REPO_ROOT, path);
}

/** kubectl's environment: the cluster's kubeconfig, a throw-away HOME (no ~/.kube of the user). */
async function kubeEnv(kubeconfigPath: string): Promise<NodeJS.ProcessEnv> {
  const home = await mkdtemp(join(tmpdir(), 'lily-deploy-demo-kubectl-'));
  removeAtExit(home);
  return { PATH: process.env.PATH, HOME: home, KUBECONFIG: kubeconfigPath };
}

interface ManifestDoc {
  kind?: string;
  metadata?: { name?: string; namespace?: string };
}

interface Workload {
  spec?: { selector?: { matchLabels?: Record<string, string> } };
}

interface PodList {
  items: { metadata: { name: string }; spec: { containers: { name: string }[] } }[];
}

/**
 * The release's objects as `helm get manifest` lists them, and the pods that
 * its StatefulSets and Deployments select, read from the cluster.
 */
async function releaseObjects(
  tool: HelmTool,
  env: NodeJS.ProcessEnv,
  release: string,
  namespace: string,
): Promise<DemoObject[]> {
  const home = await tempHelmHome();
  let manifest: string;
  try {
    manifest = (
      await runHelm(tool, ['get', 'manifest', release, '-n', namespace], {
        home,
        env: { KUBECONFIG: env.KUBECONFIG },
      })
    ).stdout;
  } finally {
    await removeHelmHome(home);
  }
  const objects: DemoObject[] = yaml
    .loadAll(manifest)
    .filter((d): d is ManifestDoc => typeof d === 'object' && d !== null)
    .filter((d) => d.kind && d.metadata?.name)
    .map((d) => ({
      kind: d.kind!,
      name: d.metadata!.name!,
      namespace: d.metadata!.namespace ?? namespace,
    }));
  const pods: DemoObject[] = [];
  for (const workload of objects.filter((o) => ['StatefulSet', 'Deployment'].includes(o.kind))) {
    const live = JSON.parse(
      (
        await exec(
          tool.kubectl,
          ['get', workload.kind, workload.name, '-n', namespace, '-o', 'json'],
          { env },
        )
      ).stdout,
    ) as Workload;
    const labels = live.spec?.selector?.matchLabels ?? {};
    const selector = Object.entries(labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    if (!selector) continue;
    const list = JSON.parse(
      (
        await exec(tool.kubectl, ['get', 'pods', '-n', namespace, '-l', selector, '-o', 'json'], {
          env,
        })
      ).stdout,
    ) as PodList;
    for (const pod of list.items)
      pods.push({
        kind: 'Pod',
        name: pod.metadata.name,
        namespace,
        containers: pod.spec.containers.map((c) => c.name),
      });
  }
  return [...objects, ...pods];
}

function healthyHints(
  objects: DemoObject[],
  namespace: string,
  secretName: string | undefined,
  onKwok: boolean,
): DemoHint[] {
  const ref = (o: DemoObject) => `${o.kind.toLowerCase()}/${o.name}`;
  const released = objects.filter((o) => o.kind !== 'Pod');
  const pods = objects.filter((o) => o.kind === 'Pod');
  const hints: DemoHint[] = [
    { kubectl: ['get', ...released.map(ref), '-n', namespace], what: "the release's objects" },
  ];
  if (pods.length > 0)
    hints.push({
      kubectl: ['get', ...pods.map(ref), '-n', namespace, '-o', 'wide'],
      what: 'its pods',
    });
  for (const pod of pods) {
    const containers = pod.containers ?? [];
    const container = containers.includes('daemon') ? 'daemon' : containers[0];
    if (!container) continue;
    hints.push({
      kubectl: ['logs', '-n', namespace, pod.name, '-c', container],
      what: onKwok ? 'what Lily logged (kwok plays the node: fixture lines)' : 'what Lily logged',
    });
    break;
  }
  if (secretName)
    hints.push({
      kubectl: ['get', 'secret', secretName, '-n', namespace],
      what: 'the database Secret the action made (output secret-name)',
    });
  return hints;
}
