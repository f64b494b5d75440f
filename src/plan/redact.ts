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

export interface SecretKeyChange {
  key: string;
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
): SecretKeyChange[] {
  const [before, after] = [secretValues(live), secretValues(desired)];
  const keys = new Set([...after.keys(), ...secretValues(previous).keys()]);
  return [...keys].sort().flatMap((key): SecretKeyChange[] => {
    const [was, will] = [before.get(key), after.get(key)];
    if (!was && !will) return [];
    if (!was) return [{ key, change: 'added', to: shortHash(will!) }];
    if (!will) return [{ key, change: 'removed', from: shortHash(was) }];
    if (was.equals(will)) return [];
    return [{ key, change: 'changed', from: shortHash(was), to: shortHash(will) }];
  });
}

/** `data.url: changed (sha256 1a2b3c4d → 9f8e7d6c)`. */
export function describeSecretKeyChange(c: SecretKeyChange): string {
  const hashes =
    c.change === 'added' ? c.to : c.change === 'removed' ? c.from : `${c.from} → ${c.to}`;
  return `data.${c.key}: ${c.change} (sha256 ${hashes})`;
}
