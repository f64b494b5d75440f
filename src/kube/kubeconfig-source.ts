import * as core from '@actions/core';
import * as io from '@actions/io';
import { access, constants, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import {
  type ApiRoute,
  apiRoute,
  chooseContext,
  KUBECONFIG_INPUT,
  type KubeconfigContents,
  kubeconfigContents,
  type KubeconfigName,
  parseKubeconfig,
} from './kubeconfig.js';
import type { Settings } from '../settings.js';

// Where kubectl and helm will find their kubeconfig, checked before anything
// is downloaded or the cluster is called: without one they would try
// localhost:8080 and fail with a connection error that says nothing of why.

/** The kubeconfig files kubectl reads: KUBECONFIG's list when it is set, else ~/.kube/config. */
export function runnerKubeconfigFiles(kubeconfigEnv: string | undefined, home: string): string[] {
  return kubeconfigEnv
    ? kubeconfigEnv.split(delimiter).filter((path) => path !== '')
    : [join(home, '.kube', 'config')];
}

/** The error when none of the places holds a kubeconfig. */
export function noKubeconfigMessage(kubeconfigEnv: string | undefined, home: string): string {
  const files = runnerKubeconfigFiles(kubeconfigEnv, home);
  const runnerPlaces = kubeconfigEnv
    ? `KUBECONFIG is set to ${files.join(delimiter)}, ${files.length > 1 ? 'none of which exists' : 'which does not exist'} (${join(home, '.kube', 'config')} is not read while KUBECONFIG is set)`
    : `KUBECONFIG is not set, and ${files.join('')} does not exist`;
  return (
    `No kubeconfig: the kubeconfig input is empty, ${runnerPlaces}. ` +
    'Pass the cluster’s kubeconfig in the kubeconfig input (from a secret), or write one in an earlier step ' +
    '(for example aws eks update-kubeconfig, google-github-actions/get-gke-credentials or azure/aks-set-context).'
  );
}

/** The error when the context's exec credential plugin cannot be run. */
export function missingExecPluginMessage(
  name: KubeconfigName,
  contents: KubeconfigContents,
  context: string,
  command: string,
): string {
  return (
    `${name.subject}: context '${context}' gets its credentials from the exec plugin '${command}', which is not on PATH. ` +
    'Install it in an earlier step (EKS: the AWS CLI; GKE: gke-gcloud-auth-plugin; AKS: kubelogin), ' +
    `or choose another context with kube-context (the kubeconfig has: ${contents.contexts.join(', ')})`
  );
}

/** The kubeconfig a run uses, in words, and how its API client reaches the API server. */
export interface KubeconfigInUse {
  description: string;
  route: ApiRoute;
}

/**
 * Finds the kubeconfig the run will use and checks that its context exists
 * and its exec plugin (if any) can be run; throws naming what is missing.
 * Credentials in the runner's kubeconfig are masked.
 */
export async function checkKubeconfig(
  settings: Settings,
  env: NodeJS.ProcessEnv = process.env,
  home: string = homedir(),
): Promise<KubeconfigInUse> {
  if (settings.kubeconfig !== undefined) {
    // Its contexts were checked with the other inputs; its file is written later.
    const doc = parseKubeconfig(settings.kubeconfig);
    const contents = kubeconfigContents(doc ? [doc] : []);
    const context = await checkContext(contents, settings.kubeContext, KUBECONFIG_INPUT);
    return {
      description: `the kubeconfig input, context ${context}`,
      route: apiRoute(doc ? [{ doc }] : [], context, env),
    };
  }
  const files = runnerKubeconfigFiles(env.KUBECONFIG, home);
  const found = (
    await Promise.all(
      files.map(async (path) => ({ path, text: await readFile(path, 'utf8').catch(() => '') })),
    )
  ).filter((file) => file.text !== '');
  if (found.length === 0) {
    if (inCluster(env)) {
      return {
        description: 'the in-cluster ServiceAccount (no kubeconfig file)',
        route: { viaKubectl: 'kubectl finds the in-cluster ServiceAccount' },
      };
    }
    throw new Error(noKubeconfigMessage(env.KUBECONFIG, home));
  }
  const where = found.map((file) => file.path).join(delimiter);
  const name = {
    subject: `The runner's kubeconfig (${where})`,
    object: `the runner's kubeconfig (${where})`,
  };
  const parsed = found.map((file) => {
    const doc = parseKubeconfig(file.text);
    if (!doc) throw new Error(`${file.path} (the runner's kubeconfig) is not kubeconfig YAML`);
    return { doc, dir: dirname(resolve(file.path)) };
  });
  const contents = kubeconfigContents(parsed.map((file) => file.doc));
  for (const secret of contents.secrets) core.setSecret(secret);
  // kubectl resolves a relative plugin path against the file naming it: checked for one file.
  const baseDir = found.length === 1 ? dirname(where) : undefined;
  const context = await checkContext(contents, settings.kubeContext, name, baseDir);
  return {
    description: `the runner's kubeconfig (${where}), context ${context}`,
    route: apiRoute(parsed, context, env),
  };
}

async function checkContext(
  contents: KubeconfigContents,
  kubeContext: string | undefined,
  name: KubeconfigName,
  baseDir?: string,
): Promise<string> {
  const choice = chooseContext(contents, kubeContext, name);
  if ('problem' in choice) throw new Error(choice.problem);
  if (choice.execCommand && !(await canRun(choice.execCommand, baseDir))) {
    throw new Error(missingExecPluginMessage(name, contents, choice.context, choice.execCommand));
  }
  return choice.context;
}

/** Whether the plugin command is found as kubectl will look for it. */
async function canRun(command: string, baseDir: string | undefined): Promise<boolean> {
  if (!command.includes('/')) return (await io.which(command, false)) !== '';
  // Relative to a file not written yet (the input) or not known: left to kubectl.
  if (!isAbsolute(command) && baseDir === undefined) return true;
  return access(resolve(baseDir ?? '/', command), constants.X_OK).then(
    () => true,
    () => false,
  );
}

/** kubectl's fallback without a kubeconfig: the pod's own ServiceAccount (a runner in Kubernetes). */
function inCluster(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env.KUBERNETES_SERVICE_HOST && env.KUBERNETES_SERVICE_PORT);
}
