import { parseQuantity } from '../kube/quantity.js';
import { isRecord } from '../yaml.js';

// The rule of comparableLive (objects.ts), field by field: a live value cut
// down to the shape of what the release sets. Pure.

/** Maps whose values are resource quantities, and fields that are one. */
const QUANTITY_MAPS = new Set(['requests', 'limits', 'capacity', 'hard']);
const QUANTITY_FIELDS = new Set(['sizeLimit', 'storage']);

/** What identifies an element of a list, as strategic merge keys do: the first every element has, unique. */
const IDENTITY_PATHS = [
  ['name'],
  ['metadata', 'name'],
  ['mountPath'],
  ['containerPort'],
  ['port'],
  ['key'],
];

type Identity = (item: unknown) => string | undefined;

/** The value without null fields (in a manifest, null means not set). */
export function dropNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((v) => v !== null).map(dropNulls);
  if (!isRecord(value)) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== null && v !== undefined)
      .map(([k, v]) => [k, dropNulls(v)]),
  );
}

/** The record without the named fields. */
export function omit(
  record: Record<string, unknown>,
  names: readonly string[],
): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([key]) => !names.includes(key)));
}

export function isEmpty(value: unknown): boolean {
  return (
    (isRecord(value) && Object.keys(value).length === 0) ||
    (Array.isArray(value) && value.length === 0)
  );
}

/**
 * The paths either object sets, the desired one's first (in its order). A
 * field only the previous one set with an empty value changes nothing, so it
 * is left out.
 */
export function mergeShapes(desired: unknown, previous: unknown): unknown {
  if (previous === undefined || isEmpty(previous)) return desired;
  if (desired === undefined) return previous;
  if (isRecord(desired) && isRecord(previous)) {
    const merged: Record<string, unknown> = { ...desired };
    for (const [key, value] of Object.entries(previous)) {
      const shape = mergeShapes(desired[key], value);
      if (shape !== undefined) merged[key] = shape;
    }
    return merged;
  }
  if (Array.isArray(desired) && Array.isArray(previous)) return mergeListShapes(desired, previous);
  return desired;
}

function mergeListShapes(desired: unknown[], previous: unknown[]): unknown[] {
  const identity = listIdentity([desired, previous]);
  if (!identity) {
    const length = Math.max(desired.length, previous.length);
    return Array.from({ length }, (_, i) => mergeShapes(desired[i], previous[i])).filter(
      (shape) => shape !== undefined,
    );
  }
  const merged = desired.map((d) =>
    mergeShapes(
      d,
      previous.find((p) => identity(p) === identity(d)),
    ),
  );
  const gone = previous.filter((p) => !desired.some((d) => identity(d) === identity(p)));
  return [...merged, ...gone];
}

/** How elements of these lists are matched: a field every element has, unique within its list. */
export function listIdentity(lists: unknown[][]): Identity | undefined {
  if (!lists.every((list) => list.every(isRecord))) return undefined;
  for (const path of IDENTITY_PATHS) {
    const identity: Identity = (item) => {
      const value = path.reduce<unknown>((v, k) => (isRecord(v) ? v[k] : undefined), item);
      return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
    };
    const unique = lists.every((list) => {
      const ids = list.map(identity);
      return !ids.includes(undefined) && new Set(ids).size === ids.length;
    });
    if (unique) return identity;
  }
  return undefined;
}

interface Context {
  /** The value is a resource quantity. */
  quantity: boolean;
  /** The value is a map of quantities. */
  quantities: boolean;
}

/** The live value cut down to the fields `shape` has (see comparableLive). */
export function project(
  live: unknown,
  shape: unknown,
  context: Context = { quantity: false, quantities: false },
): unknown {
  if (isRecord(live) && isRecord(shape)) {
    const out: Record<string, unknown> = {};
    for (const [key, want] of Object.entries(shape)) {
      const inner = {
        quantity: context.quantities || QUANTITY_FIELDS.has(key),
        quantities: QUANTITY_MAPS.has(key),
      };
      if (key in live) out[key] = project(live[key], want, inner);
      // The server leaves empty maps and lists out of what it returns.
      else if (isEmpty(want)) out[key] = want;
    }
    return out;
  }
  if (Array.isArray(live) && Array.isArray(shape)) return projectList(live, shape);
  if (context.quantity && sameQuantity(live, shape)) return shape;
  return live;
}

function projectList(live: unknown[], shape: unknown[]): unknown[] {
  const identity = listIdentity([live, shape]);
  return live.map((item, index) => {
    const match = identity ? shape.find((s) => identity(s) === identity(item)) : shape[index];
    return match === undefined ? item : project(item, match);
  });
}

/** 2 and "2", 0.5 and "500m", 1024Mi and 1Gi: the server writes quantities its own way. */
function sameQuantity(a: unknown, b: unknown): boolean {
  const [x, y] = [parseQuantity(a), parseQuantity(b)];
  if (x === undefined || y === undefined) return false;
  return Math.abs(x - y) <= 1e-9 * Math.max(Math.abs(x), Math.abs(y), 1);
}
