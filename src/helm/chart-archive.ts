import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import * as yaml from 'js-yaml';
import { isRecord } from '../yaml.js';

// What a deploy reads of the chart itself, its Chart.yaml and values.yaml,
// read from the archive helm pulled (or the chart directory on disk) rather
// than by another helm process that would read the repository index again.

export interface ChartFiles {
  /** Chart.yaml's version. */
  version: string;
  /** values.yaml, parsed: the chart's default values. */
  values: Record<string, unknown>;
}

/** Chart.yaml and values.yaml of a chart archive (.tgz) or chart directory. */
export async function readChartFiles(path: string): Promise<ChartFiles> {
  const files = (await stat(path)).isDirectory()
    ? await chartDirectoryFiles(path)
    : chartArchiveFiles(await readFile(path));
  const chart = yaml.load(files['Chart.yaml'] ?? '');
  const values = yaml.load(files['values.yaml'] ?? '');
  return {
    version: isRecord(chart) && typeof chart.version === 'string' ? chart.version : '',
    values: isRecord(values) ? values : {},
  };
}

const TOP_FILES = ['Chart.yaml', 'values.yaml'];

async function chartDirectoryFiles(dir: string): Promise<Record<string, string>> {
  const entries = await Promise.all(
    TOP_FILES.map(async (name) => [name, await readFile(join(dir, name), 'utf8').catch(() => '')]),
  );
  return Object.fromEntries(entries) as Record<string, string>;
}

/**
 * The chart's own Chart.yaml and values.yaml in a gzipped tar as `helm
 * package` writes it (`<chart>/Chart.yaml`; subcharts under
 * `<chart>/charts/`). Reads ustar names with their prefix, GNU long names and
 * pax paths. Pure.
 */
export function chartArchiveFiles(gzipped: Buffer): Record<string, string> {
  const tar = gunzipSync(gzipped);
  const found: Record<string, string> = {};
  let longName: string | undefined;
  for (let at = 0; at + 512 <= tar.length;) {
    const header = tar.subarray(at, at + 512);
    if (header.every((b) => b === 0)) break;
    const size = parseInt(field(header, 124, 12).trim() || '0', 8);
    const type = String.fromCharCode(header[156] ?? 0);
    const body = tar.subarray(at + 512, at + 512 + size);
    at += 512 + Math.ceil(size / 512) * 512;
    if (type === 'L') {
      longName = body.toString('utf8').replace(/\0.*$/s, '');
      continue;
    }
    if (type === 'x') {
      longName = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(body.toString('utf8'))?.[1] ?? longName;
      continue;
    }
    const prefix = field(header, 345, 155);
    const name = longName ?? (prefix ? `${prefix}/` : '') + field(header, 0, 100);
    longName = undefined;
    if (type !== '0' && type !== '\0') continue;
    const [top, file, ...deeper] = name.replace(/^\.\//, '').split('/');
    if (top && file && deeper.length === 0 && TOP_FILES.includes(file) && !(file in found))
      found[file] = body.toString('utf8');
  }
  return found;
}

/** A NUL-terminated text field of a tar header. */
function field(header: Buffer, offset: number, length: number): string {
  return header
    .subarray(offset, offset + length)
    .toString('utf8')
    .replace(/\0.*$/s, '');
}
