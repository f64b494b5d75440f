// The run's private directory, and where its unix socket can live.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Workspace } from '../../src/workspace.js';

async function workspaceUnder(runnerTemp: string): Promise<Workspace> {
  const before = process.env.RUNNER_TEMP;
  process.env.RUNNER_TEMP = runnerTemp;
  try {
    return await Workspace.create();
  } finally {
    if (before === undefined) delete process.env.RUNNER_TEMP;
    else process.env.RUNNER_TEMP = before;
  }
}

describe('Workspace.socketPath', () => {
  it('is in the workspace when the path fits a socket address', async () => {
    const root = await mkdtemp(join(tmpdir(), 'ws-'));
    const ws = await workspaceUnder(root);
    const socket = await ws.socketPath('kube-api.sock');
    assert.equal(socket.path, ws.path('kube-api.sock'));
    assert.equal(socket.remove, undefined);
    await rm(root, { recursive: true });
  });

  it('moves to a private directory of its own when a deep RUNNER_TEMP makes it too long', async () => {
    const root = await mkdtemp(join(tmpdir(), 'ws-'));
    const deep = join(root, 'a'.repeat(60), 'b'.repeat(60));
    await mkdir(deep, { recursive: true });
    const ws = await workspaceUnder(deep);
    const socket = await ws.socketPath('kube-api.sock');
    assert.ok(Buffer.byteLength(socket.path) <= 107, socket.path);
    assert.match(socket.path, /^\/tmp\/lily-deploy-\w+\/kube-api\.sock$/);
    const dir = socket.path.replace(/\/kube-api\.sock$/, '');
    assert.equal((await stat(dir)).mode & 0o777, 0o700);
    await socket.remove?.();
    await assert.rejects(stat(dir));
    await rm(root, { recursive: true });
  });
});
