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

/** The schema of a kind in its group-version's document. */
export function kindSchema(
  doc: OpenApiDocument,
  group: string,
  version: string,
  kind: string,
): Schema | undefined {
  return Object.values(doc.components?.schemas ?? {}).find((schema) =>
    schema['x-kubernetes-group-version-kind']?.some(
      (gvk) => gvk.group === group && gvk.version === version && gvk.kind === kind,
    ),
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
