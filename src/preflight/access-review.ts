import * as yaml from 'js-yaml';
import type { ReleaseStorage } from '../helm/release-store.js';

// What a deploy will ask of the API server, which of it a namespace's rules
// (a SelfSubjectRulesReview) already allow, and how what is denied is shown:
// a table and a Role that would grant it. Pure.

export interface AccessCheck {
  verb: string;
  /** API group: '' for the core group. */
  group: string;
  /** Plural resource, with a subresource after '/': `pods/log`. */
  resource: string;
  /** Empty for cluster-scoped resources. */
  namespace: string;
  /** Why the run needs it. */
  why: string;
  /** False: only diagnostics or an optional feature need it (a warning, not a failure). */
  required: boolean;
}

export interface DeployAccessPlan {
  namespace: string;
  /** The namespace is to be created by this run. */
  createsNamespace: boolean;
  /** The database Secret is written by this run. */
  writesSecret: boolean;
  storage: ReleaseStorage;
  /** The release's kinds as resources: `{group: 'apps', resource: 'statefulsets', namespaced: true}`. */
  releaseResources: { group: string; resource: string; namespaced: boolean }[];
  /** remediate: true deletes PVCs and pods. */
  remediate: boolean;
  /** The verify window asks Lily's API through the pod proxy (a POST: verb create). */
  verifiesLilyApi?: boolean;
}

/** What the verify window needs to ask Lily's API; without it, that part is skipped. */
export const LILY_API_ACCESS = { verb: 'create', group: '', resource: 'pods/proxy' } as const;

/** Why Lily's API cannot be verified with these credentials; undefined when it can. */
export function lilyApiDenial(denied: AccessCheck[], namespace: string): string | undefined {
  const { verb, resource } = LILY_API_ACCESS;
  if (!denied.some((d) => d.verb === verb && d.resource === resource)) return undefined;
  return (
    `these credentials may not ${verb} ${resource} in namespace ${namespace}, which asking Lily's API ` +
    "through the API server's pod proxy needs (JSON-RPC is a POST); the verify window checked the pods only. " +
    `Grant it with a Role rule {apiGroups: [""], resources: [${resource}], verbs: [${verb}]}`
  );
}

// helm creates, patches, watches while waiting, and deletes what a new chart version drops.
const HELM_VERBS = ['get', 'list', 'watch', 'create', 'patch', 'update', 'delete'];

export function deployAccessChecks(plan: DeployAccessPlan): AccessCheck[] {
  const ns = plan.namespace;
  const check = (
    verbs: string[],
    group: string,
    resource: string,
    why: string,
    required = true,
    namespace = ns,
  ): AccessCheck[] => verbs.map((verb) => ({ verb, group, resource, namespace, why, required }));
  const records: AccessCheck[] =
    plan.storage === 'helm'
      ? []
      : check(
          ['get', 'list', 'create', 'update', 'delete'],
          '',
          plan.storage,
          "helm's release records",
        );
  return dedupe([
    ...(plan.createsNamespace
      ? check(['create'], '', 'namespaces', 'create-namespace', true, '')
      : []),
    ...(plan.writesSecret
      ? check(['get', 'create', 'patch', 'delete'], '', 'secrets', 'the database Secret')
      : []),
    ...records,
    ...plan.releaseResources.flatMap((r) =>
      check(HELM_VERBS, r.group, r.resource, 'the release', true, r.namespaced ? ns : ''),
    ),
    ...check(['list'], '', 'pods', 'fail-fast and diagnostics', false),
    ...check(['list'], '', 'events', 'fail-fast and diagnostics', false),
    ...check(['get'], '', 'pods/log', 'the logs of a failed deploy', false),
    ...(plan.verifiesLilyApi
      ? check([LILY_API_ACCESS.verb], '', LILY_API_ACCESS.resource, "verify: Lily's API", false)
      : []),
    ...(plan.remediate
      ? [
          ...check(['delete'], '', 'persistentvolumeclaims', 'remediate', false),
          ...check(['delete'], '', 'pods', 'remediate', false),
        ]
      : []),
  ]);
}

/** One rule of a SelfSubjectRulesReview's status.resourceRules. */
export interface ResourceRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
}

/**
 * Does one of a namespace's rules allow the check, as RBAC matches them
 * (`*`, `*\/subresource`)? A rule limited to resourceNames allows no check
 * (ours name no object), and a cluster-scoped check is never decided here:
 * a namespace's rules mix its RoleBindings with the ClusterRoleBindings, and
 * only the latter reach cluster-scoped kinds. Not allowed here is not denied:
 * the rules may be incomplete (another authorizer), so that is asked again.
 */
export function allowedByRules(rules: ResourceRule[], check: AccessCheck): boolean {
  if (check.namespace === '') return false;
  const [, subresource] = check.resource.split('/');
  const has = (list: string[] | undefined, value: string) =>
    (list ?? []).some((item) => item === '*' || item === value);
  return rules.some(
    (rule) =>
      (rule.resourceNames ?? []).length === 0 &&
      has(rule.verbs, check.verb) &&
      has(rule.apiGroups, check.group) &&
      (has(rule.resources, check.resource) ||
        (subresource !== undefined && (rule.resources ?? []).includes(`*/${subresource}`))),
  );
}

/** One check per verb and resource: the first reason given wins. */
function dedupe(checks: AccessCheck[]): AccessCheck[] {
  const seen = new Map<string, AccessCheck>();
  for (const c of checks) {
    const key = `${c.verb} ${c.group}/${c.resource} ${c.namespace}`;
    const known = seen.get(key);
    if (!known) seen.set(key, c);
    else if (c.required && !known.required) seen.set(key, { ...known, required: true });
  }
  return [...seen.values()];
}

/** `kubectl auth can-i` style lines: a Markdown table of what is denied. */
export function deniedTable(denied: AccessCheck[]): string {
  const rows = groupByResource(denied).map(
    ({ group, resource, namespace, verbs, why }) =>
      `| ${group || 'core'} | ${resource} | ${namespace || '(cluster)'} | ${verbs.join(', ')} | ${why} |`,
  );
  return [
    '| API group | resource | namespace | verbs denied | needed for |',
    '|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

/** The denied access on one line: `get, list secrets; create, patch statefulsets.apps`. */
export function deniedLine(denied: AccessCheck[]): string {
  return groupByResource(denied)
    .map(
      ({ group, resource, verbs }) =>
        `${verbs.join(', ')} ${group ? `${resource}.${group}` : resource}`,
    )
    .join('; ');
}

/** A Role (and, for cluster-scoped resources, a ClusterRole) that grants what is denied. */
export function grantingRoles(denied: AccessCheck[], namespace: string): string {
  const rules = (scoped: boolean) =>
    groupByResource(denied.filter((d) => (d.namespace !== '') === scoped)).map((g) => ({
      apiGroups: [g.group],
      resources: [g.resource],
      verbs: g.verbs,
    }));
  const docs: object[] = [];
  const namespaced = rules(true);
  if (namespaced.length > 0)
    docs.push({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'lily-deploy', namespace },
      rules: namespaced,
    });
  const cluster = rules(false);
  if (cluster.length > 0)
    docs.push({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'lily-deploy' },
      rules: cluster,
    });
  return docs.map((d) => yaml.dump(d, { flowLevel: 3 })).join('---\n');
}

function groupByResource(checks: AccessCheck[]) {
  const groups = new Map<
    string,
    { group: string; resource: string; namespace: string; verbs: string[]; why: string }
  >();
  for (const c of checks) {
    const key = `${c.group}/${c.resource}/${c.namespace}`;
    const g = groups.get(key) ?? { ...c, verbs: [] };
    g.verbs.push(c.verb);
    groups.set(key, g);
  }
  return [...groups.values()];
}
