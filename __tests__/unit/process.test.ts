import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  childEnvironment,
  CommandError,
  commandLine,
  runChecked,
  runCommand,
} from '../../src/process.js';

describe('runCommand', () => {
  it('feeds stdin and captures both streams', async () => {
    const result = await runCommand('sh', ['-c', 'cat; echo err >&2'], {
      input: 'from stdin',
      quiet: true,
    });
    assert.equal(result.exitCode, 0);
    assert.equal(result.stdout, 'from stdin');
    assert.equal(result.stderr, 'err\n');
  });

  it('stops the child with SIGTERM on abort, so it can clean up', async () => {
    const controller = new AbortController();
    const running = runCommand(
      'sh',
      ['-c', 'trap "echo cleaned up; exit 3" TERM; while :; do sleep 0.05; done'],
      {
        signal: controller.signal,
        quiet: true,
      },
    );
    setTimeout(() => {
      controller.abort();
    }, 200);
    const result = await running;
    assert.equal(result.exitCode, 3);
    assert.equal(result.stdout, 'cleaned up\n');
  });

  it('throws a CommandError with the tail of stderr on a non-zero exit', async () => {
    await assert.rejects(
      runChecked('sh', ['-c', 'echo boom >&2; exit 4'], { quiet: true }),
      (err: unknown) => {
        assert.ok(err instanceof CommandError);
        assert.match(err.message, /exited with code 4:\nboom/);
        return true;
      },
    );
  });

  it('quotes arguments for display only when needed', () => {
    assert.equal(
      commandLine('/usr/bin/helm', ['upgrade', 'a b', "it's"]),
      `helm upgrade 'a b' 'it'\\''s'`,
    );
  });
});

describe('the environment of a child process', () => {
  const given = {
    PATH: '/usr/bin',
    KUBECONFIG: '/tmp/kubeconfig',
    HELM_DRIVER: 'secret',
    'INPUT_DATABASE-URL': 'postgres://lily:pw@db/lily',
    'INPUT_REPO-PASSWORD': 'repo-pw',
    'INPUT_GITHUB-TOKEN': 'ghs_token',
    INPUT_KUBECONFIG: 'apiVersion: v1',
    ACTIONS_RUNTIME_TOKEN: 'runtime-token',
    GITHUB_TOKEN: 'ghs_token',
    GITHUB_REPOSITORY: 'octo/lily',
  };

  it('has no input and no token, and everything else', () => {
    assert.deepEqual(childEnvironment(given), {
      PATH: '/usr/bin',
      KUBECONFIG: '/tmp/kubeconfig',
      HELM_DRIVER: 'secret',
      GITHUB_REPOSITORY: 'octo/lily',
    });
  });

  it('is what a command run by runCommand sees', async () => {
    const result = await runCommand('sh', ['-c', 'env'], { env: given, quiet: true });
    const names = result.stdout
      .split('\n')
      .map((line) => line.split('=')[0])
      .filter((name) => name !== '' && name !== 'PWD' && name !== 'SHLVL' && name !== '_');
    assert.deepEqual(names.sort(), ['GITHUB_REPOSITORY', 'HELM_DRIVER', 'KUBECONFIG', 'PATH']);
  });
});
