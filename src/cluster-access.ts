import * as core from '@actions/core';
import * as io from '@actions/io';
import { startedEarly } from './background.js';
import { Helm, privateHelmEnv } from './helm/helm.js';
import type { HelmMajor } from './helm/flags.js';
import { explainClusterError } from './kube/cluster-errors.js';
import { ApiError, ApiTimeout, KubeApi } from './kube/api.js';
import { directTransport } from './kube/api-transport.js';
import type { ApiRoute } from './kube/kubeconfig.js';
import { ReleaseLock } from './lock/release-lock.js';
import { Kubectl } from './kube/kubectl.js';
import { ReleaseStore, releaseStorage } from './helm/release-store.js';
import { CommandError } from './process.js';
import { DeployError } from './failure-reason.js';
import type { Settings } from './settings.js';
import type { Workspace } from './workspace.js';

// The one rule for reaching the cluster, for every command:
// - reads go through the API client (`api()`: straight to the API server
//   with static credentials, else one kubectl proxy): dozens of parallel
//   requests for the price of at most one process;
// - changes go through helm (the release) or kubectl (annotations, deleting
//   what the release left behind), the commands the deployment guide runs by
//   hand;
// - three exceptions, written through the API client where a kubectl process
//   (70 ms or more) would sit on every deploy's critical path, a request a
//   few ms: the Lease of a release's lock (lock/), bookkeeping taken before
//   the release state is read and renewed every few seconds; a namespace the
//   run creates, which the Lease waits for (KubeApi.createIfAbsent: create
//   only, never an update); and the database Secret, written under the lock
//   just taken (created with that namespace, else KubeApi.applyServerSide:
//   the server-side apply `kubectl apply --server-side --force-conflicts`
//   makes). KubeApi has no other write. (Its POST to Lily's API through the
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
  /** Reads, over the client opened with the connection. */
  api(): Promise<KubeApi>;
  /** The lock of a release, held by this run once taken (see lock/). */
  lockOf(release: string, namespace: string, log?: (line: string) => void): ReleaseLock;
  /** Closes the API client (and its kubectl proxy, if any). */
  close(): void;
}

/**
 * What reaching the cluster needs that helm does not: the kubeconfig input in
 * a 0600 file exported as KUBECONFIG (later steps can use it; the post step
 * deletes it), kubectl, and the API client with one call to the API server
 * (see ready()). Started while helm is installed; its failures wait for
 * whoever awaits them, and its lines for the connect step.
 */
export interface ClusterConnection {
  kubectlBinary: string;
  api: Promise<KubeApi>;
  /** The API server's version and how requests reach it; unlogged until the connect step. */
  answer: Promise<{ version: string; route: string }>;
  /** What the connect step logs of it. */
  log: string[];
  close: () => void;
}

export async function openConnection(
  settings: Settings,
  workspace: Workspace,
  route: ApiRoute,
): Promise<ClusterConnection> {
  const log: string[] = [];
  if (settings.kubeconfig !== undefined) {
    const path = workspace.write('kubeconfig', settings.kubeconfig);
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
  const connected = startedEarly(
    connectApi(route, () =>
      KubeApi.start(kubectlBinary, { ...process.env }, socket.path, settings.kubeContext),
    ),
  );
  const api = startedEarly(connected.then((c) => c.api));
  // Checked while the caller gets on with work that needs no cluster.
  const answer = startedEarly(describeClusterErrors(() => connected));
  const close = () => {
    void api.then(
      (started) => {
        started.stop();
      },
      () => undefined,
    );
    void socket.remove?.();
  };
  return { kubectlBinary, api, answer, log, close };
}

/**
 * The API client, once the API server has told its version: straight to it
 * where the route allows, else through kubectl proxy. A direct connection
 * that fails before any HTTP answer (TLS, a refused connection) is tried
 * again through kubectl, whose own words then say what is wrong; an HTTP
 * answer (401, say) or a timeout would be the same through kubectl.
 */
async function connectApi(
  route: ApiRoute,
  throughKubectl: () => Promise<KubeApi>,
): Promise<{ api: KubeApi; version: string; route: string }> {
  let why = 'viaKubectl' in route ? route.viaKubectl : '';
  if ('direct' in route) {
    let api: KubeApi | undefined;
    try {
      api = new KubeApi(await directTransport(route.direct));
      return { api, version: await serverVersion(api), route: api.route };
    } catch (err) {
      api?.stop();
      if (err instanceof ApiError || err instanceof ApiTimeout) throw err;
      why = `straight to ${route.direct.server} failed: ${(err as Error).message}`;
    }
  }
  const api = await throughKubectl();
  try {
    return { api, version: await serverVersion(api), route: `${api.route} (${why})` };
  } catch (err) {
    api.stop();
    throw err;
  }
}

async function serverVersion(api: KubeApi): Promise<string> {
  return (await api.json<{ gitVersion: string }>('/version')).gitVersion;
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
    connection.answer.then(({ version, route }) => {
      core.info(
        `Kubernetes API server ${version} answers${settings.kubeContext ? ` (context ${settings.kubeContext})` : ''}; requests go ${route}`,
      );
      return version;
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
  helmTool: { binary: string; major: HelmMajor; installed: Promise<unknown> },
  lockHolder: string,
): ClusterAccess {
  const env = { ...process.env, ...privateHelmEnv((name) => workspace.path(name)) };
  const { api } = connection;
  const kubectl = new Kubectl(connection.kubectlBinary, env, settings.kubeContext);
  const { binary, major, installed } = helmTool;
  const helm = new Helm(binary, major, env, settings.kubeContext, installed);
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
