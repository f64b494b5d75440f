import * as core from '@actions/core';
import * as io from '@actions/io';
import { startedEarly } from './background.js';
import { Helm, privateHelmEnv } from './helm/helm.js';
import type { HelmMajor } from './helm/flags.js';
import { explainClusterError } from './kube/cluster-errors.js';
import { KubeApi } from './kube/api.js';
import { ReleaseLock } from './lock/release-lock.js';
import { Kubectl } from './kube/kubectl.js';
import { ReleaseStore, releaseStorage } from './helm/release-store.js';
import { CommandError } from './process.js';
import { DeployError } from './failure-reason.js';
import type { Settings } from './settings.js';
import type { Workspace } from './workspace.js';

// The one rule for reaching the cluster, for every command:
// - reads go through the API client (`api()`, one kubectl proxy): dozens of
//   parallel requests for the price of one process;
// - changes go through helm (the release) or kubectl (the database Secret of
//   an existing namespace, annotations, deleting what the release left
//   behind), the commands the deployment guide runs by hand;
// - two exceptions, written through the API client where a kubectl process
//   (130 ms or more) would sit on every deploy's critical path, a request
//   through the proxy a few ms: the Lease of a release's lock (lock/),
//   bookkeeping taken before the release state is read and renewed every few
//   seconds; and a namespace the run creates with its database Secret, which
//   the Lease waits for (KubeApi.createIfAbsent: create only, never an
//   update). KubeApi has no other write. (Its POST to Lily's API through the
//   pod proxy writes nothing: lily/api.ts sends read-only JSON-RPC methods
//   only.)
// - helm's release records are read through `releases`, which reads the
//   storage helm uses (HELM_DRIVER) and asks helm only for a driver it cannot
//   read itself.

export interface ClusterAccess {
  /** Changes the release. */
  helm: Helm;
  /** Changes the objects that are not helm's. */
  kubectl: Kubectl;
  /** What helm knows about releases. */
  releases: ReleaseStore;
  /**
   * The API server's version once it has answered; rejects with a plain-words
   * reason when it cannot be reached. Nothing touches the cluster before it.
   */
  ready(): Promise<string>;
  /** Reads, through kubectl proxy (started with the connection). */
  api(): Promise<KubeApi>;
  /** The lock of a release, held by this run once taken (see lock/). */
  lockOf(release: string, namespace: string, log?: (line: string) => void): ReleaseLock;
  /** Stops the proxy. */
  close(): void;
}

/**
 * What reaching the cluster needs that helm does not: the kubeconfig input in
 * a 0600 file exported as KUBECONFIG (later steps can use it; the post step
 * deletes it), kubectl, and the API proxy with one call to the API server
 * (see ready()). Started while helm is installed; its failures wait for
 * whoever awaits them, and its lines for the connect step.
 */
export interface ClusterConnection {
  kubectlBinary: string;
  api: Promise<KubeApi>;
  /** The API server's version; unlogged until the connect step. */
  version: Promise<string>;
  /** What the connect step logs of it. */
  log: string[];
  close: () => void;
}

export async function openConnection(
  settings: Settings,
  workspace: Workspace,
): Promise<ClusterConnection> {
  const log: string[] = [];
  if (settings.kubeconfig !== undefined) {
    const path = await workspace.write('kubeconfig', settings.kubeconfig);
    core.exportVariable('KUBECONFIG', path);
    log.push(`Kubeconfig from the input written to ${path} (mode 0600) and exported as KUBECONFIG`);
  }
  const kubectlBinary = await io.which('kubectl', false);
  if (!kubectlBinary) {
    throw new Error(
      'kubectl was not found on PATH. GitHub-hosted runners have it; on a self-hosted runner install it first (for example with azure/setup-kubectl).',
    );
  }
  const socket = await workspace.socketPath('kube-api.sock');
  const api = startedEarly(
    KubeApi.start(kubectlBinary, { ...process.env }, socket.path, settings.kubeContext),
  );
  // Checked while the caller gets on with work that needs no cluster; through
  // the proxy, so it costs no kubectl process of its own.
  const version = startedEarly(
    describeClusterErrors(
      async () => (await (await api).json<{ gitVersion: string }>('/version')).gitVersion,
    ),
  );
  const close = () => {
    void api.then(
      (started) => {
        started.stop();
      },
      () => undefined,
    );
    void socket.remove?.();
  };
  return { kubectlBinary, api, version, log, close };
}

/** What reads the cluster and helm's release records: all that command status uses. */
export type ClusterReader = Pick<ClusterAccess, 'releases' | 'ready' | 'api' | 'close'>;

/**
 * Reads over the opened connection. Without `helm`, the release records are
 * read only where the API server holds them (HELM_DRIVER secret or configmap).
 */
export function readCluster(
  settings: Settings,
  connection: ClusterConnection,
  helm?: Helm,
): ClusterReader {
  for (const line of connection.log) core.info(line);
  const { api } = connection;
  const version = startedEarly(
    connection.version.then((v) => {
      core.info(
        `Kubernetes API server ${v} answers${settings.kubeContext ? ` (context ${settings.kubeContext})` : ''}`,
      );
      return v;
    }),
  );
  return {
    releases: new ReleaseStore(helm, () => api, releaseStorage(process.env.HELM_DRIVER)),
    ready: () => version,
    api: () => api,
    close: connection.close,
  };
}

/**
 * Points helm and kubectl at the cluster over the opened connection: helm gets
 * private repository and registry configs and caches (see privateHelmEnv).
 */
export function connectToCluster(
  settings: Settings,
  workspace: Workspace,
  connection: ClusterConnection,
  helmBinary: string,
  helmMajor: HelmMajor,
  lockHolder: string,
): ClusterAccess {
  const env = { ...process.env, ...privateHelmEnv((name) => workspace.path(name)) };
  const { api } = connection;
  const kubectl = new Kubectl(connection.kubectlBinary, env, settings.kubeContext);
  const helm = new Helm(helmBinary, helmMajor, env, settings.kubeContext);
  return {
    ...readCluster(settings, connection, helm),
    helm,
    kubectl,
    lockOf: (release, namespace, log) =>
      new ReleaseLock({
        api: () => api,
        release,
        namespace,
        holder: lockHolder,
        ...(settings.kubeContext ? { context: settings.kubeContext } : {}),
        ...(log ? { output: { info: log } } : {}),
      }),
  };
}

/** Runs `call`; a failure to reach the cluster is rethrown with a plain-words reason first. */
export async function describeClusterErrors<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    const message = err instanceof CommandError ? err.result.stderr : (err as Error).message;
    const reason = explainClusterError(message);
    if (reason)
      throw new DeployError(
        'cluster-unreachable',
        `Cannot use the Kubernetes cluster: ${reason}.\n${(err as Error).message}`,
        { cause: err },
      );
    throw err;
  }
}
