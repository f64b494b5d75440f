import * as yaml from 'js-yaml';
import { isRecord } from '../yaml.js';

// The objects of a rendered release (`helm template`, `helm get manifest`),
// as plain data for the preflight checks.

export interface ManifestObject {
  apiVersion: string;
  kind: string;
  name: string;
  /** Empty when the manifest leaves it to the release namespace. */
  namespace: string;
  /** The whole document. */
  body: Record<string, unknown>;
}

export function parseManifest(text: string): ManifestObject[] {
  return yaml.loadAll(text).flatMap((doc) => {
    if (!isRecord(doc) || typeof doc.kind !== 'string' || typeof doc.apiVersion !== 'string')
      return [];
    const metadata = isRecord(doc.metadata) ? doc.metadata : {};
    return [
      {
        apiVersion: doc.apiVersion,
        kind: doc.kind,
        name: typeof metadata.name === 'string' ? metadata.name : '',
        namespace: typeof metadata.namespace === 'string' ? metadata.namespace : '',
        body: doc,
      },
    ];
  });
}

/** `PodDisruptionBudget/lily-x-daemon-pdb`, as kubectl names objects. */
export function objectName(object: Pick<ManifestObject, 'kind' | 'name'>): string {
  return `${object.kind}/${object.name}`;
}

/** The API group of an apiVersion: '' for the core group (`v1`). */
export function apiGroup(apiVersion: string): string {
  return apiVersion.includes('/') ? (apiVersion.split('/')[0] as string) : '';
}

/** The discovery path that lists the kinds of an apiVersion. */
export function discoveryPath(apiVersion: string): string {
  return apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
}
