import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  helmMajor,
  translateExtraArgs,
  upgradeArgs,
  type UpgradeOptions,
} from '../../src/helm-flags.js';

const OPTIONS: UpgradeOptions = {
  release: 'lily-a',
  chartRef: 'filecoin/lily',
  version: '0.1.4',
  namespace: 'indexer',
  createNamespace: true,
  valuesFiles: ['a.yaml', 'b.yaml'],
  wait: true,
  timeout: '10m',
  atomic: true,
  extraArgs: ['--description', 'x'],
};

describe('upgradeArgs', () => {
  it('spells wait and atomic the Helm 3 way', () => {
    assert.deepEqual(upgradeArgs(3, OPTIONS), [
      'upgrade',
      '--install',
      'lily-a',
      'filecoin/lily',
      '--version',
      '0.1.4',
      '--namespace',
      'indexer',
      '--create-namespace',
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
      version: undefined,
      createNamespace: false,
      wait: false,
      atomic: false,
      extraArgs: [],
    });
    assert.deepEqual(args, [
      'upgrade',
      '--install',
      'lily-a',
      'filecoin/lily',
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
