// The chart's own Chart.yaml and values.yaml, read from the archive helm pulled.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { chartArchiveFiles, readChartFiles } from '../../src/helm/chart-archive.js';

/** A chart `lily` with a subchart whose files must not be taken for the chart's, packed by tar in `format`. */
async function chartArchive(format: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'chart-archive-'));
  const chart = join(dir, 'lily');
  await mkdir(join(chart, 'charts', 'sub'), { recursive: true });
  await mkdir(join(chart, 'templates'));
  await writeFile(join(chart, 'charts', 'sub', 'Chart.yaml'), 'name: sub\nversion: 9.9.9\n');
  await writeFile(join(chart, 'charts', 'sub', 'values.yaml'), 'sub: true\n');
  await writeFile(join(chart, 'Chart.yaml'), 'apiVersion: v2\nname: lily\nversion: 0.1.5-rc1\n');
  await writeFile(join(chart, 'values.yaml'), `deploymentType: daemon\nnote: ${'x'.repeat(700)}\n`);
  await writeFile(join(chart, 'templates', `${'long-name-'.repeat(9)}.yaml`), 'kind: List\n');
  const archive = join(dir, 'lily-0.1.5-rc1.tgz');
  execFileSync('tar', [`--format=${format}`, '-czf', archive, '-C', dir, 'lily/charts', 'lily']);
  return archive;
}

describe('chartArchiveFiles', () => {
  for (const format of ['ustar', 'pax', 'gnu'])
    it(`reads the chart's own Chart.yaml and values.yaml, not a subchart's (${format} archive)`, async () => {
      const files = chartArchiveFiles(await readFile(await chartArchive(format)));
      assert.match(files['Chart.yaml'] ?? '', /version: 0\.1\.5-rc1/);
      assert.match(files['values.yaml'] ?? '', /^deploymentType: daemon\nnote: x{700}\n$/);
    });
});

describe('readChartFiles', () => {
  it('gives the version and the parsed default values, of an archive and of a chart directory alike', async () => {
    const archive = await chartArchive('pax');
    const fromArchive = await readChartFiles(archive);
    assert.equal(fromArchive.version, '0.1.5-rc1');
    assert.equal(fromArchive.values.deploymentType, 'daemon');
    const fromDirectory = await readChartFiles(join(archive, '..', 'lily'));
    assert.deepEqual(fromDirectory, fromArchive);
  });
});
