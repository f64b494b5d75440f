// The real node: a kubelet v1.36.3 with containerd and runc beside the kwok
// nodes of one local cluster, with a TLS Postgres and the fake lily's image,
// all inside a network namespace of the run (real-node/node-host.sh). The
// control plane of that cluster runs in the namespace too; netns-bridge gives
// 127.0.0.1:<apiserver port> outside the same API server.

import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exec } from '../support/exec.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));
export const NODE_HOST_SCRIPT = join(HERE, 'real-node', 'node-host.sh');
const SETUP_SCRIPT = join(HERE, 'real-node', 'setup.sh');
/** Where runs keep their node's state; a killed run's is removed by the next. */
const STATE_ROOT = process.env.LILY_DEPLOY_NODE_STATE ?? '/var/tmp/lily-deploy-real-node';

export const REAL_NODE_NAME = 'lily-deploy-real-node';
/** The node's address inside its namespace: pods reach Postgres there. */
export const REAL_NODE_IP = '10.200.0.1';
/** Taint and label of the real node: only pods that ask for it land there. */
export const REAL_NODE_TAINT = 'lily-deploy.test/real-node';
/** StorageClass served by the controller-manager's host-path provisioner. */
export const REAL_NODE_STORAGE_CLASS = 'real-node-hostpath';

/** What a test process needs of the node (E2E_REAL_NODE, JSON). */
export interface RealNodeInfo {
  name: string;
  ip: string;
  /** The run's state directory (node-host.sh exec STATE …). */
  state: string;
  /** The fake lily, runnable on the host inside the namespace (lily migrate --latest). */
  lily: string;
  /** The directory busybox httpd serves at http://<ip>:8080/. */
  www: string;
  /** Seconds from nothing to the node Ready, and the parts of it. */
  timings: Record<string, number>;
}

export type RealNodeTools =
  { ok: true; binDir: string; toolsDir: string; imagesDir: string } | { ok: false; reason: string };

/** Installs and builds what the node needs (setup.sh), or the reason it cannot run here. */
export async function prepareRealNode(log: (line: string) => void): Promise<RealNodeTools> {
  const result = await run('bash', [SETUP_SCRIPT], { onStderr: log });
  if (result.code === 3) {
    return { ok: false, reason: result.stderr.trim().split('\n').pop() ?? 'setup.sh said no' };
  }
  if (result.code !== 0) throw new Error(`${SETUP_SCRIPT} failed:\n${tail(result.stderr, 30)}`);
  const vars = Object.fromEntries(
    result.stdout
      .trim()
      .split('\n')
      .map((line) => line.split('=', 2) as [string, string]),
  );
  return {
    ok: true,
    binDir: vars.BIN_DIR ?? '',
    toolsDir: vars.TOOLS_DIR ?? '',
    imagesDir: vars.IMAGES_DIR ?? '',
  };
}

export interface NodeHost {
  state: string;
  netnsPath: string;
  /** argv prefix that runs a command inside the node's namespaces. */
  inside: string[];
  /** Starts the bridge for the API server's port (once the port is known). */
  bridge(port: number): Promise<void>;
  join(pkiDir: string, kubeconfig: string): Promise<void>;
  info(timings: Record<string, number>): RealNodeInfo;
  stop(): Promise<void>;
  stopSync(): void;
}

/**
 * Starts the node's namespaces, containerd, Postgres and httpd; owned by this
 * process (a watchdog stops it all once the process is gone).
 */
export async function startNodeHost(
  tools: Extract<RealNodeTools, { ok: true }>,
  log: (line: string) => void,
): Promise<NodeHost> {
  mkdirSync(STATE_ROOT, { recursive: true });
  await run('bash', [NODE_HOST_SCRIPT, 'clean-stale', STATE_ROOT], { onStderr: log });
  const state = join(STATE_ROOT, `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`);
  const watchdog = startWatchdog(state);
  let stopped = false;
  const host: NodeHost = {
    state,
    netnsPath: '',
    inside: ['bash', NODE_HOST_SCRIPT, 'exec', state],
    bridge: async (port) => {
      const child = spawn(join(tools.toolsDir, 'netns-bridge'), [host.netnsPath, String(port)], {
        detached: true,
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      mkdirSync(join(state, 'pids'), { recursive: true });
      execFileSync('sh', ['-c', `echo ${child.pid} > "$0/pids/bridge"`, state]);
      await new Promise<void>((resolve, reject) => {
        child.once('error', reject);
        child.once('exit', (code) => {
          reject(new Error(`netns-bridge exited with ${code}`));
        });
        child.stdout.once('data', () => {
          resolve();
        });
      });
      child.unref();
      child.stdout.destroy();
    },
    join: async (pkiDir, kubeconfig) => {
      const r = await run(
        'bash',
        [NODE_HOST_SCRIPT, 'join', state, pkiDir, kubeconfig, tools.binDir, REAL_NODE_NAME],
        { onStderr: log },
      );
      if (r.code !== 0) throw new Error(`node-host.sh join failed:\n${tail(r.stderr, 20)}`);
    },
    info: (timings) => ({
      name: REAL_NODE_NAME,
      ip: REAL_NODE_IP,
      state,
      lily: join(tools.toolsDir, 'lily'),
      www: join(state, 'www'),
      timings,
    }),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await run('bash', [NODE_HOST_SCRIPT, 'stop', state], { onStderr: log });
      kill(watchdog);
    },
    stopSync: () => {
      if (stopped) return;
      stopped = true;
      try {
        execFileSync('bash', [NODE_HOST_SCRIPT, 'stop', state], {
          stdio: 'ignore',
          timeout: 30_000,
        });
      } catch {
        // The watchdog tries again once this process is gone.
      }
    },
  };
  const started = await run(
    'bash',
    [NODE_HOST_SCRIPT, 'start', state, String(process.pid), tools.imagesDir],
    { onStderr: log },
  );
  if (started.code !== 0) {
    const logs = nodeLogs(state);
    await host.stop();
    throw new Error(`node-host.sh start failed:\n${tail(started.stderr, 20)}${logs}`);
  }
  host.netnsPath = `/run/netns/${readFileSync(join(state, 'netns'), 'utf8').trim()}`;
  return host;
}

/** The last lines of each daemon's log, for an error message. */
export function nodeLogs(state: string): string {
  try {
    return execFileSync(
      'sh',
      ['-c', 'for f in "$0"/logs/*.log; do echo "--- $f"; tail -n 12 "$f"; done', state],
      { encoding: 'utf8' },
    );
  } catch {
    return '';
  }
}

/** A detached shell that stops the node once this process is gone, however it ended. */
function startWatchdog(state: string): number | undefined {
  const script = [
    'while kill -0 "$PARENT_PID" 2>/dev/null; do sleep 1; done',
    'bash "$SCRIPT" stop "$STATE" >/dev/null 2>&1',
  ].join('\n');
  const child = spawn('sh', ['-c', script], {
    detached: true,
    stdio: 'ignore',
    env: {
      PATH: process.env.PATH,
      PARENT_PID: String(process.pid),
      SCRIPT: NODE_HOST_SCRIPT,
      STATE: state,
    },
  });
  child.unref();
  return child.pid;
}

function kill(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Runs a script; its stderr lines go to `log` once it ends (setup.sh's builds take minutes, once). */
async function run(
  file: string,
  args: string[],
  opts: { onStderr?: (line: string) => void } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const result = await exec(file, args, { allowFailure: true, timeoutMs: 20 * 60_000 });
  for (const line of result.stderr.split('\n')) if (line.trim()) opts.onStderr?.(line);
  return { code: result.exitCode, stdout: result.stdout, stderr: result.stderr };
}

function tail(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}
