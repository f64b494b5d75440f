import { formatCpu, formatMemory, parseQuantity } from '../kube/quantity.js';
import { apiGroup, type ManifestObject, objectName } from '../kube/manifest.js';
import type { UndeclaredField } from './schema-fields.js';
import { isRecord } from '../yaml.js';
import type { PreflightReason } from '../failure-reason.js';
import { missingKindRemedy } from '../failure/remedies.js';
import { lilyValuesSection } from '../lily/values-sections.js';

// What helm would fail on, or wait on in vain, found in the rendered release
// and what the cluster offers, before anything changes. Pure: the caller
// renders and reads, this decides and words it.

export interface PreflightProblem {
  reason: PreflightReason;
  summary: string;
  remedy: string;
}

export interface StorageClassFact {
  name: string;
  isDefault: boolean;
}

export interface NodeFact {
  name: string;
  /** Allocatable CPU cores. */
  cpu: number;
  /** Allocatable memory, bytes. */
  memory: number;
}

export interface ClusterFacts {
  /** apiVersion → the kinds it serves; an apiVersion the cluster does not serve is absent. */
  servedKinds: Map<string, Set<string>>;
  /** Undefined when these credentials may not list them. */
  storageClasses?: StorageClassFact[];
  /** Schedulable nodes; undefined when these credentials may not list them. */
  nodes?: NodeFact[];
}

export interface PreflightReport {
  problems: PreflightProblem[];
  /** Found, but waiting may still help (a cluster autoscaler may add a node). */
  warnings: string[];
}

export function preflight(objects: ManifestObject[], facts: ClusterFacts): PreflightReport {
  return {
    problems: [
      ...missingKinds(objects, facts.servedKinds),
      ...(facts.storageClasses ? missingStorageClasses(objects, facts.storageClasses) : []),
    ],
    warnings: facts.nodes ? oversizedPods(objects, facts.nodes) : [],
  };
}

/** Kinds the cluster does not serve: helm fails on them before it creates the release. */
function missingKinds(
  objects: ManifestObject[],
  served: Map<string, Set<string>>,
): PreflightProblem[] {
  const missing = new Map<string, ManifestObject[]>();
  for (const object of objects) {
    if (served.get(object.apiVersion)?.has(object.kind)) continue;
    const key = `${object.kind} (${object.apiVersion})`;
    missing.set(key, [...(missing.get(key) ?? []), object]);
  }
  return [...missing].map(([kindAndVersion, objs]) => {
    const group = apiGroup((objs[0] as ManifestObject).apiVersion);
    return {
      reason: 'missing-crd',
      summary: `the chart renders ${kindAndVersion}, which this cluster does not serve (its CRD is not installed): ${objs.map((o) => o.name).join(', ')}`,
      remedy: missingKindRemedy(kindAndVersion, group),
    };
  });
}

interface ClaimUse {
  object: ManifestObject;
  /** The claim, or the claim template's name. */
  claim: string;
  storageClass: string;
}

function claimUses(object: ManifestObject): ClaimUse[] {
  const spec = isRecord(object.body.spec) ? object.body.spec : {};
  const className = (s: unknown) =>
    isRecord(s) && typeof s.storageClassName === 'string' ? s.storageClassName : '';
  if (object.kind === 'PersistentVolumeClaim') {
    return [{ object, claim: object.name, storageClass: className(spec) }];
  }
  const templates = Array.isArray(spec.volumeClaimTemplates) ? spec.volumeClaimTemplates : [];
  return templates.filter(isRecord).map((t) => ({
    object,
    claim: isRecord(t.metadata) ? String(t.metadata.name) : '',
    storageClass: className(t.spec),
  }));
}

/** Claims naming a StorageClass that does not exist: they never bind. */
function missingStorageClasses(
  objects: ManifestObject[],
  classes: StorageClassFact[],
): PreflightProblem[] {
  const names = new Set(classes.map((c) => c.name));
  const offered =
    classes.map((c) => `${c.name}${c.isDefault ? ' (default)' : ''}`).join(', ') || 'none';
  const suggestion = (classes.find((c) => c.isDefault) ?? classes[0])?.name;
  // An empty name is "no class" (pre-provisioned volumes only): nothing to check.
  return objects
    .flatMap(claimUses)
    .filter((use) => use.storageClass !== '' && !names.has(use.storageClass))
    .map(({ object, claim, storageClass }) => {
      const value = lilyValuesSection(object.name);
      const setting = value
        ? `${value}.volumes.datastore.storageClassName`
        : 'the storageClassName of that volume';
      return {
        reason: 'missing-storage-class',
        summary: `${objectName(object)} claims volume ${claim} from StorageClass "${storageClass}", which does not exist in this cluster (it has: ${offered})`,
        remedy:
          `Set ${setting} in your values to one of the cluster's StorageClasses` +
          (suggestion ? ` (e.g. ${suggestion}; empty = the default class)` : '') +
          `. The Lily chart's default, gp2, exists on AWS only.`,
      };
    });
}

interface PodSize {
  cpu: number;
  memory: number;
}

/** Pods that no node can hold: a warning, since an autoscaler may add a bigger node. */
function oversizedPods(objects: ManifestObject[], nodes: NodeFact[]): string[] {
  if (nodes.length === 0) return [];
  return objects.flatMap((object) => {
    const size = podTemplateRequests(object);
    if (!size || nodes.some((n) => n.cpu >= size.cpu && n.memory >= size.memory)) return [];
    const largest = [...nodes].sort((a, b) => b.memory - a.memory || b.cpu - a.cpu)[0] as NodeFact;
    const short = [
      ...(size.cpu > largest.cpu ? [`CPU by ${formatCpu(size.cpu - largest.cpu)}`] : []),
      ...(size.memory > largest.memory
        ? [`memory by ${formatMemory(size.memory - largest.memory)}`]
        : []),
    ];
    const section = lilyValuesSection(object.name);
    return [
      `${objectName(object)} requests ${formatCpu(size.cpu)} CPU / ${formatMemory(size.memory)} per pod, more than any node offers ` +
        `(largest: ${largest.name}, ${formatCpu(largest.cpu)} CPU / ${formatMemory(largest.memory)} allocatable; short of ${short.join(' and ')}). ` +
        'Unless a cluster autoscaler or Karpenter adds a bigger node, the pod stays Pending and the deploy fails once the unschedulable-grace has passed. ' +
        `Lower ${section ? `${section}.resources` : 'the resources of its containers'} (requests and limits) in your values, or add bigger nodes.`,
    ];
  });
}

/**
 * What one pod of a workload asks for: its containers' requests summed, or
 * its largest init container's when larger (they run one at a time). A
 * container with limits but no requests requests its limits.
 */
export function podTemplateRequests(object: ManifestObject): PodSize | undefined {
  const spec = isRecord(object.body.spec) ? object.body.spec : {};
  const template = isRecord(spec.template) ? spec.template : undefined;
  const podSpec = template && isRecord(template.spec) ? template.spec : undefined;
  if (!podSpec) return undefined;
  const sizes = (list: unknown): PodSize[] =>
    (Array.isArray(list) ? list : []).filter(isRecord).map(containerRequests);
  const main = sizes(podSpec.containers).reduce(
    (sum, s) => ({ cpu: sum.cpu + s.cpu, memory: sum.memory + s.memory }),
    { cpu: 0, memory: 0 },
  );
  const init = sizes(podSpec.initContainers);
  return {
    cpu: Math.max(main.cpu, ...init.map((s) => s.cpu)),
    memory: Math.max(main.memory, ...init.map((s) => s.memory)),
  };
}

function containerRequests(container: Record<string, unknown>): PodSize {
  const resources = isRecord(container.resources) ? container.resources : {};
  const requests = isRecord(resources.requests) ? resources.requests : {};
  const limits = isRecord(resources.limits) ? resources.limits : {};
  const amount = (name: string) =>
    parseQuantity(requests[name]) ?? parseQuantity(limits[name]) ?? 0;
  return { cpu: amount('cpu'), memory: amount('memory') };
}

/**
 * The warning for an object whose fields the API server's schema does not
 * declare, deployed the way Helm 3 does: client-side apply drops them.
 */
export function undeclaredFieldsWarning(object: ManifestObject, fields: UndeclaredField[]): string {
  const list = fields
    .map((f) => `${f.path}${f.belongsUnder ? ` (belongs under ${f.belongsUnder})` : ''}`)
    .join(', ');
  const lines = [
    `${objectName(object)} has fields the API server's schema does not declare: ${list}. ` +
      "Helm 4's server-side apply refuses such an object, so this deploy applies client-side, as Helm 3 does, which drops those fields " +
      '(server-side: true would fail; this is a bug of the chart, to report to its authors).',
  ];
  if (object.kind === 'PodDisruptionBudget' && selectorIsEmptyWithout(object, fields)) {
    lines.push(
      'With them dropped, the PodDisruptionBudget has an empty selector, and in policy/v1 an empty selector selects every pod in the namespace: ' +
        "it limits evictions of all of them, not only this release's.",
    );
  }
  return lines.join('\n');
}

function selectorIsEmptyWithout(object: ManifestObject, fields: UndeclaredField[]): boolean {
  const spec = isRecord(object.body.spec) ? object.body.spec : {};
  const selector = isRecord(spec.selector) ? spec.selector : {};
  const dropped = new Set(fields.map((f) => f.path));
  const kept = Object.entries(selector).filter(
    ([key, value]) =>
      !dropped.has(`.spec.selector.${key}`) &&
      (isRecord(value) ? Object.keys(value).length > 0 : Array.isArray(value) && value.length > 0),
  );
  return kept.length === 0;
}
