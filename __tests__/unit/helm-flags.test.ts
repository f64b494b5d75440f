import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  choosesServerSide,
  helmMajor,
  serverSideArgs,
  translateExtraArgs,
  valueArgs,
  commandLineValues,
  serverValidatesFields,
  upgradeArgs,
  type UpgradeOptions,
} from '../../src/helm/flags.js';

const OPTIONS: UpgradeOptions = {
  release: 'lily-a',
  chartRef: '/tmp/run/chart/lily-0.1.4.tgz',
  namespace: 'indexer',
  valuesFiles: ['a.yaml', 'b.yaml'],
  wait: true,
  timeout: '10m',
  atomic: true,
  serverValidatesFields: false,
  extraArgs: ['--description', 'x'],
};

describe('upgradeArgs', () => {
  it('spells wait and atomic the Helm 3 way', () => {
    assert.deepEqual(upgradeArgs(3, OPTIONS), [
      'upgrade',
      '--install',
      'lily-a',
      '/tmp/run/chart/lily-0.1.4.tgz',
      '--namespace',
      'indexer',
      '--values',
      'a.yaml',
      '--values',
      'b.yaml',
      '--wait',
      '--timeout',
      '10m',
      '--atomic',
      '--description',
      'x',
    ]);
  });

  it('spells wait and atomic the Helm 4 way', () => {
    const args = upgradeArgs(4, OPTIONS);
    assert.ok(args.includes('--wait=watcher'));
    assert.ok(args.includes('--rollback-on-failure'));
    assert.ok(!args.includes('--wait') && !args.includes('--atomic'));
  });

  it('leaves out what is not asked for', () => {
    const args = upgradeArgs(4, {
      ...OPTIONS,
      wait: false,
      atomic: false,
      extraArgs: [],
    });
    assert.deepEqual(args, [
      'upgrade',
      '--install',
      'lily-a',
      '/tmp/run/chart/lily-0.1.4.tgz',
      '--namespace',
      'indexer',
      '--values',
      'a.yaml',
      '--values',
      'b.yaml',
      '--timeout',
      '10m',
    ]);
  });

  it("gives the release its own labels, kept in helm's record of it, before extra-args", () => {
    const args = upgradeArgs(3, {
      ...OPTIONS,
      labels: { 'lily-deploy/pull-request': '7', 'lily-deploy/repository-sha256': 'ab12' },
    });
    assert.deepEqual(args.slice(-4), [
      '--labels',
      'lily-deploy/pull-request=7,lily-deploy/repository-sha256=ab12',
      '--description',
      'x',
    ]);
  });
});

describe('serverValidatesFields', () => {
  it('holds from Kubernetes 1.27, however the provider spells the version', () => {
    for (const version of ['v1.27.0', 'v1.36.3', 'v1.30.4-eks-a737599', 'v1.29.2+k3s1', 'v2.0.0'])
      assert.equal(serverValidatesFields(version), true, version);
  });

  it('does not hold before 1.27 (the gate could be off) or for a version it cannot read', () => {
    for (const version of ['v1.26.15', 'v1.25.0-gke.100', 'v1.9.0', 'unknown', ''])
      assert.equal(serverValidatesFields(version), false, version);
  });

  it("skips helm's OpenAPI validation before extra-args, so a user's own choice wins", () => {
    const args = upgradeArgs(4, {
      ...OPTIONS,
      serverValidatesFields: true,
      extraArgs: ['--disable-openapi-validation=false'],
    });
    assert.deepEqual(args.slice(-2), [
      '--disable-openapi-validation',
      '--disable-openapi-validation=false',
    ]);
    assert.ok(!upgradeArgs(4, OPTIONS).includes('--disable-openapi-validation'));
  });
});

describe('translateExtraArgs', () => {
  it('rewrites Helm 3 spellings for Helm 4', () => {
    const { args, notes } = translateExtraArgs(4, [
      '--atomic',
      '--force',
      '--wait',
      '--set',
      'a=b',
    ]);
    assert.deepEqual(args, [
      '--rollback-on-failure',
      '--force-replace',
      '--wait=watcher',
      '--set',
      'a=b',
    ]);
    assert.equal(notes.length, 3);
  });

  it('rewrites Helm 4 spellings for Helm 3', () => {
    const { args } = translateExtraArgs(3, [
      '--rollback-on-failure',
      '--force-replace',
      '--wait=watcher',
      '--wait=legacy',
      '--wait=hookOnly',
    ]);
    assert.deepEqual(args, ['--atomic', '--force', '--wait', '--wait']);
  });

  it('leaves arguments that mean the same on both alone', () => {
    assert.deepEqual(
      translateExtraArgs(4, ['--set', 'force=true', '--description', '--atomic is fine here']),
      {
        args: ['--set', 'force=true', '--description', '--atomic is fine here'],
        notes: [],
      },
    );
  });
});

describe('helmMajor', () => {
  it('reads the major and refuses others', () => {
    assert.equal(helmMajor('3.17.2'), 3);
    assert.equal(helmMajor('v4.1.4'), 4);
    assert.throws(() => helmMajor('2.17.0'), /Helm 3 or 4/);
  });
});

describe('serverSideArgs', () => {
  it('auto leaves Helm 4 its own default unless the chart has undeclared fields', () => {
    assert.deepEqual(serverSideArgs(4, 'auto', false), []);
    assert.deepEqual(serverSideArgs(4, 'auto', true), ['--server-side=false']);
  });

  it('true and false are passed to Helm 4 as they are', () => {
    assert.deepEqual(serverSideArgs(4, 'true', true), ['--server-side=true']);
    assert.deepEqual(serverSideArgs(4, 'false', false), ['--server-side=false']);
  });

  it('Helm 3 applies client-side and takes no flag', () => {
    assert.deepEqual(serverSideArgs(3, 'auto', true), []);
    assert.deepEqual(serverSideArgs(3, 'false', false), []);
  });

  it('knows when extra-args already choose', () => {
    assert.equal(choosesServerSide(['--server-side=false']), true);
    assert.equal(choosesServerSide(['--server-side', 'true']), true);
    assert.equal(choosesServerSide(['--server-side-apply']), false);
  });
});

describe('valueArgs', () => {
  it('keeps the flags that change the rendered values, in both spellings', () => {
    assert.deepEqual(
      valueArgs([
        '--set',
        'a=1',
        '--description',
        'x',
        '--set-string=b=2',
        '-f',
        'v.yaml',
        '--force',
      ]),
      ['--set', 'a=1', '--set-string=b=2', '-f', 'v.yaml'],
    );
  });
});

describe('commandLineValues', () => {
  it('takes every value --set, --set-string and --set-literal give, and the files of --set-file', () => {
    assert.deepEqual(
      commandLineValues([
        '--set',
        'daemon.apiKey=k-1,daemon.env[0].value=a\\,b',
        '--set-string=tags={one,two},x=y=z',
        '--set-literal',
        'blob=a,b=c',
        '--set-file',
        'daemon.cert=certs/tls.pem',
        '--description',
        'not=a-value',
      ]),
      {
        values: ['k-1', 'a,b', 'one', 'two', 'y=z', 'a,b=c'],
        files: ['certs/tls.pem'],
        keys: ['daemon.apiKey', 'daemon.env[0].value', 'tags', 'x', 'blob', 'daemon.cert'],
      },
    );
  });
});
