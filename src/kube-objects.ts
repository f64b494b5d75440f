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

/**
 * A plain-words reason for a failed call to the API server, from kubectl's or
 * helm's error output; undefined when the output shows none of the usual ones.
 */
export function explainClusterError(output: string): string | undefined {
  const rules: [RegExp, string][] = [
    [
      /connection refused|connection to the server .* was refused/i,
      'the API server refused the connection (nothing listens at its address)',
    ],
    [/no such host|server misbehaving/i, "the API server's host name does not resolve"],
    [
      /i\/o timeout|context deadline exceeded|Client\.Timeout|TLS handshake timeout/i,
      'the API server did not answer in time',
    ],
    [/x509|certificate/i, "the API server's TLS certificate is not trusted by the kubeconfig"],
    [
      /Unauthorized|provide credentials/i,
      'the API server rejected the credentials (401 Unauthorized)',
    ],
    [/forbidden/i, 'the credentials lack permission for this (403 Forbidden)'],
    [
      /context ".*" does not exist|no context exists/i,
      'the kube-context does not exist in the kubeconfig',
    ],
    [
      /invalid configuration|no configuration has been provided|KUBERNETES_MASTER/i,
      'there is no usable kubeconfig: set the kubeconfig input or KUBECONFIG',
    ],
  ];
  return rules.find(([pattern]) => pattern.test(output))?.[1];
}
