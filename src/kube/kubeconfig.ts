import * as yaml from 'js-yaml';
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
