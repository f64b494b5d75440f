import type { DatabaseSettings } from '../settings.js';
import type { Values } from '../inputs/values.js';
import { isRecord } from '../yaml.js';

/** One entry of the chart's `<type>.storage.postgresql` list. */
export interface StorageEntry {
  name: string;
  secretName: string;
  secretKey: string;
  schema: string;
  applicationName: string;
}

export function valueAt(values: Values, path: string): unknown {
  let node: unknown = values;
  for (const key of path.split('.')) {
    if (!isRecord(node)) return undefined;
    node = node[key];
  }
  return node;
}

/** A values tree holding `value` at the dotted `path`, and nothing else. */
export function valuesWith(path: string, value: unknown): Values {
  return path.split('.').reduceRight<unknown>((inner, key) => ({ [key]: inner }), value) as Values;
}

export function storageEntry(db: DatabaseSettings): StorageEntry {
  return {
    name: db.storageName,
    secretName: db.secretName,
    secretKey: db.secretKey,
    schema: db.schema,
    applicationName: db.applicationName,
  };
}

/**
 * Helm replaces lists instead of merging them, so our entry goes into a copy
 * of the whole effective list: it replaces an entry of the same name (keeping
 * that entry's other settings, such as poolSize), else it is appended.
 */
export function upsertStorageEntry(list: unknown, entry: StorageEntry): unknown[] {
  const items: unknown[] = Array.isArray(list) ? list : [];
  const index = items.findIndex((item) => isRecord(item) && item.name === entry.name);
  if (index === -1) return [...items, entry];
  return items.map((item, i) => (i === index ? { ...(item as Values), ...entry } : item));
}

export const DEPLOYMENT_TYPES = ['daemon', 'cluster'];

/**
 * Where the storage list lives: the input's explicit path, or for 'auto' the
 * section of the effective deploymentType (the user's values win over the
 * chart's defaults, as in helm).
 */
export function storageListPath(
  valuesPath: string,
  userValues: Values,
  chartDefaults?: Values,
): string {
  if (valuesPath !== 'auto') return valuesPath;
  const type = userValues.deploymentType ?? chartDefaults?.deploymentType ?? 'cluster';
  if (typeof type !== 'string' || !DEPLOYMENT_TYPES.includes(type)) {
    throw new Error(
      `deploymentType is ${JSON.stringify(type)}, so database-values-path 'auto' cannot choose between ` +
        `daemon.storage.postgresql and cluster.storage.postgresql; set database-values-path`,
    );
  }
  return `${type}.storage.postgresql`;
}

/** The generated values: the storage list at its path with our entry in it. No secrets, only the Secret's name. */
export function databaseValues(
  db: DatabaseSettings,
  userValues: Values,
  chartDefaults?: Values,
): Values {
  const path = storageListPath(db.valuesPath, userValues, chartDefaults);
  const current =
    valueAt(userValues, path) ?? (chartDefaults ? valueAt(chartDefaults, path) : undefined);
  return valuesWith(path, upsertStorageEntry(current, storageEntry(db)));
}
