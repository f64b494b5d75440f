// Shims around the helm and kubectl the action runs: each logs something,
// then runs the real binary. kubectl is found on PATH; helm is run from the
// tool cache, so its shim is put there as the cached helm (a tool cache hit,
// as on a runner that ran the action before).
import { chmod, copyFile, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeAtExit } from './cache.js';

export interface ShimmedTools {
  /** Put first on PATH: holds the kubectl shim. */
  binDir: string;
  /** What the shims logged. */
  read(): Promise<string>;
}

interface Tools {
  kubectl: string;
  helm: string;
  version: string;
}

/** Shim body: `log` gets one line per command (`helm upgrade …`), then the real binary runs. */
function argvShim(log: string, name: string, real: string): string {
  return `#!/bin/sh
printf '%s' '${name}' >> '${log}'
for arg in "$@"; do printf ' %s' "$arg" >> '${log}'; done
echo >> '${log}'
exec '${real}' "$@"
`;
}

/** Shim body: `log` gets `== <name> <subcommand>` and the process's environment, each entry NUL-terminated. */
function environmentShim(log: string, name: string, real: string): string {
  return `#!/bin/sh
printf '== %s %s\\0' '${name}' "$1" >> '${log}'
cat /proc/$$/environ >> '${log}'
exec '${real}' "$@"
`;
}

/**
 * Shim body: \`log\` gets \`<start µs> <end µs> <name> <first two arguments>\` per command,
 * taken from bash's clock without forking, so the shim itself costs next to
 * nothing outside the interval. kubectl proxy (a server for the whole run,
 * killed by the action) is not timed.
 */
function timingShim(log: string, name: string, real: string): string {
  return `#!/bin/bash
[ "$1" = proxy ] && exec '${real}' "$@"
start=$EPOCHREALTIME
'${real}' "$@"
rc=$?
echo "\${start/./} \${EPOCHREALTIME/./} ${name} $1 $2" >> '${log}'
exit $rc
`;
}

async function installShims(
  tools: Tools,
  toolCache: string,
  body: typeof argvShim,
): Promise<ShimmedTools> {
  const root = await mkdtemp(join(tmpdir(), 'lily-deploy-shims-'));
  removeAtExit(root);
  const log = join(root, 'shims.log');
  await writeFile(log, '');
  const binDir = join(root, 'bin');
  await mkdir(binDir);
  await writeFile(join(binDir, 'kubectl'), body(log, 'kubectl', tools.kubectl));
  await chmod(join(binDir, 'kubectl'), 0o755);

  const cached = join(toolCache, 'helm', tools.version, 'x64');
  await mkdir(cached, { recursive: true });
  await copyFile(tools.helm, join(cached, 'helm.real'));
  await writeFile(join(cached, 'helm'), body(log, 'helm', join(cached, 'helm.real')));
  await chmod(join(cached, 'helm'), 0o755);
  await writeFile(`${cached}.complete`, '');
  return { binDir, read: () => readFile(log, 'utf8') };
}

/** Records the argv of every helm and kubectl process. */
export function recordArgv(tools: Tools, toolCache: string): Promise<ShimmedTools> {
  return installShims(tools, toolCache, argvShim);
}

/** Records when every helm and kubectl process ran. */
export function recordTimings(tools: Tools, toolCache: string): Promise<ShimmedTools> {
  return installShims(tools, toolCache, timingShim);
}

/** The environment each helm and kubectl process started with. */
export interface ToolEnvironment {
  /** `helm upgrade`, `kubectl proxy`. */
  command: string;
  env: Record<string, string>;
}

/** Records the environment of every helm and kubectl process; `environments()` parses what they logged. */
export async function recordEnvironments(
  tools: Tools,
  toolCache: string,
): Promise<ShimmedTools & { environments(): Promise<ToolEnvironment[]> }> {
  const shims = await installShims(tools, toolCache, environmentShim);
  const environments = async () => {
    const records: ToolEnvironment[] = [];
    for (const entry of (await shims.read()).split('\0')) {
      if (entry.startsWith('== ')) records.push({ command: entry.slice(3).trim(), env: {} });
      else if (entry.includes('=') && records.length > 0) {
        const eq = entry.indexOf('=');
        records[records.length - 1]!.env[entry.slice(0, eq)] = entry.slice(eq + 1);
      }
    }
    return records;
  };
  return { ...shims, environments };
}
