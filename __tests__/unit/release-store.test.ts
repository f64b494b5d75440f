import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { parseReleaseMetadata } from '../../src/helm/helm.js';
import {
  decodeRelease,
  helmForReading,
  newestRecord,
  releaseLabels,
  releaseStorage,
} from '../../src/helm/release-store.js';

// A helm.sh/release.v1 Secret written by helm 3.17.2 on the e2e cluster (a failed upgrade).
const recorded = JSON.parse(
  readFileSync(new URL('fixtures/helm-release-secret.json', import.meta.url), 'utf8'),
) as { data: { release: string }; metadata: { labels: Record<string, string> } };

describe('decodeRelease', () => {
  it('reads what helm stored: status, revision, chart, notes and manifest', () => {
    // A Secret's data is base64 once more than helm's encoding.
    const record = decodeRelease(Buffer.from(recorded.data.release, 'base64').toString('utf8'));
    assert.equal(record.name, 'atomic');
    assert.equal(record.revision, 2);
    assert.equal(record.revision, Number(recorded.metadata.labels.version));
    assert.equal(record.status, recorded.metadata.labels.status);
    assert.equal(record.chartName, 'lily');
    assert.equal(record.chartVersion, '0.1.4');
    assert.equal(record.appVersion, '0.12.0');
    assert.match(record.notes, /Lily \(daemon mode\) is deployed/);
    assert.match(record.manifest, /kind: StatefulSet/);
    assert.match(record.lastDeployed, /^\d{4}-\d\d-\d\dT/);
  });

  it("reads the release's own labels (helm --labels) from its record object, without helm's", () => {
    const encoded = Buffer.from(recorded.data.release, 'base64').toString('utf8');
    const labels = { ...recorded.metadata.labels, 'lily-deploy/pull-request': '7' };
    assert.deepEqual(decodeRelease(encoded, labels).labels, { 'lily-deploy/pull-request': '7' });
    assert.deepEqual(releaseLabels(recorded.metadata.labels), {});
    const metadata = JSON.stringify({
      name: 'r',
      namespace: 'n',
      revision: 2,
      status: 'deployed',
      chart: 'lily',
      version: '0.1.4',
      labels: { 'lily-deploy/pull-request': '7' },
    });
    assert.deepEqual(parseReleaseMetadata(metadata).labels, { 'lily-deploy/pull-request': '7' });
  });

  it('also reads a record stored without gzip', () => {
    const json = JSON.stringify({
      name: 'r',
      namespace: 'n',
      version: 3,
      info: { status: 'deployed' },
      chart: { metadata: { name: 'lily', version: '0.1.4' } },
    });
    assert.equal(decodeRelease(Buffer.from(json).toString('base64')).revision, 3);
    assert.equal(decodeRelease(gzipSync(json).toString('base64')).status, 'deployed');
  });
});

describe('releaseStorage', () => {
  it('reads records where helm writes them for each HELM_DRIVER', () => {
    for (const driver of [undefined, '', 'secret', 'secrets'])
      assert.equal(releaseStorage(driver), 'secrets', String(driver));
    for (const driver of ['configmap', 'configmaps'])
      assert.equal(releaseStorage(driver), 'configmaps', driver);
    // Only helm reads a database or its own memory.
    for (const driver of ['sql', 'memory']) assert.equal(releaseStorage(driver), 'helm', driver);
  });
});

describe('helmForReading', () => {
  it('needs no helm where the API server holds the records, saying which and why', () => {
    assert.deepEqual(helmForReading(undefined), {
      needed: false,
      why: "Helm not installed: command status reads helm's release records (Secrets, HELM_DRIVER unset) through the Kubernetes API and runs no helm",
    });
    assert.match(helmForReading('configmap').why, /\(ConfigMaps, HELM_DRIVER configmap\)/);
    assert.equal(helmForReading('secret').needed, false);
  });

  it('needs helm for a storage only helm reads', () => {
    assert.deepEqual(helmForReading('sql'), {
      needed: true,
      why: "HELM_DRIVER sql: helm's release records are where only helm reads them, so command status asks helm",
    });
  });
});

describe('newestRecord', () => {
  const record = (version: string, release = 'x') => ({
    metadata: { name: `sh.helm.release.v1.lily.v${version}`, labels: { version } },
    data: { release },
  });

  it('picks the highest revision by its label, numerically, without decoding', () => {
    const newest = newestRecord([record('9'), record('10'), record('2')]);
    assert.equal(newest?.metadata.labels?.version, '10');
  });

  it('skips records without data, and is undefined without any', () => {
    assert.equal(newestRecord([record('3'), record('4', '')])?.metadata.labels?.version, '3');
    assert.equal(newestRecord([]), undefined);
  });
});
