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
