import { BoundTool, CommandError } from '../process.js';

const FIELD_MANAGER = 'lily-deploy';

// kubectl's words for an object that create found already there.
const ALREADY_EXISTS = /\(AlreadyExists\).*? (\S+) "([^"]+)" already exists/g;

/**
 * A thin wrapper over kubectl, bound to one kubeconfig and context: the
 * action's changes to objects other than helm's go through it, as the guide
 * makes them by hand. (Reads go through the API client.)
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

  /**
   * Creates the objects, in order (a namespace before what goes in it), from
   * stdin. Returns `<resource>/<name>` of those that already existed, which
   * are left as they are; any other refusal throws.
   */
  async create(manifests: object[]): Promise<string[]> {
    // --validate=false, as for apply: the API server validates anyway.
    const args = ['create', `--field-manager=${FIELD_MANAGER}`, '--validate=false', '-f', '-'];
    const result = await this.run(args, { input: JSON.stringify(list(manifests)) });
    if (result.exitCode === 0) return [];
    const existed = alreadyExisting(result.stderr);
    if (existed === undefined) throw new CommandError(this.commandLine(args), result);
    return existed;
  }

  /** Sets annotations on an object, replacing their values. */
  async annotate(kind: string, name: string, annotations: Record<string, string>): Promise<void> {
    const pairs = Object.entries(annotations).map(([key, value]) => `${key}=${value}`);
    await this.checked(['annotate', kind, name, '--overwrite', ...pairs]);
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

/**
 * `<resource>/<name>` of each object `kubectl create` found already there;
 * undefined when it failed for any other reason too.
 */
export function alreadyExisting(stderr: string): string[] | undefined {
  const errors = stderr.split('\n').filter((line) => /^error/i.test(line));
  const existed = errors.flatMap((line) =>
    [...line.matchAll(ALREADY_EXISTS)].map(([, resource, name]) => `${resource}/${name}`),
  );
  return existed.length > 0 && existed.length === errors.length ? existed : undefined;
}

function namespaceFlag(namespace: string | undefined): string[] {
  return namespace ? ['--namespace', namespace] : [];
}

function list(items: object[]): object {
  return { apiVersion: 'v1', kind: 'List', items };
}
