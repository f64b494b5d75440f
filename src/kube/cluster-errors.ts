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
