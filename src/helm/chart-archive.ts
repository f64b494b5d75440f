import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import * as yaml from 'js-yaml';
import { isRecord } from '../yaml.js';
import { isRegularFile, type TarEntry, TarReader } from './tar.js';

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
 * `<chart>/charts/`); the first of each name wins. Pure.
 */
export function chartArchiveFiles(gzipped: Buffer): Record<string, string> {
  const parts = new Map<string, { entry: TarEntry; data: Buffer[] }>();
  for (const { entry, data } of new TarReader().push(gunzipSync(gzipped))) {
    const [top, file, ...deeper] = entry.path.replace(/^\.\//, '').split('/');
    if (!top || !file || deeper.length > 0 || !TOP_FILES.includes(file)) continue;
    if (!isRegularFile(entry)) continue;
    const found = parts.get(file) ?? { entry, data: [] };
    parts.set(file, found);
    if (found.entry === entry) found.data.push(data);
  }
  return Object.fromEntries(
    [...parts].map(([file, { data }]) => [file, Buffer.concat(data).toString('utf8')]),
  );
}
