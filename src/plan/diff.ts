import { isDeepStrictEqual } from 'node:util';
import { createTwoFilesPatch, FILE_HEADERS_ONLY } from 'diff';
import * as yaml from 'js-yaml';
import { isRecord } from '../yaml.js';
import { comparableDesired, comparableLive, displayName, type PlanObject } from './objects.js';
import { compareObjects } from './order.js';
import { listIdentity } from './projection.js';
import {
  describeFieldChange,
  type FieldChange,
  fieldChange,
  isSecretKind,
  masking,
  namedSecretValues,
  type Redact,
  redactDeep,
  secretKeyChanges,
  withoutSecretValues,
} from './redact.js';

// What a deploy would change, object by object: the rendered release against
// the live objects and the previous release's manifest. Every text made here
// is redacted (see redact.ts) before it leaves. Pure.

export type Change = 'added' | 'changed' | 'removed' | 'unchanged';

export interface ObjectChange {
  /** The object's identity (objects.ts, objectKey). */
  key: string;
  /** `StatefulSet/indexer/lily-daemon`, for people. */
  object: string;
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
  change: Change;
  /** The paths that change (`spec.replicas`, `data.url`); empty unless changed. */
  fields: string[];
  /** The same paths, each with a short hash of its value before and after. */
  fieldChanges: FieldChange[];
  /** A unified YAML diff, live → planned; empty when unchanged. */
  diff: string;
}

/** A redacted diff, and the fields that change by hash: what a plan shows of two values. */
export interface RedactedDiff {
  diff: string;
  fieldChanges: FieldChange[];
}

/**
 * Each object of the new release or the previous one: added (not live),
 * removed (in the previous release's manifest, not in the new one), changed
 * (comparableLive against the desired object differ), or unchanged. `secrets`
 * are the values the action masks, replaced wherever they would show, and so
 * are the values the objects hold under keys named like secrets.
 */
export function planChanges(
  desired: PlanObject[],
  live: PlanObject[],
  previous: PlanObject[],
  secrets: readonly string[],
): ObjectChange[] {
  const bodies = [...desired, ...live, ...previous].map((o) => o.body);
  const redact = masking([...secrets, ...namedSecretValues(...bodies)]);
  const [want, have, had] = [byKey(desired), byKey(live), byKey(previous)];
  const keys = new Set([...want.keys(), ...had.keys()]);
  return [...keys]
    .map((key) => objectChange(want.get(key), have.get(key), had.get(key), redact))
    .sort(compareObjects);
}

function byKey(objects: PlanObject[]): Map<string, PlanObject> {
  return new Map(objects.map((o) => [o.key, o]));
}

function objectChange(
  desired: PlanObject | undefined,
  live: PlanObject | undefined,
  previous: PlanObject | undefined,
  redact: Redact,
): ObjectChange {
  const object = (desired ?? previous)!;
  const { key, apiVersion, kind, namespace, name } = object;
  const [before, after] = comparedBodies(desired, live, previous);
  const change: Change = !desired ? 'removed' : !live ? 'added' : 'changed';
  const secretKeys = isSecretKind(kind)
    ? secretKeyChanges(live?.body, desired?.body, previous?.body)
    : [];
  const [shownBefore, shownAfter] = [before, after].map(
    (body) => body && withoutSecretValues(kind, body),
  );
  const shown = redactedDiff(displayName(object), shownBefore, shownAfter, redact, secretKeys);
  const fieldChanges = change === 'changed' ? shown.fieldChanges : [];
  const base = { key, object: displayName(object), apiVersion, kind, namespace, name };
  if (change === 'changed' && fieldChanges.length === 0)
    return { ...base, change: 'unchanged', fields: [], fieldChanges, diff: '' };
  return {
    ...base,
    change,
    fields: fieldChanges.map((c) => c.path),
    fieldChanges,
    diff: shown.diff,
  };
}

/**
 * The unified YAML diff of two values with the masked ones replaced, and the
 * fields that change by hash. A change the masking hides from the diff (a
 * secret replaced by *** on both sides) is a line of its own, by hash, as are
 * `more` (a Secret's keys).
 */
function redactedDiff(
  name: string,
  before: Record<string, unknown> | undefined,
  after: Record<string, unknown> | undefined,
  redact: Redact,
  more: FieldChange[] = [],
): RedactedDiff {
  const fieldChanges = [
    ...changedValues(before, after, '').map((c) => fieldChange(redact(c.path), c.before, c.after)),
    ...more,
  ];
  const [shownBefore, shownAfter] = [before, after].map(
    (body) => body && (redactDeep(body, redact) as Record<string, unknown>),
  );
  const seen = new Set(changedValues(shownBefore, shownAfter, '').map((c) => c.path));
  const hidden = fieldChanges.filter((c) => !seen.has(c.path) && !more.includes(c));
  const diff = [
    yamlDiff(name, shownBefore, shownAfter),
    ...[...hidden, ...more].map((c) => `# ${describeFieldChange(c)}`),
  ]
    .filter((part) => part !== '')
    .join('\n');
  return { diff: redact(diff), fieldChanges };
}

/** What is compared: the live side as comparableLive makes it, the planned side as rendered. */
function comparedBodies(
  desired: PlanObject | undefined,
  live: PlanObject | undefined,
  previous: PlanObject | undefined,
): [Record<string, unknown> | undefined, Record<string, unknown> | undefined] {
  const after = desired && comparableDesired(desired.body);
  const shape = desired ?? previous;
  const before =
    live && shape
      ? comparableLive(live.body, shape.body, desired ? previous?.body : undefined)
      : !desired && previous
        ? comparableDesired(previous.body)
        : undefined;
  return [before, after];
}

/** The unified diff of two YAML renderings; empty when they are alike. */
function yamlDiff(name: string, before: unknown, after: unknown): string {
  const patch = createTwoFilesPatch(
    before === undefined ? '/dev/null' : `live/${name}`,
    after === undefined ? '/dev/null' : `planned/${name}`,
    before === undefined ? '' : toYaml(before),
    after === undefined ? '' : toYaml(after),
    undefined,
    undefined,
    { context: 3, headerOptions: FILE_HEADERS_ONLY },
  );
  return patch.includes('\n@@ ') ? patch.trimEnd() : '';
}

/** YAML on unfolded lines, so a masked value is never split across two. */
function toYaml(value: unknown): string {
  return isRecord(value) && Object.keys(value).length === 0
    ? ''
    : yaml.dump(value, { lineWidth: -1, noRefs: true });
}

/** A place where two values differ: its path, and the value on each side (undefined when absent). */
interface ValueDifference {
  path: string;
  before: unknown;
  after: unknown;
}

/**
 * The places at which two values differ, as deep as maps go: `spec.replicas`,
 * `metadata.annotations["checksum/config"]`. A list is one place, except when
 * both sides hold the same elements (by name, …) in the same order: then
 * `spec.template.spec.containers[daemon].image`.
 */
function changedValues(before: unknown, after: unknown, path: string): ValueDifference[] {
  if (isDeepStrictEqual(before, after)) return [];
  if (isRecord(before) && isRecord(after)) {
    const keys = new Set([...Object.keys(after), ...Object.keys(before)]);
    return [...keys].flatMap((key) => changedValues(before[key], after[key], field(path, key)));
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const identity = listIdentity([before, after]);
    const ids = identity ? before.map((item) => identity(item) ?? '') : [];
    if (identity && isDeepStrictEqual(ids, after.map(identity)))
      return before.flatMap((item, i) => changedValues(item, after[i], `${path}[${ids[i] ?? i}]`));
  }
  return [{ path, before, after }];
}

function field(path: string, key: string): string {
  const segment = /^[A-Za-z_][\w-]*$/.test(key) ? key : `[${JSON.stringify(key)}]`;
  return path === ''
    ? segment
    : segment.startsWith('[')
      ? `${path}${segment}`
      : `${path}.${segment}`;
}

/**
 * The user-supplied values of the live release against the planned ones, as a
 * redacted unified YAML diff and the fields that change by hash; the values
 * under keys named like secrets are masked too. Empty when alike.
 */
export function valuesDiff(
  live: Record<string, unknown> | undefined,
  planned: Record<string, unknown>,
  secrets: readonly string[],
): RedactedDiff {
  if (isDeepStrictEqual(live ?? {}, planned)) return { diff: '', fieldChanges: [] };
  const redact = masking([...secrets, ...namedSecretValues(live, planned)]);
  return redactedDiff('values', live ?? {}, planned, redact);
}
