import * as yaml from 'js-yaml';
import semver from 'semver';
import {
  composeDatabaseUrl,
  databaseSecretForms,
  databaseUrlProblems,
  SSL_MODES,
} from './database-url.js';
import { parseGoDuration } from './duration.js';

import { chooseContext, decodeKubeconfig, KUBECONFIG_INPUT } from '../kube/kubeconfig.js';
import type {
  ChartRef,
  Command,
  DatabaseSettings,
  PullRequestEvent,
  ServerSideSetting,
  Settings,
} from '../settings.js';
import {
  MAX_NAMESPACE_NAME,
  MAX_RELEASE_NAME,
  previewName,
  pullRequestOf,
} from '../github/preview.js';
import { splitShellWords } from './shell-words.js';
import { isRecord, yamlErrorSummary } from '../yaml.js';

/** Reads one raw input by name; '' when it is not set. */
export type InputSource = (name: string) => string;

export interface ParsedInputs {
  /** Set only when there are no errors. */
  settings?: Settings;
  /** One message per bad input, each naming it. */
  errors: string[];
  /** Every secret value found in the inputs and their derived forms, to mask first. */
  secrets: string[];
}

// Helm's own rules: a release name is a lower-case DNS label of at most 53
// characters (helm appends suffixes to it for its own objects).
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const STORAGE_NAME = /^[A-Za-z0-9_]+$/;
const VALUES_PATH = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;
const BOOLEAN_TRUE = ['true', 'True', 'TRUE'];
const BOOLEAN_FALSE = ['false', 'False', 'FALSE'];

class InputReader {
  readonly errors: string[] = [];
  constructor(private readonly source: InputSource) {}

  text(name: string): string {
    return this.source(name).trim();
  }

  required(name: string): string {
    const value = this.text(name);
    if (value === '') this.fail(name, 'is required');
    return value;
  }

  bool(name: string, fallback: boolean): boolean {
    const value = this.text(name);
    if (value === '') return fallback;
    if (BOOLEAN_TRUE.includes(value)) return true;
    if (BOOLEAN_FALSE.includes(value)) return false;
    this.fail(name, `is '${value}'; allowed: true, false`);
    return fallback;
  }

  /** A whole number from 1 to max. */
  count(name: string, fallback: number, max: number): number {
    const text = this.text(name) || String(fallback);
    const value = Number(text);
    this.check(
      name,
      text,
      /^\d+$/.test(text) && value >= 1 && value <= max,
      `a whole number from 1 to ${max}`,
    );
    return value;
  }

  /** A Go duration above zero, in milliseconds. */
  duration(name: string, fallback: string): { text: string; ms: number } {
    const text = this.text(name) || fallback;
    const ms = parseGoDuration(text);
    this.check(
      name,
      text,
      ms !== undefined && ms > 0,
      'a Go duration above zero such as 10m, 90s or 1h30m',
    );
    return { text, ms: ms ?? 0 };
  }

  /** Adds an error unless `value` passes `test`; returns the value either way. */
  check(name: string, value: string, test: boolean, allowed: string): string {
    if (!test) this.fail(name, `is '${value}'; allowed: ${allowed}`);
    return value;
  }

  fail(name: string, message: string): void {
    this.problem(`Input '${name}' ${message}`);
  }

  /** A problem already worded with the input it is about. */
  problem(message: string): void {
    this.errors.push(message);
  }
}

/** What the run's event tells: GITHUB_EVENT_NAME and the GITHUB_EVENT_PATH payload. */
export interface EventContext {
  eventName: string;
  payload: unknown;
}

/** Turns the raw inputs into Settings. Pure: it reads nothing but its arguments. */
export function parseInputs(source: InputSource, event: EventContext): ParsedInputs {
  const input = new InputReader(source);
  const secrets: string[] = [];

  const { command, release, namespace, preview, derivedNamespace } = parseTarget(input, event);

  const kubeconfigInput = input.text('kubeconfig');
  const kubeContext = input.text('kube-context') || undefined;
  let kubeconfig: string | undefined;
  if (kubeconfigInput !== '') {
    secrets.push(kubeconfigInput);
    const decoded = decodeKubeconfig(kubeconfigInput);
    if (decoded) {
      secrets.push(decoded.text, ...decoded.secrets);
      kubeconfig = decoded.text;
      const choice = chooseContext(decoded, kubeContext, KUBECONFIG_INPUT);
      if ('problem' in choice) input.problem(choice.problem);
    } else {
      input.fail('kubeconfig', 'is neither kubeconfig YAML nor base64 of kubeconfig YAML');
    }
  }

  const chart = parseChartRef(input);
  // Only a deploy needs a chart version; an uninstall takes the same step's inputs.
  const chartVersionText =
    command === 'deploy'
      ? input.required('chart-version')
      : input.text('chart-version') || 'latest';
  const chartVersion = chartVersionText.replace(/^v(?=\d)/, '');
  if (chartVersion !== '') {
    input.check(
      'chart-version',
      chartVersion,
      chartVersion === 'latest' || semver.valid(chartVersion) !== null,
      "an exact semantic version such as 0.1.4 or 0.1.5-rc1, or 'latest'",
    );
  }

  const repoName = input.text('repo-name') || 'filecoin';
  input.check(
    'repo-name',
    repoName,
    /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(repoName),
    'letters, digits, ., _ and -',
  );
  const repoUrl = input.text('repo-url') || 'https://filecoin-project.github.io/helm-charts';
  input.check('repo-url', repoUrl, isHttpUrl(repoUrl), 'an http:// or https:// URL');
  const repoUsername = input.text('repo-username') || undefined;
  const repoPassword = input.text('repo-password') || undefined;
  if (repoPassword) secrets.push(repoPassword);
  if (Boolean(repoUsername) !== Boolean(repoPassword)) {
    input.fail(
      repoUsername ? 'repo-password' : 'repo-username',
      'is required when the other repository credential is given',
    );
  }

  const valuesFiles = valuesFileList(input.text('values-files'));
  const values = parseInlineValues(input);

  const database = parseDatabase(input, release, secrets);

  const helmVersion = input.text('helm-version').replace(/^v(?=\d)/, '') || DEFAULT_HELM_VERSION;
  input.check(
    'helm-version',
    helmVersion,
    helmVersion === 'latest' || /^[34]\.\d+\.\d+$/.test(helmVersion),
    "a Helm 3 or 4 release such as v3.17.2 or v4.1.4, or 'latest'",
  );
  const downloadBaseUrl = (input.text('helm-download-base-url') || 'https://get.helm.sh').replace(
    /\/+$/,
    '',
  );
  input.check(
    'helm-download-base-url',
    downloadBaseUrl,
    isHttpUrl(downloadBaseUrl),
    'an http:// or https:// URL',
  );
  const helmSha256 = input.text('helm-sha256').toLowerCase() || undefined;
  if (helmSha256)
    input.check(
      'helm-sha256',
      helmSha256,
      /^[0-9a-f]{64}$/.test(helmSha256),
      '64 hexadecimal characters',
    );

  // A preview namespace is made on demand.
  const createNamespace = input.bool('create-namespace', false) || derivedNamespace;
  const wait = input.bool('wait', true);
  const atomic = input.bool('atomic', false);
  const serverSide = parseServerSide(input, helmVersion);
  const timeout = input.duration('timeout', '10m');
  const failure = {
    failFast: input.bool('fail-fast', true),
    failFastRestarts: input.count('fail-fast-restarts', 3, 1000),
    unschedulableGraceMs: input.duration('unschedulable-grace', '45s').ms,
    logLines: input.count('log-lines', 200, 100_000),
    remediate: input.bool('remediate', false),
    stuckReleaseTimeoutMs: input.duration('stuck-release-timeout', '15m').ms,
    recoverStuckRelease: input.bool('recover-stuck-release', false),
  };

  let extraArgs: string[] = [];
  try {
    extraArgs = splitShellWords(input.text('extra-args'));
  } catch (err) {
    input.fail('extra-args', (err as Error).message);
  }

  const cleanup = {
    deletePvcs: input.bool('delete-pvcs', true),
    deleteNamespace: input.bool('delete-namespace', true),
  };
  const github = parseGithub(input, preview, namespace, secrets);

  const errors = input.errors;
  if (errors.length > 0) return { errors, secrets };
  return {
    errors,
    secrets,
    settings: {
      command,
      preview,
      release,
      namespace,
      createNamespace,
      kubeconfig,
      kubeContext,
      chart,
      chartVersion,
      repo: { name: repoName, url: repoUrl, username: repoUsername, password: repoPassword },
      valuesFiles,
      values,
      database,
      helm: { version: helmVersion, downloadBaseUrl, sha256: helmSha256 },
      wait,
      timeout: timeout.text,
      atomic,
      serverSide,
      extraArgs,
      failure,
      cleanup,
      github,
    },
  };
}

const SERVER_SIDE = ['auto', 'true', 'false'] as const;

/** The server-side input; true needs Helm 4 (Helm 3 applies client-side only). */
function parseServerSide(input: InputReader, helmVersion: string): ServerSideSetting {
  const text = input.text('server-side') || 'auto';
  const valid = (SERVER_SIDE as readonly string[]).includes(text);
  input.check('server-side', text, valid, SERVER_SIDE.join(', '));
  if (text === 'true' && helmVersion.startsWith('3.')) {
    input.fail(
      'server-side',
      `is 'true', but helm-version is v${helmVersion} and Helm 3 applies client-side only; allowed with Helm 3: auto, false`,
    );
  }
  return valid ? (text as ServerSideSetting) : 'auto';
}

const COMMANDS = ['deploy', 'uninstall'] as const;

/**
 * The command, release and namespace. With `preview`, the pull request of the
 * event names them (`<release>-pr-<number>`) and decides the command: a closed
 * PR is uninstalled.
 */
function parseTarget(input: InputReader, event: EventContext) {
  const commandText = input.text('command') || 'deploy';
  const command = (COMMANDS as readonly string[]).includes(commandText)
    ? (commandText as Command)
    : 'deploy';
  input.check('command', commandText, command === commandText, COMMANDS.join(', '));

  const base = input.required('release');
  const baseValid = base !== '' && DNS_LABEL.test(base) && base.length <= MAX_RELEASE_NAME;
  if (base !== '') {
    input.check(
      'release',
      base,
      baseValid,
      `a Helm release name: lower-case letters, digits and '-', starting and ending with a letter or digit, at most ${MAX_RELEASE_NAME} characters`,
    );
  }

  const namespaceInput = input.text('namespace');
  let preview: PullRequestEvent | undefined;
  if (input.bool('preview', false)) {
    const pr = pullRequestOf(event.eventName, event.payload);
    if (typeof pr === 'string') input.fail('preview', `is true, which ${pr}`);
    else preview = pr;
  }
  const namespace =
    namespaceInput || (preview ? previewName(base, preview.number, MAX_NAMESPACE_NAME) : 'default');
  input.check(
    'namespace',
    namespace,
    DNS_LABEL.test(namespace) && namespace.length <= MAX_NAMESPACE_NAME,
    "a DNS label: lower-case letters, digits and '-', at most 63 characters",
  );
  return {
    command: preview?.action === 'closed' ? ('uninstall' as const) : command,
    release: preview && baseValid ? previewName(base, preview.number, MAX_RELEASE_NAME) : base,
    namespace,
    preview,
    derivedNamespace: preview !== undefined && namespaceInput === '',
  };
}

function parseGithub(
  input: InputReader,
  preview: PullRequestEvent | undefined,
  namespace: string,
  secrets: string[],
) {
  const token = input.text('github-token') || undefined;
  if (token) secrets.push(token);
  const environment =
    input.text('environment') || (preview ? `preview/pr-${preview.number}` : namespace);
  const environmentUrl = input.text('environment-url') || undefined;
  if (environmentUrl)
    input.check(
      'environment-url',
      environmentUrl,
      isHttpUrl(environmentUrl),
      'an http:// or https:// URL',
    );
  return { token, environment, environmentUrl };
}

/** The `values-files` input: one path per line, blank lines ignored. */
export function valuesFileList(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

/** The Helm release the tests cover; `helm-version` defaults to it. */
export const DEFAULT_HELM_VERSION = '4.1.4';

function parseChartRef(input: InputReader): ChartRef {
  const chart = input.text('chart') || 'lily';
  if (chart.startsWith('oci://')) return { kind: 'oci', url: chart };
  if (/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(chart) && !chart.endsWith('.tgz')) {
    return { kind: 'repo', name: chart };
  }
  if (chart.includes('://')) {
    input.fail(
      'chart',
      `is '${chart}'; allowed: a chart name in the repository, an oci:// reference, or a local path`,
    );
  }
  return { kind: 'local', path: chart };
}

function parseInlineValues(input: InputReader): Record<string, unknown> | undefined {
  const text = input.text('values');
  if (text === '') return undefined;
  let doc: unknown;
  try {
    doc = yaml.load(text);
  } catch (err) {
    input.fail('values', `is not valid YAML: ${yamlErrorSummary(err)}`);
    return undefined;
  }
  if (doc === null || doc === undefined) return undefined;
  if (!isRecord(doc)) {
    input.fail(
      'values',
      `is YAML of type ${Array.isArray(doc) ? 'list' : typeof doc}; allowed: a mapping (key: value)`,
    );
    return undefined;
  }
  return doc;
}

const DATABASE_PARTS = [
  'database-host',
  'database-name',
  'database-user',
  'database-password',
] as const;

function parseDatabase(
  input: InputReader,
  release: string,
  secrets: string[],
): DatabaseSettings | undefined {
  const url = input.text('database-url');
  const password = input.text('database-password');
  if (url) secrets.push(...databaseSecretForms(url));
  if (password) secrets.push(password, encodeURIComponent(password));

  const portText = input.text('database-port') || '5432';
  const port = Number(portText);
  input.check(
    'database-port',
    portText,
    /^\d+$/.test(portText) && port >= 1 && port <= 65535,
    'a port number from 1 to 65535',
  );
  const sslmode = input.text('database-sslmode') || 'require';
  input.check('database-sslmode', sslmode, SSL_MODES.includes(sslmode), SSL_MODES.join(', '));

  const given = DATABASE_PARTS.filter((name) => input.text(name) !== '');
  let fullUrl: string | undefined;
  if (url) {
    if (given.length > 0) {
      input.fail(
        'database-url',
        `cannot be combined with ${given.join(', ')}; give either the URL or its parts`,
      );
    }
    for (const problem of databaseUrlProblems(url)) input.fail('database-url', problem);
    fullUrl = url;
  } else if (given.length > 0) {
    const missing = DATABASE_PARTS.filter((name) => !given.includes(name));
    for (const name of missing)
      input.fail(name, `is required with ${given.join(', ')} (or give database-url instead)`);
    if (missing.length === 0) {
      fullUrl = composeDatabaseUrl({
        host: input.text('database-host'),
        port,
        name: input.text('database-name'),
        user: input.text('database-user'),
        password,
        sslmode,
      });
      secrets.push(...databaseSecretForms(fullUrl, password));
    }
  }

  // The default, derived from a valid release name, is always a valid name.
  const explicitSecretName = input.text('database-secret-name');
  const secretName = explicitSecretName || `${release}-lily-db`;
  if (explicitSecretName) {
    input.check(
      'database-secret-name',
      secretName,
      DNS_SUBDOMAIN.test(secretName) && secretName.length <= 253,
      "a Kubernetes object name: lower-case letters, digits, '-' and '.'",
    );
  }
  const secretKey = input.text('database-secret-key') || 'url';
  input.check(
    'database-secret-key',
    secretKey,
    /^[-._a-zA-Z0-9]+$/.test(secretKey) && secretKey.length <= 253,
    "letters, digits, '-', '_' and '.'",
  );
  const storageName = input.text('database-storage-name') || 'db';
  input.check(
    'database-storage-name',
    storageName,
    STORAGE_NAME.test(storageName),
    "letters, digits and '_' only (Lily turns it into an environment variable name; '-' breaks the pod)",
  );
  const schema = input.text('database-schema') || 'lily';
  input.check(
    'database-schema',
    schema,
    /^[A-Za-z_][A-Za-z0-9_]*$/.test(schema),
    "a Postgres identifier: letters, digits and '_'",
  );
  const applicationName = input.text('database-application-name') || 'lily';
  input.check(
    'database-application-name',
    applicationName,
    /^[\x20-\x7e]{1,63}$/.test(applicationName),
    'printable ASCII, at most 63 characters',
  );
  const valuesPath = input.text('database-values-path') || 'auto';
  input.check(
    'database-values-path',
    valuesPath,
    valuesPath === 'auto' || VALUES_PATH.test(valuesPath),
    "'auto' or a dotted path such as daemon.storage.postgresql",
  );

  if (!fullUrl) return undefined;
  return { url: fullUrl, secretName, secretKey, storageName, schema, applicationName, valuesPath };
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}
