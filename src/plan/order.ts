// The order a plan lists objects in: helm's install order of kinds (what is
// created first comes first), other kinds after them by name, then namespace
// and name. Names compare by code units, as helm sorts kinds it does not
// know (and without the ICU collator a locale's comparison costs to start). Pure.

const KIND_ORDER = [
  'PriorityClass',
  'Namespace',
  'NetworkPolicy',
  'ResourceQuota',
  'LimitRange',
  'PodSecurityPolicy',
  'PodDisruptionBudget',
  'ServiceAccount',
  'Secret',
  'SecretList',
  'ConfigMap',
  'StorageClass',
  'PersistentVolume',
  'PersistentVolumeClaim',
  'CustomResourceDefinition',
  'ClusterRole',
  'ClusterRoleList',
  'ClusterRoleBinding',
  'ClusterRoleBindingList',
  'Role',
  'RoleList',
  'RoleBinding',
  'RoleBindingList',
  'Service',
  'DaemonSet',
  'Pod',
  'ReplicationController',
  'ReplicaSet',
  'Deployment',
  'HorizontalPodAutoscaler',
  'StatefulSet',
  'Job',
  'CronJob',
  'IngressClass',
  'Ingress',
  'APIService',
  'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration',
];

export interface Ordered {
  key: string;
  kind: string;
  namespace: string;
  name: string;
}

function kindRank(kind: string): number {
  const rank = KIND_ORDER.indexOf(kind);
  return rank === -1 ? KIND_ORDER.length : rank;
}

/** Compares two objects for the plan's order; the key breaks every tie, so the order is total. */
export function compareObjects(a: Ordered, b: Ordered): number {
  return (
    kindRank(a.kind) - kindRank(b.kind) ||
    byCodeUnits(a.kind, b.kind) ||
    byCodeUnits(a.namespace, b.namespace) ||
    byCodeUnits(a.name, b.name) ||
    byCodeUnits(a.key, b.key)
  );
}

function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
