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
}

/** The database Secret. `data` (base64) rather than `stringData`, so server-side apply owns the key. */
export function secretManifest(spec: SecretSpec): object {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: spec.name, namespace: spec.namespace, labels: managedLabels(spec.release) },
    type: 'Opaque',
    data: { [spec.key]: Buffer.from(spec.value).toString('base64') },
  };
}

export function namespaceManifest(name: string, release: string): object {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, labels: managedLabels(release) },
  };
}
