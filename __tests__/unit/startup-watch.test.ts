// Reading a Lily start-up's log while the deploy waits: the import's bar has
// no newline, so a container runtime logs it in 16 KiB pieces (containerd's
// and CRI-O's default), and the kubelet's limitBytes keeps the start of the
// tail it was asked for: a few pieces fill it with old counts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StartupWatch } from '../../src/deploy/startup-watch.js';
import type { KubeApi } from '../../src/kube/api.js';
import type { Pod } from '../../src/kube/types.js';

const PIECE = 16 * 1024;
const LIMIT = 64 * 1024;

/** One runtime piece of the bar redrawn at `kib` KiB of 2 MiB (cut at 16 KiB, as the runtime cuts it). */
function piece(kib: number): string {
  const bar = `\r ${kib.toFixed(2)} KiB / 2.00 MiB ${((kib / 2048) * 100).toFixed(2).padStart(6)}% 6.40 KiB/s 4m35s`;
  return bar.repeat(Math.ceil(PIECE / bar.length)).slice(0, PIECE);
}

/** A pod whose init-datastore imports. */
const importing: Pod = {
  metadata: { name: 'lily-daemon-0' },
  spec: {
    nodeName: 'node-1',
    containers: [{ name: 'daemon' }],
    initContainers: [{ name: 'init-datastore' }],
  },
  status: {
    initContainerStatuses: [{ name: 'init-datastore', state: { running: {} } }],
    containerStatuses: [{ name: 'daemon', state: { waiting: { reason: 'PodInitializing' } } }],
  },
};

/** The kubelet's log endpoint over these log lines (pieces among them): tailLines, then limitBytes from its start. */
function kubelet(lines: string[], asked: string[]): KubeApi {
  return {
    text: (path: string) => {
      asked.push(path);
      const query = new URLSearchParams(path.split('?')[1]);
      const tail = lines.slice(-Number(query.get('tailLines'))).join('');
      return Promise.resolve(tail.slice(0, Number(query.get('limitBytes'))));
    },
  } as unknown as KubeApi;
}

function watchOf(api: KubeApi): StartupWatch {
  const deadlines = {
    timeout: '10m',
    timeoutMs: 600_000,
    stall: '10m',
    stallMs: 600_000,
    startup: '5h30m',
    startupMs: 19_800_000,
  };
  return new StartupWatch(api, 'lily', deadlines, 0, (t) => t, 3_600_000);
}

describe('StartupWatch reading the import', () => {
  it('sees the newest count of a bar logged in 16 KiB pieces, past what limitBytes keeps', async () => {
    const head = [
      '*** Importing snapshot...\n',
      '{"msg":"importing chain from /var/lib/lily/datastore/snapshot.car..."}\n',
    ];
    const pieces = [64, 128, 192, 256, 320, 384, 448, 512].map(piece);
    const asked: string[] = [];
    const watch = watchOf(kubelet([...head, ...pieces], asked));
    // What the 40 lines give within the byte limit stops at the fourth piece.
    assert.doesNotMatch([...head, ...pieces].join('').slice(0, LIMIT), / 320\.00 KiB/);
    await watch.poll([importing], 1_000);
    assert.match(
      watch.summary(1_000, 'Lily start-up').join('\n'),
      /importing the snapshot: 512\.00 KiB of 2\.00 MiB \(25\.00%\)/,
    );
    assert.deepEqual(
      asked.map((p) => new URLSearchParams(p.split('?')[1]).get('tailLines')),
      ['40', '2'],
    );
  });

  it('reads the tail once when it is within the limit', async () => {
    const asked: string[] = [];
    const watch = watchOf(kubelet(['*** Importing snapshot...\n', piece(64)], asked));
    await watch.poll([importing], 1_000);
    assert.match(
      watch.summary(1_000, 'Lily start-up').join('\n'),
      /importing the snapshot: 64\.00 KiB of 2\.00 MiB/,
    );
    assert.equal(asked.length, 1);
  });
});
