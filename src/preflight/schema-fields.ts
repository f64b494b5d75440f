import { apiGroup } from '../kube/manifest.js';
import { isRecord } from '../yaml.js';

// Fields of an object that the API server's OpenAPI v3 schema does not
// declare. Server-side apply (Helm 4's default) refuses such an object;
// client-side apply (Helm 3) drops the fields with a warning. Pure.

export interface Schema {
  type?: string;
  properties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
  items?: Schema;
  allOf?: Schema[];
  $ref?: string;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-group-version-kind'?: { group: string; version: string; kind: string }[];
}

/** One group-version's document from /openapi/v3/apis/<group>/<version> (or /api/v1). */
export interface OpenApiDocument {
  components?: { schemas?: Record<string, Schema> };
}

export interface UndeclaredField {
  /** As the API server writes it: `.spec.selector.app.kubernetes.io/name`. */
  path: string;
  /** The same, key by key: ['spec', 'selector', 'app.kubernetes.io/name']. */
  keys: (string | number)[];
  /** Where the schema has room for it, when that is clear: `.spec.selector.matchLabels`. */
  belongsUnder?: string;
}

/** What the schema check needs of an object. */
export interface CheckedObject {
  apiVersion: string;
  kind: string;
  body: Record<string, unknown>;
}

// Declared by every kind, with metadata the same ObjectMeta in every
// group-version's document (each document carries the schemas it refers to).
const ENVELOPE = ['apiVersion', 'kind', 'metadata'];
const OBJECT_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';

/** Has the object fields beyond apiVersion, kind and metadata? */
function hasFieldsOfItsKind(object: CheckedObject): boolean {
  return Object.keys(object.body).some((key) => !ENVELOPE.includes(key));
}

/**
 * The group-versions whose documents the check reads: those of objects with
 * fields of their kind (spec, data…); an object with nothing but metadata
 * (a ServiceAccount, say) is checked against ObjectMeta, which any document
 * holds, so its own group-version is read only when no other is. Pure.
 */
export function schemaDocumentsNeeded(objects: CheckedObject[]): string[] {
  const needed = new Set(objects.filter(hasFieldsOfItsKind).map((o) => o.apiVersion));
  const first = objects[0];
  if (needed.size === 0 && first) needed.add(first.apiVersion);
  return [...needed];
}

/**
 * Every object's undeclared fields, against its kind's schema in `docs`
 * (apiVersion → document, as schemaDocumentsNeeded chose them). An object
 * whose kind no document declares is not judged. Pure.
 */
export function undeclaredInObjects<T extends CheckedObject>(
  objects: T[],
  docs: Map<string, OpenApiDocument>,
): { object: T; fields: UndeclaredField[] }[] {
  const anyDoc = [...docs.values()][0];
  return objects.flatMap((object) => {
    const doc = docs.get(object.apiVersion);
    const version = object.apiVersion.split('/').at(-1) as string;
    const found = doc && kindSchema(doc, apiGroup(object.apiVersion), version, object.kind);
    const [schema, inDoc] = found
      ? [found, doc]
      : !doc && anyDoc && !hasFieldsOfItsKind(object)
        ? [envelopeSchema, anyDoc]
        : [];
    if (!schema || !inDoc) return [];
    const fields = undeclaredFields(object.body, schema, inDoc);
    return fields.length > 0 ? [{ object, fields }] : [];
  });
}

/** What every kind declares: enough for an object of nothing but metadata. */
const envelopeSchema: Schema = {
  type: 'object',
  properties: {
    apiVersion: { type: 'string' },
    kind: { type: 'string' },
    metadata: { $ref: `#/components/schemas/${OBJECT_META}` },
  },
};

/**
 * The part of a group-version's document the check of `kinds` reads: their
 * schemas, ObjectMeta (an object of nothing but metadata is checked against
 * it), and every schema these refer to. Small enough to keep: a StatefulSet's
 * is a third of apps/v1's. Pure.
 */
export function schemasOfKinds(
  doc: OpenApiDocument,
  kinds: { group: string; version: string; kind: string }[],
): OpenApiDocument {
  const all = doc.components?.schemas ?? {};
  const kept: Record<string, Schema> = {};
  const keep = (name: string) => {
    const schema = all[name];
    if (schema === undefined || name in kept) return;
    kept[name] = schema;
    for (const referred of referencesIn(schema)) keep(referred);
  };
  keep(OBJECT_META);
  for (const [name, schema] of Object.entries(all)) {
    if (kinds.some((k) => declaresKind(schema, k.group, k.version, k.kind))) keep(name);
  }
  return { components: { schemas: kept } };
}

/** The component names a schema refers to, at any depth. */
function referencesIn(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(referencesIn);
  if (!isRecord(value)) return [];
  return Object.entries(value).flatMap(([key, v]) =>
    key === '$ref' && typeof v === 'string'
      ? [v.replace('#/components/schemas/', '')]
      : referencesIn(v),
  );
}

/** The schema of a kind in its group-version's document. */
export function kindSchema(
  doc: OpenApiDocument,
  group: string,
  version: string,
  kind: string,
): Schema | undefined {
  return Object.values(doc.components?.schemas ?? {}).find((schema) =>
    declaresKind(schema, group, version, kind),
  );
}

/** Is `schema` the one of that kind (its x-kubernetes-group-version-kind)? */
function declaresKind(schema: Schema, group: string, version: string, kind: string): boolean {
  return (schema['x-kubernetes-group-version-kind'] ?? []).some(
    (gvk) => gvk.group === group && gvk.version === version && gvk.kind === kind,
  );
}

/** Every field of `value` that `schema` does not declare, with its path. */
export function undeclaredFields(
  value: unknown,
  schema: Schema,
  doc: OpenApiDocument,
  path = '',
  keys: (string | number)[] = [],
): UndeclaredField[] {
  const resolved = resolve(schema, doc);
  if (resolved['x-kubernetes-preserve-unknown-fields']) return [];
  if (Array.isArray(value)) {
    const items = resolved.items;
    return items
      ? value.flatMap((item, i) =>
          undeclaredFields(item, items, doc, `${path}[${i}]`, [...keys, i]),
        )
      : [];
  }
  if (!isRecord(value)) return [];
  const { properties, additionalProperties } = resolved;
  if (!properties) {
    // A map (labels, annotations, data): any key, values of one schema.
    return isRecord(additionalProperties)
      ? Object.entries(value).flatMap(([key, v]) =>
          undeclaredFields(v, additionalProperties, doc, `${path}.${key}`, [...keys, key]),
        )
      : [];
  }
  return Object.entries(value).flatMap(([key, v]): UndeclaredField[] => {
    const field = properties[key];
    if (field) return undeclaredFields(v, field, doc, `${path}.${key}`, [...keys, key]);
    // apiVersion and kind are declared on every kind; status is the server's.
    return [
      {
        path: `${path}.${key}`,
        keys: [...keys, key],
        ...(properties.matchLabels ? { belongsUnder: `${path}.matchLabels` } : {}),
      },
    ];
  });
}

/** Follows $ref and single-entry allOf (how OpenAPI v3 wraps references). */
function resolve(schema: Schema, doc: OpenApiDocument, depth = 0): Schema {
  const ref = schema.$ref ?? (schema.allOf?.length === 1 ? schema.allOf[0]?.$ref : undefined);
  if (!ref || depth > 20) return schema;
  const target = doc.components?.schemas?.[ref.replace('#/components/schemas/', '')];
  return target ? resolve(target, doc, depth + 1) : schema;
}
