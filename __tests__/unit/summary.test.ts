import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderDeploySummary } from '../../src/deploy/summary.js';

describe('renderDeploySummary', () => {
  const summary = renderDeploySummary({
    release: {
      name: 'lily-a',
      namespace: 'indexer',
      revision: 2,
      status: 'deployed',
      chartName: 'lily',
      chartVersion: '0.1.4',
      appVersion: '0.12.0',
      lastDeployed: '',
    },
    notes: 'Lily is running | tail the logs\n',
    chartSource: 'https://filecoin-project.github.io/helm-charts',
    helmVersion: '4.1.4',
    helmFromCache: true,
    kubernetesVersion: 'v1.36.3',
    secretName: 'lily-a-lily-db',
    durationMs: 12_340,
    interventions: [],
  });

  it('has one table row per fact', () => {
    for (const row of [
      '| Release | `lily-a` |',
      '| Namespace | `indexer` |',
      '| Chart | `lily@0.1.4` from https://filecoin-project.github.io/helm-charts |',
      '| App version | 0.12.0 |',
      '| Revision | 2 |',
      '| Status | deployed |',
      '| Helm | v4.1.4 (tool cache) |',
      '| Kubernetes | v1.36.3 |',
      '| Database Secret | `lily-a-lily-db` |',
      '| Duration | 12.3s |',
    ]) {
      assert.ok(summary.includes(row), `${row}\n---\n${summary}`);
    }
  });

  it('keeps the notes in a fenced block, where a | is harmless', () => {
    assert.match(summary, /```text\nLily is running \| tail the logs\n```/);
  });
});
