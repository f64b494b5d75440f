import { ApiError, type KubeApi } from './api.js';
import { objectPath, servedResource, type ServedResources } from './served-resources.js';

/** Which object: its apiVersion, kind, namespace (empty when cluster-scoped) and name. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
}

export interface LiveObjects {
  /** The objects that exist, as the API server returns them. */
  found: unknown[];
  /** Objects these credentials may not read: whether they exist is unknown. */
  unreadable: { ref: ObjectRef; reason: string }[];
}

/**
 * The objects as they are now, read in parallel. One the cluster does not
 * have (404, or a kind it does not serve) is simply not found; a 401/403 is
 * reported as unreadable; any other failure throws.
 */
export async function readLiveObjects(
  api: KubeApi,
  served: ServedResources,
  refs: ObjectRef[],
): Promise<LiveObjects> {
  const live: LiveObjects = { found: [], unreadable: [] };
  await Promise.all(
    refs.map(async (ref) => {
      const resource = servedResource(served, ref.apiVersion, ref.kind);
      if (!resource) return;
      try {
        const object = await api.find(
          objectPath(ref.apiVersion, resource, ref.namespace, ref.name),
        );
        if (object !== undefined) live.found.push(object);
      } catch (err) {
        if (!(err instanceof ApiError) || (err.status !== 403 && err.status !== 401)) throw err;
        live.unreadable.push({ ref, reason: err.message });
      }
    }),
  );
  return live;
}
