import { isDeepStrictEqual } from 'node:util';
import { createTwoFilesPatch, FILE_HEADERS_ONLY } from 'diff';
import * as yaml from 'js-yaml';
import { isRecord } from '../yaml.js';
import { comparableDesired, comparableLive, displayName, type PlanObject } from './objects.js';
import { compareObjects } from './order.js';
import { listIdentity } from './projection.js';
import {
  describeSecretKeyChange,
  isSecretKind,
  masking,
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
  /** A unified YAML diff, live → planned; empty when unchanged. */
  diff: string;
}

/**
 * Each object of the new release or the previous one: added (not live),
 * removed (in the previous release's manifest, not in the new one), changed
 * (comparableLive against the desired object differ), or unchanged. `secrets`
 * are the values the action masks, replaced wherever they would show.
 */
export function planChanges(
  desired: PlanObject[],
  live: PlanObject[],
  previous: PlanObject[],
  secrets: readonly string[],
): ObjectChange[] {
  const redact = masking(secrets);
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
  const fields =
    change === 'changed'
      ? [
          ...changedPaths(shownBefore, shownAfter, ''),
          ...secretKeys.map((c) => `data.${c.key}`),
        ].map(redact)
      : [];
  const base = { key, object: displayName(object), apiVersion, kind, namespace, name };
  if (change === 'changed' && fields.length === 0)
    return { ...base, change: 'unchanged', fields, diff: '' };
  const diff = [
    yamlDiff(base.object, redactBody(shownBefore, redact), redactBody(shownAfter, redact)),
    ...secretKeys.map((c) => `# ${describeSecretKeyChange(c)}`),
  ]
    .filter((part) => part !== '')
    .join('\n');
  return { ...base, change, fields, diff: redact(diff) };
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

function redactBody(body: Record<string, unknown> | undefined, redact: Redact) {
  return body && (redactDeep(body, redact) as Record<string, unknown>);
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

/**
 * The paths at which two values differ, as deep as maps go: `spec.replicas`,
 * `metadata.annotations["checksum/config"]`. A list is one path, except when
 * both sides hold the same elements (by name, …) in the same order: then
 * `spec.template.spec.containers[daemon].image`.
 */
export function changedPaths(before: unknown, after: unknown, path: string): string[] {
  if (isDeepStrictEqual(before, after)) return [];
  if (isRecord(before) && isRecord(after)) {
    const keys = new Set([...Object.keys(after), ...Object.keys(before)]);
    return [...keys].flatMap((key) => changedPaths(before[key], after[key], field(path, key)));
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const identity = listIdentity([before, after]);
    const ids = identity ? before.map((item) => identity(item) ?? '') : [];
    if (identity && isDeepStrictEqual(ids, after.map(identity)))
      return before.flatMap((item, i) => changedPaths(item, after[i], `${path}[${ids[i] ?? i}]`));
  }
  return [path];
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
 * unified YAML diff with the masked values replaced; empty when alike.
 */
export function valuesDiff(
  live: Record<string, unknown> | undefined,
  planned: Record<string, unknown>,
  secrets: readonly string[],
): string {
  if (isDeepStrictEqual(live ?? {}, planned)) return '';
  const redact = masking(secrets);
  const patch = yamlDiff('values', redactDeep(live ?? {}, redact), redactDeep(planned, redact));
  return redact(patch);
}
