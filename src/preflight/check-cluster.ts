import * as core from '@actions/core';
import { startedEarly } from '../background.js';
import {
  type AccessCheck,
  allowedByRules,
  type DeployAccessPlan,
  deployAccessChecks,
  type ResourceRule,
} from './access-review.js';
import type { ClusterAccess } from '../cluster-access.js';
import { ApiError, type KubeApi } from '../kube/api.js';
import type { KubeList, KubeObject } from '../kube/types.js';
import {
  type ClusterFacts,
  type NodeFact,
  preflight,
  type PreflightReport,
  type StorageClassFact,
} from './preflight.js';
import { parseQuantity } from '../kube/quantity.js';
import { apiGroup, discoveryPath, type ManifestObject, parseManifest } from '../kube/manifest.js';
import {
  readServedResources,
  servedResource,
  type ServedResources,
} from '../kube/served-resources.js';
import { keepSchemas, readKeptSchemas, schemaCacheKey } from './schema-cache.js';
import {
  type OpenApiDocument,
  schemaDocumentsNeeded,
  schemasOfKinds,
  type UndeclaredField,
  undeclaredInObjects,
} from './schema-fields.js';

// Reads what the preflight needs from the cluster, through the API client, all
// at once. Cluster-scoped reads that the credentials lack are skipped with a
// notice: a namespaced ServiceAccount may deploy without seeing nodes.

// The OpenAPI v3 index: each group-version's document's URL, with its hash.
const OPENAPI_INDEX = '/openapi/v3';

export interface PreflightResult extends PreflightReport {
  /** The release as the preflight read it: a plan's server-side dry run (its hooks too), else `helm template`. */
  manifest: string;
  /** What the cluster serves of the release's apiVersions. */
  served: ServedResources;
  /** How many objects the release renders. */
  objectCount: number;
  /** Objects server-side apply would refuse, with the fields why. */
  undeclared: { object: ManifestObject; fields: UndeclaredField[] }[];
  /** Checks skipped, and why. */
  skipped: string[];
  /** What these credentials may not do that the run needs (required) or would use (not required). */
  denied: AccessCheck[];
  accessReviews: AccessReviewCount;
}

export interface PreflightRequest {
  manifest: string;
  /** The reads that need no render, started before it (startClusterReads). */
  reads: ClusterReads;
  /** What the deploy does besides applying the release (namespace, Secret, records). */
  access: Omit<DeployAccessPlan, 'releaseResources'>;
  /** Compare objects with the API server's schema (for Helm 4's server-side apply). */
  checkSchemas: boolean;
  /** Where the schemas read are kept for the next run (schemaCacheDir); none without a tool cache. */
  keptSchemas?: string;
}

/**
 * What the preflight reads whatever the release renders: StorageClasses,
 * nodes, the credentials' rules in the release's namespace and the OpenAPI
 * index. Started as soon as the cluster answers, they are read while the
 * chart renders; each read's failure is the check's to report.
 */
export interface ClusterReads {
  storageClasses: Promise<StorageClassFact[]>;
  nodes: Promise<NodeFact[]>;
  rules: Map<string, Promise<ResourceRule[]>>;
}

/** Starts the ClusterReads; the API client keeps the OpenAPI index it reads for the schema check. */
export function startClusterReads(
  api: KubeApi,
  namespace: string,
  checkSchemas: boolean,
): ClusterReads {
  if (checkSchemas) void startedEarly(api.document(OPENAPI_INDEX));
  return {
    storageClasses: startedEarly(readStorageClasses(api)),
    nodes: startedEarly(readNodes(api)),
    rules: new Map([[namespace, startedEarly(namespaceRules(api, namespace))]]),
  };
}

export async function checkAgainstCluster(
  cluster: ClusterAccess,
  request: PreflightRequest,
): Promise<PreflightResult> {
  const api = await cluster.api();
  const { reads } = request;
  const objects = parseManifest(request.manifest);
  const skipped: string[] = [];
  const optional = <T>(what: string, read: Promise<T>): Promise<T | undefined> =>
    read.catch((err: unknown) => {
      if (!(err instanceof ApiError) || (err.status !== 403 && err.status !== 401)) throw err;
      skipped.push(`${what}: these credentials may not (${err.message})`);
      return undefined;
    });
  const served = await readServedResources(
    api,
    objects.map((o) => o.apiVersion),
  );
  const checks = deployAccessChecks({
    ...request.access,
    releaseResources: releaseResources(objects, served),
  });
  const [storageClasses, nodes, undeclared, access] = await Promise.all([
    optional('StorageClass check skipped', reads.storageClasses),
    optional('node size check skipped', reads.nodes),
    request.checkSchemas ? findUndeclaredFields(api, objects, served, request.keptSchemas) : [],
    deniedChecks(api, checks, reads.rules),
  ]);
  const servedKinds = new Map(
    [...served].map(([version, resources]) => [version, new Set(resources.map((r) => r.kind))]),
  );
  const facts: ClusterFacts = { servedKinds, storageClasses, nodes };
  return {
    ...preflight(objects, facts),
    manifest: request.manifest,
    served,
    objectCount: objects.length,
    undeclared,
    skipped,
    denied: access.denied,
    accessReviews: access.reviews,
  };
}

/** The release's kinds as resources to review access to (kinds the cluster lacks are left out). */
function releaseResources(
  objects: ManifestObject[],
  served: ServedResources,
): DeployAccessPlan['releaseResources'] {
  return objects.flatMap((o) => {
    const found = servedResource(served, o.apiVersion, o.kind);
    return found
      ? [{ group: apiGroup(o.apiVersion), resource: found.resource, namespaced: found.namespaced }]
      : [];
  });
}

/** How the access was reviewed: rules reviews (one per namespace) and access reviews asked. */
export interface AccessReviewCount {
  rules: number;
  access: number;
}

/**
 * What these credentials may not do: one SelfSubjectRulesReview per
 * namespace answers most checks at once; a SelfSubjectAccessReview asks each
 * check the rules did not allow (cluster-scoped kinds, rules the API server
 * could not list whole, and every denial, which fails the run and so is
 * asked the way the table says).
 */
async function deniedChecks(
  api: KubeApi,
  checks: AccessCheck[],
  rulesRead: Map<string, Promise<ResourceRule[]>>,
): Promise<{ denied: AccessCheck[]; reviews: AccessReviewCount }> {
  const namespaces = [...new Set(checks.map((c) => c.namespace).filter(Boolean))];
  const rules = new Map(
    await Promise.all(
      namespaces.map(
        async (ns) => [ns, await (rulesRead.get(ns) ?? namespaceRules(api, ns))] as const,
      ),
    ),
  );
  const undecided = checks.filter((c) => !allowedByRules(rules.get(c.namespace) ?? [], c));
  const allowed = await Promise.all(undecided.map((c) => accessAllowed(api, c)));
  return {
    denied: undecided.filter((_, i) => !allowed[i]),
    reviews: { rules: namespaces.length, access: undecided.length },
  };
}

/** The rules these credentials have in a namespace; none when the API server does not answer. */
async function namespaceRules(api: KubeApi, namespace: string): Promise<ResourceRule[]> {
  const review = {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SelfSubjectRulesReview',
    spec: { namespace },
  };
  try {
    const answer = await api.review<{ status?: { resourceRules?: ResourceRule[] } }>(
      '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews',
      review,
    );
    return answer.status?.resourceRules ?? [];
  } catch (err) {
    if (err instanceof ApiError) return [];
    throw err;
  }
}

/** One SelfSubjectAccessReview. */
async function accessAllowed(api: KubeApi, c: AccessCheck): Promise<boolean> {
  const [resource, subresource] = c.resource.split('/');
  const review = {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SelfSubjectAccessReview',
    spec: {
      resourceAttributes: {
        verb: c.verb,
        group: c.group,
        resource,
        ...(subresource ? { subresource } : {}),
        ...(c.namespace ? { namespace: c.namespace } : {}),
      },
    },
  };
  const answer = await api.review<{ status?: { allowed?: boolean } }>(
    '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
    review,
  );
  return answer.status?.allowed === true;
}

interface StorageClass extends KubeObject {
  metadata: KubeObject['metadata'] & { annotations?: Record<string, string> };
}

async function readStorageClasses(api: KubeApi): Promise<StorageClassFact[]> {
  const list = await api.json<KubeList<StorageClass>>('/apis/storage.k8s.io/v1/storageclasses');
  return list.items.map((c) => ({
    name: c.metadata.name,
    isDefault: c.metadata.annotations?.['storageclass.kubernetes.io/is-default-class'] === 'true',
  }));
}

interface Node extends KubeObject {
  spec?: { unschedulable?: boolean };
  status?: { allocatable?: Record<string, string> };
}

async function readNodes(api: KubeApi): Promise<NodeFact[]> {
  const list = await api.json<KubeList<Node>>('/api/v1/nodes');
  return list.items
    .filter((n) => !n.spec?.unschedulable)
    .map((n) => ({
      name: n.metadata.name,
      cpu: parseQuantity(n.status?.allocatable?.cpu) ?? 0,
      memory: parseQuantity(n.status?.allocatable?.memory) ?? 0,
    }));
}

/**
 * Objects with fields their kind's schema does not declare. Reads only the
 * OpenAPI documents the check needs (see schemaDocumentsNeeded), once per
 * run; a kind the cluster does not serve fails the run as missing-crd instead.
 */
async function findUndeclaredFields(
  api: KubeApi,
  objects: ManifestObject[],
  served: ServedResources,
  keptSchemas: string | undefined,
): Promise<PreflightResult['undeclared']> {
  const checked = objects.filter((o) => servedResource(served, o.apiVersion, o.kind));
  const docs = await schemaDocuments(api, checked, keptSchemas);
  return docs ? undeclaredInObjects(checked, docs) : [];
}

/**
 * apiVersion → its OpenAPI document reduced to the kinds of `objects` in it,
 * for the versions their check needs; undefined for none.
 */
async function schemaDocuments(
  api: KubeApi,
  objects: ManifestObject[],
  keptSchemas: string | undefined,
): Promise<Map<string, OpenApiDocument> | undefined> {
  const needed = schemaDocumentsNeeded(objects);
  if (needed.length === 0) return undefined;
  const index = await api.document<{ paths?: Record<string, { serverRelativeURL?: string }> }>(
    OPENAPI_INDEX,
  );
  const docs = new Map<string, OpenApiDocument>();
  await Promise.all(
    needed.map(async (apiVersion) => {
      const url = index?.paths?.[discoveryPath(apiVersion).slice(1)]?.serverRelativeURL;
      if (!url) return;
      const [group, version] = [apiGroup(apiVersion), apiVersion.split('/').at(-1) as string];
      const kinds = objects
        .filter((o) => o.apiVersion === apiVersion)
        .map((o) => ({ group, version, kind: o.kind }));
      const doc = await schemasOfDocument(api, url, kinds, keptSchemas);
      if (doc) docs.set(apiVersion, doc);
    }),
  );
  return docs;
}

/** The document at `url` reduced to `kinds`: as the tool cache keeps it, else read (and kept). */
async function schemasOfDocument(
  api: KubeApi,
  url: string,
  kinds: { group: string; version: string; kind: string }[],
  keptSchemas: string | undefined,
): Promise<OpenApiDocument | undefined> {
  const key = schemaCacheKey(
    url,
    kinds.map((k) => `${k.group}/${k.version}/${k.kind}`),
  );
  const kept = keptSchemas === undefined ? undefined : await readKeptSchemas(keptSchemas, key);
  if (kept) return kept;
  const doc = await api.document<OpenApiDocument>(url);
  if (!doc) return undefined;
  const reduced = schemasOfKinds(doc, kinds);
  if (keptSchemas !== undefined)
    void keepSchemas(keptSchemas, key, reduced).catch((err: unknown) => {
      core.debug(`The OpenAPI schemas were not kept in the tool cache: ${(err as Error).message}`);
    });
  return reduced;
}

/**
 * Reads ahead what the preflight of a release like `manifest` will read (the
 * live revision's, while a plan's dry run renders the new one): discovery
 * and, for the schema check, the OpenAPI documents (the API client keeps
 * them for the run, the tool cache their schemas for the next). What fails
 * is left to the check itself to report.
 */
export async function readAheadForPreflight(
  api: KubeApi,
  manifest: string,
  keptSchemas: string | undefined,
): Promise<void> {
  const objects = parseManifest(manifest);
  const served = await readServedResources(
    api,
    objects.map((o) => o.apiVersion),
  );
  await schemaDocuments(
    api,
    objects.filter((o) => servedResource(served, o.apiVersion, o.kind)),
    keptSchemas,
  );
}

/** Logs what the preflight found and skipped. */
export function logPreflight(result: PreflightResult): void {
  for (const line of result.skipped) core.notice(line, { title: 'lily-deploy: preflight' });
  core.info(
    `Preflight: ${result.objectCount} object(s) rendered; ${result.problems.length} problem(s), ` +
      `${result.denied.length} permission(s) missing, ` +
      `${result.warnings.length + result.undeclared.length} warning(s); access asked with ` +
      `${result.accessReviews.rules} SelfSubjectRulesReview(s) and ${result.accessReviews.access} SelfSubjectAccessReview(s)`,
  );
}
