import * as yaml from 'js-yaml';
import { isAbsolute, join } from 'node:path';
import { isRecord } from '../yaml.js';

/** What a kubeconfig (or several, merged as kubectl merges KUBECONFIG's files) offers. */
export interface KubeconfigContents {
  contexts: string[];
  /** '' when it names none. */
  currentContext: string;
  /** The exec credential plugin command of each context whose user gets credentials from one. */
  execCommands: Record<string, string>;
  /** Credentials inside it (tokens, keys, passwords), to be masked. */
  secrets: string[];
}

export interface Kubeconfig extends KubeconfigContents {
  /** The kubeconfig as YAML text, ready to write to a file. */
  text: string;
}

/** Which context a run uses and the exec plugin it needs, or why it cannot. */
export type ContextChoice = { context: string; execCommand?: string } | { problem: string };

/** How errors name a kubeconfig: as the subject of a sentence, and as its object. */
export interface KubeconfigName {
  subject: string;
  object: string;
}

// Fields of a kubeconfig user that are credentials. Masking them one by one
// matters: a runner masks a multi-line secret only as a whole, so a token
// printed on its own (say, by a failing exec plugin) would otherwise show.
const CREDENTIAL_KEYS = new Set([
  'token',
  'password',
  'client-key-data',
  'client-certificate-data',
  'id-token',
  'refresh-token',
  'client-secret',
  'access-token',
]);

/** Reads the `kubeconfig` input: raw YAML or base64 of YAML. Undefined when it is neither. */
export function decodeKubeconfig(input: string): Kubeconfig | undefined {
  const direct = asKubeconfig(input);
  if (direct) return direct;
  const compact = input.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(compact)) return undefined;
  return asKubeconfig(Buffer.from(compact, 'base64').toString('utf8'));
}

function asKubeconfig(text: string): Kubeconfig | undefined {
  const doc = parseKubeconfig(text);
  return doc && { text, ...kubeconfigContents([doc]) };
}

/** The kubeconfig document in `text`; undefined when it is not YAML of a kubeconfig. */
export function parseKubeconfig(text: string): Record<string, unknown> | undefined {
  let doc: unknown;
  try {
    doc = yaml.load(text);
  } catch {
    return undefined;
  }
  if (!isRecord(doc) || !('clusters' in doc || 'contexts' in doc || 'users' in doc)) {
    return undefined;
  }
  return doc;
}

/** What the kubeconfig files offer together; as kubectl merges them, the first file to set a thing wins. */
export function kubeconfigContents(docs: Record<string, unknown>[]): KubeconfigContents {
  const contexts = firstByName(docs.flatMap((doc) => listOf(doc.contexts)));
  const users = firstByName(docs.flatMap((doc) => listOf(doc.users)));
  const execCommands: Record<string, string> = {};
  for (const [name, entry] of contexts) {
    const userName = isRecord(entry.context) ? entry.context.user : undefined;
    const user = typeof userName === 'string' ? users.get(userName)?.user : undefined;
    const command = isRecord(user) && isRecord(user.exec) ? user.exec.command : undefined;
    if (isNonEmptyString(command)) execCommands[name] = command;
  }
  const secrets: string[] = [];
  for (const user of users.values()) collectCredentials(user.user, secrets);
  const currentContext = docs.map((doc) => doc['current-context']).find(isNonEmptyString) ?? '';
  return { contexts: [...contexts.keys()], currentContext, execCommands, secrets };
}

/** The context kubectl and helm will use (kube-context, else current-context), if the kubeconfig has it. */
export function chooseContext(
  contents: KubeconfigContents,
  kubeContext: string | undefined,
  name: KubeconfigName,
): ContextChoice {
  const offered = contents.contexts.length > 0 ? contents.contexts.join(', ') : 'no contexts';
  if (kubeContext !== undefined && !contents.contexts.includes(kubeContext)) {
    return {
      problem: `Input 'kube-context' is '${kubeContext}', which ${name.object} does not define; it defines: ${offered}`,
    };
  }
  const context = kubeContext ?? contents.currentContext;
  if (context === '') {
    return {
      problem: `${name.subject} names no current-context and the kube-context input is empty; set kube-context to one of its contexts: ${offered}`,
    };
  }
  if (!contents.contexts.includes(context)) {
    return {
      problem: `${name.subject} has current-context '${context}', which it does not define; it defines: ${offered}. Set kube-context to one of them`,
    };
  }
  const execCommand = contents.execCommands[context];
  return execCommand === undefined ? { context } : { context, execCommand };
}

function firstByName(entries: Record<string, unknown>[]): Map<string, Record<string, unknown>> {
  const byName = new Map<string, Record<string, unknown>>();
  for (const entry of entries) {
    if (typeof entry.name === 'string' && !byName.has(entry.name)) byName.set(entry.name, entry);
  }
  return byName;
}

function collectCredentials(node: unknown, out: string[]): void {
  if (Array.isArray(node)) {
    for (const item of node) collectCredentials(item, out);
    return;
  }
  if (!isRecord(node)) return;
  for (const [key, value] of Object.entries(node)) {
    if (typeof value === 'string') {
      if (CREDENTIAL_KEYS.has(key) && value !== '') out.push(value);
    } else if (key === 'config' && isRecord(value)) {
      // auth-provider keeps its tokens and client secret in a free-form map.
      out.push(...Object.values(value).filter(isNonEmptyString));
    } else if (key === 'env') {
      // exec plugins receive credentials as environment values.
      out.push(
        ...listOf(value)
          .map((item) => item.value)
          .filter(isNonEmptyString),
      );
    } else {
      collectCredentials(value, out);
    }
  }
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}

function listOf(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

export const KUBECONFIG_INPUT: KubeconfigName = {
  subject: "Input 'kubeconfig'",
  object: 'the kubeconfig input',
};

/** A kubeconfig file's document, and the folder its relative paths are read from (none for the input). */
export interface KubeconfigFile {
  doc: Record<string, unknown>;
  dir?: string;
}

/** PEM text from the kubeconfig, or the file that holds it. */
export type PemSource = { pem: string } | { file: string };

/** The API server and the static credentials a context gives: all a plain HTTPS client needs. */
export interface DirectEndpoint {
  /** https://host:port, with any path prefix (a proxy in front of several clusters). */
  server: string;
  ca?: PemSource;
  /** insecure-skip-tls-verify. */
  insecure: boolean;
  tlsServerName?: string;
  clientCertificate?: PemSource;
  clientKey?: PemSource;
  token?: string;
  /** Read again for every request, as client-go does: a projected token rotates. */
  tokenFile?: string;
}

/**
 * How the API client reaches the API server: straight, when the context's
 * credentials are static (a client certificate, a token), or through kubectl
 * (`viaKubectl`: why), which alone runs exec plugins, auth providers and
 * proxies, and trusts the system's roots.
 */
export type ApiRoute = { direct: DirectEndpoint } | { viaKubectl: string };

const DIRECT_CLUSTER_KEYS = new Set([
  'server',
  'certificate-authority',
  'certificate-authority-data',
  'insecure-skip-tls-verify',
  'tls-server-name',
  'disable-compression',
  'extensions',
]);
const DIRECT_USER_KEYS = new Set([
  'client-certificate',
  'client-certificate-data',
  'client-key',
  'client-key-data',
  'token',
  'tokenFile',
  'extensions',
]);

/** The route for `context` of the merged files (the first file to name an entry wins, as kubectl merges them). */
export function apiRoute(
  files: KubeconfigFile[],
  context: string,
  env: NodeJS.ProcessEnv,
): ApiRoute {
  const find = (section: string, name: unknown) => {
    for (const { doc, dir } of files) {
      const entry = listOf(doc[section]).find((item) => item.name === name);
      if (entry) return { entry, dir };
    }
    return undefined;
  };
  const ctx = find('contexts', context)?.entry.context;
  if (!isRecord(ctx)) return { viaKubectl: `context '${context}' has no settings` };
  const cluster = find('clusters', ctx.cluster);
  const user = find('users', ctx.user);
  if (!cluster || !isRecord(cluster.entry.cluster) || !user || !isRecord(user.entry.user)) {
    return { viaKubectl: `context '${context}' names a cluster or user the kubeconfig lacks` };
  }
  const c = cluster.entry.cluster;
  const u = user.entry.user;
  const extra =
    Object.keys(c).find((key) => !DIRECT_CLUSTER_KEYS.has(key)) ??
    Object.keys(u).find((key) => !DIRECT_USER_KEYS.has(key));
  if (extra !== undefined) return { viaKubectl: `the context uses '${extra}'` };
  const server = c.server;
  if (typeof server !== 'string' || !/^https?:\/\/[^/]/.test(server)) {
    return { viaKubectl: 'the cluster has no http(s) server URL' };
  }
  const https = server.startsWith('https:');
  const proxyVariable = (
    https ? ['HTTPS_PROXY', 'https_proxy'] : ['HTTP_PROXY', 'http_proxy']
  ).find((name) => env[name]);
  if (proxyVariable) return { viaKubectl: `${proxyVariable} is set` };
  // kubectl refuses a kubeconfig that gives one of these both ways: its words then reach the user.
  const twice = (
    [
      [c, 'certificate-authority'],
      [u, 'client-certificate'],
      [u, 'client-key'],
    ] as const
  ).find(([entry, key]) => entry[key] !== undefined && entry[`${key}-data`] !== undefined);
  if (twice) return { viaKubectl: `both ${twice[1]} and ${twice[1]}-data are set` };
  const insecure = c['insecure-skip-tls-verify'] === true;
  const sources = {
    ca: pemSource(c['certificate-authority-data'], c['certificate-authority'], cluster.dir),
    clientCertificate: pemSource(u['client-certificate-data'], u['client-certificate'], user.dir),
    clientKey: pemSource(u['client-key-data'], u['client-key'], user.dir),
  };
  if (Object.values(sources).includes(null)) {
    return { viaKubectl: 'a path in the kubeconfig is relative to a file kubectl reads' };
  }
  if (https && !insecure && !sources.ca) {
    return { viaKubectl: 'no certificate-authority: kubectl trusts the system roots' };
  }
  if (insecure && sources.ca) return { viaKubectl: 'both insecure-skip-tls-verify and a CA' };
  if (Boolean(sources.clientCertificate) !== Boolean(sources.clientKey)) {
    return { viaKubectl: 'a client certificate without its key (or a key without it)' };
  }
  const tokenFile =
    typeof u.tokenFile === 'string' && u.tokenFile !== ''
      ? pathFrom(u.tokenFile, user.dir)
      : undefined;
  if (tokenFile === null) {
    return { viaKubectl: 'a path in the kubeconfig is relative to a file kubectl reads' };
  }
  const endpoint: DirectEndpoint = { server: server.replace(/\/+$/, ''), insecure };
  if (sources.ca) endpoint.ca = sources.ca;
  if (sources.clientCertificate) endpoint.clientCertificate = sources.clientCertificate;
  if (sources.clientKey) endpoint.clientKey = sources.clientKey;
  if (isNonEmptyString(c['tls-server-name'])) endpoint.tlsServerName = c['tls-server-name'];
  if (isNonEmptyString(u.token)) endpoint.token = u.token;
  if (tokenFile) endpoint.tokenFile = tokenFile;
  return { direct: endpoint };
}

/** Inline base64 data, or a file; null for a path that cannot be resolved here. */
function pemSource(
  data: unknown,
  file: unknown,
  dir: string | undefined,
): PemSource | undefined | null {
  if (isNonEmptyString(data)) return { pem: Buffer.from(data, 'base64').toString('utf8') };
  if (!isNonEmptyString(file)) return undefined;
  const path = pathFrom(file, dir);
  return path === null ? null : { file: path };
}

function pathFrom(file: string, dir: string | undefined): string | null {
  if (isAbsolute(file)) return file;
  return dir === undefined ? null : join(dir, file);
}
