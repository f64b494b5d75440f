// Least-privilege credentials as production uses them: a ServiceAccount bound
// in one namespace only (to `admin`, or to a Role of just what the fixture
// chart needs), reached with its token, directly or through an exec plugin.
import * as yaml from 'js-yaml';
import type { E2E, Kube } from './e2e.js';

/** The e2e cluster's entry (server and CA) in a kubeconfig whose user is `user`. */
export function kubeconfigFor(e2e: E2E, namespace: string, user: object): string {
  const admin = yaml.load(e2e.kubeconfig) as { clusters: { cluster: object }[] };
  return yaml.dump({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'e2e', cluster: admin.clusters[0]?.cluster }],
    contexts: [{ name: 'deployer', context: { cluster: 'e2e', user: 'deployer', namespace } }],
    'current-context': 'deployer',
    users: [{ name: 'deployer', user }],
  });
}

/**
 * A Role with what a deploy and an uninstall of the fixture chart need in the
 * namespace, and no more: unlike `admin`, it does not let its holder read the
 * namespace object itself.
 */
export const FIXTURE_ROLE_RULES: { apiGroup: string; resources: string }[] = [
  {
    apiGroup: '',
    resources:
      'secrets,configmaps,services,pods,pods/log,events,persistentvolumeclaims,serviceaccounts',
  },
  { apiGroup: 'apps', resources: 'statefulsets,controllerrevisions' },
  { apiGroup: 'policy', resources: 'poddisruptionbudgets' },
  // The release's lock.
  { apiGroup: 'coordination.k8s.io', resources: 'leases' },
];

/** A namespace with a ServiceAccount bound there alone (to `admin` or `view`, or to `rules`); its token. */
export async function namespacedServiceAccount(
  kube: Kube,
  namespace: string,
  role: 'admin' | 'view' | 'fixture-role',
  rules = FIXTURE_ROLE_RULES,
): Promise<string> {
  await kube.run(['create', 'namespace', namespace]);
  await kube.run(['create', 'serviceaccount', 'deployer', '-n', namespace]);
  if (role === 'fixture-role') {
    await kube.run(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: 'deployer', namespace },
        rules: rules.map((r) => ({
          apiGroups: [r.apiGroup],
          resources: r.resources.split(','),
          verbs: ['*'],
        })),
      }),
    );
  }
  await kube.run([
    'create',
    'rolebinding',
    'deployer',
    role === 'fixture-role' ? '--role=deployer' : `--clusterrole=${role}`,
    `--serviceaccount=${namespace}:deployer`,
    '-n',
    namespace,
  ]);
  return (
    await kube.run(['create', 'token', 'deployer', '-n', namespace, '--duration=1h'])
  ).stdout.trim();
}

/** A ServiceAccount with `admin` in the namespace (no cluster-scoped reads): its token kubeconfig. */
export async function namespaceAdminKubeconfig(
  e2e: E2E,
  kube: Kube,
  namespace: string,
): Promise<{ kubeconfig: string; token: string }> {
  const token = await namespacedServiceAccount(kube, namespace, 'admin');
  return { kubeconfig: kubeconfigFor(e2e, namespace, { token }), token };
}
