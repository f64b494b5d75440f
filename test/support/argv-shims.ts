// Records the argv of every helm and kubectl process the action starts: a
// shim logs its arguments, then execs the real binary. kubectl is found on
// PATH; helm is run from the tool cache, so the shim is put there as the
// cached helm (a tool cache hit, as on a runner that ran the action before).
import { chmod, copyFile, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeAtExit } from './cache.js';

export interface ArgvLog {
  /** Put first on PATH: holds the kubectl shim. */
  binDir: string;
  /** Every recorded command line, one per line. */
  read(): Promise<string>;
}

function shim(log: string, name: string, real: string): string {
  return `#!/bin/sh\nprintf '%s' '${name}' >> '${log}'\nfor arg in "$@"; do printf ' %s' "$arg" >> '${log}'; done\necho >> '${log}'\nexec '${real}' "$@"\n`;
}

export async function recordArgv(
  tools: { kubectl: string; helm: string; version: string },
  toolCache: string,
): Promise<ArgvLog> {
  const root = await mkdtemp(join(tmpdir(), 'lily-deploy-argv-'));
  removeAtExit(root);
  const log = join(root, 'argv.log');
  await writeFile(log, '');
  const binDir = join(root, 'bin');
  await mkdir(binDir);
  await writeFile(join(binDir, 'kubectl'), shim(log, 'kubectl', tools.kubectl));
  await chmod(join(binDir, 'kubectl'), 0o755);

  const cached = join(toolCache, 'helm', tools.version, 'x64');
  await mkdir(cached, { recursive: true });
  await copyFile(tools.helm, join(cached, 'helm.real'));
  await writeFile(join(cached, 'helm'), shim(log, 'helm', join(cached, 'helm.real')));
  await chmod(join(cached, 'helm'), 0o755);
  await writeFile(`${cached}.complete`, '');
  return { binDir, read: () => readFile(log, 'utf8') };
}
