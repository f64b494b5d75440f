import { repositoryDigest } from '../names.js';

// Manifests of the objects the action itself creates, and the labels that
// let it recognise them later (only what carries them is ever deleted).

export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'lily-deploy';
export const RELEASE_LABEL = 'lily-deploy/release';

export function managedLabels(release: string): Record<string, string> {
  return { [MANAGED_BY_LABEL]: MANAGED_BY, [RELEASE_LABEL]: release };
}

/** Is this object one the action created for `release`? */
export function isManagedFor(labels: Record<string, string> | undefined, release: string): boolean {
  return labels?.[MANAGED_BY_LABEL] === MANAGED_BY && labels[RELEASE_LABEL] === release;
}

export interface SecretSpec {
  name: string;
  namespace: string;
  key: string;
  value: string;
  release: string;
  /** E.g. a preview's marks; none = no annotations field. */
  annotations?: Record<string, string>;
}

/** The database Secret. `data` (base64) rather than `stringData`, so server-side apply owns the key. */
export function secretManifest(spec: SecretSpec): object {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: spec.name,
      namespace: spec.namespace,
      labels: managedLabels(spec.release),
      ...annotationsField(spec.annotations),
    },
    type: 'Opaque',
    data: { [spec.key]: Buffer.from(spec.value).toString('base64') },
  };
}

export function namespaceManifest(
  name: string,
  release: string,
  annotations?: Record<string, string>,
): object {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, labels: managedLabels(release), ...annotationsField(annotations) },
  };
}

function annotationsField(annotations: Record<string, string> | undefined): object {
  return annotations && Object.keys(annotations).length > 0 ? { annotations } : {};
}

// A preview's marks, on its namespace and database Secret: which pull request
// of which repository it is for, and when it was last deployed, so that a
// sweep can tell an orphaned preview from a live one.

export const PULL_REQUEST_ANNOTATION = 'lily-deploy/pull-request';
export const REPOSITORY_ANNOTATION = 'lily-deploy/repository';
export const DEPLOYED_AT_ANNOTATION = 'lily-deploy/deployed-at';

export interface PreviewMarks {
  /** The pull request number. */
  number: number;
  /** `owner/name`. */
  repository: string;
  /** When the preview was last deployed. */
  deployedAt: Date;
}

const REPOSITORY = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** The annotations marking an object as part of a preview. */
export function previewAnnotations(marks: PreviewMarks): Record<string, string> {
  return {
    [PULL_REQUEST_ANNOTATION]: String(marks.number),
    [REPOSITORY_ANNOTATION]: marks.repository,
    [DEPLOYED_AT_ANNOTATION]: marks.deployedAt.toISOString(),
  };
}

/** A preview's marks read back from an object; undefined unless all are there and valid. */
export function previewMarksOf(object: {
  metadata?: { annotations?: Record<string, string> };
}): PreviewMarks | undefined {
  const annotations = object.metadata?.annotations ?? {};
  const number = annotations[PULL_REQUEST_ANNOTATION] ?? '';
  const repository = annotations[REPOSITORY_ANNOTATION] ?? '';
  const time = annotations[DEPLOYED_AT_ANNOTATION] ?? '';
  const deployedAt = RFC3339.test(time) ? Date.parse(time) : NaN;
  if (!/^[1-9]\d{0,9}$/.test(number) || !REPOSITORY.test(repository) || Number.isNaN(deployedAt)) {
    return undefined;
  }
  return { number: Number(number), repository, deployedAt: new Date(deployedAt) };
}

// A preview's marks in helm's own record of its release: labels on the
// release (`helm upgrade --labels`), which helm keeps on its record object
// beside its own. Only a deploy of the release writes them: whoever may only
// create a Secret or label a namespace cannot, so a sweep removes a preview
// only when its release record says what its namespace or Secret says.

export const RELEASE_PULL_REQUEST_LABEL = 'lily-deploy/pull-request';
export const RELEASE_REPOSITORY_LABEL = 'lily-deploy/repository-sha256';

/** Which preview: a pull request of a repository. */
export type PreviewOf = Pick<PreviewMarks, 'number' | 'repository'>;

/** The labels a preview deploy gives its helm release. */
export function previewReleaseLabels({ number, repository }: PreviewOf): Record<string, string> {
  return {
    [RELEASE_PULL_REQUEST_LABEL]: String(number),
    [RELEASE_REPOSITORY_LABEL]: repositoryDigest(repository, 32),
  };
}

/** Does helm's record of a release say lily-deploy deployed it as this preview? */
export function releaseIsPreviewOf(labels: Record<string, string>, preview: PreviewOf): boolean {
  const expected = previewReleaseLabels(preview);
  return Object.entries(expected).every(([key, value]) => labels[key] === value);
}

/** What a preview deploy or its uninstall finds of what it is about to change. */
export interface PreviewFound {
  release: string;
  namespace: string;
  /** The namespace was derived from the pull request (not given by the namespace input). */
  derivedNamespace: boolean;
  /** The namespace as it is; undefined when missing (or not read). */
  namespaceObject?: {
    metadata: { labels?: Record<string, string>; annotations?: Record<string, string> };
  };
  /** The release's Secrets lily-deploy labelled, or the database Secret. */
  secrets: { metadata: { name: string; annotations?: Record<string, string> } }[];
  /** The labels of helm's record of the release; undefined when there is none. */
  releaseLabels?: Record<string, string>;
}

/**
 * Why a preview may not be deployed over or uninstalled: its namespace is not
 * one lily-deploy created for it (a preview's Secret is never written into
 * someone else's namespace), or its marks or its release record say it is
 * another repository's or pull request's. Undefined when nothing says so (a
 * preview deployed before releases were labelled carries only its marks).
 */
export function previewConflict(found: PreviewFound, preview: PreviewOf): string | undefined {
  const { release, namespace, namespaceObject } = found;
  const ours = `the preview of ${preview.repository}#${preview.number}`;
  const remedy =
    'If two repositories preview this release in one cluster, set shared-release: true in their preview workflows ' +
    '(the names then carry a hash of the repository), or give each repository its own release.';
  if (
    found.derivedNamespace &&
    namespaceObject &&
    !isManagedFor(namespaceObject.metadata.labels, release)
  ) {
    return (
      `Namespace ${namespace} exists and lily-deploy did not create it for preview ${release}: a preview lives only ` +
      `in a namespace lily-deploy made for it, so nothing of ${ours} (its database Secret above all) goes there. ` +
      `Delete namespace ${namespace} if it is a leftover nobody needs, or set the namespace input to a namespace of yours.`
    );
  }
  const marked = [
    ...(namespaceObject ? [{ what: `namespace ${namespace}`, object: namespaceObject }] : []),
    ...found.secrets.map((object) => ({
      what: `Secret ${namespace}/${object.metadata.name}`,
      object,
    })),
  ];
  for (const { what, object } of marked) {
    const marks = previewMarksOf(object);
    if (marks && !samePreview(marks, preview)) {
      return `${what} holds the preview of ${marks.repository}#${marks.number}, not ${ours}: it is left as it is. ${remedy}`;
    }
  }
  const labels = found.releaseLabels ?? {};
  const labelled = RELEASE_PULL_REQUEST_LABEL in labels || RELEASE_REPOSITORY_LABEL in labels;
  if (labelled && !releaseIsPreviewOf(labels, preview)) {
    return `helm's record of release ${release} in namespace ${namespace} says it is another repository's or pull request's preview, not ${ours}: it is left as it is. ${remedy}`;
  }
  return undefined;
}

function samePreview(marks: PreviewOf, preview: PreviewOf): boolean {
  return (
    marks.number === preview.number &&
    marks.repository.toLowerCase() === preview.repository.toLowerCase()
  );
}

// Whether a namespace a run created may go again: only while nothing but
// this release and what Kubernetes puts in every namespace lives in it.

/** An object of a namespace, with its kind (a list's items carry none). */
export interface NamespacedObject {
  kind: string;
  type?: string;
  metadata: {
    name: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: unknown[];
    deletionTimestamp?: string;
  };
}

const INSTANCE_LABEL = 'app.kubernetes.io/instance';

/**
 * `<Kind> <name>` of the objects that are not this release's (lily-deploy's
 * labels for it, or the chart's instance label) and not what Kubernetes makes
 * in every namespace (the root CA ConfigMap, the default ServiceAccount and
 * its token). What has an owner lives and goes with it (the pods of a
 * StatefulSet just uninstalled), and what is being deleted is going: neither
 * counts; its owner, if still there, does.
 */
export function strangersIn(objects: readonly NamespacedObject[], release: string): string[] {
  return objects
    .filter(({ kind, type, metadata }) => {
      if (isManagedFor(metadata.labels, release) || metadata.labels?.[INSTANCE_LABEL] === release)
        return false;
      if ((metadata.ownerReferences?.length ?? 0) > 0 || metadata.deletionTimestamp) return false;
      if (kind === 'ConfigMap' && metadata.name === 'kube-root-ca.crt') return false;
      if (kind === 'ServiceAccount' && metadata.name === 'default') return false;
      const tokenOf = metadata.annotations?.['kubernetes.io/service-account.name'];
      return !(
        kind === 'Secret' &&
        type === 'kubernetes.io/service-account-token' &&
        tokenOf === 'default'
      );
    })
    .map(({ kind, metadata }) => `${kind} ${metadata.name}`);
}
