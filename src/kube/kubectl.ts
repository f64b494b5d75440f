import { BoundTool } from '../process.js';

/**
 * A thin wrapper over kubectl, bound to one kubeconfig and context: the
 * action's changes to objects other than helm's go through it, as the guide
 * makes them by hand, but for the namespace and its Secret, written through
 * the API client on every deploy's critical path (see cluster-access.ts).
 * (Reads go through the API client.)
 */
export class Kubectl extends BoundTool {
  constructor(
    binary: string,
    env: NodeJS.ProcessEnv,
    private readonly context?: string,
  ) {
    super(binary, env);
  }

  /** Deletes objects and waits until they are gone (or the timeout passes). */
  async delete(
    kind: string,
    names: string[],
    namespace: string | undefined,
    timeout: string,
  ): Promise<void> {
    await this.checked([
      'delete',
      kind,
      ...names,
      ...namespaceFlag(namespace),
      '--ignore-not-found',
      '--wait',
      `--timeout=${timeout}`,
    ]);
  }

  /** Deletes objects without waiting for them to go (their controllers recreate pods). */
  async deleteNow(kind: string, names: string[], namespace: string): Promise<void> {
    await this.checked(['delete', kind, ...names, ...namespaceFlag(namespace), '--wait=false']);
  }

  /** Sets annotations on an object, replacing their values. */
  async annotate(kind: string, name: string, annotations: Record<string, string>): Promise<void> {
    const pairs = Object.entries(annotations).map(([key, value]) => `${key}=${value}`);
    await this.checked(['annotate', kind, name, '--overwrite', ...pairs]);
  }

  protected withContext(args: string[]): string[] {
    return this.context ? ['--context', this.context, ...args] : args;
  }
}

function namespaceFlag(namespace: string | undefined): string[] {
  return namespace ? ['--namespace', namespace] : [];
}
