import * as yaml from 'js-yaml';

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** js-yaml's reason and position, without the source excerpt it appends. */
export function yamlErrorSummary(err: unknown): string {
  if (err instanceof yaml.YAMLException) {
    const line = err.mark ? ` at line ${err.mark.line + 1}, column ${err.mark.column + 1}` : '';
    return `${err.reason}${line}`;
  }
  return String(err);
}
