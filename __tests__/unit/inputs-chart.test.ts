import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseChart } from '../../src/inputs/chart.js';
import type { InputReader } from '../../src/inputs/reader.js';
import type { Command } from '../../src/settings.js';
import { parseGroup } from './fake-inputs.js';

function parseChartOf(given: Record<string, string>, command: Command = 'deploy') {
  return parseGroup((reader: InputReader) => parseChart(reader, command), given);
}

describe('parseChart', () => {
  it('defaults to the lily chart of the filecoin repository, without credentials', () => {
    assert.deepEqual(parseChartOf({ 'chart-version': 'v0.1.4' }), {
      parsed: {
        chart: { kind: 'repo', name: 'lily' },
        chartVersion: '0.1.4',
        repo: {
          name: 'filecoin',
          url: 'https://filecoin-project.github.io/helm-charts',
          username: undefined,
          password: undefined,
        },
      },
      errors: [],
      secrets: [],
    });
  });

  it('requires a chart version to deploy, but uninstalls with the latest one', () => {
    const deploy = parseChartOf({}, 'deploy');
    assert.equal(deploy.parsed.chartVersion, '');
    assert.deepEqual(deploy.errors, ["Input 'chart-version' is required"]);

    const uninstall = parseChartOf({}, 'uninstall');
    assert.equal(uninstall.parsed.chartVersion, 'latest');
    assert.deepEqual(uninstall.errors, []);
  });

  it('tells an oci reference, a packaged chart and a local path apart', () => {
    const chartOf = (chart: string) => parseChartOf({ chart }, 'uninstall').parsed.chart;
    assert.deepEqual(chartOf('oci://ghcr.io/o/lily'), { kind: 'oci', url: 'oci://ghcr.io/o/lily' });
    assert.deepEqual(chartOf('lily-1.0.0.tgz'), { kind: 'local', path: 'lily-1.0.0.tgz' });
    assert.deepEqual(chartOf('./charts/lily'), { kind: 'local', path: './charts/lily' });
  });

  it('takes an exact SemVer 2.0.0 version as chart-version, a leading v dropped, and refuses the rest', () => {
    const versionOf = (version: string) => parseChartOf({ 'chart-version': version });
    for (const exact of [
      '0.1.4',
      'v0.1.4',
      '0.1.5-rc1',
      '1.0.0-alpha.1',
      '1.0.0+build.7',
      '1.0.0-0.3.7+sha.5114f85',
      '10.20.30',
    ])
      assert.deepEqual(versionOf(exact).errors, [], exact);
    assert.equal(versionOf('v0.1.4').parsed.chartVersion, '0.1.4');
    for (const range of [
      '1.x',
      '^0.1.4',
      '0.1',
      '01.2.3',
      '1.2.3-01',
      '1.2.3-',
      '1.2.3+',
      '1.2.3.4',
      'vv1.2.3',
      '>=0.1.0',
    ])
      assert.equal(versionOf(range).errors.length, 1, range);
  });

  it('masks the repository password and reports each bad input', () => {
    const { errors, secrets } = parseChartOf({
      chart: 'https://charts.example/lily-0.1.4.tgz',
      'chart-version': '1.x',
      'repo-name': 'file/coin',
      'repo-url': 'charts.example.com',
      'repo-password': 'repo-secret',
    });
    assert.deepEqual(secrets, ['repo-secret']);
    assert.deepEqual(errors, [
      "Input 'chart' is 'https://charts.example/lily-0.1.4.tgz'; allowed: a chart name in the repository, an oci:// reference, or a local path",
      "Input 'chart-version' is '1.x'; allowed: an exact semantic version such as 0.1.4 or 0.1.5-rc1, or 'latest'",
      "Input 'repo-name' is 'file/coin'; allowed: letters, digits, ., _ and -",
      "Input 'repo-url' is 'charts.example.com'; allowed: an http:// or https:// URL",
      "Input 'repo-username' is required when the other repository credential is given",
    ]);
  });
});
