import type { KubeApi } from './api.js';
import {
  eventLastSeen,
  type KubeEvent,
  type KubeList,
  type Pod,
  type StatefulSet,
} from './types.js';
import { selectorString, type Workload } from './release-workloads.js';

/** The uids of the pods in a namespace now. */
export async function podUids(api: KubeApi, namespace: string): Promise<Set<string>> {
  const pods = await api.items<Pod>(`/api/v1/namespaces/${namespace}/pods`);
  return new Set(pods.map((pod) => pod.metadata.uid ?? ''));
}

/** The pods of the release's workloads, each once. */
export async function listReleasePods(
  api: KubeApi,
  namespace: string,
  workloads: Workload[],
): Promise<Pod[]> {
  const lists = await Promise.all(
    workloads.map((w) =>
      api.json<KubeList<Pod>>(
        `/api/v1/namespaces/${w.namespace || namespace}/pods?labelSelector=${encodeURIComponent(selectorString(w.selector))}`,
      ),
    ),
  );
  const seen = new Set<string>();
  return lists
    .flatMap((list) => list.items)
    .filter((pod) => {
      const key = pod.metadata.uid ?? pod.metadata.name;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
}

/** Events about the release's workloads, their pods and their PVCs, oldest first. */
export async function listReleaseEvents(
  api: KubeApi,
  namespace: string,
  workloads: Workload[],
  pods: Pod[],
): Promise<KubeEvent[]> {
  const names = new Set([
    ...workloads.map((w) => w.name),
    ...pods.map((p) => p.metadata.name),
    ...pods.flatMap((p) =>
      (p.spec?.volumes ?? []).flatMap((v) => v.persistentVolumeClaim?.claimName ?? []),
    ),
  ]);
  const list = await api.json<KubeList<KubeEvent>>(`/api/v1/namespaces/${namespace}/events`);
  return list.items
    .filter((e) => names.has(e.involvedObject?.name ?? ''))
    .sort((a, b) => eventLastSeen(a) - eventLastSeen(b));
}

/** The release's StatefulSets as they are now (missing ones left out). */
export async function getStatefulSets(
  api: KubeApi,
  namespace: string,
  workloads: Workload[],
): Promise<StatefulSet[]> {
  const sets = await Promise.all(
    workloads
      .filter((w) => w.kind === 'StatefulSet')
      .map((w) =>
        api.find<StatefulSet>(
          `/apis/apps/v1/namespaces/${w.namespace || namespace}/statefulsets/${w.name}`,
        ),
      ),
  );
  return sets.filter((s): s is StatefulSet => s !== undefined);
}
