import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// sun_path holds 108 bytes on Linux, the terminating NUL included.
const MAX_SOCKET_PATH = 107;

/**
 * A private directory (0700) under RUNNER_TEMP for the run's files: the
 * kubeconfig, helm's repository config and the values files, each 0600.
 */
export class Workspace {
  private constructor(readonly dir: string) {}

  static async create(): Promise<Workspace> {
    const dir = await mkdtemp(join(process.env.RUNNER_TEMP || tmpdir(), 'lily-deploy-'));
    return new Workspace(dir);
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  /**
   * A path for a unix socket: in the workspace, unless a deep RUNNER_TEMP
   * makes it longer than a socket address may be; then in a private (0700)
   * directory of its own under /tmp, which `remove` is given.
   */
  async socketPath(name: string): Promise<{ path: string; remove?: () => Promise<void> }> {
    const path = this.path(name);
    if (Buffer.byteLength(path) <= MAX_SOCKET_PATH) return { path };
    const dir = await mkdtemp('/tmp/lily-deploy-');
    return { path: join(dir, name), remove: () => Workspace.remove(dir) };
  }

  /**
   * Synchronous: a file of a few kilobytes, often on the way to helm's first
   * process, which an awaited write would let other started work delay.
   */
  write(name: string, content: string): string {
    const path = this.path(name);
    writeFileSync(path, content, { mode: 0o600 });
    return path;
  }

  static async remove(dir: string): Promise<void> {
    await rm(dir, { recursive: true, force: true });
  }
}
