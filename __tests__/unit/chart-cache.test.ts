// The chart's entry in a repository index, and the tool cache's archive by
// digest: served only while its bytes are the digest's.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { arch, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import {
  cacheChart,
  cachedChart,
  indexedChart,
  newestCachedArchive,
} from '../../src/helm/chart-cache.js';

const DIGEST = 'a'.repeat(64);
const INDEX = `apiVersion: v1
entries:
  lily:
  - apiVersion: v2
    name: lily
    version: 0.1.5-rc1
    digest: ${'b'.repeat(64)}
    urls:
    - lily-0.1.5-rc1.tgz
  - apiVersion: v2
    name: lily
    version: 0.1.4
    digest: ${DIGEST}
    urls:
    - charts/lily-0.1.4.tgz
  other:
  - name: other
    version: "1.0"
    digest: ${'c'.repeat(64)}
    urls:
    - https://github.com/o/r/releases/download/other-1.0/other-1.0.tgz
generated: "2026-12-05T00:00:00Z"
`;

describe('indexedChart', () => {
  it('gives the exact version its digest and its URL resolved against the repository', () => {
    assert.deepEqual(indexedChart(INDEX, 'https://charts.example/helm/', 'lily', '0.1.4'), {
      digest: DIGEST,
      url: 'https://charts.example/helm/charts/lily-0.1.4.tgz',
      file: 'lily-0.1.4.tgz',
    });
    assert.equal(
      indexedChart(INDEX, 'https://charts.example', 'other', '1.0')?.url,
      'https://github.com/o/r/releases/download/other-1.0/other-1.0.tgz',
    );
  });

  it('has nothing for a version, chart or digest the index does not list (left to helm)', () => {
    assert.equal(indexedChart(INDEX, 'https://charts.example', 'lily', '0.1'), undefined);
    assert.equal(indexedChart(INDEX, 'https://charts.example', 'nope', '0.1.4'), undefined);
    const noDigest = INDEX.replace(`digest: ${DIGEST}`, 'digest: ""');
    assert.equal(indexedChart(noDigest, 'https://charts.example', 'lily', '0.1.4'), undefined);
    assert.equal(indexedChart('<html>not an index', 'https://x', 'lily', '0.1.4'), undefined);
  });
});

describe('the tool cache of charts', () => {
  let root: string;
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
    delete process.env.RUNNER_TOOL_CACHE;
  });

  it('serves the archive while its sha256 is the digest, never a changed one', async () => {
    root = await mkdtemp(join(tmpdir(), 'chart-cache-'));
    process.env.RUNNER_TOOL_CACHE = join(root, 'tools');
    const pulled = join(root, 'pulled');
    await mkdir(pulled);
    const bytes = Buffer.from('a chart archive');
    await writeFile(join(pulled, 'lily-0.1.4.tgz'), bytes);
    const chart = {
      digest: createHash('sha256').update(bytes).digest('hex'),
      url: 'https://charts.example/lily-0.1.4.tgz',
      file: 'lily-0.1.4.tgz',
    };
    assert.equal(await cachedChart(process.env.RUNNER_TOOL_CACHE, chart), undefined);
    const entry = await cacheChart(pulled, chart);
    assert.equal(
      await cachedChart(process.env.RUNNER_TOOL_CACHE, chart),
      join(entry, 'lily-0.1.4.tgz'),
    );
    await writeFile(join(entry, 'lily-0.1.4.tgz'), 'changed on disk');
    assert.equal(await cachedChart(process.env.RUNNER_TOOL_CACHE, chart), undefined);
    assert.equal(
      await cachedChart(process.env.RUNNER_TOOL_CACHE, { ...chart, digest: 'd'.repeat(64) }),
      undefined,
    );
  });
  it('names the newest complete entry of an archive name, whatever its digest, before the index is read', async () => {
    root = await mkdtemp(join(tmpdir(), 'chart-cache-'));
    process.env.RUNNER_TOOL_CACHE = join(root, 'tools');
    assert.equal(newestCachedArchive(process.env.RUNNER_TOOL_CACHE, 'lily-0.1.4.tgz'), undefined);
    const entries: string[] = [];
    for (const content of ['first publication', 'republished']) {
      const pulled = await mkdtemp(join(root, 'pulled-'));
      await writeFile(join(pulled, 'lily-0.1.4.tgz'), content);
      const digest = createHash('sha256').update(content).digest('hex');
      entries.push(
        await cacheChart(pulled, {
          digest,
          url: 'https://charts.example/lily-0.1.4.tgz',
          file: 'lily-0.1.4.tgz',
        }),
      );
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // Another version, and an entry whose copy never completed (no .complete beside it).
    const other = await mkdtemp(join(root, 'pulled-'));
    await writeFile(join(other, 'lily-0.1.5-rc1.tgz'), 'another version');
    await cacheChart(other, {
      digest: 'e'.repeat(64),
      url: 'https://charts.example/x',
      file: 'lily-0.1.5-rc1.tgz',
    });
    const half = join(process.env.RUNNER_TOOL_CACHE, 'lily-deploy-chart', 'f'.repeat(64), arch());
    await mkdir(half, { recursive: true });
    await writeFile(join(half, 'lily-0.1.4.tgz'), 'half written');
    assert.equal(
      newestCachedArchive(process.env.RUNNER_TOOL_CACHE, 'lily-0.1.4.tgz'),
      join(entries[1]!, 'lily-0.1.4.tgz'),
    );
  });
});
