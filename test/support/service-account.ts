// Least-privilege credentials as production uses them: a ServiceAccount bound
// to the `admin` ClusterRole in one namespace only, reached with its token.
import * as yaml from 'js-yaml';
import type { E2E, Kube } from './e2e.js';

interface KubeconfigDoc {
  clusters: { name: string; cluster: Record<string, unknown> }[];
  contexts: { name: string; context: { cluster: string } }[];
  'current-context': string;
}

/**
 * Makes the namespace, a ServiceAccount in it with `admin` there (a
 * RoleBinding: no cluster-scoped reads such as nodes or StorageClasses), and
 * returns a kubeconfig that uses its token.
 */
export async function namespaceAdminKubeconfig(
  e2e: E2E,
  kube: Kube,
  namespace: string,
): Promise<{ kubeconfig: string; token: string }> {
  const sa = 'lily-deployer';
  await kube.run(['create', 'namespace', namespace]);
  await kube.run(['create', 'serviceaccount', sa, '-n', namespace]);
  await kube.run([
    'create',
    'rolebinding',
    `${sa}-admin`,
    '--clusterrole=admin',
    `--serviceaccount=${namespace}:${sa}`,
    '-n',
    namespace,
  ]);
  const token = (
    await kube.run(['create', 'token', sa, '-n', namespace, '--duration=2h'])
  ).stdout.trim();
  const admin = yaml.load(e2e.kubeconfig) as KubeconfigDoc;
  const context = admin.contexts.find((c) => c.name === admin['current-context']);
  const cluster = admin.clusters.find((c) => c.name === context?.context.cluster);
  if (!cluster) throw new Error('the e2e kubeconfig has no current cluster');
  const kubeconfig = yaml.dump({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'e2e', cluster: cluster.cluster }],
    contexts: [{ name: sa, context: { cluster: 'e2e', user: sa, namespace } }],
    'current-context': sa,
    users: [{ name: sa, user: { token } }],
  });
  return { kubeconfig, token };
}
