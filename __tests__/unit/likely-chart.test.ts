// Work started on the chart the tool cache likely holds, before the repository
// index says which archive the version is: kept only for that very archive.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  type ChartSource,
  chartFilesOnce,
  oncePerChart,
  onLikelyChart,
} from '../../src/helm/chart-source.js';

const chart = (ref: string): ChartSource => ({
  ref,
  name: 'filecoin/lily',
  description: 'https://charts.example',
  version: '0.1.4',
  defaults: {},
});

/** A promise and the function that resolves it. */
function later<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('onLikelyChart', () => {
  it('starts on the likely archive before the index answers, and keeps it when the index names it', async () => {
    const index = later<ChartSource>();
    const worked: string[] = [];
    const result = onLikelyChart(
      Promise.resolve(chart('/cache/a/lily-0.1.4.tgz')),
      index.promise,
      (c) => {
        worked.push(c.ref);
        return Promise.resolve(`rendered ${c.ref}`);
      },
    );
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(worked, ['/cache/a/lily-0.1.4.tgz'], 'started while the index is read');
    index.resolve(chart('/cache/a/lily-0.1.4.tgz'));
    assert.equal(await result, 'rendered /cache/a/lily-0.1.4.tgz');
    assert.deepEqual(worked, ['/cache/a/lily-0.1.4.tgz'], 'not done again');
  });

  it('does the work again on the archive the index names when it is another (a chart republished)', async () => {
    const worked: string[] = [];
    const result = await onLikelyChart(
      Promise.resolve(chart('/cache/a/lily-0.1.4.tgz')),
      Promise.resolve(chart('/run/chart/lily-0.1.4.tgz')),
      (c) => {
        worked.push(c.ref);
        return c.ref.startsWith('/cache')
          ? Promise.reject(new Error('the stale archive fails'))
          : Promise.resolve(`rendered ${c.ref}`);
      },
    );
    assert.equal(
      result,
      'rendered /run/chart/lily-0.1.4.tgz',
      "the stale archive's failure is not the answer",
    );
    assert.deepEqual(worked, ['/cache/a/lily-0.1.4.tgz', '/run/chart/lily-0.1.4.tgz']);
  });

  it('works on the chart alone when the tool cache has none', async () => {
    const result = await onLikelyChart(
      Promise.resolve(undefined),
      Promise.resolve(chart('/run/x.tgz')),
      (c) => Promise.resolve(c.ref),
    );
    assert.equal(result, '/run/x.tgz');
  });
});

describe('oncePerChart', () => {
  it('works once per archive, and on a second archive only once the first has ended (they write the same file)', async () => {
    const first = later<string>();
    const events: string[] = [];
    const valuesOf = oncePerChart(async (c) => {
      events.push(`start ${c.ref}`);
      const value = c.ref === 'a' ? await first.promise : `values of ${c.ref}`;
      events.push(`end ${c.ref}`);
      return value;
    });
    const a = valuesOf(chart('a'));
    const b = valuesOf(chart('b'));
    assert.equal(valuesOf(chart('a')), a, 'the same work for the same archive');
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(events, ['start a'], 'b waits for a');
    first.resolve('values of a');
    assert.equal(await b, 'values of b');
    assert.equal(await a, 'values of a');
    assert.deepEqual(events, ['start a', 'end a', 'start b', 'end b']);
  });

  it('goes on after a failed archive', async () => {
    const valuesOf = oncePerChart((c) =>
      c.ref === 'a' ? Promise.reject(new Error('a is broken')) : Promise.resolve(c.ref),
    );
    await assert.rejects(valuesOf(chart('a')), /a is broken/);
    assert.equal(await valuesOf(chart('b')), 'b');
  });
});

describe('chartFilesOnce', () => {
  it("reads a chart's files once however often asked (the likely archive, then the same one the index names)", async () => {
    const filesOf = chartFilesOnce();
    const chartDir = fileURLToPath(new URL('../../test/fixtures/charts/lily', import.meta.url));
    const first = filesOf(chartDir);
    assert.equal(filesOf(chartDir), first, 'the same read');
    const { version, defaults } = await first;
    assert.equal(version, '0.1.4');
    assert.ok(defaults.daemon !== undefined, 'the default values');
    await assert.rejects(filesOf('/nonexistent/lily-0.1.4.tgz'));
    assert.equal(await filesOf(chartDir), await first);
  });
});
