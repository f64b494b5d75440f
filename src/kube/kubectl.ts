import { BoundTool } from '../process.js';
import type { KubeList, KubeObject } from './types.js';

const FIELD_MANAGER = 'lily-deploy';

/** A thin wrapper over kubectl, bound to one kubeconfig and context. */
export class Kubectl extends BoundTool {
  constructor(
    binary: string,
    env: NodeJS.ProcessEnv,
    private readonly context?: string,
  ) {
    super(binary, env);
  }

  /** The objects of a kind in a namespace, optionally by label selector. */
  async list<T extends KubeObject>(
    kind: string,
    namespace: string,
    selector?: string,
  ): Promise<T[]> {
    const args = [
      'get',
      kind,
      '--namespace',
      namespace,
      '-o',
      'json',
      ...(selector ? ['--selector', selector] : []),
    ];
    const { stdout } = await this.checked(args, { quiet: true });
    return (JSON.parse(stdout) as KubeList<T>).items;
  }

  /** Deletes objects and waits until they are gone (or the timeout passes). */
  async delete(
    kind: string,
    names: string[],
    namespace: string | undefined,
    timeout: string,
  ): Promise<void> {
    const scope = namespace ? ['--namespace', namespace] : [];
    await this.checked([
      'delete',
      kind,
      ...names,
      ...scope,
      '--ignore-not-found',
      '--wait',
      `--timeout=${timeout}`,
    ]);
  }

  /** Server-side apply of a manifest passed on stdin (it may hold a secret). */
  async apply(manifest: object): Promise<string> {
    // --validate=false: the API server validates the object anyway; kubectl's
    // own check first downloads the OpenAPI schema, which doubles the time.
    const args = [
      'apply',
      '--server-side',
      `--field-manager=${FIELD_MANAGER}`,
      '--force-conflicts',
      '--validate=false',
      '-f',
      '-',
    ];
    const { stdout } = await this.checked(args, { input: JSON.stringify(manifest) });
    return stdout.trim();
  }

  protected withContext(args: string[]): string[] {
    return this.context ? ['--context', this.context, ...args] : args;
  }
}
