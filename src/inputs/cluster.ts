import { chooseContext, decodeKubeconfig, KUBECONFIG_INPUT } from '../kube/kubeconfig.js';
import type { Settings } from '../settings.js';
import type { InputReader } from './reader.js';

export type ClusterSettings = Pick<Settings, 'kubeconfig' | 'kubeContext'>;

/**
 * The cluster to talk to: the kubeconfig input (YAML or base64 of it) and
 * kube-context. Without a kubeconfig, the runner's ambient one is used, and
 * its contexts are only known later.
 */
export function parseCluster(reader: InputReader): ClusterSettings {
  const kubeconfigInput = reader.text('kubeconfig');
  const kubeContext = reader.text('kube-context') || undefined;
  if (kubeconfigInput === '') return { kubeconfig: undefined, kubeContext };
  reader.secret(kubeconfigInput);
  const decoded = decodeKubeconfig(kubeconfigInput);
  if (!decoded) {
    reader.fail('kubeconfig', 'is neither kubeconfig YAML nor base64 of kubeconfig YAML');
    return { kubeconfig: undefined, kubeContext };
  }
  // The decoded text and each credential in it, since either can be printed alone.
  reader.secret(decoded.text, ...decoded.secrets);
  const choice = chooseContext(decoded, kubeContext, KUBECONFIG_INPUT);
  if ('problem' in choice) reader.problem(choice.problem);
  return { kubeconfig: decoded.text, kubeContext };
}
