import { createHash } from 'node:crypto';
import { redactor } from '../failure/redact.js';
import { isRecord } from '../yaml.js';
import { omit } from './projection.js';

// Redaction by construction: a Secret's values never enter a diff (its keys
// are compared apart, by a short hash of each value), and every value the
// action masks is replaced by *** in everything else before it is written as
// YAML, so no quoting or line folding can hide one from the replacement. Pure.

export type Redact = (text: string) => string;

/** Replaces every masked value by ***. */
export function masking(secrets: readonly string[]): Redact {
  return redactor([...secrets]);
}

// Words that make a key name a secret: `password`, `PARTNER_API_KEY`,
// `secretKey`. `key` counts only after another word (`apiKey`, `accessKey`):
// alone it is a Secret's key name (`secretKeyRef.key`), a toleration's, … .
const SECRET_WORDS = new Set([
  'password',
  'passwd',
  'pwd',
  'pass',
  'passphrase',
  'secret',
  'secrets',
  'token',
  'tokens',
  'credential',
  'credentials',
  'private',
  'apikey',
]);
const QUALIFIED_SECRET_WORDS = new Set(['key', 'keys']);
// Words of keys that say where a secret is, not what it is: `secretName`,
// `passwordFile`, `existingSecret`, `secretKeyRef`.
const POINTER_WORDS = new Set(['name', 'names', 'ref', 'file', 'path', 'existing']);

/** The words of a key: `PARTNER_API_KEY`, `partnerApiKey`, `partner-api-key` → partner, api, key. */
function words(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w !== '');
}

/** Whether a key is named like one that holds a secret (`keyring` is not, `apiKey` is). */
export function isSecretName(key: string): boolean {
  const w = words(key);
  if (w.some((word) => POINTER_WORDS.has(word))) return false;
  return w.some((word, i) => SECRET_WORDS.has(word) || (i > 0 && QUALIFIED_SECRET_WORDS.has(word)));
}

/**
 * Whether a value can be masked wherever it shows: not so short, nor a word
 * such as `true`, that masking it would hide the rest of the text.
 */
function maskable(value: string): boolean {
  return value.length >= 4 && !/^(true|false|null)$/i.test(value);
}

/**
 * The values a plan masks as the action's own secrets, found by their keys:
 * every string or number of a key named like a secret (or in a list of such
 * values), and the `value` of every `{name, value}` entry whose name is (a
 * container's env). A map under such a key is looked through by its own keys.
 */
export function namedSecretValues(...trees: unknown[]): string[] {
  const found: string[] = [];
  const visit = (node: unknown, secret: boolean): void => {
    if (typeof node === 'string' || typeof node === 'number') {
      if (secret) found.push(String(node));
    } else if (Array.isArray(node)) {
      for (const item of node) visit(item, secret);
    } else if (isRecord(node)) {
      const namedEntry = typeof node.name === 'string' && isSecretName(node.name);
      for (const [key, value] of Object.entries(node))
        visit(value, isSecretName(key) || (namedEntry && key === 'value'));
    }
  };
  for (const tree of trees) visit(tree, false);
  return takenForSecrets(found);
}

/**
 * The strings and numbers at helm `--set` keys (`labels.build`,
 * `daemon.env[0].value`) in a values tree, and all beneath them: what an
 * earlier deploy's `--set` of the same keys left in the live release's values.
 */
export function valuesAtKeys(tree: unknown, keys: string[]): string[] {
  const leaves = (node: unknown): string[] =>
    typeof node === 'string' || typeof node === 'number'
      ? [String(node)]
      : Array.isArray(node) || isRecord(node)
        ? Object.values(node).flatMap(leaves)
        : [];
  return keys.flatMap((key) => {
    const steps = key.match(/(?:\\.|[^.[\]])+|\[\d+\]/g) ?? [];
    const node = steps.reduce<unknown>((at, step) => {
      const index = /^\[(\d+)\]$/.exec(step);
      if (index) return Array.isArray(at) ? at[Number(index[1])] : undefined;
      return isRecord(at) ? at[step.replace(/\\(.)/g, '$1')] : undefined;
    }, tree);
    return leaves(node);
  });
}

/** Values taken for secrets though none was declared one: those that can be masked wherever they show. */
export function takenForSecrets(values: string[]): string[] {
  return [...new Set(values)].filter(maskable);
}

/**
 * Whether an object holds secret values. Any kind named Secret counts, the
 * core v1 Secret and any group's look-alike: stricter is safer.
 */
export function isSecretKind(kind: string): boolean {
  return kind === 'Secret';
}

/**
 * The body without a Secret's values: what a diff may show of it. A Secret's
 * own `data`/`stringData` go (secretKeyChanges compares them apart); a Secret
 * nested anywhere in it (the `items` of a List, of any List kind) keeps its
 * keys, each value replaced by its short hash, so a change still shows and a
 * value never does.
 */
export function withoutSecretValues(
  kind: string,
  body: Record<string, unknown>,
): Record<string, unknown> {
  const shown = isSecretKind(kind) ? omit(body, ['data', 'stringData']) : body;
  return hashNestedSecretValues(shown) as Record<string, unknown>;
}

function hashNestedSecretValues(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(hashNestedSecretValues);
  if (!isRecord(value)) return value;
  const inner = Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, hashNestedSecretValues(v)]),
  );
  if (typeof value.kind !== 'string' || !isSecretKind(value.kind)) return inner;
  const hashed = (values: unknown, decode: (v: string) => Buffer) =>
    isRecord(values)
      ? Object.fromEntries(
          Object.entries(values).map(([k, v]) => [
            k,
            typeof v === 'string' ? `(sha256 ${shortHash(decode(v))})` : '(not a string)',
          ]),
        )
      : values;
  return {
    ...inner,
    ...('data' in value ? { data: hashed(value.data, (v) => Buffer.from(v, 'base64')) } : {}),
    ...('stringData' in value
      ? { stringData: hashed(value.stringData, (v) => Buffer.from(v, 'utf8')) }
      : {}),
  };
}

/** Every string in the value (map keys too) with the masked values replaced. */
export function redactDeep(value: unknown, redact: Redact): unknown {
  if (typeof value === 'string') return redact(value);
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, redact));
  if (!isRecord(value)) return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [redact(k), redactDeep(v, redact)]),
  );
}

/** A field whose value changes, told by a short hash of each value, never the value. */
export interface FieldChange {
  /** `spec.replicas`, `data.url`, `daemon.env`. */
  path: string;
  change: 'added' | 'removed' | 'changed';
  /** Short sha256 of the value before (absent when added). */
  from?: string;
  /** Short sha256 of the value after (absent when removed). */
  to?: string;
}

/** The first 8 hex digits of the value's sha256: tells values apart, never shows one. */
export function shortHash(value: Buffer): string {
  return createHash('sha256').update(value).digest('hex').slice(0, 8);
}

/**
 * A field's change, hashed: bytes as they are, a string by its UTF-8 bytes
 * (what `printf %s "$value" | sha256sum` shows), anything else by its JSON.
 */
export function fieldChange(path: string, before: unknown, after: unknown): FieldChange {
  const hash = (value: unknown) =>
    shortHash(
      Buffer.isBuffer(value)
        ? value
        : Buffer.from(typeof value === 'string' ? value : JSON.stringify(value), 'utf8'),
    );
  if (before === undefined) return { path, change: 'added', to: hash(after) };
  if (after === undefined) return { path, change: 'removed', from: hash(before) };
  return { path, change: 'changed', from: hash(before), to: hash(after) };
}

/** A Secret's values by key, decoded: `data` (base64), overridden by `stringData` as the server does. */
function secretValues(body: Record<string, unknown> | undefined): Map<string, Buffer> {
  const values = new Map<string, Buffer>();
  if (!body) return values;
  if (isRecord(body.data))
    for (const [key, value] of Object.entries(body.data))
      if (typeof value === 'string') values.set(key, Buffer.from(value, 'base64'));
  if (isRecord(body.stringData))
    for (const [key, value] of Object.entries(body.stringData))
      if (typeof value === 'string') values.set(key, Buffer.from(value, 'utf8'));
  return values;
}

/**
 * The keys of a Secret that change, by the same rule as other fields: the
 * keys the new manifest sets, and those the previous one set (removed by the
 * chart). `live` is undefined for an object to be created, `desired` for one
 * to be removed.
 */
export function secretKeyChanges(
  live: Record<string, unknown> | undefined,
  desired: Record<string, unknown> | undefined,
  previous?: Record<string, unknown>,
): FieldChange[] {
  const [before, after] = [secretValues(live), secretValues(desired)];
  const keys = new Set([...after.keys(), ...secretValues(previous).keys()]);
  return [...keys].sort().flatMap((key): FieldChange[] => {
    const [was, will] = [before.get(key), after.get(key)];
    if ((!was && !will) || (was && will && was.equals(will))) return [];
    return [fieldChange(`data.${key}`, was, will)];
  });
}

/** `data.url: changed (sha256 1a2b3c4d → 9f8e7d6c)`. */
export function describeFieldChange(c: FieldChange): string {
  const hashes =
    c.change === 'added' ? c.to : c.change === 'removed' ? c.from : `${c.from} → ${c.to}`;
  return `${c.path}: ${c.change} (sha256 ${hashes})`;
}
