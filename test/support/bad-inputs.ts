// Bad inputs and what the action must say about each, before it downloads
// anything or touches the cluster. Each case is given on top of otherwise
// valid inputs; the unit tests parse them, the e2e tests run the action.

export const BAD_INPUTS: {
  name: string;
  given: Record<string, string>;
  input: string;
  says?: RegExp;
}[] = [
  { name: 'missing release', given: { release: '' }, input: 'release', says: /is required/ },
  {
    name: 'missing chart-version',
    given: { 'chart-version': '' },
    input: 'chart-version',
    says: /is required/,
  },
  { name: 'upper-case release', given: { release: 'Lily' }, input: 'release', says: /'Lily'/ },
  { name: 'release with a dot', given: { release: 'lily.a' }, input: 'release' },
  { name: 'release ending in -', given: { release: 'lily-' }, input: 'release' },
  {
    name: 'release of 54 characters',
    given: { release: 'a'.repeat(54) },
    input: 'release',
    says: /at most 53/,
  },
  {
    name: 'chart-version not semver',
    given: { 'chart-version': '1.x' },
    input: 'chart-version',
    says: /'1\.x'/,
  },
  { name: 'chart-version a range', given: { 'chart-version': '^0.1.0' }, input: 'chart-version' },
  {
    name: 'helm-version v2',
    given: { 'helm-version': 'v2.17.0' },
    input: 'helm-version',
    says: /v2\.17\.0|2\.17\.0/,
  },
  { name: 'helm-version partial', given: { 'helm-version': 'v3.17' }, input: 'helm-version' },
  { name: 'timeout without unit', given: { timeout: '600' }, input: 'timeout', says: /'600'/ },
  { name: 'timeout word', given: { timeout: 'ten minutes' }, input: 'timeout' },
  { name: 'timeout zero', given: { timeout: '0s' }, input: 'timeout' },
  {
    name: 'database-port 0',
    given: { 'database-url': '', 'database-port': '0' },
    input: 'database-port',
  },
  {
    name: 'database-port 65536',
    given: { 'database-port': '65536' },
    input: 'database-port',
    says: /'65536'/,
  },
  { name: 'database-port text', given: { 'database-port': 'pg' }, input: 'database-port' },
  {
    name: 'database-sslmode unknown',
    given: { 'database-sslmode': 'on' },
    input: 'database-sslmode',
    says: /'on'.*verify-full/,
  },
  {
    name: 'database-url mysql',
    given: { 'database-url': 'mysql://u:long-secret-pw@h/db' },
    input: 'database-url',
    says: /scheme 'mysql'/,
  },
  {
    name: 'database-url without database',
    given: { 'database-url': 'postgres://u:long-secret-pw@h:5432' },
    input: 'database-url',
    says: /names no database/,
  },
  {
    name: 'database-url with an unknown parameter',
    given: { 'database-url': 'postgres://u:long-secret-pw@h/db?sslmode=require&pool_max_conns=5' },
    input: 'database-url',
    says: /pool_max_conns/,
  },
  {
    name: 'database-url with a bad sslmode',
    given: { 'database-url': 'postgres://u:long-secret-pw@h/db?sslmode=maybe' },
    input: 'database-url',
    says: /sslmode 'maybe'/,
  },
  {
    name: 'database-url not a URL',
    given: { 'database-url': 'host=h user=u' },
    input: 'database-url',
  },
  {
    name: 'database-url and parts',
    given: { 'database-url': 'postgres://u:long-secret-pw@h/db', 'database-host': 'h' },
    input: 'database-url',
    says: /database-host/,
  },
  {
    name: 'parts without a password',
    given: { 'database-host': 'h', 'database-name': 'db', 'database-user': 'u' },
    input: 'database-password',
    says: /is required/,
  },
  {
    name: 'parts without a host',
    given: { 'database-name': 'db', 'database-user': 'u', 'database-password': 'long-secret-pw' },
    input: 'database-host',
  },
  {
    name: 'storage name with -',
    given: { 'database-storage-name': 'my-db' },
    input: 'database-storage-name',
    says: /'my-db'/,
  },
  {
    name: 'values not YAML',
    given: { values: 'a: [1,' },
    input: 'values',
    says: /not valid YAML.*line/,
  },
  { name: 'values a list', given: { values: '- a\n- b' }, input: 'values', says: /mapping/ },
  { name: 'values a scalar', given: { values: 'just text' }, input: 'values', says: /mapping/ },
  {
    name: 'kubeconfig garbage',
    given: { kubeconfig: 'not a kubeconfig at all' },
    input: 'kubeconfig',
  },
  {
    name: 'kubeconfig base64 of garbage',
    given: { kubeconfig: Buffer.from('hello: world').toString('base64') },
    input: 'kubeconfig',
  },
  {
    name: 'kube-context not in the kubeconfig',
    given: { kubeconfig: 'contexts: [{name: a}]', 'kube-context': 'b' },
    input: 'kube-context',
    says: /defines: a/,
  },
  {
    name: 'kubeconfig current-context not in it',
    given: { kubeconfig: 'current-context: gone\ncontexts: [{name: a}, {name: b}]' },
    input: 'kubeconfig',
    says: /current-context 'gone', which it does not define; it defines: a, b/,
  },
  {
    name: 'kubeconfig without a current-context',
    given: { kubeconfig: 'contexts: [{name: a}]' },
    input: 'kubeconfig',
    says: /names no current-context .*: a$/,
  },
  { name: 'wait yes', given: { wait: 'yes' }, input: 'wait', says: /'yes'/ },
  { name: 'atomic 1', given: { atomic: '1' }, input: 'atomic' },
  { name: 'create-namespace on', given: { 'create-namespace': 'on' }, input: 'create-namespace' },
  {
    name: 'helm-sha256 short',
    given: { 'helm-sha256': 'abc123' },
    input: 'helm-sha256',
    says: /64 hexadecimal/,
  },
  { name: 'helm-sha256 not hex', given: { 'helm-sha256': 'z'.repeat(64) }, input: 'helm-sha256' },
  {
    name: 'helm-download-base-url ftp',
    given: { 'helm-download-base-url': 'ftp://mirror' },
    input: 'helm-download-base-url',
  },
  { name: 'repo-url not a URL', given: { 'repo-url': 'charts.example.com' }, input: 'repo-url' },
  {
    name: 'repo-password without user',
    given: { 'repo-password': 'long-secret-pw' },
    input: 'repo-username',
  },
  { name: 'namespace upper-case', given: { namespace: 'Prod' }, input: 'namespace' },
  {
    name: 'database-values-path with spaces',
    given: { 'database-values-path': 'daemon storage' },
    input: 'database-values-path',
  },
  {
    name: 'extra-args unbalanced quote',
    given: { 'extra-args': `--set a='b` },
    input: 'extra-args',
    says: /unterminated/,
  },
  { name: 'command unknown', given: { command: 'destroy' }, input: 'command', says: /'destroy'/ },
  { name: 'fail-fast maybe', given: { 'fail-fast': 'maybe' }, input: 'fail-fast', says: /'maybe'/ },
  {
    name: 'fail-fast-restarts 0',
    given: { 'fail-fast-restarts': '0' },
    input: 'fail-fast-restarts',
    says: /from 1 to/,
  },
  {
    name: 'log-lines not a number',
    given: { 'log-lines': 'all' },
    input: 'log-lines',
    says: /'all'/,
  },
  { name: 'remediate yes', given: { remediate: 'yes' }, input: 'remediate' },
  {
    name: 'server-side maybe',
    given: { 'server-side': 'maybe' },
    input: 'server-side',
    says: /'maybe'; allowed: auto, true, false/,
  },
  {
    name: 'server-side true on Helm 3',
    given: { 'server-side': 'true', 'helm-version': 'v3.17.2' },
    input: 'server-side',
    says: /Helm 3 applies client-side only/,
  },
  {
    name: 'unschedulable-grace without unit',
    given: { 'unschedulable-grace': '30' },
    input: 'unschedulable-grace',
  },
  {
    name: 'stuck-release-timeout without unit',
    given: { 'stuck-release-timeout': '15' },
    input: 'stuck-release-timeout',
  },
  {
    name: 'recover-stuck-release on',
    given: { 'recover-stuck-release': 'on' },
    input: 'recover-stuck-release',
  },
  {
    name: 'preview outside a pull request',
    given: { preview: 'true' },
    input: 'preview',
    says: /pull_request/,
  },
  { name: 'delete-pvcs yes', given: { 'delete-pvcs': 'yes' }, input: 'delete-pvcs' },
  { name: 'delete-namespace 1', given: { 'delete-namespace': '1' }, input: 'delete-namespace' },
  {
    name: 'environment-url not http',
    given: { 'environment-url': 'lily.example.org' },
    input: 'environment-url',
  },
  { name: 'repo-name with a slash', given: { 'repo-name': 'file/coin' }, input: 'repo-name' },
  {
    name: 'database-secret-name upper-case',
    given: { 'database-secret-name': 'Lily_DB' },
    input: 'database-secret-name',
  },
  {
    name: 'database-secret-key with a space',
    given: { 'database-secret-key': 'the url' },
    input: 'database-secret-key',
  },
  {
    name: 'database-schema with a dash',
    given: { 'database-schema': 'lily-schema' },
    input: 'database-schema',
  },
  {
    name: 'chart an http URL',
    given: { chart: 'https://charts.example/lily-0.1.4.tgz' },
    input: 'chart',
  },
];
