/** A kubeconfig for a cluster nobody listens on (port 1 on loopback refuses at once), with a token. */
export function unreachableKubeconfig(token: string): string {
  return `apiVersion: v1
kind: Config
clusters: [{name: gone, cluster: {server: "https://127.0.0.1:1"}}]
contexts: [{name: gone, context: {cluster: gone, user: ci}}]
current-context: gone
users: [{name: ci, user: {token: ${token}}}]
`;
}
