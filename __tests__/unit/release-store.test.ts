import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { decodeReleaseSecret } from '../../src/release-store.js';

// A helm.sh/release.v1 Secret written by helm 3.17.2 on the e2e cluster (a failed upgrade).
const recorded = JSON.parse(
  readFileSync(new URL('fixtures/helm-release-secret.json', import.meta.url), 'utf8'),
) as { data: { release: string }; metadata: { labels: Record<string, string> } };

describe('decodeReleaseSecret', () => {
  it('reads what helm stored: status, revision, chart, notes and manifest', () => {
    const record = decodeReleaseSecret(recorded.data.release);
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

  it('also reads a record stored without gzip', () => {
    const json = JSON.stringify({
      name: 'r',
      namespace: 'n',
      version: 3,
      info: { status: 'deployed' },
      chart: { metadata: { name: 'lily', version: '0.1.4' } },
    });
    const asStored = (bytes: Buffer) => Buffer.from(bytes.toString('base64')).toString('base64');
    assert.equal(decodeReleaseSecret(asStored(Buffer.from(json))).revision, 3);
    assert.equal(decodeReleaseSecret(asStored(gzipSync(json))).status, 'deployed');
  });
});
