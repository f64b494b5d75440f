import * as core from '@actions/core';
import * as io from '@actions/io';
import { Helm } from './helm.js';
import type { HelmMajor } from './helm-flags.js';
import { explainClusterError } from './kube-objects.js';
import { KubeApi } from './kube-api.js';
import { Kubectl } from './kubectl.js';
import { CommandError } from './process.js';
import type { Settings } from './settings.js';
import type { Workspace } from './workspace.js';

export interface ClusterAccess {
  helm: Helm;
  kubectl: Kubectl;
  kubernetesVersion: string;
  /** Read access through kubectl proxy, started on first use. */
  api(): Promise<KubeApi>;
  /** Stops what api() started. */
  close(): void;
}

/**
 * Points helm and kubectl at the cluster: the kubeconfig input goes to a 0600
 * file exported as KUBECONFIG (later steps can use it; the post step deletes
 * it), helm gets a private repository config, and one call to the API server
 * proves the cluster answers before anything is changed.
 */
export async function connectToCluster(
  settings: Settings,
  workspace: Workspace,
  helmBinary: string,
  helmMajor: HelmMajor,
): Promise<ClusterAccess> {
  if (settings.kubeconfig !== undefined) {
    const path = await workspace.write('kubeconfig', settings.kubeconfig);
    core.exportVariable('KUBECONFIG', path);
    core.info(
      `Kubeconfig from the input written to ${path} (mode 0600) and exported as KUBECONFIG`,
    );
  } else {
    core.info(`Using the runner's kubeconfig (${process.env.KUBECONFIG || '~/.kube/config'})`);
  }
  // A private repository file: the action's `helm repo add` neither reads nor
  // changes the runner's own helm setup, and it goes away with the workspace.
  const env = { ...process.env, HELM_REPOSITORY_CONFIG: workspace.path('repositories.yaml') };

  const kubectlBinary = await io.which('kubectl', false);
  if (!kubectlBinary) {
    throw new Error(
      'kubectl was not found on PATH. GitHub-hosted runners have it; on a self-hosted runner install it first (for example with azure/setup-kubectl).',
    );
  }
  const kubectl = new Kubectl(kubectlBinary, env, settings.kubeContext);
  const kubernetesVersion = await describeClusterErrors(() => kubectl.serverVersion());
  core.info(
    `Kubernetes API server ${kubernetesVersion} answers${settings.kubeContext ? ` (context ${settings.kubeContext})` : ''}`,
  );
  let api: Promise<KubeApi> | undefined;
  return {
    helm: new Helm(helmBinary, helmMajor, env, settings.kubeContext),
    kubectl,
    kubernetesVersion,
    api: () =>
      (api ??= KubeApi.start(
        kubectlBinary,
        env,
        workspace.path('kube-api.sock'),
        settings.kubeContext,
      )),
    close: () => {
      void api?.then(
        (started) => {
          started.stop();
        },
        () => undefined,
      );
    },
  };
}

/** Runs `call`; a failure to reach the cluster is rethrown with a plain-words reason first. */
export async function describeClusterErrors<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof CommandError) {
      const reason = explainClusterError(err.result.stderr);
      if (reason)
        throw new Error(`Cannot use the Kubernetes cluster: ${reason}.\n${err.message}`, {
          cause: err,
        });
    }
    throw err;
  }
}
