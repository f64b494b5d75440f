// `npm run bench`: what the action costs on top of helm, on the local cluster
// (or E2E_KUBECONFIG's). Prints a table and writes bench/results.json.
//   BENCH_RUNS=9 (runs per alternating pair)
//   BENCH_ONLY=lock,sweep (only these cases, by function name; their figures
//   replace those of the same name in bench/results.json)
//   BENCH_ALL_LINES=1 (the timeline lists every log line, not only the steps)
// The lily* cases (bench/lily.ts) need the real node beside the cluster
// (test/cluster/real-node.ts); where it cannot run, they say why and skip.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import * as yaml from 'js-yaml';
import { type Cluster, startCluster } from '../test/cluster/cluster.js';
import type { RealNodeInfo } from '../test/cluster/real-node.js';
import { REPO_ROOT } from '../test/support/cache.js';
import {
  deploy,
  FIXTURE_CHART,
  Kube,
  KWOK_SMALL_VALUES,
  README_VALUES,
  startE2E,
  uniqueName,
} from '../test/support/e2e.js';
import { exec } from '../test/support/exec.js';
import { GithubApi } from '../test/support/github-api.js';
import { useScratchTmpdir } from '../test/support/scratch.js';
import { pathWith } from '../test/support/runner.js';
import { namespaceAdminKubeconfig } from '../test/support/service-account.js';
import { recordTimings } from '../test/support/tool-shims.js';
import { collectDiagnostics, DIAGNOSTICS_PARALLELISM } from '../src/failure/diagnostics.js';

import { Helm } from '../src/helm/helm.js';
import { KubeApi } from '../src/kube/api.js';
import { ReleaseStore } from '../src/helm/release-store.js';
import { workloadsInManifest } from '../src/kube/release-workloads.js';
import { mergeValues, type Values } from '../src/inputs/values.js';
import { helmTool, type HelmTool } from '../test/support/tools.js';
import { figures, median, record, recordRatio, round, type Figure } from './figures.js';
import { lilyCases } from './lily.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 9);
const DATABASE_URL = 'postgres://lily:bench-password@db:5432/chain?sslmode=require';
const VALUES = 'deploymentType: daemon\n';
const REAL_NODE_CASES = ['lilyStatus', 'lilyStall', 'lilyVerify'];
const only = process.env.BENCH_ONLY?.split(',').filter(Boolean);

const scratch = useScratchTmpdir('lily-deploy-bench-');
// The real node only when its cases run: BENCH_ONLY of the others measures kwok alone.
const cluster = await startCluster({
  realNode: !only || only.some((name) => REAL_NODE_CASES.includes(name)),
  // kwok's random pod delays (±400 ms a deploy) hid differences of tens of ms.
  fixedStageDelays: true,
  log: (line) => {
    console.log(`[cluster] ${line}`);
  },
});
process.env.E2E_KUBECONFIG = cluster.kubeconfig;
const e2e = await startE2E();
const kube = await Kube.connect(e2e);
const tool = await helmTool(4);
// Without the cluster's address: it changes with every run.
const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, ${cluster.description.replace(/ at \S+$/, '')}`;
console.log(`Benchmark on ${machine}; ${RUNS} runs per figure unless said\n`);

const CASES = {
  distSize,
  startUp,
  cachedInstall,
  actionAgainstScript,
  actionAgainstColdScript,
  timeline,
  openApiValidation,
  planAgainstDryRun,
  failFast,
  failFastOnPlacement,
  diagnostics,
  lock,
  sweep,
  ...lilyCases({
    e2e,
    kube,
    node: realNodeOrWhyNot(cluster.realNode),
    runs: RUNS,
    dir: await mkdtemp(join(tmpdir(), 'bench-lily-')),
  }),
};
try {
  for (const [name, run] of Object.entries(CASES)) if (!only || only.includes(name)) await run();
} finally {
  await e2e.close();
  await cluster.stop();
  scratch.remove();
}
const resultsFile = join(REPO_ROOT, 'bench', 'results.json');
const earlier = only
  ? (JSON.parse(await readFile(resultsFile, 'utf8')) as { figures: Figure[] }).figures
  : [];
const kept = earlier.filter((f) => !figures.some((g) => g.name === f.name));
const results = {
  machine,
  runs: RUNS,
  date: new Date().toISOString(),
  ...(only ? { only } : {}),
  figures: [...kept, ...figures],
};
await writeFile(resultsFile, `${JSON.stringify(results, null, 2)}\n`);
console.log('\n| figure | value | target |\n|---|---|---|');
for (const f of figures)
  console.log(
    `| ${f.name} | ${f.value} ${f.unit} | ${f.target ? `${f.target} ${f.met ? '✓' : '✗'}` : (f.note ?? '')} |`,
  );
console.log('\nWritten to bench/results.json');

async function distSize(): Promise<void> {
  const bytes = (await stat(join(REPO_ROOT, 'dist', 'index.cjs'))).size;
  record({
    name: 'dist/index.cjs size',
    value: round(bytes / 1e6, 2),
    unit: 'MB',
    target: '≤ 1.5 MB',
    met: bytes <= 1.5e6,
  });
}

/**
 * From spawning node on the action's entry (dist/start.cjs) to its first line
 * on stdout: with no tool cache (a hosted runner), and with a tool cache that
 * holds V8's code cache of the bundle from a run before (a self-hosted one),
 * alternating.
 */
async function startUp(): Promise<void> {
  const env = {
    PATH: process.env.PATH,
    INPUT_RELEASE: 'bench',
    'INPUT_CHART-VERSION': '0.1.4',
    'INPUT_DATABASE-URL': DATABASE_URL,
    RUNNER_TEMP: tmpdir(),
  };
  const toolCache = await mkdtemp(join(tmpdir(), 'bench-start-tools-'));
  // A whole run (it fails: no kubeconfig) leaves the code cache behind.
  await exec(process.execPath, [join(REPO_ROOT, 'dist', 'start.cjs')], {
    env: { ...env, RUNNER_TOOL_CACHE: toolCache },
    allowFailure: true,
  });
  const firstLine = async (extra: Record<string, string>) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, [join(REPO_ROOT, 'dist', 'start.cjs')], {
      env: { ...env, ...extra },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    await new Promise<void>((resolve) =>
      child.stdout.once('data', () => {
        resolve();
      }),
    );
    child.kill();
    return Number(process.hrtime.bigint() - started) / 1e6;
  };
  const cold: number[] = [];
  const kept: number[] = [];
  for (let i = 0; i < RUNS * 2; i++) {
    cold.push(await firstLine({}));
    kept.push(await firstLine({ RUNNER_TOOL_CACHE: toolCache }));
  }
  const value = round(median(cold));
  record({
    name: 'start-up to the first log line',
    value,
    unit: 'ms',
    target: '≤ 100 ms',
    met: value <= 100,
  });
  record({
    name: 'start-up to the first log line, tool cache kept (V8 code cache)',
    value: round(median(kept)),
    unit: 'ms',
    note: 'a self-hosted runner, from its second run',
  });
}

/** helm already in the tool cache: how long the install step takes, and how many requests it makes. */
async function cachedInstall(): Promise<void> {
  const toolCache = await mkdtemp(join(tmpdir(), 'bench-tools-'));
  await deploy(
    e2e,
    4,
    { release: 'warm', namespace: uniqueName('bench'), 'create-namespace': 'true', values: VALUES },
    { toolCache },
  );
  const times: number[] = [];
  const requests = e2e.mirror.requests.length;
  for (let i = 0; i < RUNS; i++) {
    let groupStart = 0;
    let took = 0;
    // The cluster step fails at once: only the install step is measured.
    await deploy(
      e2e,
      4,
      {
        release: 'cached',
        kubeconfig: 'clusters: [{name: x, cluster: {server: "https://127.0.0.1:1"}}]',
      },
      {
        toolCache,
        onLog: (line) => {
          if (line === '##[group]Install helm') groupStart = performance.now();
          else if (line === '##[endgroup]' && groupStart && !took)
            took = performance.now() - groupStart;
        },
      },
    );
    times.push(took);
  }
  record({
    name: 'cached helm install',
    value: round(median(times)),
    unit: 'ms',
    note: 'install step, tool cache hit',
  });
  const made = e2e.mirror.requests.length - requests;
  record({
    name: 'cached helm install: network requests',
    value: made,
    unit: 'requests',
    target: '0',
    met: made === 0,
  });
}

/** The values file of the guide's user for release lily: the README's, sized to the fake node, plus the storage entry. */
async function guideValuesFile(): Promise<string> {
  const path = join(await mkdtemp(join(tmpdir(), 'bench-values-')), 'values.yaml');
  await writeFile(
    path,
    // What a user of the guide writes: the README's values file, sized to the fake node, plus the storage entry.
    yaml.dump(
      mergeValues(
        yaml.load(await readFile(README_VALUES, 'utf8')) as Values,
        yaml.load(await readFile(KWOK_SMALL_VALUES, 'utf8')) as Values,
        {
          daemon: {
            storage: {
              postgresql: [
                {
                  name: 'db',
                  secretName: 'lily-lily-db',
                  secretKey: 'url',
                  schema: 'lily',
                  applicationName: 'lily',
                },
              ],
            },
          },
        },
      ),
    ),
  );
  return path;
}

/**
 * A deploy of release lily into a new namespace, as the guide's user makes it,
 * without the verify window (the guide has none: compared like with like).
 */
function lilyInputs(namespace: string): Record<string, string> {
  return {
    release: 'lily',
    namespace,
    'create-namespace': 'true',
    values: VALUES,
    'database-url': DATABASE_URL,
    timeout: '2m',
    verify: 'false',
  };
}

/** The action against the guide's commands by hand, alternating, on the same cluster. */
async function actionAgainstScript(): Promise<void> {
  const toolCache = await mkdtemp(join(tmpdir(), 'bench-tools-'));
  const shims = await recordTimings({ ...tool, version: tool.version }, toolCache);
  const guideValues = await guideValuesFile();
  const plainCache = await mkdtemp(join(tmpdir(), 'bench-tools-'));
  const runAction = async (shimmed: boolean) => {
    const result = await deploy(
      e2e,
      4,
      lilyInputs(uniqueName('bench-action')),
      shimmed
        ? { toolCache, post: false, env: { PATH: pathWith(shims.binDir) } }
        : { toolCache: plainCache, post: false },
    );
    if (result.exitCode !== 0) throw new Error(`the action failed:\n${result.log}`);
    return result.durationMs;
  };
  await runAction(false); // puts helm into the plain tool cache
  const action: number[] = [];
  const script: number[] = [];
  const own: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    action.push(await runAction(false));
    // The same deploy again through timing shims, for the time spent outside helm and kubectl.
    const before = (await shims.read()).length;
    const shimmedMs = await runAction(true);
    own.push(shimmedMs - busyMs((await shims.read()).slice(before)));

    const home = await mkdtemp(join(tmpdir(), 'bench-guide-'));
    const t0 = performance.now();
    await exec('bash', [join(REPO_ROOT, 'bench', 'guide.sh')], {
      env: {
        PATH: process.env.PATH,
        HOME: home,
        KUBECONFIG: e2e.kubeconfigPath,
        HELM: tool.helm,
        KUBECTL: tool.kubectl,
        REPO_URL: e2e.repo.repoUrl,
        RELEASE: 'lily',
        NAMESPACE: uniqueName('bench-script'),
        CHART_VERSION: '0.1.4',
        VALUES_FILE: guideValues,
        DATABASE_URL,
      },
    });
    script.push(performance.now() - t0);
  }
  const a = median(action);
  const s = median(script);
  record({
    name: 'deploy, action (median)',
    value: round(a),
    unit: 'ms',
    note: 'main step, helm cached',
  });
  record({ name: "deploy, the guide's commands by hand (median)", value: round(s), unit: 'ms' });
  recordRatio('ratio action / guide (preflight on)', a / s, 1, 3);
  const o = median(own);
  record({
    name: "action's own time outside helm and kubectl (median)",
    value: round(o),
    unit: 'ms',
    target: '≤ 150 ms',
    met: o <= 150,
  });
}

/**
 * A hosted runner starts cold: the action with an empty tool cache (helm
 * downloaded, checked and cached) against the guide by hand with helm
 * downloaded and unpacked first, both from the same mirror, alternating.
 */
async function actionAgainstColdScript(): Promise<void> {
  const guideValues = await guideValuesFile();
  const archive = `helm-v${tool.version}-linux-amd64.tar.gz`;
  const action: number[] = [];
  const script: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const result = await deploy(e2e, 4, lilyInputs(uniqueName('bench-cold-action')), {
      toolCache: await mkdtemp(join(tmpdir(), 'bench-cold-tools-')),
      post: false,
    });
    if (result.exitCode !== 0) throw new Error(`the action failed:\n${result.log}`);
    action.push(result.durationMs);
    const t0 = performance.now();
    await exec('bash', [join(REPO_ROOT, 'bench', 'guide-cold.sh')], {
      env: {
        PATH: process.env.PATH,
        HOME: await mkdtemp(join(tmpdir(), 'bench-guide-')),
        KUBECONFIG: e2e.kubeconfigPath,
        HELM_URL: `${e2e.mirror.url}/${archive}`,
        KUBECTL: tool.kubectl,
        REPO_URL: e2e.repo.repoUrl,
        RELEASE: 'lily',
        NAMESPACE: uniqueName('bench-cold-script'),
        CHART_VERSION: '0.1.4',
        VALUES_FILE: guideValues,
        DATABASE_URL,
      },
    });
    script.push(performance.now() - t0);
  }
  const [a, s] = [median(action), median(script)];
  record({
    name: 'deploy on a cold runner, action (median)',
    value: round(a),
    unit: 'ms',
    note: 'main step, helm downloaded',
  });
  record({
    name: "deploy on a cold runner, the guide's commands by hand (median)",
    value: round(s),
    unit: 'ms',
    note: 'helm downloaded and unpacked, helm repo add',
  });
  recordRatio('ratio action / guide, cold runner (preflight on)', a / s, 0.95, 3);
}

/**
 * command: plan of an upgrade (0.1.4 → 0.1.5-rc1) against the bare
 * `helm upgrade --install --dry-run=server` it wraps, same release, alternating.
 */
async function planAgainstDryRun(): Promise<void> {
  const namespace = uniqueName('bench-plan');
  const inputs = lilyInputs(namespace);
  const toolCache = await mkdtemp(join(tmpdir(), 'bench-tools-'));
  const first = await deploy(e2e, 4, inputs, { toolCache, post: false });
  if (first.exitCode !== 0) throw new Error(`the deploy failed:\n${first.log}`);
  const plan = async () => {
    const result = await deploy(
      e2e,
      4,
      { ...inputs, command: 'plan', 'chart-version': '0.1.5-rc1' },
      { toolCache, post: false },
    );
    if (result.exitCode !== 0) throw new Error(`the plan failed:\n${result.log}`);
    return result.durationMs;
  };
  // The bare dry run with what it needs already there: the repository added, the values written.
  const home = await mkdtemp(join(tmpdir(), 'bench-dry-run-'));
  const env = { PATH: process.env.PATH, HOME: home, KUBECONFIG: e2e.kubeconfigPath };
  await exec(tool.helm, ['repo', 'add', 'filecoin', e2e.repo.repoUrl], { env });
  const values = await guideValuesFile();
  const dryRun = async () => {
    const t0 = performance.now();
    await exec(
      tool.helm,
      [
        'upgrade',
        '--install',
        'lily',
        'filecoin/lily',
        '--version',
        '0.1.5-rc1',
        '--namespace',
        namespace,
        '--values',
        values,
        '--dry-run=server',
      ],
      { env },
    );
    return performance.now() - t0;
  };
  await plan();
  const plans: number[] = [];
  const dryRuns: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    plans.push(await plan());
    dryRuns.push(await dryRun());
  }
  const [p, d] = [median(plans), median(dryRuns)];
  record({
    name: 'plan of an upgrade, action (median)',
    value: round(p),
    unit: 'ms',
    note: 'main step, helm cached',
  });
  record({
    name: 'bare helm upgrade --install --dry-run=server (median)',
    value: round(d),
    unit: 'ms',
  });
  recordRatio('ratio plan / bare dry run', p / d, 1.25, 2);
  await dropNamespace(namespace);
}

/**
 * One deploy as the action runs it (helm cached, through the timing shims):
 * when each log group opened and each helm and kubectl process ran, from the
 * step's start. Printed, not recorded: the timeline behind the figures.
 */
async function timeline(): Promise<void> {
  const toolCache = await mkdtemp(join(tmpdir(), 'bench-tools-'));
  const shims = await recordTimings(tool, toolCache);
  const run = (namespace: string, onLog?: (line: string) => void) =>
    deploy(e2e, 4, lilyInputs(namespace), {
      toolCache,
      post: false,
      env: { PATH: pathWith(shims.binDir) },
      onLog,
    });
  await run(uniqueName('bench-timeline')); // warms the API server's caches as the runs of the figures are
  const before = (await shims.read()).length;
  const events: [number, string][] = [];
  const t0 = Date.now();
  const result = await run(uniqueName('bench-timeline'), (line) => {
    if (
      process.env.BENCH_ALL_LINES ||
      line.startsWith('##[group]') ||
      /^(Preflight|Lily preflight|Took the lock|Release \S+ in)/.test(line)
    )
      events.push([Date.now() - t0, line.replace('##[group]', '▸ ').slice(0, 110)]);
  });
  events.push([Date.now() - t0, `the process exited (${result.durationMs} ms after its start)`]);
  if (result.exitCode !== 0) throw new Error(`the action failed:\n${result.log}`);
  for (const line of (await shims.read()).slice(before).trim().split('\n')) {
    const [from, to, ...command] = line.split(' ');
    const start = Number(from) / 1000 - t0;
    events.push([start, `  ${command.join(' ')} (${round(Number(to) / 1000 - t0 - start)} ms)`]);
  }
  console.log(`  timeline of one deploy (${result.durationMs} ms), ms from the step's start:`);
  for (const [at, what] of events.sort((a, b) => a[0] - b[0]))
    console.log(`    ${String(round(at)).padStart(5)}  ${what}`);
}

/** The cluster's real node, or why it has none (its cases print it and skip). */
function realNodeOrWhyNot(node: Cluster['realNode']): RealNodeInfo | string {
  if (node === undefined)
    return 'E2E_KUBECONFIG is set: the real node runs only beside a local cluster';
  return 'skipped' in node ? node.skipped : node;
}

/** Wall time during which at least one helm or kubectl process ran, from the timing shims' lines. */
function busyMs(log: string): number {
  const intervals = log
    .trim()
    .split('\n')
    .filter(Boolean)
    .map(
      (line) =>
        line
          .split(' ')
          .slice(0, 2)
          .map((us) => Number(us) / 1000) as [number, number],
    )
    .sort((x, y) => x[0] - y[0]);
  let busy = 0;
  let end = -Infinity;
  for (const [from, to] of intervals) {
    if (to <= end) continue;
    busy += to - Math.max(from, end);
    end = to;
  }
  return busy;
}

/** A crash loop with timeout 10m: from the pod's first fatal state to the action's exit; and plain helm. */
async function failFast(): Promise<void> {
  const gaps: number[] = [];
  for (let i = 0; i < Math.max(3, Math.ceil(RUNS / 2)); i++) {
    const namespace = uniqueName('bench-crash');
    const pod = 'lily-crash-dev-mainnet-daemon-0';
    let fatalAt = 0;
    const watching = (async () => {
      while (!fatalAt) {
        const p = await kube.find<{
          status?: {
            containerStatuses?: {
              restartCount?: number;
              state?: { waiting?: { reason?: string } };
            }[];
          };
        }>(['get', 'pod', pod, '-n', namespace]);
        const daemon = p?.status?.containerStatuses?.[0];
        if (
          (daemon?.restartCount ?? 0) >= 3 &&
          daemon?.state?.waiting?.reason === 'CrashLoopBackOff'
        )
          fatalAt = performance.now();
        else await sleep(100);
      }
    })();
    const result = await deploy(e2e, 4, {
      release: 'crash',
      namespace,
      'create-namespace': 'true',
      timeout: '10m',
      values: `${VALUES}test:\n  behavior: crash-loop\n`,
    });
    const exitAt = performance.now();
    fatalAt ||= exitAt;
    await watching;
    if (result.outputs['failure-reason'] !== 'crash-loop')
      throw new Error(`expected crash-loop:\n${result.log}`);
    gaps.push(exitAt - fatalAt);
    await dropNamespace(namespace);
  }
  const gap = median(gaps);
  record({
    name: 'fail-fast: first fatal pod state → action exit, timeout 10m',
    value: round(gap / 1000, 1),
    unit: 's',
    target: '≤ 20 s',
    met: gap <= 20_000,
  });

  for (const helm of [await helmTool(3), tool]) {
    const namespace = uniqueName(`bench-plain-${helm.major}`);
    await kube.run(['create', 'namespace', namespace]);
    const wait = helm.major === 3 ? '--wait' : '--wait=watcher';
    const t0 = performance.now();
    await plainHelm(helm, [
      'upgrade',
      '--install',
      'crash',
      FIXTURE_CHART,
      '-n',
      namespace,
      wait,
      '--timeout',
      '30s',
      '--values',
      README_VALUES,
      '--values',
      KWOK_SMALL_VALUES,
      '--set',
      'deploymentType=daemon',
      '--set',
      'test.behavior=crash-loop',
      ...(helm.major === 4 ? ['--server-side=false'] : []),
    ]);
    const took = (performance.now() - t0) / 1000;
    await dropNamespace(namespace);
    record({
      name: `plain helm ${helm.major} ${wait} --timeout 30s on the same crash loop`,
      value: round(took, 1),
      unit: 's',
      note:
        took > 28
          ? 'waits out the whole timeout (10 minutes with 10m)'
          : 'helm itself gives up early',
    });
  }
}

/**
 * From the first FailedScheduling (a pod larger than every node) or
 * ProvisioningFailed (a StorageClass that does not exist, found at run time
 * with credentials that may not list StorageClasses) event to the action's
 * exit, against the unschedulable-grace.
 */
async function failFastOnPlacement(): Promise<void> {
  const graceS = 10;
  const runs = Math.min(RUNS, 3);
  const cases = [
    {
      reason: 'unschedulable',
      event: 'FailedScheduling',
      values: `${VALUES}daemon:\n  resources:\n    requests: {cpu: 31000m, memory: 254Gi}\n    limits: {cpu: 31000m, memory: 254Gi}\n`,
      targetS: graceS + 5,
    },
    {
      reason: 'missing-storage-class',
      event: 'ProvisioningFailed',
      values: `${VALUES}daemon:\n  volumes:\n    datastore: {enabled: true, storageClassName: gp2}\n`,
      targetS: graceS + 5,
    },
  ];
  for (const c of cases) {
    const gaps: number[] = [];
    for (let i = 0; i < runs; i++) {
      const namespace = uniqueName('bench-place');
      const { kubeconfig } = await namespaceAdminKubeconfig(e2e, kube, namespace);
      const result = await deploy(
        e2e,
        4,
        {
          release: 'place',
          namespace,
          kubeconfig,
          timeout: '10m',
          'unschedulable-grace': `${graceS}s`,
          values: c.values,
        },
        { post: false },
      );
      const exitAt = Date.now();
      if (result.outputs['failure-reason'] !== c.reason)
        throw new Error(`expected ${c.reason}:\n${result.log}`);
      const events = await kube.json<{
        items: { reason?: string; eventTime?: string; firstTimestamp?: string }[];
      }>(['get', 'events', '-n', namespace]);
      const first = Math.min(
        ...events.items
          .filter((e) => e.reason === c.event)
          .map((e) => Date.parse(e.eventTime ?? e.firstTimestamp ?? '')),
      );
      gaps.push((exitAt - first) / 1000);
      await dropNamespace(namespace);
    }
    const gap = median(gaps);
    record({
      name: `fail-fast: first ${c.event} event to exit (${c.reason}, unschedulable-grace ${graceS}s, median of ${runs})`,
      value: round(gap, 1),
      unit: 's',
      target: `≤ ${c.targetS} s`,
      met: gap <= c.targetS,
    });
  }
}

/** Crash-looping pods left running would slow every later measurement. */
async function dropNamespace(namespace: string): Promise<void> {
  await kube.run(['delete', 'namespace', namespace, '--wait=false']);
}

async function plainHelm(helm: HelmTool, args: string[]): Promise<void> {
  const home = await mkdtemp(join(tmpdir(), 'bench-helm-'));
  const result = await exec(helm.helm, args, {
    env: { PATH: process.env.PATH, HOME: home, KUBECONFIG: e2e.kubeconfigPath },
    allowFailure: true,
    timeoutMs: 120_000,
  });
  if (!/timed out|deadline|failed|not ready/i.test(result.stderr))
    throw new Error(`plain helm did not fail as expected:\n${result.stderr}${result.stdout}`);
}

/**
 * 20 failing pods: how long collecting the diagnostics takes (the action's own
 * collectDiagnostics, run again several times on that release), against one
 * kubectl logs call.
 */
async function diagnostics(): Promise<void> {
  const namespace = uniqueName('bench-diag');
  const result = await deploy(e2e, 4, {
    release: 'many',
    namespace,
    'create-namespace': 'true',
    timeout: '10m',
    // Cluster mode: a notifier and 19 workers, all crash-looping, all started at once.
    values:
      'deploymentType: cluster\ncluster:\n  worker:\n    replicaCount: 19\ntest:\n  behavior: crash-loop\n  podManagementPolicy: Parallel\n',
  });
  const file = result.outputs.diagnostics;
  if (!file) throw new Error(`no diagnostics:\n${result.log}`);
  const first = JSON.parse(await readFile(file, 'utf8')) as {
    collectionMs: number;
    pods: unknown[];
  };

  const env = {
    PATH: process.env.PATH,
    HOME: await mkdtemp(join(tmpdir(), 'bench-diag-')),
    KUBECONFIG: e2e.kubeconfigPath,
  };
  const api = await KubeApi.start(tool.kubectl, env, join(env.HOME, 'api.sock'));
  const store = new ReleaseStore(
    new Helm(tool.helm, 4, env),
    () => Promise.resolve(api),
    'secrets',
  );
  const workloads = workloadsInManifest((await store.latest('many', namespace))?.manifest ?? '');
  const collections: number[] = [];
  const logs: number[] = [];
  for (let i = 0; i < RUNS * 2; i++) {
    const d = await collectDiagnostics(api, store, workloads, {
      release: 'many',
      namespace,
      findings: () => [],
      failureReason: () => 'crash-loop',
      interventions: [],
      deletedPods: [],
      logLines: 200,
      parallelism: DIAGNOSTICS_PARALLELISM,
      redact: (text) => text,
    });
    collections.push(d.collectionMs);
    const t0 = performance.now();
    await kube.run([
      'logs',
      'lily-many-dev-mainnet-worker-0',
      '-c',
      'daemon',
      '-n',
      namespace,
      '--tail',
      '200',
    ]);
    logs.push(performance.now() - t0);
  }
  api.stop();
  await dropNamespace(namespace);
  const collection = median(collections);
  const one = median(logs);
  record({
    name: `diagnostics of ${first.pods.length} failing pods (median)`,
    value: round(collection),
    unit: 'ms',
    note: `the run's own: ${first.collectionMs} ms`,
  });
  record({ name: 'one kubectl logs call (median)', value: round(one), unit: 'ms' });
  recordRatio('diagnostics / one kubectl logs', collection / one, 2, 2);
}

/**
 * The lock on an uncontended deploy: what taking it (before the release state
 * is read) and releasing it (after the summary) add to the run, as the run
 * logs them: upgrades of one release.
 */
async function lock(): Promise<void> {
  const namespace = uniqueName('bench-lock');
  const inputs = {
    release: 'locked',
    namespace,
    'create-namespace': 'true',
    values: VALUES,
    verify: 'false',
  };
  const costs: number[] = [];
  for (let i = 0; i <= RUNS; i++) {
    const result = await deploy(e2e, 4, inputs, { post: false });
    if (result.exitCode !== 0) throw new Error(`the action failed:\n${result.log}`);
    const took = /Took the lock on release locked in (\d+) ms/.exec(result.log);
    const released = /Released the lock on release locked in (\d+) ms/.exec(result.log);
    if (!took || !released) throw new Error(`no lock lines in the log:\n${result.log}`);
    // The first run creates the namespace: the lock comes after it there.
    if (i > 0) costs.push(Number(took[1]) + Number(released[1]));
  }
  await dropNamespace(namespace);
  const cost = median(costs);
  record({
    name: 'the lock on an uncontended deploy, take + release (median)',
    value: round(cost),
    unit: 'ms',
    target: '≤ 50 ms',
    met: cost <= 50,
  });
}

/**
 * Sweeping 20 previews of closed pull requests (fixture chart, one PVC each)
 * against uninstalling one preview on its pull request's closed event.
 */
async function sweep(): Promise<void> {
  const github = await GithubApi.start();
  const values =
    'deploymentType: daemon\ndaemon:\n  volumes:\n    datastore:\n      enabled: true\n';
  const previewOf = async (number: number, action: string) => {
    const result = await deploy(
      e2e,
      4,
      { release: 'swept', preview: 'true', 'github-token': 'ghs_bench', values },
      { post: false, env: await github.pullRequestRun(number, action) },
    );
    if (result.exitCode !== 0) throw new Error(`the preview ${action} failed:\n${result.log}`);
    return result.durationMs;
  };
  try {
    const one: number[] = [];
    for (let i = 0; i < 3; i++) {
      await previewOf(900 + i, 'opened');
      one.push(await previewOf(900 + i, 'closed'));
    }
    const numbers = Array.from({ length: 20 }, (_, i) => 1000 + i);
    for (let i = 0; i < numbers.length; i += 4) {
      await Promise.all(numbers.slice(i, i + 4).map((n) => previewOf(n, 'opened')));
    }
    for (const n of numbers) github.pullRequests.set(`octo/lily-infra#${n}`, { state: 'closed' });
    const swept = await deploy(
      e2e,
      4,
      { command: 'sweep', release: 'swept', 'github-token': 'ghs_bench' },
      { post: false, env: github.env() },
    );
    const removed = (JSON.parse(swept.outputs.swept ?? '[]') as unknown[]).length;
    if (swept.exitCode !== 0 || removed !== 20)
      throw new Error(`the sweep removed ${removed} previews:\n${swept.log}`);
    const single = median(one);
    record({ name: 'uninstall of one preview (median of 3)', value: round(single), unit: 'ms' });
    record({ name: 'sweep of 20 closed previews', value: round(swept.durationMs), unit: 'ms' });
    recordRatio('sweep of 20 / uninstall of one', swept.durationMs / single, 3, 2);
  } finally {
    await github.close();
  }
}

/**
 * What helm's OpenAPI validation costs where the API server validates fields
 * itself (the action then passes --disable-openapi-validation): the guide's
 * helm upgrade of a new release and a server-side dry run, each with and
 * without the flag, alternating.
 */
async function openApiValidation(): Promise<void> {
  const home = await mkdtemp(join(tmpdir(), 'bench-openapi-'));
  const env = { PATH: process.env.PATH, HOME: home, KUBECONFIG: e2e.kubeconfigPath };
  await exec(tool.helm, ['repo', 'add', 'filecoin', e2e.repo.repoUrl], { env });
  const values = await guideValuesFile();
  const timed = async (args: string[]) => {
    const t0 = performance.now();
    await exec(tool.helm, args, { env });
    return performance.now() - t0;
  };
  const upgrade = (namespace: string) => [
    ...['upgrade', '--install', 'lily', 'filecoin/lily', '--version', '0.1.4'],
    ...['--namespace', namespace, '--values', values],
  ];
  const install = async (skip: boolean) => {
    const namespace = uniqueName('bench-openapi');
    await kube.run(['create', 'namespace', namespace]);
    await kube.run([
      'create',
      'secret',
      'generic',
      'lily-lily-db',
      '-n',
      namespace,
      '--from-literal=url=x',
    ]);
    const ms = await timed([
      ...upgrade(namespace),
      ...['--wait=watcher', '--timeout', '2m', '--server-side=false'],
      ...(skip ? ['--disable-openapi-validation'] : []),
    ]);
    await dropNamespace(namespace);
    return ms;
  };
  const deployed = uniqueName('bench-openapi');
  await kube.run(['create', 'namespace', deployed]);
  await timed([...upgrade(deployed), '--server-side=false']);
  const dryRun = (skip: boolean) =>
    timed([
      ...upgrade(deployed),
      '--dry-run=server',
      ...(skip ? ['--disable-openapi-validation'] : []),
    ]);
  const times = { install: [[], []], dryRun: [[], []] } as Record<string, [number[], number[]]>;
  for (let i = 0; i < RUNS; i++) {
    for (const skip of [false, true]) {
      times.install![Number(skip)]!.push(await install(skip));
      times.dryRun![Number(skip)]!.push(await dryRun(skip));
    }
  }
  for (const [what, [on, off]] of [
    ['helm upgrade --install of a new release', times.install!],
    ['helm upgrade --install --dry-run=server', times.dryRun!],
  ] as const) {
    record({ name: `${what}, OpenAPI validation (median)`, value: round(median(on)), unit: 'ms' });
    record({
      name: `${what}, --disable-openapi-validation (median)`,
      value: round(median(off)),
      unit: 'ms',
      note: `${round(median(on) - median(off))} ms less`,
    });
  }
  await dropNamespace(deployed);
}
