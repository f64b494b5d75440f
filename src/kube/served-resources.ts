import type { KubeApi } from './api.js';
import { discoveryPath } from './manifest.js';

export interface ServedResource {
  kind: string;
  /** Plural name: statefulsets. */
  resource: string;
  namespaced: boolean;
}

/** apiVersion → the resources it serves; an apiVersion the cluster does not serve is absent. */
export type ServedResources = Map<string, ServedResource[]>;

/** What the cluster serves of the given apiVersions (discovery, one read per apiVersion and run). */
export async function readServedResources(
  api: KubeApi,
  apiVersions: string[],
): Promise<ServedResources> {
  const versions = [...new Set(apiVersions)];
  const lists = await Promise.all(
    versions.map((v) =>
      api.document<{ resources?: { kind: string; name: string; namespaced?: boolean }[] }>(
        discoveryPath(v),
      ),
    ),
  );
  const served: ServedResources = new Map();
  versions.forEach((version, i) => {
    const list = lists[i];
    if (!list) return;
    const resources = (list.resources ?? []).filter((r) => !r.name.includes('/'));
    served.set(
      version,
      resources.map((r) => ({ kind: r.kind, resource: r.name, namespaced: r.namespaced ?? true })),
    );
  });
  return served;
}

/** The served resource of a kind, when the cluster serves it. */
export function servedResource(
  served: ServedResources,
  apiVersion: string,
  kind: string,
): ServedResource | undefined {
  return served.get(apiVersion)?.find((r) => r.kind === kind);
}

/** The API path of one object of a served resource. */
export function objectPath(
  apiVersion: string,
  resource: ServedResource,
  namespace: string,
  name: string,
): string {
  const scope = resource.namespaced ? `/namespaces/${namespace}` : '';
  return `${discoveryPath(apiVersion)}${scope}/${resource.resource}/${name}`;
}
