import { apiGroup, parseManifest } from '../kube/manifest.js';
import { isRecord } from '../yaml.js';
import { dropNulls, mergeShapes, omit, project } from './projection.js';

// The objects a plan compares: the rendered release (multi-document YAML) and
// the live objects (JSON from the API server), in one shape keyed by
// kind/namespace/name. Pure.

export interface PlanObject {
  /** `StatefulSet.apps/indexer/lily-daemon`: the kind qualified by its API group, so keys stay unique. */
  key: string;
  apiVersion: string;
  kind: string;
  /** Empty for a cluster-scoped object. */
  namespace: string;
  name: string;
  body: Record<string, unknown>;
}

/** Kinds that are cluster-scoped in Kubernetes itself; discovery can tell the rest. */
const CLUSTER_SCOPED_KINDS = new Set([
  'Namespace',
  'Node',
  'PersistentVolume',
  'StorageClass',
  'CSIDriver',
  'CSINode',
  'VolumeAttachment',
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
  'APIService',
  'PriorityClass',
  'RuntimeClass',
  'IngressClass',
  'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
]);

export function isClusterScopedKind(kind: string): boolean {
  return CLUSTER_SCOPED_KINDS.has(kind);
}

/** The identity of an object: group-qualified kind, namespace (empty when cluster-scoped), name. */
export function objectKey(
  apiVersion: string,
  kind: string,
  namespace: string,
  name: string,
): string {
  const group = apiGroup(apiVersion);
  return `${group ? `${kind}.${group}` : kind}/${namespace}/${name}`;
}

/** `StatefulSet/indexer/lily-daemon` (`ClusterRole/lily-reader` when cluster-scoped), for people. */
export function displayName(object: Pick<PlanObject, 'kind' | 'namespace' | 'name'>): string {
  return object.namespace
    ? `${object.kind}/${object.namespace}/${object.name}`
    : `${object.kind}/${object.name}`;
}

export interface RenderedOptions {
  /** The release namespace: where helm puts a namespaced object whose manifest names none. */
  namespace: string;
  /** Whether a kind is cluster-scoped; defaults to Kubernetes' own cluster-scoped kinds. */
  isClusterScoped?: (apiVersion: string, kind: string) => boolean;
}

/** The objects of a rendered manifest (`helm template`, `helm get manifest`). */
export function renderedObjects(manifest: string, options: RenderedOptions): PlanObject[] {
  const clusterScoped =
    options.isClusterScoped ?? ((_: string, kind: string) => isClusterScopedKind(kind));
  return parseManifest(manifest).map((o) => {
    const namespace = clusterScoped(o.apiVersion, o.kind) ? '' : o.namespace || options.namespace;
    return {
      key: objectKey(o.apiVersion, o.kind, namespace, o.name),
      apiVersion: o.apiVersion,
      kind: o.kind,
      namespace,
      name: o.name,
      body: o.body,
    };
  });
}

/** A live object as the API server returns it; undefined when it is not a Kubernetes object. */
export function liveObject(json: unknown): PlanObject | undefined {
  if (!isRecord(json) || typeof json.kind !== 'string' || typeof json.apiVersion !== 'string')
    return undefined;
  const metadata = isRecord(json.metadata) ? json.metadata : {};
  const name = typeof metadata.name === 'string' ? metadata.name : '';
  const namespace = typeof metadata.namespace === 'string' ? metadata.namespace : '';
  return {
    key: objectKey(json.apiVersion, json.kind, namespace, name),
    apiVersion: json.apiVersion,
    kind: json.kind,
    namespace,
    name,
    body: json,
  };
}

const SERVER_METADATA = [
  'managedFields',
  'resourceVersion',
  'uid',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'selfLink',
];

// Annotations no chart writes. kubectl's last-applied-configuration is a copy
// of the whole object as last applied (for a Secret: its data), so it must
// never reach a diff. Helm adds meta.helm.sh/release-name and -namespace to
// every object it manages when it applies them, never in the rendered manifest:
// kept, a first install (or an adopted object) would show them as a change the
// chart makes, and an upgrade never changes them. So they are dropped too.
const SERVER_ANNOTATIONS = [
  'kubectl.kubernetes.io/last-applied-configuration',
  'meta.helm.sh/release-name',
  'meta.helm.sh/release-namespace',
];

/** The live object without what the server and helm manage: status, bookkeeping metadata. */
export function normalizeLive(object: Record<string, unknown>): Record<string, unknown> {
  const rest = omit(object, ['status']);
  if (!isRecord(rest.metadata)) return rest;
  const metadata = omit(rest.metadata, SERVER_METADATA);
  if (isRecord(metadata.annotations)) {
    const annotations = omit(metadata.annotations, SERVER_ANNOTATIONS);
    if (Object.keys(annotations).length > 0) metadata.annotations = annotations;
    else delete metadata.annotations;
  }
  return { ...rest, metadata };
}

/** The desired object as compared: a null in a manifest means the field is not set. */
export function comparableDesired(desired: Record<string, unknown>): Record<string, unknown> {
  return dropNulls(desired) as Record<string, unknown>;
}

/**
 * The live object projected onto the fields the release manages, to compare
 * with `comparableDesired(desired)`. The API server fills in many fields a
 * chart does not set (dnsPolicy, terminationMessagePath, imagePullPolicy,
 * revisionHistoryLimit, a port's protocol: TCP, …); they are not changes. So
 * only these paths count: the fields the desired object sets, plus those the
 * previous release's manifest set and the new one does not (the chart removes
 * them, so the plan shows them going). A list the desired object sets is
 * compared whole (an element more or less, or a different order, shows), but
 * each live element is projected onto the matching desired element (matched
 * by name, mountPath, port, …, else by position), so defaulted fields inside
 * containers, ports and volumes do not count either. A live element that
 * matches none is kept whole. Resource quantities the server rewrote (2 →
 * "2", 1024Mi → 1Gi) compare by value.
 */
export function comparableLive(
  live: Record<string, unknown>,
  desired: Record<string, unknown>,
  previousDesired?: Record<string, unknown>,
): Record<string, unknown> {
  const shape = mergeShapes(dropNulls(desired), dropNulls(previousDesired));
  const projected = project(normalizeLive(live), shape);
  return isRecord(projected) ? projected : {};
}

/**
 * The body without the fields at `paths` (key by key): fields the API server's
 * schema does not declare, which it drops, so they are never live and are
 * no change a deploy makes.
 */
export function withoutFields(
  body: Record<string, unknown>,
  paths: (string | number)[][],
): Record<string, unknown> {
  return paths.reduce<Record<string, unknown>>(
    (value, keys) => withoutField(value, keys) as Record<string, unknown>,
    body,
  );
}

/** The value without the field at `keys`; the same value when there is none. */
function withoutField(value: unknown, keys: (string | number)[]): unknown {
  const [key, ...rest] = keys;
  if (key === undefined) return value;
  if (Array.isArray(value) && typeof key === 'number' && key < value.length)
    return value.map((item: unknown, i): unknown => (i === key ? withoutField(item, rest) : item));
  if (!isRecord(value) || typeof key !== 'string' || !(key in value)) return value;
  if (rest.length === 0) return omit(value, [key]);
  return { ...value, [key]: withoutField(value[key], rest) };
}
