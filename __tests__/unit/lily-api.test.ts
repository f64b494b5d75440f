// Lily's API client: JSON-RPC bodies of the read-only methods only, Lily's
// answers and errors as its fact sheet records them (§4).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { LilyApi } from '../../src/lily/api.js';

/** A client whose transport records each body and answers from `reply`. */
function clientAnswering(reply: (method: string) => object) {
  const sent: string[] = [];
  const api = new LilyApi((body) => {
    sent.push(body);
    const { method } = JSON.parse(body) as { method: string };
    return Promise.resolve(JSON.stringify(reply(method)));
  });
  return { api, sent };
}

describe('LilyApi', () => {
  it('sends JSON-RPC 2.0 bodies of the read-only methods without params', async () => {
    const { api, sent } = clientAnswering((method) => ({
      jsonrpc: '2.0',
      id: 1,
      result:
        method === 'Filecoin.ChainHead'
          ? { Height: 5_000_000, Blocks: [{ Timestamp: 1_748_306_400 }] }
          : method === 'Filecoin.LilyJobList'
            ? null
            : method === 'Filecoin.ID'
              ? '12D3KooWpeer'
              : { ActiveSyncs: [], VMApplied: 0 },
    }));
    assert.equal(await api.id(), '12D3KooWpeer');
    assert.equal((await api.chainHead()).Height, 5_000_000);
    assert.deepEqual(await api.jobs(), [], "Lily's null is no jobs");
    assert.deepEqual((await api.syncState()).ActiveSyncs, []);
    assert.deepEqual(
      sent.map((b) => JSON.parse(b) as object),
      ['Filecoin.ID', 'Filecoin.ChainHead', 'Filecoin.LilyJobList', 'Filecoin.SyncState'].map(
        (method) => ({ jsonrpc: '2.0', id: 1, method, params: [] }),
      ),
    );
  });

  it("says Lily's error with its code", async () => {
    const { api } = clientAnswering(() => ({
      jsonrpc: '2.0',
      id: 1,
      error: { code: 1, message: "missing permission to invoke 'LilyJobList' (need 'read')" },
    }));
    await assert.rejects(api.jobs(), {
      message:
        "Filecoin.LilyJobList: Lily answered error 1: missing permission to invoke 'LilyJobList' (need 'read')",
    });
  });

  it('cannot send a method that changes Lily, not even through a cast', async () => {
    const { api, sent } = clientAnswering(() => ({ jsonrpc: '2.0', id: 1, result: null }));
    // @ts-expect-error: the client's one way to call is private and typed to the read-only methods.
    const call = api.call.bind(api) as (method: string) => Promise<unknown>;
    await assert.rejects(call('Filecoin.Shutdown'), {
      message: 'Filecoin.Shutdown is not a read-only Lily method',
    });
    assert.deepEqual(sent, []);
  });

  it('is the only user of the pod proxy', () => {
    const src = join(import.meta.dirname, '..', '..', 'src');
    const files = (readdirSync(src, { recursive: true }) as string[])
      .filter((f) => f.endsWith('.ts'))
      .filter((f) => /\bpostToPod\(/.test(readFileSync(join(src, f), 'utf8')))
      .map((f) => relative(src, join(src, f)));
    assert.deepEqual(files.sort(), ['kube/api.ts', 'lily/api.ts']);
  });
});
