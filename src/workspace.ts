import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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

  async write(name: string, content: string): Promise<string> {
    const path = this.path(name);
    await writeFile(path, content, { mode: 0o600 });
    return path;
  }

  static async remove(dir: string): Promise<void> {
    await rm(dir, { recursive: true, force: true });
  }
}
