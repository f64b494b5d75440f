import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CommandError, commandLine, runChecked, runCommand } from '../../src/process.js';

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
