import * as yaml from 'js-yaml';
import { isRecord } from './yaml-doc.js';

export interface Kubeconfig {
  /** The kubeconfig as YAML text, ready to write to a file. */
  text: string;
  contexts: string[];
  /** Credentials inside it (tokens, keys, passwords), to be masked. */
  secrets: string[];
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
  let doc: unknown;
  try {
    doc = yaml.load(text);
  } catch {
    return undefined;
  }
  if (!isRecord(doc) || !('clusters' in doc || 'contexts' in doc || 'users' in doc)) {
    return undefined;
  }
  const contexts = listOf(doc.contexts)
    .map((c) => c.name)
    .filter((name): name is string => typeof name === 'string');
  const secrets: string[] = [];
  for (const user of listOf(doc.users)) collectCredentials(user.user, secrets);
  return { text, contexts, secrets };
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
